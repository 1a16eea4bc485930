package linux_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/internal/linux/linuxtest"
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
// that a second listener is refused with linux.ErrListenerBusy.
func filteredTask() int {
	sock := linuxtest.ChildSocket
	if err := linux.SetNoNewPrivs(); err != nil {
		fmt.Println(err)
		return 1
	}
	listener, err := linux.InstallNotifyFilter(getppidNotifies)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	if err := linux.SendFd(sock, listener); err != nil {
		fmt.Println(err)
		return 1
	}
	unix.Close(listener)
	for range 2 {
		ppid, _, errno := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		fmt.Printf("getppid: %d %v\n", int(ppid), errno == unix.EPERM)
	}
	_, err = linux.InstallNotifyFilter(getppidNotifies)
	fmt.Printf("second listener busy: %v\n", errors.Is(err, linux.ErrListenerBusy))
	return 0
}

// TestNotifyRoundTrip: a real filter in a child process, its listener passed
// back over SCM_RIGHTS, the first getppid answered with EPERM and the second
// let through, as PID 1 will answer profile outcomes.
func TestNotifyRoundTrip(t *testing.T) {
	cmd, out, listener := linuxtest.StartFiltered(t, filteredEnv+"=1")
	if err := linux.SetSyncWakeUp(listener); err != nil {
		t.Logf("no SYNC_WAKE_UP (kernel before 6.6?): %v", err)
	}
	answer(t, listener, cmd.Process.Pid, &linux.SeccompNotifResp{Error: -int32(unix.EPERM)})
	answer(t, listener, cmd.Process.Pid, &linux.SeccompNotifResp{Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE})

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
func answer(t *testing.T, listener, pid int, resp *linux.SeccompNotifResp) {
	t.Helper()
	for {
		var n linux.SeccompNotif
		if err := linux.NotifRecv(listener, &n); errors.Is(err, unix.ENOENT) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if n.Data.Nr != unix.SYS_GETPPID || int(n.Pid) != pid || n.Data.Arch != unix.AUDIT_ARCH_X86_64 {
			t.Fatalf("notification for syscall %d from pid %d (arch %#x), want getppid from %d", n.Data.Nr, n.Pid, n.Data.Arch, pid)
		}
		if err := linux.NotifIDValid(listener, n.ID); errors.Is(err, unix.ENOENT) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		resp.ID = n.ID
		if err := linux.NotifSend(listener, resp); errors.Is(err, unix.ENOENT) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		return
	}
}
