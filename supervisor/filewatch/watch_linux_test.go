package filewatch

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// watched starts a Watcher on a baseline of dir and returns a function
// that waits until the reports match want (or fails after a while), and
// stop.
// Reports read "op kind path", or "kind path" without withOps: which
// event a change is first seen in can vary when events come in a batch.
func watched(t *testing.T, dir string, withOps bool) (wait func(want []string), stop func()) {
	t.Helper()
	entries, _, err := Scan(Options{Roots: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Roots: []string{dir}, Created: time.Now(), Entries: entries}
	var mu sync.Mutex
	var got []string
	w, err := NewWatcher(m, WatchOptions{Rescan: -1, Trouble: func(path string, err error) {
		t.Errorf("trouble at %s: %v", path, err)
	}}, func(c Change, op string) {
		mu.Lock()
		defer mu.Unlock()
		r := string(c.Kind) + " " + strings.TrimPrefix(c.Path, dir)
		if withOps {
			r = op + " " + r
		}
		got = append(got, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	w.WatchTrees()
	done, finished := make(chan struct{}), make(chan error)
	go func() { finished <- w.Run(done) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			close(done)
			if err := <-finished; err != nil {
				t.Error(err)
			}
			w.Close()
		}
	}
	t.Cleanup(stop)
	wait = func(want []string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second) // a hang guard, not a timing
		for {
			mu.Lock()
			now := slices.Clone(got)
			mu.Unlock()
			slices.Sort(now)
			if slices.Equal(now, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("reports\n%s\nwant\n%s", strings.Join(now, "\n"), strings.Join(want, "\n"))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return wait, stop
}

func TestWatcher(t *testing.T) {
	dir := tree(t)
	wait, _ := watched(t, dir, false)
	p := func(name string) string { return filepath.Join(dir, name) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	step := func(do func() error, reports ...string) {
		t.Helper()
		must(do())
		want = append(want, reports...)
		slices.Sort(want)
		wait(want)
	}
	step(func() error { return os.WriteFile(p("config"), []byte("key=evil1\n"), 0o640) }, "content /config")
	// Written again to the same content: already reported, not again.
	step(func() error { return os.WriteFile(p("config"), []byte("key=evil1\n"), 0o640) })
	step(func() error { return syscall.Chmod(p("bin/tool"), 0o755) }, "mode /bin/tool")
	step(func() error {
		must(os.WriteFile(p("bin/tool.new"), []byte("#!/bin/sh\necho evil\n"), 0o4755))
		return os.Rename(p("bin/tool.new"), p("bin/tool"))
	}, "added /bin/tool.new", "content /bin/tool", "mode /bin/tool", "removed /bin/tool.new")
	step(func() error { return os.Remove(p("cache/deep/x")) }, "removed /cache/deep/x")
	step(func() error { return os.MkdirAll(p("cache/new/deeper"), 0o755) }, "added /cache/new", "added /cache/new/deeper")
	// A directory made after the watch started is watched too.
	step(func() error { return os.WriteFile(p("cache/new/deeper/f"), nil, 0o644) }, "added /cache/new/deeper/f")
	// A new file that gets a setuid bit is reported again.
	step(func() error { return syscall.Chmod(p("cache/new/deeper/f"), 0o4755) }, "added /cache/new/deeper/f")
	step(func() error { return os.Remove(p("link")) }, "removed /link")
	step(func() error { return os.Symlink("/tmp/evil", p("link")) }, "target /link")
	// Put back as it was: nothing to report.
	step(func() error { return os.WriteFile(p("config"), []byte("key=value\n"), 0o640) })
}

// TestWatcherOps: what the kernel said happened, one change at a time.
func TestWatcherOps(t *testing.T) {
	dir := tree(t)
	wait, _ := watched(t, dir, true)
	var want []string
	for _, s := range []struct {
		do     func() error
		report string
	}{
		{func() error { return os.WriteFile(filepath.Join(dir, "config"), []byte("x"), 0o640) }, "write content /config"},
		{func() error { return syscall.Chmod(filepath.Join(dir, "bin"), 0o700) }, "chmod mode /bin"},
		{func() error { return os.Remove(filepath.Join(dir, "fifo")) }, "remove removed /fifo"},
		{func() error { return os.Rename(filepath.Join(dir, "module.pyc"), filepath.Join(dir, "m.pyc")) }, "rename removed /module.pyc"},
	} {
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		want = append(want, s.report)
		if s.report == "rename removed /module.pyc" {
			want = append(want, "rename added /m.pyc")
		}
		slices.Sort(want)
		wait(want)
	}
}

// TestWatcherStop: what the app did just before it exited is reported
// when the watch stops, the file still open for writing included.
func TestWatcherStop(t *testing.T) {
	dir := tree(t)
	wait, stop := watched(t, dir, true)
	f, err := os.OpenFile(filepath.Join(dir, "config"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("more\n"); err != nil {
		t.Fatal(err)
	}
	stop()
	wait([]string{"write content /config"})
}

func TestWatcherRescan(t *testing.T) {
	dir := tree(t)
	entries, _, err := Scan(Options{Roots: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	// Changed before the watch starts: only a rescan can see it.
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("before\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Roots: []string{dir}, Created: time.Now(), Entries: entries}
	var got []string
	w, err := NewWatcher(m, WatchOptions{Rescan: -1, Trouble: func(p string, err error) { t.Errorf("%s: %v", p, err) }},
		func(c Change, op string) {
			got = append(got, op+" "+string(c.Kind)+" "+strings.TrimPrefix(c.Path, dir))
		})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Rescan()
	w.Rescan() // the same state: not again
	if want := []string{"modified content /config"}; !slices.Equal(got, want) {
		t.Errorf("reports %q, want %q", got, want)
	}
}

// TestWatcherSensitive: opening a sensitive file, or a file in a sensitive
// directory, is reported each time; vigil's own opens (to hash a file that
// changed) are not.
func TestWatcherSensitive(t *testing.T) {
	dir := tree(t)
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keys", "id"), []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	entries, _, err := Scan(Options{Roots: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Roots: []string{dir}, Created: time.Now(), Entries: entries}
	var mu sync.Mutex
	var got []string
	w, err := NewWatcher(m, WatchOptions{
		Rescan:    -1,
		Sensitive: []string{filepath.Join(dir, "config"), filepath.Join(dir, "keys")},
		Trouble:   func(p string, err error) { t.Errorf("%s: %v", p, err) },
	}, func(c Change, op string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, op+" "+string(c.Kind)+" "+strings.TrimPrefix(c.Path, dir))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.WatchTrees()
	stop, done := make(chan struct{}), make(chan error)
	go func() { done <- w.Run(stop) }()
	var want []string
	// Each step waits for its reports: the kernel merges identical events.
	step := func(do func() error, reports ...string) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatal(err)
		}
		want = append(want, reports...)
		deadline := time.Now().Add(5 * time.Second) // a hang guard, not a timing
		for {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n >= len(want) || time.Now().After(deadline) {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	read := func(name string) func() error {
		return func() error { _, err := os.ReadFile(filepath.Join(dir, name)); return err }
	}
	step(read("config"), "open opened /config")
	step(read("keys/id"), "open opened /keys/id")
	step(read("bin/tool")) // not sensitive
	step(read("config"), "open opened /config")
	// The app opens it to write (reported), then vigil hashes it (not).
	step(func() error { return os.WriteFile(filepath.Join(dir, "config"), []byte("key=other\n"), 0o640) },
		"open opened /config", "write content /config")
	time.Sleep(50 * time.Millisecond) // let a wrong report of vigil's own open arrive, if any
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("reports\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestWatcherSensitiveMoves: a sensitive file replaced by a rename, and a
// Kubernetes-style secret volume (token -> ..data/token, ..data -> a
// versioned directory, swapped on rotation), stay watched.
func TestWatcherSensitiveMoves(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	secret, sa := filepath.Join(dir, "secret"), filepath.Join(dir, "sa")
	must(os.WriteFile(secret, []byte("v1"), 0o600))
	must(os.MkdirAll(filepath.Join(sa, "..v1"), 0o755))
	must(os.WriteFile(filepath.Join(sa, "..v1", "token"), []byte("t1"), 0o600))
	must(os.Symlink("..v1", filepath.Join(sa, "..data")))
	must(os.Symlink("..data/token", filepath.Join(sa, "token")))
	var mu sync.Mutex
	var got []string
	w, err := NewWatcher(&Manifest{Created: time.Now()}, WatchOptions{
		Rescan: -1, Sensitive: []string{secret, sa},
		Trouble: func(p string, err error) { t.Errorf("%s: %v", p, err) },
	}, func(c Change, _ string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, string(c.Kind)+" "+strings.TrimPrefix(c.Path, dir))
	})
	must(err)
	defer w.Close()
	stop, done := make(chan struct{}), make(chan error)
	go func() { done <- w.Run(stop) }()
	// reads reads name until a report about want comes (a hang guard of 5 s,
	// not a timing: a replaced file is watched again within a second).
	reads := func(name, want string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			_, err := os.ReadFile(filepath.Join(dir, name))
			must(err)
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			found := slices.Contains(got, want)
			got = got[:0]
			mu.Unlock()
			if found {
				return
			}
		}
		t.Errorf("reading %s: no %q", name, want)
	}
	reads("secret", "opened /secret")
	reads("sa/token", "opened /sa/..v1/token")
	// Replaced by a rename, rotated: new inodes, watched again.
	must(os.WriteFile(secret+".new", []byte("v2"), 0o600))
	must(os.Rename(secret+".new", secret))
	must(os.MkdirAll(filepath.Join(sa, "..v2"), 0o755))
	must(os.WriteFile(filepath.Join(sa, "..v2", "token"), []byte("t2"), 0o600))
	must(os.Symlink("..v2", filepath.Join(sa, "..data.tmp")))
	must(os.Rename(filepath.Join(sa, "..data.tmp"), filepath.Join(sa, "..data")))
	reads("secret", "opened /secret")
	reads("sa/token", "opened /sa/..v2/token")
	close(stop)
	must(<-done)
}

// TestWatcherSensitiveReadEarly: the app's reads of a sensitive file while
// vigil still reads the baseline (Await) are reported then, and a read
// queued before vigil's rescan hashes the same file is the app's, not
// taken for vigil's own open (it was, and went unreported).
func TestWatcherSensitiveReadEarly(t *testing.T) {
	dir := tree(t)
	config := filepath.Join(dir, "config")
	entries, _, err := Scan(Options{Roots: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Roots: []string{dir}, Created: time.Now(), Entries: entries}
	var mu sync.Mutex
	var got []string
	reports := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	w, err := NewWatcher(m, WatchOptions{
		Rescan:    -1,
		Sensitive: []string{config},
		Trouble:   func(p string, err error) { t.Errorf("%s: %v", p, err) },
	}, func(c Change, op string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, op+" "+string(c.Kind)+" "+strings.TrimPrefix(c.Path, dir))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	read := make(chan struct{})
	go func() {
		defer close(read)
		if _, err := os.ReadFile(config); err != nil {
			t.Error(err)
			return
		}
		for deadline := time.Now().Add(5 * time.Second); reports() == 0 && time.Now().Before(deadline); { // a hang guard
			time.Sleep(time.Millisecond)
		}
	}()
	w.Await(read)
	if n := reports(); n != 1 {
		t.Fatalf("%d reports while the baseline was read, want the app's read: %q", n, got)
	}
	if _, err := os.ReadFile(config); err != nil {
		t.Fatal(err)
	}
	w.WatchTrees()
	w.Rescan() // hashes config: an open of vigil's own
	stop := make(chan struct{})
	close(stop)
	if err := w.Run(stop); err != nil {
		t.Fatal(err)
	}
	if want := []string{"open opened /config", "open opened /config"}; !slices.Equal(got, want) {
		t.Errorf("reports %q, want %q (the app's two reads, not vigil's)", got, want)
	}
}

// TestWatcherOwn: a change to one of vigil's own files (here outside the
// baseline's trees) is reported as tampered, once per state, and nothing
// else in its directory is; in one of vigil's own directories, what Verify
// refuses is reported and what it accepts (vigil's own writes) is not.
func TestWatcherOwn(t *testing.T) {
	dir := tree(t)
	etc, box := t.TempDir(), t.TempDir()
	policy := filepath.Join(etc, "policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: vigil.dev/v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	entries, _, err := Scan(Options{Roots: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Roots: []string{dir}, Created: time.Now(), Entries: entries}
	var mu sync.Mutex
	var got []string
	verify := func(name, op string, closedWrite bool) error {
		if strings.HasPrefix(name, "forged") {
			return fmt.Errorf("%s %s by another", name, op)
		}
		return nil
	}
	w, err := NewWatcher(m, WatchOptions{
		Rescan:  -1,
		Own:     []Own{{Path: policy}, {Path: box, Verify: verify}},
		Trouble: func(p string, err error) { t.Errorf("%s: %v", p, err) },
	}, func(c Change, op string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, string(c.Kind)+" "+c.Path+" "+c.Actual)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.WatchTrees()
	stop, done := make(chan struct{}), make(chan error)
	go func() { done <- w.Run(stop) }()
	write := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(etc, "other"), "not vigil's")
	write(filepath.Join(box, "seg-1.log"), "vigil's own")
	write(filepath.Join(box, "forged.log"), "not vigil's")
	write(policy, "apiVersion: vigil.dev/v1\nkind: Policy\n")
	close(stop) // Run reports what the kernel has queued, then returns
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var kinds []string
	for _, g := range got {
		f := strings.Fields(g)
		kinds = append(kinds, f[0]+" "+strings.TrimPrefix(strings.TrimPrefix(f[1], box), etc))
	}
	slices.Sort(kinds)
	if want := []string{"tampered /forged.log", "tampered /policy.yaml"}; !slices.Equal(kinds, want) {
		t.Errorf("reports\n%s\nwant %q", strings.Join(got, "\n"), want)
	}
}
