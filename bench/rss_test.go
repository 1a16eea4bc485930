package bench

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

const (
	// idleWait is how long an init runs its idle app before its memory is
	// read: past start-up, which allocates and touches pages once.
	idleWait = time.Second
	// stopGrace is how long an init gets to pass SIGTERM on and exit.
	stopGrace = 5 * time.Second
)

// BenchmarkIdleRSS reports the resident memory of each init itself (not of
// its app) while it supervises an idle `sleep 1000`: what vigil costs a
// container for as long as it runs. It is measured once per run.
func BenchmarkIdleRSS(b *testing.B) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		b.Fatalf("finding sleep for the idle app: %v", err)
	}
	null := openDevNull(b)
	for _, l := range launchers {
		if l.bin == nil || l.floor {
			continue // a bare sleep has no init to measure, a floor is no init
		}
		b.Run(l.name, func(b *testing.B) {
			kib := idleRSS(b, l.argv(b, sleep, "1000"), null)
			reportOnce(b, float64(kib), "rss-KiB")
		})
	}
}

// idleRSS starts argv, an init with an idle app, lets it settle, and returns
// the init's VmRSS in KiB. The init is stopped when b ends.
func idleRSS(b *testing.B, argv []string, null *os.File) int {
	b.Helper()
	p, err := start(argv, null)
	if err != nil {
		b.Fatalf("starting %q: %v", argv, err)
	}
	b.Cleanup(func() { stop(b, p) })
	time.Sleep(idleWait)
	if len(childrenOf(p.Pid)) == 0 {
		b.Fatalf("%q (pid %d) has no app running after %v", argv, p.Pid, idleWait)
	}
	kib, err := vmRSS(p.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return kib
}

// stop sends SIGTERM to the init, as docker stop does, and makes sure that
// neither it nor its app is left running: a benchmark must not leave a
// `sleep 1000` behind, whatever the init does with the signal.
func stop(tb testing.TB, p *os.Process) {
	tb.Helper()
	app := childrenOf(p.Pid)
	if err := p.Signal(syscall.SIGTERM); err != nil {
		tb.Errorf("stopping pid %d: %v", p.Pid, err)
	}
	kill := time.AfterFunc(stopGrace, func() {
		tb.Errorf("pid %d still running %v after SIGTERM: killing it and its app", p.Pid, stopGrace)
		killAll(append(app, p.Pid))
	})
	_, err := p.Wait()
	kill.Stop()
	if err != nil {
		tb.Errorf("waiting for pid %d: %v", p.Pid, err)
	}
	for _, pid := range app {
		if !waitGone(pid, time.Second) {
			tb.Errorf("app pid %d outlived its init (pid %d): killing it", pid, p.Pid)
			killAll([]int{pid})
		}
	}
}

// killAll sends SIGKILL to pids; one that is already gone is no error.
func killAll(pids []int) {
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // ESRCH: already gone
	}
}
