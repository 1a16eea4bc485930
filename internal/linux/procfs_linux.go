package linux

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"

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

// Mem reads a process's memory: with process_vm_readv, which needs no
// /proc lookup (measured here: a read of a process vigil had not looked
// at yet cost ~19 µs through /proc/PID/mem, open and close included), and
// where that is refused (a target of another real uid, which the
// filesystem-id switch does not reach, or a seccomp filter that denies
// the call) through /proc/PID/mem, opened at the first such read. Both
// need ptrace access. No poller registration, no allocation.
type Mem struct {
	pid, fd int
	denied  bool
}

// noVMRead is set once process_vm_readv is missing (ENOSYS), or refused
// (EPERM) where /proc/PID/mem then gave the bytes: a seccomp filter that
// denies it (Docker's on Debian's 20.10), which would refuse it every
// time. (A refusal for another uid is latched too: /proc/PID/mem serves
// every case, one call dearer.)
var noVMRead atomic.Bool

// OpenMem prepares to read pid's memory; it makes no call yet.
func OpenMem(pid int) *Mem { return &Mem{pid: pid, fd: -1} }

// ReadAt reads len(buf) bytes at addr, or fewer (what could be read).
func (m *Mem) ReadAt(buf []byte, addr uintptr) int {
	if len(buf) == 0 {
		return 0
	}
	refused := false
	if m.fd < 0 && !noVMRead.Load() {
		n, err := m.vmRead(buf, addr)
		switch {
		case err == nil:
			return n
		case errors.Is(err, unix.ENOSYS):
			noVMRead.Store(true)
		case !errors.Is(err, unix.EPERM):
			return 0 // unmapped (EFAULT) or gone (ESRCH)
		}
		refused = true
	}
	if m.fd < 0 {
		if err := m.open(); err != nil {
			m.denied = errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)
			return 0
		}
	}
	var n int
	if retry(func() error {
		var e error
		n, e = unix.Pread(m.fd, buf, int64(addr))
		return e
	}) != nil || n < 0 {
		return 0
	}
	if refused && n > 0 {
		noVMRead.Store(true)
	}
	return n
}

func (m *Mem) vmRead(buf []byte, addr uintptr) (int, error) {
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: addr, Len: len(buf)}}
	var n int
	err := retry(func() error {
		var e error
		n, e = unix.ProcessVMReadv(m.pid, local, remote, 0)
		return e
	})
	return n, err
}

func (m *Mem) open() error {
	return retry(func() error {
		fd, err := unix.Open("/proc/"+strconv.Itoa(m.pid)+"/mem", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			m.fd = fd
		}
		return err
	})
}

// String reads the NUL-terminated string at addr, of at most limit bytes,
// page by page (a string that ends just before an unmapped page is still
// read). complete is false for a string cut at limit, which s then holds,
// and for one that cannot be read (s is "").
func (m *Mem) String(addr uintptr, limit int) (s string, complete bool) {
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

// Denied reports whether a read failed for want of ptrace access: with
// the ids of the process's owner (AsFSIDs) it may succeed.
func (m *Mem) Denied() bool { return m.denied }

// Close closes what m opened.
func (m *Mem) Close() {
	if m.fd >= 0 {
		unix.Close(m.fd)
		m.fd = -1
	}
}

// FileStat is what vigil takes from a file's stat.
type FileStat struct {
	Dev, Ino     uint64
	Mode         uint32
	Size         int64
	Mtime, Ctime unix.Timespec
}

// Stat stats the file path names, following symlinks, in one call.
func Stat(path string) (FileStat, error) {
	var st unix.Stat_t
	if err := retry(func() error { return unix.Stat(path, &st) }); err != nil {
		return FileStat{}, err
	}
	return fileStat(&st), nil
}

func fileStat(st *unix.Stat_t) FileStat {
	return FileStat{Dev: st.Dev, Ino: st.Ino, Mode: st.Mode, Size: st.Size, Mtime: st.Mtim, Ctime: st.Ctim}
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
	return string(buf[:n]), fileStat(&st), nil
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

// ProcFile is a /proc file kept open to be read again: each Read gives
// what the kernel says now, in one call (an open, read and close of its
// path take three, and the walk of the path: measured 3.6 against 9.6 µs
// for a /proc/PID/stat). One of a process that is gone fails with ESRCH,
// also once its pid is another's.
type ProcFile int

// OpenProcFile opens path for reading again and again.
func OpenProcFile(path string) (ProcFile, error) {
	var fd int
	err := retry(func() error {
		var e error
		fd, e = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		return e
	})
	if err != nil {
		return -1, fmt.Errorf("open %s: %w", path, err)
	}
	return ProcFile(fd), nil
}

// Read reads the file from its start into buf, as ReadSmall does; an
// empty file is an error (a process's file that says nothing is gone).
func (f ProcFile) Read(buf []byte) ([]byte, error) {
	var n int
	err := retry(func() error {
		var e error
		n, e = unix.Pread(int(f), buf, 0)
		return e
	})
	switch {
	case err != nil:
		return nil, err
	case n == 0:
		return nil, unix.ESRCH
	}
	return buf[:n], nil
}

// Close closes f.
func (f ProcFile) Close() { unix.Close(int(f)) }
