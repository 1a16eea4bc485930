package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// idleProcs is how many idle processes BenchmarkIdleWatch runs under the
// init.
const idleProcs = 200

// idleWindow is how long BenchmarkIdleWatch measures the init's CPU once
// its processes are started and settled.
const (
	idleSettle = 3 * time.Second
	idleWindow = 10 * time.Second
)

// BenchmarkIdleWatch measures the CPU an init takes while its app keeps
// 200 idle processes: tini, and vigil run with its defaults (the exec
// watch and the /proc scan every second), side by side. One op is one
// window of idleWindow; core% is the init's CPU time (every thread's,
// from schedstat, in ns) over the window, in percent of one core.
func BenchmarkIdleWatch(b *testing.B) {
	needExecTools(b)
	script := fmt.Sprintf("i=0; while [ $i -lt %d ]; do sleep 600 & i=$((i+1)); done; sleep 3600", idleProcs)
	for _, l := range execLaunchers {
		if l.name != "tini" && l.name != "vigil" {
			continue
		}
		b.Run(l.name, func(b *testing.B) {
			argv := l.argv(b, busyboxBin, "sh", "-c", script)
			var pcts []float64
			for b.Loop() {
				pcts = append(pcts, idleCPU(b, argv))
			}
			b.ReportMetric(medianFloat(pcts), "core%")
		})
	}
}

// idleCPU starts argv, lets its processes start and settle, and returns
// the init's CPU over idleWindow in percent of a core.
func idleCPU(b *testing.B, argv []string) float64 {
	b.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		// The init ends its app's processes on SIGTERM; a SIGKILL would
		// leave them behind for the next measure.
		left := descendants(cmd.Process.Pid)
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(descendants(cmd.Process.Pid)) < idleProcs+1 {
		if time.Now().After(deadline) {
			b.Fatalf("%q: %d processes after 20 s, want %d", argv, len(descendants(cmd.Process.Pid)), idleProcs+1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(idleSettle)
	before, err := cpuNs(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	time.Sleep(idleWindow)
	after, err := cpuNs(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return 100 * float64(after-before) / float64(time.Since(start).Nanoseconds())
}

// cpuNs is the CPU time of every thread of pid, in ns (schedstat's first
// field), which exited threads do not count in: the init's threads live.
func cpuNs(pid int) (int64, error) {
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("the threads of %d: %v", pid, err)
	}
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that just ended
		}
		ns, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", t, err)
		}
		total += ns
	}
	return total, nil
}

// descendants lists pid's descendants.
func descendants(pid int) []int {
	var out []int
	for queue := []int{pid}; len(queue) > 0; queue = queue[1:] {
		for _, c := range childrenOf(queue[0]) {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}
