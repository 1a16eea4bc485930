package seccomp

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/internal/linux/linuxtest"
)

// kernelChildEnv makes the test binary the task that runs under Docker's
// default profile, compiled by this package and loaded into the kernel.
const kernelChildEnv = "VIGIL_SECCOMP_TEST_KERNEL_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(kernelChildEnv) == "1" {
		os.Exit(kernelChild())
	}
	os.Exit(m.Run())
}

// kernelCalls are the syscalls the child makes, with what Docker's default
// profile says of them. The errno the child sees is printed, so the test
// sees the kernel, the program and PID 1's answer together.
var kernelCalls = []struct {
	name       string
	nr         uintptr
	args       [3]uintptr
	wantErrno  unix.Errno
	wantNotify bool
}{
	{name: "getppid", nr: unix.SYS_GETPPID},
	{name: "personality query", nr: unix.SYS_PERSONALITY, args: [3]uintptr{0xffffffff}},
	{name: "personality READ_IMPLIES_EXEC", nr: unix.SYS_PERSONALITY, args: [3]uintptr{0x0400000},
		wantErrno: unix.EPERM, wantNotify: true},
	{name: "unshare user namespace", nr: unix.SYS_UNSHARE, args: [3]uintptr{unix.CLONE_NEWUSER},
		wantErrno: unix.EPERM, wantNotify: true},
	{name: "kexec_load", nr: unix.SYS_KEXEC_LOAD, wantErrno: unix.EPERM, wantNotify: true},
}

// kernelChild loads the compiled Docker profile, hands the listener over fd
// 3 and prints the errno of each kernelCalls entry.
func kernelChild() int {
	fail := func(err error) int { fmt.Println("child:", err); return 1 }
	prog, err := dockerProgram()
	if err != nil {
		return fail(err)
	}
	if err := linux.SetNoNewPrivs(); err != nil {
		return fail(err)
	}
	listener, err := linux.InstallNotifyFilter(prog)
	if err != nil {
		return fail(err)
	}
	if err := linux.SendFd(linuxtest.ChildSocket, listener); err != nil {
		return fail(err)
	}
	unix.Close(listener)
	for _, c := range kernelCalls {
		_, _, errno := unix.RawSyscall(c.nr, c.args[0], c.args[1], c.args[2])
		fmt.Printf("%s: %d\n", c.name, errno)
	}
	return 0
}

// dockerProgram compiles testdata's Docker profile to kernel instructions.
func dockerProgram() ([]unix.SockFilter, error) {
	spec, err := LoadProfile("profiles/docker-default.json", DockerCapabilities)
	if err != nil {
		return nil, err
	}
	f, err := Compile(spec, "")
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(f.Program)
	if err != nil {
		return nil, err
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return prog, nil
}

// TestDockerProfileInTheKernel runs a task under Docker's default profile as
// compiled here, answers its notifications with the outcome table, as PID 1
// will, and checks what the task saw and which calls were notified.
func TestDockerProfileInTheKernel(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the syscall numbers of this test are amd64's")
	}
	spec, err := LoadProfile("profiles/docker-default.json", DockerCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	filter, err := Compile(spec, "")
	if err != nil {
		t.Fatal(err)
	}
	cmd, out, listener := linuxtest.StartFiltered(t, kernelChildEnv+"=1")
	notified := make(chan []int32, 1)
	go func() { notified <- answerAll(t, filter, listener) }()

	var lines []string
	for sc := bufio.NewScanner(out); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("task under the filter: %v; printed %q", err, lines)
	}
	var want []string
	var wantNotified []int32
	for _, c := range kernelCalls {
		want = append(want, fmt.Sprintf("%s: %d", c.name, c.wantErrno))
		if c.wantNotify {
			wantNotified = append(wantNotified, int32(c.nr))
		}
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("the task saw\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got := <-notified; fmt.Sprint(got) != fmt.Sprint(wantNotified) {
		t.Errorf("notified syscalls %v, want %v (the rest must not reach PID 1)", got, wantNotified)
	}
}

// answerAll answers every notification by the filter's outcome table until
// no task is left under the filter, and returns the syscalls notified.
func answerAll(t *testing.T, f *Filter, listener int) []int32 {
	var nrs []int32
	for {
		fds := []unix.PollFd{{Fd: int32(listener), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); errors.Is(err, unix.EINTR) {
			continue
		} else if err != nil {
			t.Error(err)
			return nrs
		}
		if fds[0].Revents&unix.POLLIN == 0 {
			return nrs // POLLHUP: every task under the filter has exited
		}
		var n linux.SeccompNotif
		if err := linux.NotifRecv(listener, &n); errors.Is(err, unix.ENOENT) {
			continue
		} else if err != nil {
			t.Error(err)
			return nrs
		}
		o := f.Decide(Data(n.Data))
		resp := linux.SeccompNotifResp{ID: n.ID}
		switch o.Action {
		case ActionErrno:
			resp.Error = -int32(o.Errno)
		case ActionAllow, ActionLog:
			resp.Flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
		default:
			t.Errorf("syscall %d: outcome %v, which this test does not answer", n.Data.Nr, o)
			resp.Error = -int32(unix.EPERM)
		}
		if err := linux.NotifSend(listener, &resp); err != nil && !errors.Is(err, unix.ENOENT) {
			t.Error(err)
			return nrs
		} else if err == nil {
			nrs = append(nrs, n.Data.Nr)
		}
	}
}
