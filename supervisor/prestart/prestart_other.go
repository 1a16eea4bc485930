//go:build !linux

package prestart

import "github.com/vigilsec/vigil/internal/linux"

// Start fails: vigil supervises only on Linux.
func Start() (*Sandbox, error) { return nil, linux.ErrNotSupported }

// Abort does nothing.
func (s *Sandbox) Abort() {}

// Take hands the sandbox over.
func (s *Sandbox) Take() (pid, conn int) { return s.Pid, s.Conn }
