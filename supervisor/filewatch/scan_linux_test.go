package filewatch

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tree makes a small tree of every entry type under a temporary directory
// and returns its path.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "cache", "deep"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "bin", "tool"), []byte("#!/bin/sh\necho tool\n"), 0o755))
	must(syscall.Chmod(filepath.Join(dir, "bin", "tool"), 0o4755)) // os.Chmod wants os.ModeSetuid
	must(os.WriteFile(filepath.Join(dir, "config"), []byte("key=value\n"), 0o640))
	must(os.Chown(filepath.Join(dir, "config"), 1000, 1001))
	must(os.WriteFile(filepath.Join(dir, "cache", "deep", "x"), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "module.pyc"), []byte("pyc"), 0o644))
	must(os.Symlink("bin/tool", filepath.Join(dir, "link")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600))
	must(syscall.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o666, 1<<8|3))
	must(syscall.Chmod(filepath.Join(dir, "null"), 0o666)) // past the umask
	return dir
}

func TestScan(t *testing.T) {
	dir := tree(t)
	entries, problems, err := Scan(Options{
		Roots:    []string{dir},
		Excludes: []string{"*.pyc", filepath.Join(dir, "cache")},
		Workers:  3,
	})
	if err != nil || len(problems) > 0 {
		t.Fatalf("Scan: %v, problems %v", err, problems)
	}
	sum := sha256.Sum256([]byte("#!/bin/sh\necho tool\n"))
	want := map[string]Entry{
		"":          {Type: TypeDir},
		"/bin":      {Type: TypeDir, Mode: 0o755},
		"/bin/tool": {Type: TypeFile, Mode: 0o4755, Size: 20, SHA256: hex.EncodeToString(sum[:])},
		"/config":   {Type: TypeFile, Mode: 0o640, UID: 1000, GID: 1001, Size: 10},
		"/fifo":     {Type: TypeFIFO, Mode: 0o600},
		"/link":     {Type: TypeSymlink, Mode: 0o777, Target: "bin/tool"},
		"/null":     {Type: TypeChar, Mode: 0o666, Target: "1:3"},
	}
	var got []string
	for _, e := range entries {
		rel := strings.TrimPrefix(e.Path, dir)
		got = append(got, rel)
		w, ok := want[rel]
		if !ok {
			t.Errorf("unexpected entry %s", rel)
			continue
		}
		if rel == "" || rel == "/config" { // the temporary dir's own mode; config's hash
			w.Mode, w.SHA256 = e.Mode, e.SHA256
		}
		w.Path = e.Path
		if e != w {
			t.Errorf("%s: %+v, want %+v", rel, e, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("entries %q, want the %d of %v", got, len(want), want)
	}
}

func TestCompare(t *testing.T) {
	dir := tree(t)
	scan := func() []Entry {
		t.Helper()
		es, problems, err := Scan(Options{Roots: []string{dir}})
		if err != nil || len(problems) > 0 {
			t.Fatalf("Scan: %v, problems %v", err, problems)
		}
		return es
	}
	before := scan()
	if changes := Compare(before, scan()); len(changes) != 0 {
		t.Fatalf("no change made, yet %v", changes)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	steps := []func() error{
		func() error { return os.WriteFile(p("config"), []byte("key=evil1\n"), 0o640) }, // content, same size
		func() error { return os.Chmod(p("bin"), 0o777) },
		func() error { return os.Chown(p("bin/tool"), 0, 1001) }, // clears setuid too
		func() error { return os.Remove(p("fifo")) },
		func() error { return os.Mkdir(p("fifo"), 0o755) }, // type
		func() error { os.Remove(p("link")); return os.Symlink("/tmp/evil", p("link")) },
		func() error { return os.WriteFile(p("bin/new"), nil, 0o755) },
		func() error { return os.Remove(p("module.pyc")) },
		// replace a file by renaming another over it, as editors and attackers do
		func() error {
			if err := os.WriteFile(p("cache/tmp"), []byte("x"), 0o600); err != nil {
				return err
			}
			return os.Rename(p("cache/tmp"), p("cache/deep/x"))
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, c := range Compare(before, scan()) {
		got = append(got, string(c.Kind)+" "+strings.TrimPrefix(c.Path, dir)+" "+c.Expected+" -> "+c.Actual)
	}
	configSum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	want := []string{
		"mode /bin 0755 -> 0777",
		"added /bin/new  -> ",
		"mode /bin/tool 4755 -> 0755",
		"owner /bin/tool 0:0 -> 0:1001",
		"mode /cache/deep/x 0644 -> 0600",
		"content /config sha256:" + configSum("key=value\n") + " (10 bytes) -> sha256:" + configSum("key=evil1\n") + " (10 bytes)",
		"type /fifo fifo -> directory",
		"target /link bin/tool -> /tmp/evil",
		"removed /module.pyc  -> ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMountPoints(t *testing.T) {
	points, err := MountPoints()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range points {
		if p == "/" {
			t.Errorf("/ among the mount points")
		}
		found = found || p == "/proc"
	}
	if !found {
		t.Errorf("no /proc among %v", points)
	}
	if got := unescapeOctal(`/mnt/with\040space\011tab\134`); got != "/mnt/with space\ttab\\" {
		t.Errorf("unescapeOctal = %q", got)
	}
}

func TestExcluded(t *testing.T) {
	for _, tt := range []struct {
		pattern, path string
		want          bool
	}{
		{"*.pyc", "/usr/lib/x.pyc", true},
		{"*.pyc", "/usr/lib/x.py", false},
		{"/var/cache", "/var/cache", true},
		{"/var/cache", "/var/cache2", false},
		{"/var/*/tmp", "/var/lib/tmp", true},
		{"/var/*", "/var/lib/tmp", false}, // the walk never enters /var/lib, which matches
	} {
		if got := excluded([]string{tt.pattern}, tt.path); got != tt.want {
			t.Errorf("excluded(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

// TestScanRate: a rate-bound scan takes at least as long as its bytes at
// that rate (a lower bound: the rate is a ceiling, not a timing).
func TestScanRate(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		if err := os.WriteFile(filepath.Join(dir, strings.Repeat("f", i+1)), make([]byte, 256<<10), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if _, _, err := Scan(Options{Roots: []string{dir}, Rate: 4 << 20, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	// 1 MiB at 4 MiB/s: at least 250 ms, less a file's worth of slack.
	if took := time.Since(start); took < 180*time.Millisecond {
		t.Errorf("1 MiB scanned in %v at a 4 MiB/s ceiling", took)
	}
}
