package bench

import (
	"os"
	"testing"
	"time"
)

// warmups are untimed runs first, so that the page cache holds every binary
// and the first launcher measured is not penalised for loading them.
const warmups = 10

// BenchmarkStartup measures fork, exec and wait of /bin/true, bare and under
// each init, as whole processes: what a container pays to start its app
// under vigil. ns/op is the mean; median-ns resists the outliers a shared
// machine produces.
func BenchmarkStartup(b *testing.B) {
	null := openDevNull(b)
	for _, l := range launchers {
		b.Run(l.name, func(b *testing.B) {
			argv := l.argv(b, "/bin/true")
			for range warmups {
				runOnce(b, argv, null)
			}
			var samples []time.Duration
			for b.Loop() {
				samples = append(samples, runOnce(b, argv, null))
			}
			b.ReportMetric(float64(median(samples)), "median-ns")
		})
	}
}

// runOnce starts argv, waits for it and returns the wall time between the
// two; a failed run would measure the wrong thing, so it stops the benchmark.
func runOnce(b *testing.B, argv []string, null *os.File) time.Duration {
	b.Helper()
	begin := time.Now()
	p, err := start(argv, null)
	if err != nil {
		b.Fatalf("starting %q: %v", argv, err)
	}
	st, err := p.Wait()
	took := time.Since(begin)
	if err != nil {
		b.Fatalf("waiting for %q: %v", argv, err)
	}
	if !st.Success() {
		b.Fatalf("%q: %v", argv, st)
	}
	return took
}
