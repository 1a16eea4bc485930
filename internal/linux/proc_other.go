//go:build !linux

package linux

import (
	"fmt"
	"syscall"
)

// SetChildSubreaper fails: only Linux has child subreapers.
func SetChildSubreaper() error {
	return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", ErrNotSupported)
}

// Reaped is one child collected by ReapOne.
type Reaped struct {
	Pid    int
	Status syscall.WaitStatus
}

// ReapOne fails: vigil supervises only on Linux.
func ReapOne() (Reaped, bool, error) {
	return Reaped{}, false, fmt.Errorf("wait4: %w", ErrNotSupported)
}

// Kill fails: vigil supervises only on Linux.
func Kill(pid int, sig syscall.Signal) error {
	return fmt.Errorf("kill: %w", ErrNotSupported)
}

// IsTerminal reports false: vigil supervises only on Linux.
func IsTerminal(fd int) bool { return false }

// ForegroundGroup fails: vigil supervises only on Linux.
func ForegroundGroup(fd int) (int, error) {
	return 0, fmt.Errorf("ioctl(TIOCGPGRP): %w", ErrNotSupported)
}
