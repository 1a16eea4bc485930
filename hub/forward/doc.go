// Package forward is vigil-hub's forwarders: each sends the events of the
// stream VIGIL_EVENTS that its filter selects to one HTTP target, a
// generic webhook (the event's JSON), a Slack-compatible incoming webhook
// (one human line), or falcosidekick and other readers of Falco's JSON
// output. docs/forwarders.md is the user's reference.
//
// # Configuration
//
// Load reads the forwarders file (apiVersion vigil.dev/v1, kind
// Forwarders) and reports every problem at once, joined with errors.Join,
// one Problem per line formatted "file:line:column: what is wrong", in file
// order; each matches ErrInvalid. Decoding is strict, as the policy's: an
// unknown or duplicate key, a value of the wrong type, an anchor or a
// second document is a problem. ${VAR} in a url or a header value is
// replaced by the environment variable VAR at load. Schema is the file's
// JSON Schema, for editors.
//
// # Delivery
//
// Start gives each forwarder a durable JetStream consumer,
// vigil-forward-<name>, and a goroutine: a slow or failing target holds up
// only its own forwarder. An event is acknowledged once its target
// answered 2xx or the filter dropped it; a failure sends it back to the
// stream with a delay (retry.initial doubling up to retry.max), and the
// forwarder waits as long before its next attempt. A refusal of the event
// itself (a 4xx but 401, 403, 404, 408, 425 and 429) gives it up: it is
// terminated, counted as failed and reported. Delivery is at least once:
// the event id is the receiver's dedupe key.
//
// The package never logs: failures go to the report callback and to
// Stats.
package forward
