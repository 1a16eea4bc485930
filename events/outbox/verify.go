package outbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrTampered is matched by Verify's errors: the outbox's directory holds
// what this Outbox did not write.
var ErrTampered = errors.New("outbox changed by another process")

// Verify tells whether what the directory holds under name (a file name
// in the outbox, "" for the directory itself) is what this Outbox wrote,
// after the kernel said it changed: op is what happened ("write",
// "create", "remove", "rename", "chmod"), closedWrite whether a file open
// for writing was closed (the Outbox keeps its files open while they are
// in use: a close for writing is another process's). It returns nil, or an
// error matching ErrTampered that says what differs. Not seen: a process
// that keeps a segment open and overwrites records in place, never closing
// it, changes no size.
func (o *Outbox) Verify(name, op string, closedWrite bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	switch {
	case name == "":
		if op == "remove" || op == "rename" {
			return fmt.Errorf("%w: the directory %s was %s", ErrTampered, o.dir, pastOf(op))
		}
		return nil
	case name == "cursor":
		return o.verifyCursor(op, closedWrite)
	}
	for _, s := range o.segs {
		if s.name == name {
			return o.verifySegment(s, op, closedWrite)
		}
	}
	// Not one of its files: one it removed is gone.
	if _, err := os.Lstat(filepath.Join(o.dir, name)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("%w: %s was %s, and is not the outbox's", ErrTampered, name, pastOf(op))
}

// verifyCursor checks the cursor file: it must hold the cursor last
// written, or, before any, one no further than the cursor.
func (o *Outbox) verifyCursor(op string, closedWrite bool) error {
	path := filepath.Join(o.dir, "cursor")
	if err := sameFile(o.cursorFd, path); err != nil {
		return err
	}
	if closedWrite || op == "chmod" {
		return fmt.Errorf("%w: cursor was %s", ErrTampered, pastOf(op))
	}
	seq, ok := readCursor(o.cursorFd)
	switch {
	case !ok:
		return fmt.Errorf("%w: cursor was overwritten (not a cursor)", ErrTampered)
	case o.cursorOnDisk > 0 && seq != o.cursorOnDisk-1:
		return fmt.Errorf("%w: cursor was set to %d; the outbox wrote %d", ErrTampered, seq, o.cursorOnDisk-1)
	case o.cursorOnDisk == 0 && seq > o.cursor:
		return fmt.Errorf("%w: cursor was set to %d, past the first unacknowledged %d", ErrTampered, seq, o.cursor)
	}
	return nil
}

// verifySegment checks a segment in use: the same file, of the size
// written, not written to or changed by another.
func (o *Outbox) verifySegment(s *segment, op string, closedWrite bool) error {
	path := filepath.Join(o.dir, s.name)
	if err := sameFile(s.f, path); err != nil {
		return err
	}
	if closedWrite || op == "chmod" {
		return fmt.Errorf("%w: %s was %s", ErrTampered, s.name, pastOf(op))
	}
	info, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if info.Size() != s.size {
		return fmt.Errorf("%w: %s holds %d bytes; the outbox wrote %d", ErrTampered, s.name, info.Size(), s.size)
	}
	return nil
}

// sameFile checks that path is still the file f has open.
func sameFile(f *os.File, path string) error {
	open, err := f.Stat()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	now, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("%w: %s was removed or renamed", ErrTampered, filepath.Base(path))
	}
	if !os.SameFile(open, now) {
		return fmt.Errorf("%w: %s was replaced", ErrTampered, filepath.Base(path))
	}
	return nil
}

// pastOf says op as what was done.
func pastOf(op string) string {
	switch op {
	case "write":
		return "written"
	case "create":
		return "created"
	case "remove":
		return "removed"
	case "rename":
		return "renamed"
	case "chmod":
		return "chmod'ed or chown'ed"
	case "close":
		return "written and closed"
	}
	return "changed"
}
