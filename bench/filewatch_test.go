package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigilsec/vigil/supervisor/filewatch"
)

// BenchmarkFileEvent: one op writes a file of a baseline (os.WriteFile:
// open, write, close) and waits for the watch's report of it; p50-ns and
// p99-ns are the write-to-report latencies. The watch is filewatch's, as
// vigil run runs it, in this process; the tree has 100 directories of 10
// files.
func BenchmarkFileEvent(b *testing.B) {
	dir := b.TempDir()
	for d := range 100 {
		sub := filepath.Join(dir, strconv.Itoa(d))
		if err := os.Mkdir(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 10 {
			if err := os.WriteFile(filepath.Join(sub, strconv.Itoa(f)), []byte("baseline"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	entries, _, err := filewatch.Scan(filewatch.Options{Roots: []string{dir}})
	if err != nil {
		b.Fatal(err)
	}
	m := &filewatch.Manifest{Roots: []string{dir}, Created: time.Now(), Entries: entries}
	reports := make(chan string, 16)
	w, err := filewatch.NewWatcher(m, filewatch.WatchOptions{Rescan: -1, Trouble: func(p string, err error) {
		b.Errorf("%s: %v", p, err)
	}}, func(c filewatch.Change, _ string) { reports <- c.Path })
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	w.WatchTrees()
	stop, done := make(chan struct{}), make(chan error)
	go func() { done <- w.Run(stop) }()
	defer func() { close(stop); <-done }()
	var samples []time.Duration
	i := 0
	for b.Loop() {
		path := filepath.Join(dir, strconv.Itoa(i%100), strconv.Itoa(i%10))
		start := time.Now()
		if err := os.WriteFile(path, []byte(fmt.Sprint("changed ", i)), 0o644); err != nil {
			b.Fatal(err)
		}
		for got := <-reports; got != path; got = <-reports {
		}
		samples = append(samples, time.Since(start))
		i++
	}
	b.ReportMetric(float64(median(samples).Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(percentile(samples, 99).Nanoseconds()), "p99-ns")
}
