package prestart

import (
	"fmt"
	"os"
	"syscall"

	"github.com/vigilsec/vigil/internal/linux"
)

// Start starts a sandbox that waits for its orders on its socket.
func Start() (*Sandbox, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding vigil's own binary to re-execute: %w", err)
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	pid, err := syscall.ForkExec(self, []string{"vigil", Command}, ProcAttr(uintptr(pair[1])))
	syscall.Close(pair[1])
	if err != nil {
		syscall.Close(pair[0])
		return nil, fmt.Errorf("starting the sandbox (%s): %w", self, err)
	}
	return &Sandbox{Pid: pid, Conn: pair[0]}, nil
}

// Take hands the sandbox over to its user: Abort then does nothing.
func (s *Sandbox) Take() (pid, conn int) {
	pid, conn = s.Pid, s.Conn
	s.Conn = -1
	return pid, conn
}

// Abort ends a sandbox that will not be used, which has started nothing:
// it reads the end of its orders, exits, and is reaped here. A nil sandbox
// is fine.
func (s *Sandbox) Abort() {
	if s == nil || s.Conn < 0 {
		return
	}
	syscall.Close(s.Conn)
	s.Conn = -1
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(s.Pid, &ws, 0, nil); err != syscall.EINTR {
			return
		}
	}
}

// ProcAttr starts the app (or the sandbox that becomes it) with vigil's
// stdio and environment (AppEnviron), plus extra as fds 3 and up.
func ProcAttr(extra ...uintptr) *syscall.ProcAttr {
	return &syscall.ProcAttr{
		Env:   AppEnviron(),
		Files: append([]uintptr{0, 1, 2}, extra...),
		Sys: &syscall.SysProcAttr{
			// Its own group, so that --group reaches its helpers and a
			// terminal's job control treats it as the foreground job.
			Setpgid:    true,
			Foreground: ownsTerminal(),
			Ctty:       0,
		},
	}
}

// ownsTerminal reports whether stdin is a terminal whose foreground process
// group is vigil's: only then is it vigil's to hand over to the app (as with
// docker run -it), so that an interactive shell and Ctrl-C work.
func ownsTerminal() bool {
	if !linux.IsTerminal(0) {
		return false
	}
	fg, err := linux.ForegroundGroup(0)
	return err == nil && fg == syscall.Getpgrp()
}
