package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// treesEnv names the trees BenchmarkBaseline and BenchmarkVerify record,
// colon-separated; by default about 1.56 GB (apparent size) of a Debian /usr: shared
// libraries (large files) and /usr/share (many small ones).
const treesEnv = "BASELINE_TREES"

var defaultTrees = []string{"/usr/lib/x86_64-linux-gnu", "/usr/share"}

func baselineTrees(tb testing.TB) []string {
	tb.Helper()
	trees := defaultTrees
	if v := os.Getenv(treesEnv); v != "" {
		trees = strings.Split(v, ":")
	}
	for _, t := range trees {
		if _, err := os.Stat(t); err != nil {
			tb.Skipf("tree %s: %v (set %s)", t, err, treesEnv)
		}
	}
	return trees
}

// aideConfig writes an AIDE configuration that records what vigil's
// baseline records (type, permissions, owner, size, symlink target,
// SHA-256 and nothing else) for trees, with its database in dir, gzip'd
// as vigil's is.
func aideConfig(tb testing.TB, dir string, trees []string) string {
	tb.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "database_in=file:%s/aide.db.gz\ndatabase_out=file:%s/aide.db.new.gz\ngzip_dbout=yes\n", dir, dir)
	b.WriteString("report_url=stdout\nVigil = ftype+p+u+g+s+l+sha256\n")
	for _, t := range trees {
		fmt.Fprintf(&b, "%s Vigil\n", t)
	}
	path := filepath.Join(dir, "aide.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// treeSize counts the regular files and their bytes under trees, as
// vigil baseline does (not following symlinks).
func treeSize(tb testing.TB, trees []string) (files int, bytes int64) {
	tb.Helper()
	for _, t := range trees {
		filepath.Walk(t, func(_ string, fi os.FileInfo, err error) error { //nolint:errcheck // a partial count is fine
			if err == nil && fi.Mode().IsRegular() {
				files, bytes = files+1, bytes+fi.Size()
			}
			return nil
		})
	}
	return files, bytes
}

// BenchmarkBaseline: one op records every file of the trees, with its
// SHA-256, into a database: vigil baseline against Debian's aide --init
// configured to record the same, with its default one worker and with
// one per CPU. The page cache is warmed first: this is hashing and
// walking, not disk reads. MB/s and files/s are per op.
func BenchmarkBaseline(b *testing.B) {
	trees := baselineTrees(b)
	files, size := treeSize(b, trees)
	dir := b.TempDir()
	vigil := vigilBinary(b)
	setups := []struct {
		name string
		argv func(b *testing.B) []string
	}{
		{"vigil", func(*testing.B) []string {
			return append([]string{vigil, "baseline", "--out", filepath.Join(dir, "vigil.baseline")}, trees...)
		}},
		{"aide", func(b *testing.B) []string {
			return []string{installed("aide", "apt-get install aide")(b), "--init", "--config", aideConfig(b, dir, trees)}
		}},
		{"aide-workers", func(b *testing.B) []string {
			return []string{installed("aide", "apt-get install aide")(b), "--init", "--config", aideConfig(b, dir, trees),
				fmt.Sprintf("--workers=%d", runtime.NumCPU())}
		}},
	}
	warm(b, setups[0].argv(b))
	for _, s := range setups {
		b.Run(s.name, func(b *testing.B) {
			argv := s.argv(b)
			timeCommand(b, argv, files, size)
		})
	}
}

// BenchmarkVerify: one op compares the trees with the database made by
// one untimed baseline: vigil verify against aide --check, same set-ups.
func BenchmarkVerify(b *testing.B) {
	trees := baselineTrees(b)
	files, size := treeSize(b, trees)
	dir := b.TempDir()
	vigil := vigilBinary(b)
	base := filepath.Join(dir, "vigil.baseline")
	warm(b, append([]string{vigil, "baseline", "--out", base}, trees...))
	b.Run("vigil", func(b *testing.B) {
		timeCommand(b, []string{vigil, "verify", "--baseline", base}, files, size)
	})
	for _, workers := range []int{0, runtime.NumCPU()} {
		name := "aide"
		if workers > 0 {
			name = "aide-workers"
		}
		b.Run(name, func(b *testing.B) {
			aide := installed("aide", "apt-get install aide")(b)
			conf := aideConfig(b, dir, trees)
			warm(b, []string{aide, "--init", "--config", conf})
			if err := os.Rename(filepath.Join(dir, "aide.db.new.gz"), filepath.Join(dir, "aide.db.gz")); err != nil {
				b.Fatal(err)
			}
			argv := []string{aide, "--check", "--config", conf}
			if workers > 0 {
				argv = append(argv, fmt.Sprintf("--workers=%d", workers))
			}
			timeCommand(b, argv, files, size)
		})
	}
}

// warm runs argv once, untimed, and fails the benchmark if it fails.
func warm(b *testing.B, argv []string) {
	b.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
}

// timeCommand runs argv b.N times and reports MB/s and files/s. It must
// exit 0 (aide --check: 0 for no change).
func timeCommand(b *testing.B, argv []string, files int, size int64) {
	b.Helper()
	var elapsed time.Duration
	for b.Loop() {
		cmd := exec.Command(argv[0], argv[1:]...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		elapsed += time.Since(start)
		if err != nil {
			b.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	per := elapsed.Seconds() / float64(b.N)
	b.ReportMetric(float64(size)/1e6/per, "MB/s")
	b.ReportMetric(float64(files)/per, "files/s")
}
