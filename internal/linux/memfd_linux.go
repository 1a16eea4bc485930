package linux

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The memfd_create flags vigil reads.
const (
	MemfdCloexec = unix.MFD_CLOEXEC
	MemfdExec    = unix.MFD_EXEC
)

// seccompNotifAddfd is struct seccomp_notif_addfd.
type seccompNotifAddfd struct {
	id         uint64
	flags      uint32
	srcfd      uint32
	newfd      uint32
	newfdFlags uint32
}

// MemfdNoExec makes a memfd that can never be executed (MFD_NOEXEC_SEAL,
// kernel 6.3+: no execute bits, sealed so they cannot be set), with the
// other flags of memfd_create(2) as given. It is close-on-exec in vigil.
func MemfdNoExec(name string, flags int) (int, error) {
	flags = flags&^unix.MFD_EXEC | unix.MFD_NOEXEC_SEAL | unix.MFD_CLOEXEC
	fd, err := unix.MemfdCreate(name, flags)
	if err != nil {
		return -1, fmt.Errorf("memfd_create(MFD_NOEXEC_SEAL): %w", err)
	}
	return fd, nil
}

// NotifAnswerFd answers notification id with a copy of fd installed in the
// caller (close-on-exec there when cloexec): the call returns the new
// descriptor's number (SECCOMP_ADDFD_FLAG_SEND, kernel 5.14+).
func NotifAnswerFd(listener int, id uint64, fd int, cloexec bool) (int, error) {
	a := seccompNotifAddfd{id: id, flags: unix.SECCOMP_ADDFD_FLAG_SEND, srcfd: uint32(fd)}
	if cloexec {
		a.newfdFlags = unix.O_CLOEXEC
	}
	var n int
	err := retry(func() error {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(listener), unix.SECCOMP_IOCTL_NOTIF_ADDFD, uintptr(unsafe.Pointer(&a)))
		if errno != 0 {
			return errno
		}
		n = int(r)
		return nil
	})
	if err != nil {
		return -1, fmt.Errorf("ioctl(SECCOMP_IOCTL_NOTIF_ADDFD): %w", err)
	}
	return n, nil
}

// MemfdCreate returns an anonymous file in memory (memfd_create), which a
// process can run through /proc/self/fd/N: what fileless malware does, and
// what tests of its detection need. It is not close-on-exec.
func MemfdCreate(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, 0)
	if err != nil {
		return nil, fmt.Errorf("memfd_create(%s): %w", name, err)
	}
	return os.NewFile(uintptr(fd), "/memfd:"+name), nil
}
