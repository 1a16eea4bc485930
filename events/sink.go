package events

// Sink receives events from producers that do not know the transport.
//
// Emit must be safe for concurrent use and must not block long: producers
// include the seccomp notify loop, whose latency the app pays. An event that
// cannot be delivered is reported by Emit's error, never dropped silently.
// Close flushes what the sink holds and releases it; Emit after Close
// returns ErrClosed.
//
// A sink may hold on to an emitted event (an Aggregator keeps it until its
// window ends): do not modify the event, its Process or its Details after
// Emit.
type Sink interface {
	Emit(Event) error
	Close() error
}

// ValidatedSink is a Sink that can also take events its caller has
// validated (Validate returned nil, and the event was not changed since)
// without validating them again. An Aggregator, which validates what it
// receives, hands events on this way.
type ValidatedSink interface {
	Sink
	EmitValidated(Event) error
}
