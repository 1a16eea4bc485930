// Package events defines the security event vigil reports, its JSON
// encoding and schema, and the Sink that producers emit events into.
//
// # The event
//
// An [Event] is one violation or one notice from vigil itself: an exec the
// policy did not expect, a denied syscall, a changed file, a heartbeat. Its
// JSON form is versioned by the schema field ([SchemaVersion]); [Schema]
// holds the JSON Schema of that form. [New] fills the fields every event
// needs (schema, a sortable unique id, the time, count 1); [Event.Validate]
// reports every problem at once; [Decode] is the strict reader for
// subscribers.
//
// Kind-specific details travel as a JSON object: [Event.SetDetails] stores any
// struct there, [Event.DetailsAs] reads it back, and [SyscallDetails] is the
// typed form for the syscall kind.
//
// # Sinks
//
// Producers (the seccomp notify loop, procwatch, filewatch) emit into a
// [Sink] and never learn the transport. [JSONLines] writes one event per line
// to an io.Writer (stderr when no bus is configured); [Aggregator] folds
// storms of identical events into one event with a count before passing them
// on. Nothing is ever dropped silently: a sink that cannot deliver an event
// returns an error.
package events
