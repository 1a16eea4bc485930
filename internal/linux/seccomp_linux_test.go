package linux

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The test binary re-executed with this variable set is the filtered task.
const filteredEnv = "VIGIL_LINUX_TEST_FILTERED"

func TestMain(m *testing.M) {
	if os.Getenv(filteredEnv) == "1" {
		os.Exit(filteredTask())
	}
	os.Exit(m.Run())
}

// getppidNotifies is a filter that turns getppid into a user notification
// and allows everything else (a foreign architecture included: this is a
// test of the notification path, not a policy).
var getppidNotifies = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // arch
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: unix.AUDIT_ARCH_X86_64},
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // nr
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_GETPPID},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
}

// filteredTask installs the filter, hands the listener to the test over fd
// 3, calls getppid twice and prints what each call returned, then checks
// that a second listener is refused with ErrListenerBusy.
func filteredTask() int {
	sock := 3
	if err := SetNoNewPrivs(); err != nil {
		fmt.Println(err)
		return 1
	}
	listener, err := InstallNotifyFilter(getppidNotifies)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	if err := SendFd(sock, listener); err != nil {
		fmt.Println(err)
		return 1
	}
	unix.Close(listener)
	for range 2 {
		ppid, _, errno := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		fmt.Printf("getppid: %d %v\n", int(ppid), errno == unix.EPERM)
	}
	_, err = InstallNotifyFilter(getppidNotifies)
	fmt.Printf("second listener busy: %v\n", errors.Is(err, ErrListenerBusy))
	return 0
}

// TestNotifyRoundTrip: a real filter in a child process, its listener passed
// back over SCM_RIGHTS, the first getppid answered with EPERM and the second
// let through, as PID 1 will answer profile outcomes.
func TestNotifyRoundTrip(t *testing.T) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(pair[0]), "ours"), os.NewFile(uintptr(pair[1]), "theirs")
	defer ours.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), filteredEnv+"=1")
	cmd.ExtraFiles = []*os.File{theirs}
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	theirs.Close()
	listener, err := RecvFd(int(ours.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(listener)
	if err := SetSyncWakeUp(listener); err != nil {
		t.Logf("no SYNC_WAKE_UP (kernel before 6.6?): %v", err)
	}
	answer(t, listener, cmd.Process.Pid, &SeccompNotifResp{Error: -int32(unix.EPERM)})
	answer(t, listener, cmd.Process.Pid, &SeccompNotifResp{Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE})

	sc := bufio.NewScanner(out)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("filtered task: %v; printed %q", err, lines)
	}
	want := []string{"getppid: -1 true", fmt.Sprintf("getppid: %d false", os.Getpid()), "second listener busy: true"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("filtered task printed\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// answer reads notifications until one for getppid from pid can be
// answered with resp. Interrupted ones (ENOENT) are asked again by the
// kernel and skipped here.
func answer(t *testing.T, listener, pid int, resp *SeccompNotifResp) {
	t.Helper()
	for {
		var n SeccompNotif
		if err := NotifRecv(listener, &n); errors.Is(err, unix.ENOENT) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if n.Data.Nr != unix.SYS_GETPPID || int(n.Pid) != pid || n.Data.Arch != unix.AUDIT_ARCH_X86_64 {
			t.Fatalf("notification for syscall %d from pid %d (arch %#x), want getppid from %d", n.Data.Nr, n.Pid, n.Data.Arch, pid)
		}
		if err := NotifIDValid(listener, n.ID); errors.Is(err, unix.ENOENT) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		resp.ID = n.ID
		if err := NotifSend(listener, resp); errors.Is(err, unix.ENOENT) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		return
	}
}
