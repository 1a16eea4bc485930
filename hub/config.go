package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/nats-io/nats.go"
)

// The defaults of Config, documented in docs/hub.md.
const (
	// DefaultName is the durable consumer's name.
	DefaultName = "vigil-hub"
	// DefaultMaxEvents is how many events the hub keeps in memory.
	DefaultMaxEvents = 10_000
	// DefaultMaxBytes bounds the memory of those events (their JSON).
	DefaultMaxBytes = 64 << 20
	// DefaultMaxWorkloads bounds the guards the hub keeps track of.
	DefaultMaxWorkloads = 10_000
	// DefaultSession is how long a dashboard login lasts.
	DefaultSession = 12 * time.Hour
	// silencePeriods is how many heartbeat periods without one make a
	// guard silent, as natsbus.WatchHeartbeats.
	silencePeriods = 3
)

// Config configures New. The zero value of every field but Conn and Auth
// takes its default.
type Config struct {
	// Conn is the bus: the hub reads the stream VIGIL_EVENTS and the
	// heartbeats, and publishes its own alerts, through it.
	Conn *nats.Conn
	// Name is the durable consumer's name (DefaultName when empty). Two
	// hubs on one stream need two names ("vigil-hub-a", "vigil-hub-b"):
	// hubs that share a name share one position in the stream.
	Name string
	// MaxEvents and MaxBytes bound the events kept in memory for the
	// view and the API: past either, the oldest are forgotten (they stay
	// in the stream).
	MaxEvents int
	MaxBytes  int64
	// MaxWorkloads bounds the guards tracked: past it, the one heard of
	// least recently is forgotten.
	MaxWorkloads int
	// Auth says who may read.
	Auth Auth
	// Assets are the dashboard's files (index.html at the root), served
	// at /; nil serves the API only.
	Assets fs.FS
	// CSP is the Content-Security-Policy sent with them (DefaultCSP when
	// empty); hub/web.CSP is the dashboard's own.
	CSP string
	// Silence is how long a guard may send no heartbeat before it is
	// silent; 0: three of its periods (the time between its last two
	// heartbeats, natsbus.DefaultHeartbeat until it has sent two).
	Silence time.Duration
	// Session is how long a dashboard login (POST /api/login) lasts
	// (DefaultSession when 0).
	Session time.Duration
	// Report, when set, is told of problems the hub goes on after: a
	// message that is not an event, an alert it could not publish yet.
	// It is called from the hub's goroutines and must not block.
	Report func(error)
}

// withDefaults returns c with its defaults filled in.
func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.MaxEvents == 0 {
		c.MaxEvents = DefaultMaxEvents
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxWorkloads == 0 {
		c.MaxWorkloads = DefaultMaxWorkloads
	}
	if c.Session == 0 {
		c.Session = DefaultSession
	}
	if c.Report == nil {
		c.Report = func(error) {}
	}
	if c.CSP == "" {
		c.CSP = DefaultCSP
	}
	return c
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...)))
	}
	if c.Conn == nil {
		bad("no NATS connection")
	}
	if !validConsumerName(c.Name) {
		bad("name %q: a durable consumer name has no white space, '.', '*', '>', '/' or '\\'", c.Name)
	}
	if c.MaxEvents < 0 || c.MaxBytes < 0 || c.MaxWorkloads < 0 {
		bad("max events %d, max bytes %d, max workloads %d: none may be negative", c.MaxEvents, c.MaxBytes, c.MaxWorkloads)
	}
	if c.Silence < 0 || c.Session < 0 {
		bad("silence %s, session %s: neither may be negative", c.Silence, c.Session)
	}
	errs = append(errs, c.Auth.Validate())
	return errors.Join(errs...)
}

func validConsumerName(s string) bool {
	if s == "" {
		return true // the default
	}
	for _, r := range s {
		switch r {
		case ' ', '\t', '\r', '\n', '.', '*', '>', '/', '\\', 0:
			return false
		}
	}
	return len(s) <= 255
}
