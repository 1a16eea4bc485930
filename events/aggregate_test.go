package events

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// longWindow never ends during a test: summaries come only from Close.
const longWindow = time.Hour

func newTestAggregator(t *testing.T, next Sink, opts ...AggregatorOption) *Aggregator {
	t.Helper()
	a, err := NewAggregator(next, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAggregatorFolds(t *testing.T) {
	gdb := func(t *testing.T) Event { return syscallEvent(t, "ptrace", "/usr/bin/gdb") }
	tests := []struct {
		name       string
		give       func(t *testing.T) []Event
		wantEvents int     // events the next sink receives
		wantCounts []int64 // their counts, in order
	}{
		{
			name:       "one event passes",
			give:       func(t *testing.T) []Event { return []Event{gdb(t)} },
			wantEvents: 1, wantCounts: []int64{1},
		},
		{
			name:       "storm: first at once, the rest in one summary",
			give:       func(t *testing.T) []Event { return []Event{gdb(t), gdb(t), gdb(t), gdb(t)} },
			wantEvents: 2, wantCounts: []int64{1, 3},
		},
		{
			name: "counts of incoming summaries add up",
			give: func(t *testing.T) []Event {
				e1, e2, e3 := gdb(t), gdb(t), gdb(t)
				e1.Count, e2.Count, e3.Count = 5, 7, 11
				return []Event{e1, e2, e3}
			},
			wantEvents: 2, wantCounts: []int64{5, 18},
		},
		{
			name: "different syscalls are different",
			give: func(t *testing.T) []Event {
				return []Event{gdb(t), syscallEvent(t, "process_vm_readv", "/usr/bin/gdb"), gdb(t)}
			},
			wantEvents: 3, wantCounts: []int64{1, 1, 1},
		},
		{
			name:       "different exes are different",
			give:       func(t *testing.T) []Event { return []Event{gdb(t), syscallEvent(t, "ptrace", "/usr/bin/strace")} },
			wantEvents: 2, wantCounts: []int64{1, 1},
		},
		{
			name: "different actions are different",
			give: func(t *testing.T) []Event {
				e := gdb(t)
				e.Action = ActionKill
				return []Event{gdb(t), e}
			},
			wantEvents: 2, wantCounts: []int64{1, 1},
		},
		{
			name: "file events fold by path",
			give: func(t *testing.T) []Event {
				return []Event{fileEvent(t, "/bin/ls"), fileEvent(t, "/bin/ls"), fileEvent(t, "/bin/cat")}
			},
			wantEvents: 3, wantCounts: []int64{1, 1, 1},
		},
		{
			name: "network attempts fold by destination",
			give: func(t *testing.T) []Event {
				return []Event{netEvent(t, "10.0.0.1", 443), netEvent(t, "10.0.0.1", 443), netEvent(t, "10.0.0.1", 80), netEvent(t, "10.0.0.1", 443)}
			},
			wantEvents: 3, wantCounts: []int64{1, 1, 2},
		},
		{
			name:       "heartbeats are never folded",
			give:       func(*testing.T) []Event { return []Event{heartbeatEvent(), heartbeatEvent()} },
			wantEvents: 2, wantCounts: []int64{1, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			a := newTestAggregator(t, rec, WithWindow(longWindow))
			give := tt.give(t)
			for _, e := range give {
				if err := a.Emit(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			got := rec.snapshot()
			if len(got) != tt.wantEvents {
				t.Fatalf("next sink got %d events, want %d", len(got), tt.wantEvents)
			}
			for i, e := range got {
				if e.Count != tt.wantCounts[i] {
					t.Errorf("event %d has count %d, want %d", i, e.Count, tt.wantCounts[i])
				}
			}
			if !rec.closed {
				t.Error("Close did not close the next sink")
			}
		})
	}
}

func summarize(es []Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s×%d", e.ID, e.Count))
	}
	return out
}

// TestAggregatorConcurrent has many producers emit a storm over several
// short windows; the counts must add up exactly whatever the timing.
func TestAggregatorConcurrent(t *testing.T) {
	rec := &recorder{}
	a := newTestAggregator(t, rec, WithWindow(time.Millisecond), WithMaxKeys(5))
	const goroutines, each = 32, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				// Ten distinct syscalls against a cap of five: some pass
				// through unaggregated.
				e := syscallEvent(t, fmt.Sprintf("sys%d", (g+i)%10), "/usr/bin/gdb")
				if i%3 == 0 {
					e = fileEvent(t, "/bin/ls")
				}
				if err := a.Emit(e); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.total(), int64(goroutines*each); got != want {
		t.Errorf("counts add up to %d, want %d", got, want)
	}
	if err := a.Emit(heartbeatEvent()); !errors.Is(err, ErrClosed) {
		t.Errorf("Emit after Close = %v, want ErrClosed", err)
	}
}

// TestAggregatorWindowEnds waits for the summary the window's end emits,
// without Close and without measuring time.
func TestAggregatorWindowEnds(t *testing.T) {
	rec := &recorder{got: make(chan Event, 16)}
	a := newTestAggregator(t, rec, WithWindow(time.Millisecond))
	defer a.Close()
	if err := a.Emit(fileEvent(t, "/bin/ls")); err != nil {
		t.Fatal(err)
	}
	if first := <-rec.got; first.Count != 1 {
		t.Fatalf("first event has count %d, want 1", first.Count)
	}
	// The window may end between these two: then the second passes at once.
	for range 2 {
		if err := a.Emit(fileEvent(t, "/bin/ls")); err != nil {
			t.Fatal(err)
		}
	}
	var total int64 = 1
	for total < 3 {
		total += (<-rec.got).Count
	}
	if total != 3 {
		t.Errorf("counts add up to %d, want 3", total)
	}
}

func TestAggregatorMaxKeys(t *testing.T) {
	rec := &recorder{}
	a := newTestAggregator(t, rec, WithWindow(longWindow), WithMaxKeys(2))
	// Four distinct paths, twice each: the first two fold, the last two
	// pass through every time.
	for range 2 {
		for _, p := range []string{"/a", "/b", "/c", "/d"} {
			if err := a.Emit(fileEvent(t, p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := len(rec.snapshot()); got != 6 {
		t.Errorf("before Close the next sink got %d events, want 6", got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got, total := len(rec.snapshot()), rec.total(); got != 8 || total != 8 {
		t.Errorf("after Close: %d events with counts adding to %d, want 8 and 8", got, total)
	}
}

func TestAggregatorReportsLostSummaries(t *testing.T) {
	rec := &recorder{}
	var handled []error
	a := newTestAggregator(t, rec, WithWindow(longWindow), WithErrorHandler(func(err error) { handled = append(handled, err) }))
	for range 3 {
		if err := a.Emit(fileEvent(t, "/bin/ls")); err != nil {
			t.Fatal(err)
		}
	}
	errFull := errors.New("outbox full")
	rec.mu.Lock()
	rec.err = errFull
	rec.mu.Unlock()
	err := a.Close()
	if !errors.Is(err, errFull) || !strings.Contains(err.Error(), "1 summary events not delivered") {
		t.Errorf("Close() = %v, want the lost summary reported", err)
	}
	if len(handled) != 1 {
		t.Errorf("error handler called %d times, want 1", len(handled))
	}
}

func TestAggregatorRejectsInvalid(t *testing.T) {
	a := newTestAggregator(t, &recorder{})
	defer a.Close()
	if err := a.Emit(Event{Kind: KindSyscall}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Emit(invalid) = %v, want ErrInvalid", err)
	}
}

func TestAggregatorStopsGoroutine(t *testing.T) {
	a := newTestAggregator(t, &recorder{}, WithWindow(time.Millisecond))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.done:
	default:
		t.Fatal("the aggregator's goroutine still runs after Close")
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}

func TestAggregatorOptions(t *testing.T) {
	tests := []struct {
		name    string
		give    []AggregatorOption
		wantErr string
	}{
		{name: "defaults"},
		{name: "zero window", give: []AggregatorOption{WithWindow(0)}, wantErr: "window must be positive"},
		{name: "zero keys", give: []AggregatorOption{WithMaxKeys(0)}, wantErr: "max keys"},
		{name: "zero bytes", give: []AggregatorOption{WithMaxBytes(0)}, wantErr: "max bytes"},
		{name: "all", give: []AggregatorOption{WithWindow(-1), WithMaxKeys(-1), WithMaxBytes(-1)}, wantErr: "window must be positive\nmax keys must be at least 1\nmax bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewAggregator(&recorder{}, tt.give...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if a.cfg.window != DefaultWindow || a.cfg.maxKeys != DefaultMaxKeys || a.cfg.maxBytes != DefaultMaxBytes {
					t.Errorf("config = %+v, want the defaults", a.cfg)
				}
				a.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewAggregator() = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

// validatedRecorder is a ValidatedSink that tells how events came.
type validatedRecorder struct {
	recorder
	how       sync.Mutex // guards validated and plain
	validated int
	plain     int
}

func (r *validatedRecorder) Emit(e Event) error {
	r.how.Lock()
	r.plain++
	r.how.Unlock()
	return r.recorder.Emit(e)
}

func (r *validatedRecorder) EmitValidated(e Event) error {
	r.how.Lock()
	r.validated++
	r.how.Unlock()
	return r.recorder.Emit(e)
}

// TestAggregatorHandsOnValidated: what the Aggregator validated, passed on
// or summarised, reaches a ValidatedSink through EmitValidated, so that it
// is not validated twice; an invalid event reaches nothing.
func TestAggregatorHandsOnValidated(t *testing.T) {
	next := &validatedRecorder{}
	a, err := NewAggregator(next, WithWindow(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := a.Emit(syscallEvent(t, "ptrace", "/usr/bin/gdb")); err != nil {
			t.Fatal(err)
		}
	}
	bad := syscallEvent(t, "ptrace", "/usr/bin/gdb")
	bad.Rule = ""
	if err := a.Emit(bad); err == nil {
		t.Fatal("an event without a rule was taken")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if next.validated != 2 || next.plain != 0 || next.total() != 3 {
		t.Errorf("EmitValidated %d, Emit %d, counts %d; want 2 (the first and the summary), 0, 3",
			next.validated, next.plain, next.total())
	}
}
