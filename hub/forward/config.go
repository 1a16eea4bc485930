package forward

import (
	"time"

	"github.com/vigilsec/vigil/events"
)

// The header of every forwarders file.
const (
	APIVersion = "vigil.dev/v1"
	FileKind   = "Forwarders"
)

// Type is what a forwarder sends to.
type Type string

// The types of forwarder.
const (
	TypeWebhook Type = "webhook" // the event's JSON, as on the bus
	TypeSlack   Type = "slack"   // a Slack-compatible incoming webhook
	TypeFalco   Type = "falco"   // Falco's JSON output, as falcosidekick takes it
)

// Types lists every type, in documentation order.
var Types = []Type{TypeWebhook, TypeSlack, TypeFalco}

// The defaults of a forwarder (docs/forwarders.md).
const (
	DefaultTimeout      = 5 * time.Second
	DefaultRetryInitial = time.Second
	DefaultRetryMax     = time.Minute
)

// Config is a loaded forwarders file.
type Config struct {
	// File is the path it was loaded from.
	File       string
	Forwarders []Forwarder
}

// Forwarder is one target and what it gets. Load fills in every default
// and expands the environment variables of URL and Headers.
type Forwarder struct {
	Name string
	Type Type
	// URL is http or https.
	URL string
	// Headers are sent with every request: those of the file's headers and
	// of its headersFile, environment variables expanded. They are secrets
	// and never appear in an error.
	Headers   map[string]string
	Filter    Filter
	RateLimit *RateLimit // nil: no limit
	// Timeout bounds one request, connection included.
	Timeout time.Duration
	Retry   Retry
}

// Filter selects the events a forwarder sends; an empty list selects all.
type Filter struct {
	// Workloads and Rules are globs (path.Match: "*", "?", "[a-z]").
	Workloads   []string
	Kinds       []events.Kind
	MinSeverity events.Severity // "" selects all
	Rules       []string
	Actions     []events.Action
}

// RateLimit is a token bucket: PerSecond tokens a second, at most Burst
// saved up. Events past it wait in the stream.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// Retry is the back-off between attempts at a target that failed: Initial
// after the first failure, doubling up to Max.
type Retry struct {
	Initial, Max time.Duration
}

// delay is the back-off after the n-th failure in a row (n ≥ 1).
func (r Retry) delay(n int) time.Duration {
	d := r.Initial
	for i := 1; i < n && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max)
}
