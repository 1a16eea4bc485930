// Package hub is what vigil-hub serves beside its NATS server: a view of
// the events in the stream VIGIL_EVENTS and of the guards that publish
// them, an HTTP API over it, a Server-Sent Events stream, and the
// dashboard's files. The reference of the API is docs/hub.md and
// docs/openapi.yaml.
//
// # Ingest
//
// Run reads the stream with a durable consumer (Config.Name), and
// acknowledges each event once it is in the view: a hub killed and
// started again goes on where it was and loses nothing the stream still
// holds. The view is in memory, bounded (Config.MaxEvents and MaxBytes:
// the oldest go first), and rebuilt at each start from the stream, the
// last MaxEvents events up to what the consumer had acknowledged, with an
// ordered consumer. Events read while rebuilding are history: the hub
// publishes nothing because of them.
//
// # Guards
//
// Every workload seen (by its events, its started and stopped lifecycle
// events, its heartbeats on vigil.heartbeat.<workload>) is tracked: its
// version, policy digest and kernel enforcement from its started event,
// its last heartbeat and counters, its events by kind. A guard whose
// heartbeats stop for three of its periods without a stopped event is
// silent, and the hub publishes an alert, rule hub.guard-silent, to the
// stream. The alert's id, which is its Nats-Msg-Id, is made from what
// the guard last sent, so that two hubs, or a hub restarted, publish the
// same one and the stream keeps one.
//
// # HTTP
//
// Handler serves JSON under /api/, an SSE stream at /api/events/stream
// that never waits for a slow client (one that falls behind is dropped
// and resumes with Last-Event-ID), and Config.Assets at /. Every /api
// path but /api/health, /api/login and /api/logout needs a token
// (Authorization: Bearer), a user's password (HTTP Basic), or the session
// cookie POST /api/login sets, which is how a browser's EventSource,
// which cannot set headers, is let in.
//
// The package does not log: Config.Report hears of what it goes on
// after.
package hub
