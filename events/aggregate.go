package events

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Aggregator is a Sink that folds storms of identical events before passing
// them to the next sink.
//
// Time is cut into consecutive windows (WithWindow, default 1s). Syscall
// events with the same rule, action, process exe and syscall name, and file
// events with the same rule, action, process exe and path, are identical.
// In each window the first of a set of identical events passes through at
// once, unchanged. The others are folded: at the end of the window the last
// of them is emitted with its count set to the sum of the counts of all
// folded events. The counts of the events the next sink receives therefore
// add up exactly to the counts of the events emitted into the Aggregator.
// Other kinds always pass through.
//
// At most WithMaxKeys distinct events (default 10,000) are held per window;
// past that, new distinct events pass through unaggregated. Close emits
// what is pending, stops the aggregator's goroutine and closes the next sink.
type Aggregator struct {
	next Sink
	// emit passes an event on: next's EmitValidated when it has one,
	// since every event here was validated.
	emit func(Event) error
	cfg  aggConfig

	mu       sync.Mutex
	pending  map[aggKey]*fold
	closed   bool
	inflight sync.WaitGroup // Emits forwarding to next

	stop chan struct{}
	done chan struct{}

	errMu    sync.Mutex
	lost     int // summaries next did not take
	firstErr error
}

// fold is the state of one set of identical events in the current window.
type fold struct {
	last  Event // the latest folded event, zero until one is folded
	count int64 // the sum of the folded events' counts
}

var _ Sink = (*Aggregator)(nil)

// NewAggregator returns an Aggregator passing events to next, and starts its
// goroutine; Close stops it.
func NewAggregator(next Sink, opts ...AggregatorOption) (*Aggregator, error) {
	cfg, err := newAggConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("new aggregator: %w", err)
	}
	a := &Aggregator{
		next:    next,
		emit:    next.Emit,
		cfg:     cfg,
		pending: make(map[aggKey]*fold),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if v, ok := next.(ValidatedSink); ok {
		a.emit = v.EmitValidated
	}
	go a.loop()
	return a, nil
}

// Emit passes e on or folds it. It returns the next sink's error for an
// event passed on, and an error for an invalid event.
func (a *Aggregator) Emit(e Event) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("emitting event: %w", err)
	}
	pass, err := a.admit(e)
	if !pass {
		return err
	}
	defer a.inflight.Done()
	return a.emit(e)
}

// admit folds e and returns false, or returns true with inflight raised
// when e must be passed on.
func (a *Aggregator) admit(e Event) (bool, error) {
	key, ok := keyOf(e)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false, ErrClosed
	}
	if f, seen := a.pending[key]; ok && seen {
		f.last = e
		f.count += e.Count
		return false, nil
	}
	if ok && len(a.pending) < a.cfg.maxKeys {
		a.pending[key] = &fold{}
	}
	a.inflight.Add(1)
	return true, nil
}

func (a *Aggregator) loop() {
	defer close(a.done)
	t := time.NewTicker(a.cfg.window)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			a.flush()
		}
	}
}

// flush ends the window: it emits one summary per folded set.
func (a *Aggregator) flush() {
	a.mu.Lock()
	var sums []Event
	for _, f := range a.pending {
		if f.count > 0 {
			s := f.last
			s.Count = f.count
			sums = append(sums, s)
		}
	}
	clear(a.pending)
	a.mu.Unlock()
	for _, s := range sums {
		if err := a.emit(s); err != nil { // a validated event, with another count
			a.lose(fmt.Errorf("emitting summary of %d events: %w", s.Count, err))
		}
	}
}

func (a *Aggregator) lose(err error) {
	a.errMu.Lock()
	a.lost++
	if a.firstErr == nil {
		a.firstErr = err
	}
	a.errMu.Unlock()
	if a.cfg.onError != nil {
		a.cfg.onError(err)
	}
}

// Close emits the pending summaries, stops the goroutine and closes the next
// sink. It reports summaries the next sink did not take.
func (a *Aggregator) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	close(a.stop)
	<-a.done
	a.inflight.Wait()
	a.flush()
	return errors.Join(a.lostErr(), a.next.Close())
}

func (a *Aggregator) lostErr() error {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	if a.lost == 0 {
		return nil
	}
	return fmt.Errorf("closing aggregator: %d summary events not delivered, first: %w", a.lost, a.firstErr)
}
