package linux

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// AsFSIDs runs fn on a thread whose filesystem uid and gid are uid and gid,
// then restores them. A root without CAP_SYS_PTRACE (Docker's default) may
// not read /proc/PID/exe or /proc/PID/fd of a process running as another
// user; with its fsuid and fsgid it passes the kernel's ptrace access check
// (CAP_SETUID and CAP_SETGID allow the switch). fn must do its reads on the
// calling goroutine. When the ids cannot be restored the thread is left
// locked, so that the runtime ends it with the goroutine.
func AsFSIDs(uid, gid uint32, fn func()) error {
	runtime.LockOSThread()
	oldGID := setfsid(unix.SYS_SETFSGID, int(gid))
	oldUID := setfsid(unix.SYS_SETFSUID, int(uid))
	// setfsuid reports no error, only the previous id: ask again (with an
	// invalid id, which changes nothing) to learn whether it took.
	if setfsid(unix.SYS_SETFSUID, -1) != int(uid) || setfsid(unix.SYS_SETFSGID, -1) != int(gid) {
		if err := restoreFSIDs(oldUID, oldGID); err != nil {
			return err
		}
		return fmt.Errorf("setfsuid(%d), setfsgid(%d): not permitted", uid, gid)
	}
	fn()
	return restoreFSIDs(oldUID, oldGID)
}

func restoreFSIDs(uid, gid int) error {
	setfsid(unix.SYS_SETFSUID, uid)
	setfsid(unix.SYS_SETFSGID, gid)
	if setfsid(unix.SYS_SETFSUID, -1) != uid || setfsid(unix.SYS_SETFSGID, -1) != gid {
		return fmt.Errorf("restoring fsuid %d and fsgid %d: failed (thread abandoned)", uid, gid)
	}
	runtime.UnlockOSThread()
	return nil
}

// setfsid makes the calling thread's setfsuid or setfsgid call (it changes
// one thread only) and returns the previous id.
func setfsid(nr uintptr, id int) int {
	old, _, _ := unix.RawSyscall(nr, uintptr(id), 0, 0)
	return int(old)
}

// ReadSmall reads the file at path into buf, from its start, and returns the
// part read: up to len(buf) bytes, fewer at end of file. It is for the small
// generated files of /proc, which the scan reads hundreds of times a second:
// no allocation, no poller registration, and EINTR retried.
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
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], nil
}
