package supervisor

import (
	"fmt"
	"os"
	"syscall"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// sandboxFd is the child's end of its socket to PID 1.
const sandboxFd = 3

// maxProgram is the size of the largest seccomp program.
const maxProgram = 4096 * 8

// Sandbox is the child side of the re-exec, and becomes the app: it reads
// the seccomp program from PID 1, sets no_new_privs, loads the filter,
// hands its listener to PID 1 and execs args with vigil's environment. It
// returns only if that fails, with the exit code to use; it has printed why.
func Sandbox(args []string) int {
	err := sandbox(args)
	fmt.Fprintf(os.Stderr, "vigil: run: %v\n", err)
	return ExitCode(err)
}

func sandbox(args []string) error {
	if len(args) == 0 || args[0] == "" {
		return ErrNoCommand
	}
	path, err := lookPath(args[0])
	if err != nil {
		return err
	}
	buf := make([]byte, maxProgram+1)
	n, err := syscall.Read(sandboxFd, buf)
	if err != nil {
		return fmt.Errorf("sandbox: reading the seccomp program from vigil: %w", err)
	}
	prog, err := seccomp.DecodeProgram(buf[:n])
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if err := linux.SetNoNewPrivs(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	listener, err := linux.InstallNotifyProgram(prog)
	if err != nil {
		return fmt.Errorf("sandbox: loading the seccomp filter: %w", err)
	}
	if err := linux.SendFd(sandboxFd, listener); err != nil {
		return fmt.Errorf("sandbox: handing the listener to vigil: %w", err)
	}
	// Neither may reach the app.
	syscall.Close(listener)
	syscall.Close(sandboxFd)
	return execError(path, syscall.Exec(path, args, os.Environ()))
}

// spawnSandboxed starts the app through the sandbox, under filter, and
// returns its pid and the filter's listener. A listener error with a pid
// means the sandbox failed after it started: it has said why and exits
// with the code of its failure, which supervision reports as the app's.
func spawnSandboxed(args []string, filter *seccomp.Filter) (pid, listener int, err error) {
	if _, err := lookPath(args[0]); err != nil {
		return 0, -1, err // said here, in one line, rather than by the sandbox
	}
	prog, err := filter.EncodeProgram()
	if err != nil {
		return 0, -1, err
	}
	self, err := os.Executable()
	if err != nil {
		return 0, -1, fmt.Errorf("finding vigil's own binary to re-execute: %w", err)
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, -1, fmt.Errorf("socketpair: %w", err)
	}
	defer syscall.Close(pair[0])
	argv := append([]string{"vigil", SandboxCommand, "--"}, args...)
	pid, err = syscall.ForkExec(self, argv, procAttr(uintptr(pair[1])))
	syscall.Close(pair[1])
	if err != nil {
		return 0, -1, fmt.Errorf("starting the sandbox (%s): %w", self, err)
	}
	if _, err := syscall.Write(pair[0], prog); err != nil {
		return pid, -1, fmt.Errorf("sending the seccomp program to the sandbox: %w", err)
	}
	listener, err = linux.RecvFd(pair[0])
	if err != nil {
		return pid, -1, fmt.Errorf("receiving the seccomp listener from the sandbox: %w", err)
	}
	return pid, listener, nil
}
