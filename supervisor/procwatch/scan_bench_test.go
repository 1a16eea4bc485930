//go:build linux

package procwatch_test

import (
	"os/exec"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/process"
	"github.com/vigilsec/vigil/supervisor/procwatch"
)

// start200 starts 200 idle sleeps.
func start200(b *testing.B) {
	needBusybox(b)
	for range 200 {
		start(b, exec.Command(busybox, "sleep", "600"))
	}
	time.Sleep(200 * time.Millisecond) // all exec'd
}

// BenchmarkScan200 is one pass of the scan with 200 idle processes more
// than the machine runs. At a 1 s interval, ns/op / 1e9 is the fraction of
// a core the scan takes (reported as core%/1s).
func BenchmarkScan200(b *testing.B) {
	start200(b)
	s := newScanner(b, procwatch.ScanConfig{})
	if _, err := s.Scan(); err != nil { // the first pass reads every cmdline
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Scan(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e9*100, "core%/1s")
}

// BenchmarkGopsutil200 is the same pass through gopsutil, for comparison:
// ppid, uids, exe, CPU times and connections of each process.
func BenchmarkGopsutil200(b *testing.B) {
	start200(b)
	for b.Loop() {
		procs, err := process.Processes()
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range procs {
			p.Ppid()
			p.Uids()
			p.Exe()
			p.Times()
			p.Connections()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e9*100, "core%/1s")
}
