package linux

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// retry runs fn until it fails with something other than EINTR.
func retry(fn func() error) error {
	for {
		if err := fn(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// SetChildSubreaper makes the calling process the reaper of orphaned
// descendants, as PID 1 is for the whole namespace (PR_SET_CHILD_SUBREAPER).
func SetChildSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
	}
	return nil
}

// Reaped is one child collected by ReapOne.
type Reaped struct {
	Pid    int
	Status syscall.WaitStatus
}

// ReapOne collects one exited child without blocking (wait4(-1, WNOHANG)).
// It reports ok=false when children remain but none has exited, and
// unix.ECHILD (as the error) when the caller has no children left.
func ReapOne() (r Reaped, ok bool, err error) {
	err = retry(func() error {
		var e error
		r.Pid, e = syscall.Wait4(-1, &r.Status, syscall.WNOHANG, nil)
		return e
	})
	if err != nil {
		return Reaped{}, false, fmt.Errorf("wait4: %w", err)
	}
	return r, r.Pid > 0, nil
}

// Kill sends sig to pid (negative: a process group; -1: every process the
// caller may signal, which for PID 1 is its whole PID namespace).
func Kill(pid int, sig syscall.Signal) error {
	return retry(func() error { return unix.Kill(pid, sig) })
}

// IsTerminal reports whether fd refers to a terminal.
func IsTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// ForegroundGroup returns the process group that owns the terminal on fd.
func ForegroundGroup(fd int) (int, error) {
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil {
		return 0, fmt.Errorf("ioctl(TIOCGPGRP): %w", err)
	}
	return pgrp, nil
}

// WaitReadable blocks until fd is readable and reports true, or reports
// false when it hung up (for a seccomp listener: no task is left under the
// filter).
func WaitReadable(fd int) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	err := retry(func() error { _, e := unix.Poll(fds, -1); return e })
	if err != nil {
		return false, fmt.Errorf("poll: %w", err)
	}
	return fds[0].Revents&unix.POLLIN != 0, nil
}

// HungUp reports, without waiting, whether the peer of socket fd has closed
// its end.
func HungUp(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
	err := retry(func() error { _, e := unix.Poll(fds, 0); return e })
	return err != nil || fds[0].Revents&(unix.POLLHUP|unix.POLLRDHUP|unix.POLLERR|unix.POLLNVAL) != 0
}

// BlockThreadSignals blocks every signal on the calling thread, which must
// be locked to it, and returns a function that restores the thread's mask.
func BlockThreadSignals() (restore func() error, err error) {
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old); err != nil {
		return nil, fmt.Errorf("rt_sigprocmask: %w", err)
	}
	return func() error {
		if err := unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil); err != nil {
			return fmt.Errorf("rt_sigprocmask: %w", err)
		}
		return nil
	}, nil
}

// futex operations (linux/futex.h): x/sys/unix does not define them.
const (
	futexWait        = 0
	futexWake        = 1
	futexPrivateFlag = 128
)

// WaitWord blocks the calling thread, without telling the Go scheduler
// (its P stays taken: use it on a locked goroutine with a P to spare),
// until *addr is no longer val. WakeWord wakes it after *addr has changed.
// It makes no call but futex, and no synchronisation the race detector
// would see: its runtime may map memory for one while holding a lock, and
// a thread held by a seccomp filter must hold none (the read is a plain
// aligned word, reloaded after each futex return). No stack check either
// (nosplit): a preemption request pending since before the filter was
// loaded would otherwise deschedule the filtered thread right here, into
// the scheduler's own system calls.
//
//go:norace
//go:nosplit
func WaitWord(addr *uint32, val uint32) {
	for *addr == val {
		unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWait|futexPrivateFlag, uintptr(val), 0, 0, 0)
	}
}

// WakeWord wakes the threads waiting in WaitWord on addr.
func WakeWord(addr *uint32) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWake|futexPrivateFlag, 1<<30, 0, 0, 0)
}
