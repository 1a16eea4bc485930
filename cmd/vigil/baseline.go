package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor/filewatch"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// defaultBaseline is where vigil baseline writes and vigil verify reads.
const defaultBaseline = "/etc/vigil/baseline"

// exitTrouble is vigil verify's exit code for an error, as diff's.
const exitTrouble = 2

// setupBaseline is vigil baseline [--out FILE] [--exclude GLOB]... [PATH...].
func setupBaseline(fs *pflag.FlagSet, _ *signals.Set) func([]string) int {
	out := fs.String("out", defaultBaseline, "write the baseline to `FILE`")
	excludes := fs.StringArray("exclude", nil, "leave out paths matching `GLOB` (with a slash: the whole path; without: the base name); repeatable")
	workers := fs.Int("jobs", 0, "hash this many files at once (default: one per CPU)")
	policy := fs.String("policy", "", "take the trees to record from this policy's files.trees when no PATH is given (default "+defaultPolicy+" when present)")
	return func(args []string) int {
		start := time.Now()
		if len(args) == 0 {
			trees, err := policyTrees(policyPath(*policy))
			if err != nil {
				fail("baseline: %v", err)
				return exitError
			}
			args = trees
		}
		roots, err := absPaths(args)
		if err != nil {
			fail("baseline: %v", err)
			return exitError
		}
		outAbs, err := filepath.Abs(*out)
		if err != nil {
			fail("baseline: %v", err)
			return exitError
		}
		skip, err := filewatch.MountPoints()
		if err != nil {
			fail("baseline: reading the mount points: %v", err)
			return exitError
		}
		entries, problems, err := filewatch.Scan(filewatch.Options{
			Roots: roots, Excludes: *excludes, Skip: append(skip, outAbs), Workers: *workers,
		})
		if err != nil {
			fail("baseline: %v", err)
			return exitError
		}
		failed := report(problems)
		m := &filewatch.Manifest{Roots: roots, Excludes: *excludes, Created: time.Now(), Entries: entries}
		digest, err := writeManifest(outAbs, m)
		if err != nil {
			fail("baseline: %v", err)
			return exitError
		}
		files, bytes := 0, int64(0)
		for _, e := range entries {
			if e.Type == filewatch.TypeFile {
				files, bytes = files+1, bytes+e.Size
			}
		}
		fmt.Println(digest)
		fmt.Fprintf(os.Stderr, "vigil: baseline: %d entries, %d files, %.1f MB hashed in %s; wrote %s\n",
			len(entries), files, float64(bytes)/1e6, time.Since(start).Round(time.Millisecond), outAbs)
		if failed {
			return 1
		}
		return exitOK
	}
}

// policyTrees are the files.trees of the policy at path ("": none).
func policyTrees(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	p, err := rules.Load(path)
	if err != nil {
		return nil, err
	}
	if p.Files == nil {
		return nil, nil
	}
	return p.Files.Trees, nil
}

// absPaths makes args absolute; none means /.
func absPaths(args []string) ([]string, error) {
	if len(args) == 0 {
		return []string{"/"}, nil
	}
	var out []string
	for _, a := range args {
		abs, err := filepath.Abs(a)
		if err != nil {
			return nil, err
		}
		out = append(out, abs)
	}
	return out, nil
}

// report prints the entries a scan could not read, and says whether any
// is more than a file gone while the scan ran.
func report(problems []filewatch.Problem) bool {
	failed := false
	for _, p := range problems {
		if errors.Is(p.Err, fs.ErrNotExist) {
			continue
		}
		fmt.Fprintf(os.Stderr, "vigil: cannot read %s: %v\n", p.Path, p.Err)
		failed = true
	}
	return failed
}

// writeManifest writes m to path through a temporary file, so that a
// reader never sees half a baseline, and returns its digest.
func writeManifest(path string, m *filewatch.Manifest) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".baseline-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	digest, err := m.Write(tmp)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return digest, os.Rename(tmp.Name(), path)
}
