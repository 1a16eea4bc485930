// Package boundedfile reads the files vigil is given (policy, seccomp
// profile, baseline) with a size cap, and refuses what is not a regular
// file: PID 1 must not read /dev/zero until the OOM killer ends it, nor
// wait forever on a FIFO nobody writes.
package boundedfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

var (
	// ErrTooLarge is matched by every *TooLargeError.
	ErrTooLarge = errors.New("file too large")
	// ErrNotRegular is matched by the error of a device, FIFO, socket or
	// directory.
	ErrNotRegular = errors.New("not a regular file")
)

// Open opens path for reading if it is a regular file (symlinks followed).
// It never blocks on a FIFO (O_NONBLOCK) and never makes a terminal
// vigil's controlling one (O_NOCTTY): PID 1 has none.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, kind(info.Mode()))
	}
	return f, nil
}

// Read returns the content of the regular file at path, or an error when
// it holds more than limit bytes. It reads at most limit+1 bytes, whatever
// the file claims its size is.
func Read(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return data, nil
}

// TooLargeError is a file, or what it decompresses to, over its limit.
type TooLargeError struct {
	Path  string
	Limit int64
	// What is "" for the file itself, else what is too large in it
	// ("uncompressed").
	What string
}

func (e *TooLargeError) Error() string {
	if e.What != "" {
		return fmt.Sprintf("%s: %s larger than the %s limit", e.Path, e.What, Size(e.Limit))
	}
	return fmt.Sprintf("%s: larger than the %s limit", e.Path, Size(e.Limit))
}

// Is makes every TooLargeError match ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Size writes n bytes as "4 MiB", "512 KiB" or "100 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
