package filewatch

import (
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/linux"
)

// Masks of the watches on vigil's own paths: a file, the directory that
// holds it (a replacement by rename, a removal), a directory vigil writes.
const (
	ownFileMask   = linux.InModify | linux.InAttrib | linux.InCloseWrite | linux.InDeleteSelf | linux.InMoveSelf | linux.InMaskAdd
	ownParentMask = linux.InCreate | linux.InDelete | linux.InMovedFrom | linux.InMovedTo | linux.InOnlyDir | linux.InMaskAdd
	ownDirMask    = ownFileMask | ownParentMask
)

// ownFile is what vigil knows of one of its own files.
type ownFile struct {
	want fileState // when the watch started
	last fileState // last reported
}

// fileState is what any change to a file changes: a write, even of the
// same bytes, moves its ctime.
type fileState struct {
	present    bool
	ino, size  uint64
	mode       uint32
	uid, gid   uint32
	changed    time.Time // ctime
	modified   time.Time // mtime
	statFailed string
}

func stateOf(path string) fileState {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		if err == syscall.ENOENT {
			return fileState{}
		}
		return fileState{statFailed: err.Error()}
	}
	return fileState{
		present: true, ino: st.Ino, size: uint64(st.Size), mode: st.Mode, uid: st.Uid, gid: st.Gid,
		changed: time.Unix(st.Ctim.Unix()), modified: time.Unix(st.Mtim.Unix()),
	}
}

func (s fileState) String() string {
	switch {
	case s.statFailed != "":
		return "cannot be read: " + s.statFailed
	case !s.present:
		return "absent"
	}
	return fmt.Sprintf("inode %d, %d bytes, mode %04o, owner %d:%d, modified %s, changed %s", s.ino, s.size,
		s.mode&07777, s.uid, s.gid, s.modified.UTC().Format(time.RFC3339Nano), s.changed.UTC().Format(time.RFC3339Nano))
}

// watchOwn notes what vigil's own files are now and watches them, their
// directories, and vigil's own directories.
func (w *Watcher) watchOwn() {
	w.ownFiles, w.ownDirs, w.ownSaid = map[string]*ownFile{}, map[string]func(string, string, bool) error{}, map[string]string{}
	w.ownPending = map[string]time.Time{}
	for _, o := range w.o.Own {
		p := filepath.Clean(o.Path)
		if o.Verify != nil {
			w.ownDirs[p] = o.Verify
			w.addOwnWatch(p, ownDirMask)
			continue
		}
		s := stateOf(p)
		w.ownFiles[p] = &ownFile{want: s, last: s}
		w.addOwnWatch(p, ownFileMask)
		w.addOwnWatch(filepath.Dir(p), ownParentMask)
	}
}

func (w *Watcher) addOwnWatch(path string, mask uint32) {
	wd, err := w.in.Add(path, mask)
	if err != nil {
		w.o.Trouble(path, fmt.Errorf("vigil's own files are not watched: %w", err))
		return
	}
	if _, ok := w.dirs[wd]; !ok {
		w.dirs[wd] = path
	}
}

// ownEvent judges an event about one of vigil's own paths, and reports
// whether it is only that (the rest of handle has nothing to do with it).
func (w *Watcher) ownEvent(ev linux.InotifyEvent, dir, path string) bool {
	op := opOf(ev.Mask)
	if verify, ok := w.ownDirs[dir]; ok {
		if ev.Mask&linux.InIgnored != 0 {
			return true
		}
		// Once per entry until it verifies again: a forged file written
		// to again and again is one finding.
		switch err := verify(ev.Name, op, ev.Mask&linux.InCloseWrite != 0); {
		case err == nil:
			delete(w.ownSaid, path)
		case w.ownSaid[path] == "":
			w.tampered(path, "", err.Error(), op)
		}
		return true
	}
	if _, ok := w.ownFiles[path]; ok {
		if ev.Mask == linux.InModify {
			// Written, not closed: judged once the writer is done.
			if _, ok := w.ownPending[path]; !ok {
				w.ownPending[path] = time.Now().Add(w.o.settle)
			}
		} else {
			delete(w.ownPending, path)
			w.checkOwn(path, op)
		}
	}
	return false
}

// checkOwnDue checks vigil's own files written a while ago and not closed.
func (w *Watcher) checkOwnDue(now time.Time) {
	for path, at := range w.ownPending {
		if !at.After(now) {
			delete(w.ownPending, path)
			w.checkOwn(path, "write")
		}
	}
}

// checkOwn compares one of vigil's own files with what it was, and reports
// a state it has not reported yet.
func (w *Watcher) checkOwn(path, op string) {
	f := w.ownFiles[path]
	now := stateOf(path)
	if now == f.want || now == f.last {
		return
	}
	f.last = now
	w.tampered(path, f.want.String(), now.String(), op)
}

// checkOwnFiles compares each of vigil's own files (a rescan).
func (w *Watcher) checkOwnFiles() {
	for p := range w.ownFiles {
		w.checkOwn(p, "modified")
	}
}

// tampered reports a change to one of vigil's own paths, once per what
// was found.
func (w *Watcher) tampered(path, expected, actual, op string) {
	if w.ownSaid[path] == actual {
		return
	}
	w.ownSaid[path] = actual
	w.report(Change{Kind: Tampered, Path: path, Expected: expected, Actual: actual}, op)
}
