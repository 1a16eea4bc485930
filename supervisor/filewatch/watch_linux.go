package filewatch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/linux"
)

// sensitiveRefresh is how often the sensitive paths are resolved and
// watched again (a replaced file, a rotated secret volume).
const sensitiveRefresh = time.Second

// RescanRate bounds a Watcher's rescans, in bytes hashed per second, so
// that they do not take the disk from the app: a 300 MB image takes at
// least 4.5 s.
const RescanRate = 64 << 20

// Report is told of each change found: what differs from the baseline
// and what the kernel said happened ("write", "create", "remove",
// "rename", "chmod"; "modified" when a rescan found it).
type Report func(c Change, op string)

// Problem kinds a Watcher reports through WatchOptions.Trouble.
var (
	// ErrEventsLost: the kernel's event queue overflowed; a rescan follows.
	ErrEventsLost = errors.New("inotify event queue overflowed: events lost, rescanning")
)

// WatchOptions configure a Watcher.
type WatchOptions struct {
	// Skip are paths left out with everything under them (mount points,
	// vigil's own files), as in Options.
	Skip []string
	// Rescan is the period of the full rescan: DefaultRescan when 0,
	// never when negative.
	Rescan time.Duration
	// Trouble is told what keeps the watch from being complete: a
	// directory that cannot be watched (the watch limit: ErrWatchLimit),
	// lost events. Never nil-checked by callers: set it.
	Trouble func(path string, err error)
	// Sensitive are files, or directories whose files, the app should not
	// read: each open of one is reported as a SensitiveOpened change (op
	// "open"), except vigil's own (hashing it). A directory covers the files
	// directly in it. The kernel merges identical events not yet read, so
	// opens of one file in quick succession may be reported once.
	Sensitive []string
	// Own are vigil's own paths: every change to them by another process
	// is reported as a Tampered change, watched from NewWatcher on.
	Own []Own
	// Stop, when closed, cuts short what takes long (WatchTrees, a
	// rescan): the app is gone, what it did is in the kernel's queue.
	Stop <-chan struct{}
	// settle is how long after a write without close the file is checked.
	settle time.Duration
}

// Watcher reports, as they happen, changes to the files of a baseline.
type Watcher struct {
	base    map[string]*Entry
	m       *Manifest
	o       WatchOptions
	report  Report
	in      *linux.Inotify
	dirs    map[int]string // watch descriptor → directory
	watched map[string]int // directory → watch descriptor
	// state is what was last reported of a path: its entry's key, or ""
	// after reporting it removed; a path matching the baseline is absent.
	state   map[string]string
	pending map[string]time.Time // written, not closed: check at this time
	buf     []byte
	limited bool // the watch limit was reported
	// ownMu guards own: opens of sensitive files vigil made itself (to
	// hash them), whose IN_OPEN events are not the app's.
	ownMu sync.Mutex
	own   map[string]bool
	// sensitivePaths are o.Sensitive with what they resolve to.
	sensitivePaths   []string
	sensitiveTrouble map[string]bool // reported once each
	// pumpMu guards reading the kernel's queue, backlog and pumped. Opens
	// of sensitive files are reported as soon as they are read, by
	// whichever goroutine reads: the one that loads the baseline, watches
	// the trees or rescans does so often (pump), and before each open of
	// its own (opening), so that what the app opened before is the app's.
	// The other events wait in backlog for handle.
	pumpMu  sync.Mutex
	backlog []linux.InotifyEvent
	pumped  time.Time
	// ownFiles and ownDirs are vigil's own paths (own_linux.go); ownSaid
	// what was last reported of each.
	ownFiles map[string]*ownFile
	ownDirs  map[string]func(name, op string, closedWrite bool) error
	ownSaid  map[string]string
	// ownPending are own files written and not closed: check at this time.
	ownPending map[string]time.Time
}

// maxBacklog bounds the events kept while the trees are watched or
// rescanned: past it, they are dropped as the kernel would drop them, and
// a rescan finds what they said.
const maxBacklog = 16384

// pumpEvery is how often a long task reads the kernel's queue.
const pumpEvery = 10 * time.Millisecond

// watchMask is what a watched directory reports.
const watchMask = linux.InModify | linux.InAttrib | linux.InCloseWrite | linux.InMovedFrom | linux.InMovedTo |
	linux.InCreate | linux.InDelete | linux.InDeleteSelf | linux.InMoveSelf | linux.InOnlyDir |
	linux.InDontFollow | linux.InExclUnlink | linux.InMaskAdd // adds to a sensitive watch of the same directory

// NewWatcher watches o.Sensitive at once and reports to report; WatchTrees
// then watches every directory of m's trees (less its excludes and
// o.Skip), directories made later as they appear. Call Run, then Close.
func NewWatcher(m *Manifest, o WatchOptions, report Report) (*Watcher, error) {
	in, err := linux.NewInotify()
	if err != nil {
		return nil, err
	}
	if o.Rescan == 0 {
		o.Rescan = DefaultRescan
	}
	if o.settle == 0 {
		o.settle = 20 * time.Millisecond
	}
	w := &Watcher{
		sensitiveTrouble: map[string]bool{},
		base:             make(map[string]*Entry, len(m.Entries)), m: m, o: o, report: report, in: in,
		dirs: map[int]string{}, watched: map[string]int{}, state: map[string]string{},
		pending: map[string]time.Time{}, buf: make([]byte, 256<<10),
	}
	for i := range m.Entries {
		w.base[m.Entries[i].Path] = &m.Entries[i]
	}
	w.own = map[string]bool{}
	w.watchSensitive()
	w.watchOwn()
	return w, nil
}

// watchSensitive (re)watches the sensitive paths, as their names resolve
// now: a file replaced by a rename is a new inode, and a directory of
// symlinks (a Kubernetes secret volume: token -> ..data/token) is read
// through the directory the links point into, which is watched too.
// Watching an inode already watched changes nothing.
func (w *Watcher) watchSensitive() {
	var paths []string
	for _, p := range w.o.Sensitive {
		paths = append(paths, p)
		if real, err := filepath.EvalSymlinks(p); err == nil && real != p {
			paths = append(paths, real)
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Type()&fs.ModeSymlink == 0 {
				continue
			}
			if real, err := filepath.EvalSymlinks(filepath.Join(p, e.Name())); err == nil {
				if dir := filepath.Dir(real); dir != p && !slices.Contains(paths, dir) {
					paths = append(paths, dir)
				}
			}
		}
	}
	w.sensitivePaths = paths
	for _, p := range paths {
		wd, err := w.in.Add(p, linux.InOpen|linux.InMaskAdd)
		if errors.Is(err, fs.ErrNotExist) {
			continue // not there (yet): nothing to read
		}
		if err != nil {
			if !w.sensitiveTrouble[p] {
				w.o.Trouble(p, err)
				w.sensitiveTrouble[p] = true
			}
			continue
		}
		if _, ok := w.dirs[wd]; !ok {
			w.dirs[wd] = p
		}
	}
}

// SetBaseline replaces the baseline (read after NewWatcher, which watches
// the sensitive files at once). Call it before WatchTrees and Run.
func (w *Watcher) SetBaseline(m *Manifest) {
	w.m = m
	w.base = make(map[string]*Entry, len(m.Entries))
	for i := range m.Entries {
		w.base[m.Entries[i].Path] = &m.Entries[i]
	}
}

// WatchTrees watches the directories of the baseline's trees; it takes
// time on a large tree, which Run's first Rescan covers.
func (w *Watcher) WatchTrees() {
	for _, root := range w.m.Roots {
		w.watchTree(filepath.Clean(root), false)
	}
}

// Close stops the watch.
func (w *Watcher) Close() error { return w.in.Close() }

// Run reports changes until stop is closed, then checks what is still
// pending and returns.
func (w *Watcher) Run(stop <-chan struct{}) error {
	// A stop ends the wait at once: vigil's exit waits for the watch.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-stop:
			w.in.Wake()
		case <-done:
		}
	}()
	var rescan <-chan time.Time
	if w.o.Rescan > 0 {
		t := time.NewTicker(w.o.Rescan)
		defer t.Stop()
		rescan = t.C
	}
	var resolve <-chan time.Time
	if len(w.o.Sensitive) > 0 {
		t := time.NewTicker(sensitiveRefresh)
		defer t.Stop()
		resolve = t.C
	}
	for {
		select {
		case <-stop:
			w.drain()
			return nil
		case <-rescan:
			w.Rescan()
		case <-resolve:
			w.watchSensitive()
		default:
		}
		timeout := 100 // ms: how often stop and the rescan are looked at
		for _, at := range w.pending {
			timeout = min(timeout, max(0, int(time.Until(at).Milliseconds())+1))
		}
		for _, at := range w.ownPending {
			timeout = min(timeout, max(0, int(time.Until(at).Milliseconds())+1))
		}
		evs, err := w.take(timeout)
		if err != nil {
			return err
		}
		w.handle(evs)
		w.checkDue(time.Now())
	}
}

// drain handles what the kernel has queued and checks every pending file:
// the app has exited, what it did must be reported.
func (w *Watcher) drain() {
	for range 10 {
		evs, err := w.take(0)
		if err != nil || len(evs) == 0 {
			break
		}
		w.handle(evs)
	}
	w.checkDue(time.Now().Add(time.Hour))
}

func (w *Watcher) handle(evs []linux.InotifyEvent) {
	for _, ev := range evs {
		if ev.Mask&linux.InQOverflow != 0 {
			w.o.Trouble("", ErrEventsLost)
			w.Rescan()
			continue
		}
		dir, ok := w.dirs[ev.Wd]
		if !ok {
			continue
		}
		if ev.Mask&linux.InIgnored != 0 {
			delete(w.dirs, ev.Wd)
			if w.watched[dir] == ev.Wd {
				delete(w.watched, dir)
			}
			continue
		}
		path := dir
		if ev.Name != "" {
			path = filepath.Join(dir, ev.Name)
		}
		if ev.Mask&linux.InOpen != 0 {
			w.opened(path, ev.Mask)
			if ev.Mask&^(linux.InOpen|linux.InIsDir) == 0 {
				continue
			}
		}
		if w.ownEvent(ev, dir, path) || w.watched[dir] != ev.Wd || w.skipped(path) {
			continue // only vigil's own, or not a watch of the trees
		}
		switch {
		case ev.Mask&(linux.InDeleteSelf|linux.InMoveSelf) != 0:
			// The directory went, and what was under it.
			w.checkUnder(dir, opOf(ev.Mask))
		case ev.Mask&linux.InIsDir != 0 && ev.Mask&(linux.InCreate|linux.InMovedTo) != 0:
			w.watchTree(path, true)
		case ev.Mask&linux.InIsDir != 0 && ev.Mask&linux.InMovedFrom != 0:
			w.checkUnder(path, "rename")
		case ev.Mask == linux.InModify:
			if _, ok := w.pending[path]; !ok {
				w.pending[path] = time.Now().Add(w.o.settle)
			}
		default:
			delete(w.pending, path)
			w.check(path, opOf(ev.Mask))
		}
	}
}

func opOf(mask uint32) string {
	switch {
	case mask&(linux.InModify|linux.InCloseWrite) != 0:
		return "write"
	case mask&linux.InCreate != 0:
		return "create"
	case mask&(linux.InDelete|linux.InDeleteSelf) != 0:
		return "remove"
	case mask&(linux.InMovedFrom|linux.InMovedTo|linux.InMoveSelf) != 0:
		return "rename"
	case mask&linux.InAttrib != 0:
		return "chmod"
	}
	return "modified"
}

// opened reports an open of a sensitive file, unless vigil made it.
func (w *Watcher) opened(path string, mask uint32) {
	if mask&linux.InIsDir != 0 || !w.sensitive(path) {
		return
	}
	// A flag, not a count: the kernel merges identical events not yet read,
	// so two opens of vigil's may make one event.
	w.ownMu.Lock()
	mine := w.own[path]
	delete(w.own, path)
	w.ownMu.Unlock()
	if !mine {
		w.report(Change{Kind: SensitiveOpened, Path: path}, "open")
	}
}

// sensitive reports whether path is, or is directly in, a sensitive path.
func (w *Watcher) sensitive(path string) bool {
	for _, p := range w.sensitivePaths {
		if path == p || filepath.Dir(path) == p {
			return true
		}
	}
	return false
}

// opening notes that vigil is about to open path itself. The opens
// queued before are the app's: they are taken first. (An open by the app
// in the microseconds between that and vigil's own may be merged with it
// by the kernel, and not reported.)
func (w *Watcher) opening(path string) {
	if !w.sensitive(path) {
		w.pump()
		return
	}
	w.takeOpens(0) //nolint:errcheck // Run reports a failing queue
	w.ownMu.Lock()
	w.own[path] = true
	w.ownMu.Unlock()
}

// Await reads the kernel's queue until ready is closed, reporting the
// opens of sensitive files as they come (the others wait for Run): call it
// while the baseline is being read, so that the app's first reads are
// reported at once.
func (w *Watcher) Await(ready <-chan struct{}) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ready:
			w.in.Wake() // the wait in takeOpens ends at once
		case <-done:
		}
	}()
	for {
		select {
		case <-ready:
			return
		default:
		}
		if err := w.takeOpens(int(pumpEvery / time.Millisecond)); err != nil {
			<-ready
			return
		}
	}
}

// pump reads the kernel's queue if it has not been read for pumpEvery.
func (w *Watcher) pump() {
	w.pumpMu.Lock()
	due := time.Since(w.pumped) >= pumpEvery
	w.pumpMu.Unlock()
	if due {
		w.takeOpens(0) //nolint:errcheck // Run reports a failing queue
	}
}

// takeOpens reads what the kernel has queued (waiting up to timeoutMs for
// something), reports the opens of sensitive files, and keeps the other
// events for take.
func (w *Watcher) takeOpens(timeoutMs int) error {
	w.pumpMu.Lock()
	defer w.pumpMu.Unlock()
	evs, err := w.in.Read(timeoutMs)
	w.pumped = time.Now()
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if ev.Mask&linux.InOpen != 0 {
			if dir, ok := w.dirs[ev.Wd]; ok && ev.Mask&linux.InIgnored == 0 {
				w.opened(filepath.Join(dir, ev.Name), ev.Mask)
			}
			if ev.Mask &^= linux.InOpen; ev.Mask&^linux.InIsDir == 0 {
				continue
			}
		}
		switch {
		case len(w.backlog) < maxBacklog:
			w.backlog = append(w.backlog, ev)
		case w.backlog[len(w.backlog)-1].Mask != linux.InQOverflow:
			w.backlog = append(w.backlog, linux.InotifyEvent{Wd: -1, Mask: linux.InQOverflow})
		}
	}
	return nil
}

// take returns the events kept and those the kernel has queued (waiting
// up to timeoutMs when none are kept), the opens among them reported.
func (w *Watcher) take(timeoutMs int) ([]linux.InotifyEvent, error) {
	w.pumpMu.Lock()
	kept := len(w.backlog)
	w.pumpMu.Unlock()
	if kept > 0 {
		timeoutMs = 0
	}
	err := w.takeOpens(timeoutMs)
	w.pumpMu.Lock()
	evs := w.backlog
	w.backlog = nil
	w.pumpMu.Unlock()
	return evs, err
}

// checkDue checks the written files whose time has come.
func (w *Watcher) checkDue(now time.Time) {
	w.checkOwnDue(now)
	for path, at := range w.pending {
		if !at.After(now) {
			delete(w.pending, path)
			w.check(path, "write")
		}
	}
}

// watchTree watches dir and the directories under it; with fresh, it is
// new, and every entry under it is checked (they are not the baseline's).
func (w *Watcher) watchTree(dir string, fresh bool) {
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error { //nolint:errcheck // problems are reported in the callback
		if stopped(w.o.Stop) {
			return filepath.SkipAll
		}
		w.pump()
		if err != nil || w.skipped(path) {
			if d != nil && d.IsDir() && path != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if fresh {
			w.check(path, "create")
		}
		if !d.IsDir() {
			return nil
		}
		wd, err := w.in.Add(path, watchMask)
		switch {
		case errors.Is(err, linux.ErrWatchLimit):
			if !w.limited {
				w.o.Trouble(path, err)
				w.limited = true
			}
			return filepath.SkipAll
		case err != nil:
			w.o.Trouble(path, err)
			return filepath.SkipDir
		}
		w.dirs[wd], w.watched[path] = path, wd
		return nil
	})
}

// checkUnder checks path and every baseline or reported path under it.
func (w *Watcher) checkUnder(path, op string) {
	w.check(path, op)
	prefix := path + "/"
	for p := range w.base {
		if strings.HasPrefix(p, prefix) {
			w.check(p, op)
		}
	}
	for p := range w.state {
		if strings.HasPrefix(p, prefix) {
			w.check(p, op)
		}
	}
}

// check compares path with the baseline and reports what differs, unless
// it was reported in this same state already.
func (w *Watcher) check(path, op string) {
	if w.skipped(path) {
		return
	}
	cur, err := entryOf(path)
	present := err == nil
	if present && cur.Type == TypeFile {
		w.opening(path)
		cur.SHA256, cur.Size, err = hashFile(path, w.buf)
		if err != nil {
			w.ownMu.Lock()
			delete(w.own, path) // maybe never opened: the app's next open is its own
			w.ownMu.Unlock()
		}
		present = err == nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.o.Trouble(path, err)
		return
	}
	want, inBase := w.base[path]
	key := ""
	switch {
	case present && inBase:
		key = stateKey(&cur)
	case present:
		// Once, whatever is written to it next, but again if it gets a
		// setuid or setgid bit.
		key = fmt.Sprintf("added %o", cur.Mode&setIDBits)
	}
	last, reported := w.state[path]
	var changes []Change
	switch {
	case !present && !inBase && !reported && op == "create":
		// Made and gone (or renamed) before it could be read: still drift.
		w.state[path] = "added 0"
		w.report(Change{Kind: Added, Path: path, Actual: "gone before it could be read"}, op)
		return
	case present && inBase && key == stateKey(want), !present && !inBase && !reported:
		delete(w.state, path) // as in the baseline: nothing (more) to say
		return
	case !present && !inBase: // reported added, now gone
		delete(w.state, path)
		w.report(Change{Kind: Removed, Path: path}, op)
		return
	case !present:
		changes = []Change{{Kind: Removed, Path: path}}
	case !inBase:
		changes = []Change{{Kind: Added, Path: path, Actual: describe(&cur), SetID: cur.Mode&setIDBits != 0}}
	default:
		changes = compareEntry(want, &cur)
	}
	if reported && last == key {
		return
	}
	w.state[path] = key
	for _, c := range changes {
		w.report(c, op)
	}
}

// Rescan compares every file with the baseline now and reports what the
// watch has not.
func (w *Watcher) Rescan() {
	got, problems, err := Scan(Options{Roots: w.m.Roots, Excludes: w.m.Excludes, Skip: w.o.Skip, Workers: 1,
		Opening: w.opening, Rate: RescanRate, Stop: w.o.Stop})
	if errors.Is(err, ErrStopped) {
		return
	}
	if err != nil {
		w.o.Trouble("", fmt.Errorf("rescan: %w", err))
		return
	}
	for _, p := range problems {
		w.o.Trouble(p.Path, p.Err)
	}
	w.checkOwnFiles()
	seen := map[string]bool{}
	for _, c := range Compare(w.m.Entries, got) {
		if !seen[c.Path] {
			seen[c.Path] = true
			w.check(c.Path, "modified")
		}
	}
}

func (w *Watcher) skipped(path string) bool {
	for _, p := range w.o.Skip {
		if IsUnder(path, p) {
			return true
		}
	}
	for _, p := range Skipped {
		if IsUnder(path, p) && !slices.Contains(w.m.Roots, p) {
			return true
		}
	}
	return excluded(w.m.Excludes, path)
}

// stateKey identifies what a manifest records of e.
func stateKey(e *Entry) string {
	return fmt.Sprintf("%c %o %d %d %d %s %s", e.Type, e.Mode, e.UID, e.GID, e.Size, e.SHA256, e.Target)
}

// describe says what a new entry is, for an added change.
func describe(e *Entry) string {
	switch e.Type {
	case TypeFile:
		return fmt.Sprintf("file %04o %d:%d, sha256:%s (%d bytes)", e.Mode, e.UID, e.GID, e.SHA256, e.Size)
	case TypeSymlink:
		return "symlink to " + e.Target
	}
	return fmt.Sprintf("%s %04o %d:%d", e.Type, e.Mode, e.UID, e.GID)
}
