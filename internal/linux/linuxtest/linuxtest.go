// Package linuxtest helps tests that put a real seccomp filter on a child
// process: the child is the test binary again, which loads the filter and
// sends its notification listener back, as vigil's sandbox does for PID 1.
package linuxtest

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/vigilsec/vigil/internal/linux"
)

// ChildSocket is the fd on which the child finds its socket to the test.
const ChildSocket = 3

// StartFiltered starts the test binary again, running no test, with env
// added to its environment and a unix socket as fd ChildSocket, and waits
// for the listener the child sends back (linux.SendFd). It returns the
// child, its stdout and the listener, which is closed when tb ends; the
// caller waits for the child.
func StartFiltered(tb testing.TB, env ...string) (*exec.Cmd, io.Reader, int) {
	tb.Helper()
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(pair[0]), "ours"), os.NewFile(uintptr(pair[1]), "theirs")
	defer ours.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.ExtraFiles = []*os.File{theirs}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	theirs.Close()
	listener, err := linux.RecvFd(int(ours.Fd()))
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		tb.Fatalf("receiving the child's seccomp listener: %v", err)
	}
	tb.Cleanup(func() { syscall.Close(listener) })
	return cmd, out, listener
}
