package linux

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// AsFSIDs is WithFSIDs on a thread locked to the calling goroutine for
// the while: fn must do its reads on the calling goroutine. When the ids
// cannot be restored the thread stays locked, so that the runtime ends it
// with the goroutine.
func AsFSIDs(uid, gid uint32, fn func()) error {
	runtime.LockOSThread()
	err := WithFSIDs(uid, gid, fn)
	if !errors.Is(err, ErrFSIDsStuck) {
		runtime.UnlockOSThread()
	}
	return err
}

// ReadSmall reads the file at path into buf, from its start, and returns the
// part read: up to len(buf) bytes, fewer at end of file. It is for the small
// generated files of /proc, which the scan reads hundreds of times a second:
// no allocation, no poller registration, and EINTR retried; a read that does
// not fill buf is taken for the whole file, as it is for /proc/PID files.
func ReadSmall(path string, buf []byte) ([]byte, error) {
	var fd int
	err := retry(func() error {
		var e error
		fd, e = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		return e
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	n := 0
	for n < len(buf) {
		var m int
		err := retry(func() error {
			var e error
			m, e = unix.Read(fd, buf[n:])
			return e
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		n += m
		if m == 0 || n < len(buf) {
			// A /proc file of a process gives all it has in one read that
			// does not fill the buffer: no second read for the end.
			break
		}
	}
	return buf[:n], nil
}

// Mem is an open /proc/PID/mem, read with pread: no poller registration,
// no allocation.
type Mem int

// OpenMem opens pid's memory for reading; it needs ptrace access to pid.
func OpenMem(pid int) (Mem, error) {
	var fd int
	err := retry(func() error {
		var e error
		fd, e = unix.Open("/proc/"+strconv.Itoa(pid)+"/mem", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		return e
	})
	if err != nil {
		return -1, fmt.Errorf("opening the memory of %d: %w", pid, err)
	}
	return Mem(fd), nil
}

// ReadAt reads len(buf) bytes at addr, or fewer (what could be read).
func (m Mem) ReadAt(buf []byte, addr uintptr) int {
	var n int
	if retry(func() error {
		var e error
		n, e = unix.Pread(int(m), buf, int64(addr))
		return e
	}) != nil || n < 0 {
		return 0
	}
	return n
}

// String reads the NUL-terminated string at addr, of at most limit bytes,
// page by page (a string that ends just before an unmapped page is still
// read). complete is false for a string cut at limit, which s then holds,
// and for one that cannot be read (s is "").
func (m Mem) String(addr uintptr, limit int) (s string, complete bool) {
	if addr == 0 {
		return "", false
	}
	var buf []byte
	for len(buf) < limit {
		chunk := make([]byte, min(4096-int(addr%4096), limit-len(buf)))
		n := m.ReadAt(chunk, addr)
		if i := bytes.IndexByte(chunk[:n], 0); i >= 0 {
			return string(append(buf, chunk[:i]...)), true
		}
		if n < len(chunk) {
			return "", false
		}
		buf, addr = append(buf, chunk...), addr+uintptr(n)
	}
	return string(buf), false
}

// Close closes m.
func (m Mem) Close() { unix.Close(int(m)) }

// FileStat is what vigil takes from a file's stat.
type FileStat struct {
	Dev, Ino     uint64
	Mode         uint32
	Size         int64
	Mtime, Ctime unix.Timespec
}

// Resolve finds the file path names (following every symlink) and returns
// its real path and its stat, in four system calls however deep the path:
// an O_PATH open, a readlink of it, a fstat, a close.
func Resolve(path string) (string, FileStat, error) {
	var fd int
	err := retry(func() error {
		var e error
		fd, e = unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
		return e
	})
	if err != nil {
		return "", FileStat{}, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := retry(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return "", FileStat{}, err
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf)
	if err != nil {
		return "", FileStat{}, err
	}
	return string(buf[:n]), FileStat{Dev: st.Dev, Ino: st.Ino, Mode: st.Mode, Size: st.Size, Mtime: st.Mtim, Ctime: st.Ctim}, nil
}

// Readlink reads a symlink (a /proc link) into a string, "" when it cannot.
func Readlink(path string) string {
	var buf [unix.PathMax]byte
	n, err := unix.Readlink(path, buf[:])
	if err != nil {
		return ""
	}
	return string(buf[:n])
}
