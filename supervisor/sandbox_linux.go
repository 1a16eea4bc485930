package supervisor

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"syscall"

	"golang.org/x/net/bpf"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// sandboxFd is the child's end of its socket to PID 1.
const sandboxFd = 3

// maxProgram is the size of the largest seccomp program.
const maxProgram = 4096 * 8

// Sandbox is the child side of the re-exec, and becomes the app. args
// are what spawnSandboxed put after the hidden command: the sandbox reads
// the seccomp program from PID 1 (when told to), drops privileges, sets
// no_new_privs, loads the filter, hands its listener to PID 1 and execs the
// app with vigil's environment. It returns only if that fails, with the
// exit code to use; it has printed why.
func Sandbox(args []string) int {
	err := sandbox(args)
	fmt.Fprintf(os.Stderr, "vigil: run: %v\n", err)
	return ExitCode(err)
}

func sandbox(args []string) error {
	spec, err := parseSandboxArgs(args)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	path, err := lookPath(spec.args[0])
	if err != nil {
		return err
	}
	// Capability sets are per thread: the one that drops them must be the
	// one that calls execve. Never unlocked: this thread ends in execve.
	runtime.LockOSThread()
	var prog []bpf.RawInstruction
	if spec.seccomp {
		if prog, err = readProgram(); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	if err := linux.Drop(spec.cred); err != nil {
		return fmt.Errorf("sandbox: dropping privileges: %w", err)
	}
	if err := linux.SetNoNewPrivs(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if spec.seccomp {
		// The listener is close-on-exec: the app does not get it.
		if err := loadAndHandOver(prog); err != nil {
			return err
		}
	}
	return execError(path, syscall.Exec(path, spec.args, os.Environ()))
}

// readProgram reads the seccomp program PID 1 sends over the socket. The
// app must inherit neither the socket nor the listener (which the kernel
// creates close-on-exec), even if the profile denies close.
func readProgram() ([]bpf.RawInstruction, error) {
	buf := make([]byte, maxProgram+1)
	n, err := syscall.Read(sandboxFd, buf)
	if err != nil {
		return nil, fmt.Errorf("reading the seccomp program from vigil: %w", err)
	}
	prog, err := seccomp.DecodeProgram(buf[:n])
	if err != nil {
		return nil, err
	}
	return prog, linux.SetCloseOnExec(sandboxFd)
}

// loadAndHandOver loads prog on this thread only and hands its listener to
// PID 1 from another thread, which stays unfiltered (see
// linux.InstallThreadNotifyProgram): until PID 1 holds the listener, any
// system call of the filtered thread that the filter reports would wait for
// an answer nobody can give yet. So between loading and hand-over the
// filtered thread should make no system call at all, and the other thread
// finds the listener in /proc/self/fd rather than being told, spinning for
// the few microseconds it takes (if a call of the filtered thread is held
// anyway, it is answered once the listener is handed over), with garbage
// collection off (its stop-the-world would wait on a stuck thread), at
// least two Ps, so neither needs the other's P, and every signal blocked on
// the filtered thread (a handler's return is a system call). If the
// hand-over fails, the unfiltered thread ends the process: the filtered one
// could not.
// The calling goroutine must be locked to its thread.
func loadAndHandOver(prog []bpf.RawInstruction) error {
	debug.SetGCPercent(-1)
	runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0)))
	var sent atomic.Bool
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		close(ready)
		// Found, not told: the filtered thread may be held in a call
		// already, even before it could say which fd it got.
		listener := linux.FindListener()
		for ; listener < 0; listener = linux.FindListener() {
		}
		if err := linux.SendFd(sandboxFd, listener); err != nil {
			fmt.Fprintf(os.Stderr, "vigil: run: sandbox: handing the listener to vigil: %v\n", err)
			os.Exit(125)
		}
		sent.Store(true)
	}()
	<-ready
	restore, err := linux.BlockThreadSignals()
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if _, err := linux.InstallThreadNotifyProgram(prog); err != nil {
		return fmt.Errorf("sandbox: loading the seccomp filter: %w", err)
	}
	for !sent.Load() {
	}
	// The mask would pass to the app through execve: give back vigil's.
	if err := restore(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// spawnSandboxed starts the app through the sandbox, with the privileges
// of cfg.Credential and under cfg.Seccomp when set, and returns its pid and
// the filter's listener (-1 without a filter). An error with a pid means
// the sandbox failed after it started: it has said why and exits with the
// code of its failure, which supervision reports as the app's.
func spawnSandboxed(cfg *Config) (pid, listener int, err error) {
	if _, err := lookPath(cfg.Args[0]); err != nil {
		return 0, -1, err // said here, in one line, rather than by the sandbox
	}
	var prog []byte
	if cfg.Seccomp != nil {
		if prog, err = cfg.Seccomp.EncodeProgram(); err != nil {
			return 0, -1, err
		}
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
	spec := sandboxSpec{seccomp: prog != nil, cred: cfg.Credential, args: cfg.Args}
	pid, err = syscall.ForkExec(self, spec.argv(), procAttr(uintptr(pair[1])))
	syscall.Close(pair[1])
	if err != nil {
		return 0, -1, fmt.Errorf("starting the sandbox (%s): %w", self, err)
	}
	if prog == nil {
		return pid, -1, nil
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
