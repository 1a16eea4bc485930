package events

import (
	"fmt"
	"testing"
)

// discard is a ValidatedSink that drops what it gets, so that a benchmark
// measures the Aggregator alone.
type discard struct{}

func (discard) Emit(Event) error          { return nil }
func (discard) EmitValidated(Event) error { return nil }
func (discard) Close() error              { return nil }

// BenchmarkAggregator measures Emit on the guard's hot path: a storm of
// identical events (the fold), a storm spread over many distinct
// arguments, and a kind that is never folded (validation alone).
func BenchmarkAggregator(b *testing.B) {
	ptrace := func(arg uint64) Event {
		e := syscallEvent(b, "ptrace", "/usr/bin/gdb")
		if err := e.SetDetails(SyscallDetails{
			Name: "ptrace", Nr: 101, Arch: "x86_64", Args: [6]uint64{16, arg, 0, 0, 0, 0},
			Decoded: map[string]string{"0": "PTRACE_ATTACH"}, Errno: 1, Intended: ActionDeny,
		}); err != nil {
			b.Fatal(err)
		}
		return e
	}
	spread := func(n int) []Event {
		es := make([]Event, n)
		for i := range es {
			es[i] = ptrace(uint64(i))
		}
		return es
	}
	tests := []struct {
		name string
		give []Event // emitted in turn, again and again
	}{
		{name: "identical syscalls", give: []Event{ptrace(1)}},
		{name: "identical file events", give: []Event{fileEvent(b, "/etc/passwd")}},
		{name: "1000 distinct args", give: spread(1000)},
		{name: "heartbeats (never folded)", give: []Event{heartbeatEvent()}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			a, err := NewAggregator(discard{}, WithWindow(longWindow))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := a.Emit(tt.give[i%len(tt.give)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.StopTimer()
			if err := a.Close(); err != nil {
				b.Fatal(fmt.Errorf("closing: %w", err))
			}
		})
		// The fold's own cost, without the validation every Emit does.
		b.Run(tt.name+"/admit", func(b *testing.B) {
			a, err := NewAggregator(discard{}, WithWindow(longWindow))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				pass, err := a.admit(tt.give[i%len(tt.give)])
				if err != nil {
					b.Fatal(err)
				}
				if pass {
					a.inflight.Done()
				}
				i++
			}
			b.StopTimer()
			if err := a.Close(); err != nil {
				b.Fatal(fmt.Errorf("closing: %w", err))
			}
		})
	}
}
