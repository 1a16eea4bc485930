package bench

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/internal/linux/linuxtest"
)

// notifyChildEnv makes the test binary the filtered task of BenchmarkNotify;
// its value is how many getppid calls to time.
const notifyChildEnv = "VIGIL_BENCH_NOTIFY_CALLS"

// getppidNotifies turns getppid into a user notification and allows the rest.
var getppidNotifies = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: unix.AUDIT_ARCH_X86_64},
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_GETPPID},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
}

// BenchmarkNotify measures what a reported (notified) system call costs
// the app: the round trip from the app's getppid through the kernel to a
// listener (in this process, as PID 1 will be) that answers CONTINUE. The
// app times each call; p50-ns and p99-ns are its percentiles.
func BenchmarkNotify(b *testing.B) {
	for _, tt := range []struct {
		name     string
		syncWake bool
	}{
		{name: "sync-wakeup", syncWake: true},
		{name: "plain"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			p50, p99 := notifyRoundTrips(b, b.N, tt.syncWake)
			b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
		})
	}
}

// notifyRoundTrips starts the filtered task, answers its n notifications
// and returns the percentiles it measured.
func notifyRoundTrips(b *testing.B, n int, syncWake bool) (p50, p99 time.Duration) {
	cmd, out, listener := linuxtest.StartFiltered(b, notifyChildEnv+"="+strconv.Itoa(n))
	if syncWake {
		if err := linux.SetSyncWakeUp(listener); err != nil {
			b.Skipf("kernel without SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6+): %v", err)
		}
	}
	b.ResetTimer()
	for answered := 0; answered < n; {
		if ok, err := continueOne(listener); err != nil {
			b.Fatal(err)
		} else if ok {
			answered++
		}
	}
	b.StopTimer()
	if _, err := fmt.Fscan(out, &p50, &p99); err != nil {
		b.Fatalf("reading the filtered task's percentiles: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("filtered task: %v", err)
	}
	return p50, p99
}

// continueOne answers one notification with CONTINUE; false means the task
// was interrupted (ENOENT) and will ask again.
func continueOne(listener int) (bool, error) {
	var n linux.SeccompNotif
	if err := linux.NotifRecv(listener, &n); errors.Is(err, unix.ENOENT) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	resp := linux.SeccompNotifResp{ID: n.ID, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
	if err := linux.NotifSend(listener, &resp); errors.Is(err, unix.ENOENT) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, nil
}

// notifyChild is the filtered task: it hands its listener over fd 3, times
// calls getppid calls and prints their p50 and p99.
func notifyChild(calls int) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 1 }
	if err := linux.SetNoNewPrivs(); err != nil {
		return fail(err)
	}
	listener, err := linux.InstallNotifyFilter(getppidNotifies)
	if err != nil {
		return fail(err)
	}
	if err := linux.SendFd(linuxtest.ChildSocket, listener); err != nil {
		return fail(err)
	}
	unix.Close(listener)
	samples := make([]time.Duration, calls)
	for i := range samples {
		start := time.Now()
		unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		samples[i] = time.Since(start)
	}
	fmt.Println(int64(percentile(samples, 50)), int64(percentile(samples, 99)))
	return 0
}
