package events

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// Aggregator is a Sink that folds storms of identical events before passing
// them to the next sink.
//
// Time is cut into consecutive windows (WithWindow, default 1s). Syscall,
// file and network events fold when they are identical in everything the
// event shows but its id, time and count: kind, rule, severity, action,
// workload, container, details (for a syscall its name, number, raw and
// decoded arguments and errno; for a file its path, op, change, expected
// and actual values and who made it; for a network attempt its call,
// direction, protocol, address, port, name and errno), and process (exe, argv, uid, gid, the exes of
// its ancestry). A call with other arguments, another path or another
// process is never folded into a storm: it is reported on its own, with
// its own arguments. Other kinds always pass through.
//
// The pids (the process's, its parent's and its ancestors') are left out
// of the comparison: a fork storm, where each call comes from a new process
// running the same program with the same arguments, would otherwise make
// one event per process and fold nothing. A summary whose folded events
// came from more than one process says so with Process.PIDsDiffer; its
// pids are then the first folded event's.
//
// In each window the first of a set of identical events passes through at
// once, unchanged. The others are folded: at the end of the window the
// first of them is emitted, as it came (id, time, process, details), with
// its count set to the sum of the counts of all folded events. A summary is
// thus a real occurrence, and the counts of the events the next sink
// receives add up exactly to the counts of the events emitted into the
// Aggregator.
//
// A window holds at most WithMaxKeys sets (default 10,000) and WithMaxBytes
// bytes of events (default 16 MiB), so that a storm of distinct arguments
// cannot take memory without bound; past either, new distinct events pass
// through unaggregated: they are never dropped. Close emits what is
// pending, stops the aggregator's goroutine and closes the next sink.
type Aggregator struct {
	next Sink
	// emit passes an event on: next's EmitValidated when it has one,
	// since every event here was validated.
	emit func(Event) error
	cfg  aggConfig

	seed maphash.Seed // of the hashes of pending, random so an app cannot aim at one

	mu       sync.Mutex
	pending  map[uint64]*fold // by hashOf
	keys     int              // folds in pending
	bytes    int              // their heldSize
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
	held  Event // the first folded event; the event sent until one is folded
	count int64 // the sum of the folded events' counts
	// pidsDiffer is whether the folded events came from more than one
	// process.
	pidsDiffer bool
	next       *fold // another set with the same hash
}

// add folds e, an occurrence identical to f's.
func (f *fold) add(e Event) {
	switch {
	case f.count == 0:
		f.held = e
	case !samePIDs(f.held.Process, e.Process), e.Process != nil && e.Process.PIDsDiffer:
		f.pidsDiffer = true
	}
	f.count += e.Count
}

// summary is the event that stands for the folded ones.
func (f *fold) summary() Event {
	s := f.held
	s.Count = f.count
	if f.pidsDiffer && s.Process != nil && !s.Process.PIDsDiffer {
		p := *s.Process // the emitter's, not to be changed
		p.PIDsDiffer = true
		s.Process = &p
	}
	return s
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
		seed:    maphash.MakeSeed(),
		pending: make(map[uint64]*fold),
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
	folds := foldable(e.Kind)
	var h uint64
	if folds {
		h = hashOf(a.seed, e) // outside the lock: producers hash in parallel
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false, ErrClosed
	}
	if folds {
		if f := a.find(h, e); f != nil {
			f.add(e)
			return false, nil
		}
		a.hold(h, e)
	}
	a.inflight.Add(1)
	return true, nil
}

// find returns the set e belongs to, or nil.
func (a *Aggregator) find(h uint64, e Event) *fold {
	for f := a.pending[h]; f != nil; f = f.next {
		if sameOccurrence(f.held, e) {
			return f
		}
	}
	return nil
}

// hold starts a set with e, the event sent, unless the window is full.
func (a *Aggregator) hold(h uint64, e Event) {
	size := heldSize(e)
	if a.keys >= a.cfg.maxKeys || a.bytes+size > a.cfg.maxBytes {
		return
	}
	a.pending[h] = &fold{held: e, next: a.pending[h]}
	a.keys++
	a.bytes += size
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
		for ; f != nil; f = f.next {
			if f.count > 0 {
				sums = append(sums, f.summary())
			}
		}
	}
	clear(a.pending)
	a.keys, a.bytes = 0, 0
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
