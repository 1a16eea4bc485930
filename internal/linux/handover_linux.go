package linux

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// waitEvents waits at most d for one of events on fd and returns what poll
// reported; 0 when d passed first.
func waitEvents(fd int, events int16, d time.Duration) (int16, error) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left < 0 {
			left = 0
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(fds, int((left+time.Millisecond-1)/time.Millisecond))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, fmt.Errorf("poll: %w", err)
		case n == 0:
			return 0, nil
		}
		return fds[0].Revents, nil
	}
}

// RecvFdWithin is RecvFd waiting at most d for the message: past it, an
// error wrapping os.ErrDeadlineExceeded.
func RecvFdWithin(sock int, d time.Duration) (int, error) {
	revents, err := waitEvents(sock, unix.POLLIN, d)
	if err != nil {
		return -1, err
	}
	if revents == 0 {
		return -1, fmt.Errorf("recvmsg(SCM_RIGHTS): nothing after %s: %w", d, os.ErrDeadlineExceeded)
	}
	return RecvFd(sock)
}

// WaitHangUpWithin reports whether the peer of socket fd closed its end
// within d.
func WaitHangUpWithin(fd int, d time.Duration) (bool, error) {
	revents, err := waitEvents(fd, unix.POLLRDHUP, d)
	return revents&(unix.POLLHUP|unix.POLLRDHUP|unix.POLLERR|unix.POLLNVAL) != 0, err
}

// TaskStates describes every thread of process pid, one line each: its
// tid, name, state, wait channel, the system call it is in (number and
// arguments, from /proc/PID/task/TID/syscall) and, when readable (root), its
// kernel stack. For the error of a process that hangs.
func TaskStates(pid int) string {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(string(b))
	}
	var b strings.Builder
	for _, t := range tasks {
		state := "?"
		if st := read(t + "/stat"); strings.LastIndexByte(st, ')') >= 0 {
			if f := strings.Fields(st[strings.LastIndexByte(st, ')')+1:]); len(f) > 0 {
				state = f[0]
			}
		}
		stack := strings.ReplaceAll(read(t+"/stack"), "\n", " < ")
		fmt.Fprintf(&b, "\n  tid %s (%s) state %s wchan %s syscall %s stack %s",
			filepath.Base(t), read(t+"/comm"), state, read(t+"/wchan"), read(t+"/syscall"), stack)
	}
	return b.String()
}
