package natsbus

import (
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
)

// The stream and its subjects: the contract with subscribers.
const (
	// StreamName is the JetStream stream that holds every event.
	StreamName = "VIGIL_EVENTS"
	// EventsPrefix starts every event subject:
	// vigil.events.<workload>.<kind>.
	EventsPrefix = "vigil.events"
	// HeartbeatPrefix starts every heartbeat subject:
	// vigil.heartbeat.<workload>.
	HeartbeatPrefix = "vigil.heartbeat"
)

// DuplicateWindow is the stream's Duplicates window when vigil creates
// it: a replay after a restart deduplicates against events stored up to
// this long before. The outbox cursor is rewritten as acknowledgements
// come (at most every 10 ms, and within a second of the last), so what a
// restart replays is at most the events acknowledged in the second
// before the guard died, or in flight.
const DuplicateWindow = 24 * time.Hour

// MaxEventBytes is the largest event (its JSON) the bus takes; a larger
// one is dropped and counted. With its headers, it fits maxMsgSize.
const MaxEventBytes = 60 << 10

// maxMsgSize is the stream's MaxMsgSize when vigil creates it.
const maxMsgSize = 64 << 10

// StreamConfig is the stream vigil creates when it may, bounded by l.
// Past its limits it discards its oldest events: a full stream never
// refuses a guard's new ones. A max age shorter than DuplicateWindow
// shortens the window to it (the server allows no longer). Auto replicas
// are 1 here: CreateStream and ApplyStream ask for more where they can.
func StreamConfig(l StreamLimits) jetstream.StreamConfig {
	l = l.resolved()
	cfg := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "vigil security events",
		Subjects:    []string{EventsPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      max(l.MaxAge, 0),
		MaxBytes:    l.MaxBytes,
		Duplicates:  DuplicateWindow,
		MaxMsgSize:  maxMsgSize,
		Replicas:    max(l.Replicas, 1),
	}
	if cfg.MaxAge > 0 && cfg.MaxAge < cfg.Duplicates {
		cfg.Duplicates = cfg.MaxAge
	}
	return cfg
}

// Token makes s usable as one subject token: the characters NATS gives a
// meaning to (dot, wildcards, white space) become "_"; empty is "unknown".
func Token(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '*', '>', ' ', '\t', '\r', '\n', '\x00':
			return '_'
		}
		return r
	}, s)
}

// Subject is the subject of an event of kind from workload.
func Subject(workload string, kind events.Kind) string {
	return EventsPrefix + "." + Token(workload) + "." + Token(string(kind))
}

// HeartbeatSubject is the subject of workload's heartbeats.
func HeartbeatSubject(workload string) string {
	return HeartbeatPrefix + "." + Token(workload)
}

// FilterSubject is the subject a subscriber filters the stream with: one
// workload or all ("" or "*"), one kind or all.
func FilterSubject(workload string, kind events.Kind) string {
	w, k := "*", "*"
	if workload != "" && workload != "*" {
		w = Token(workload)
	}
	if kind != "" && kind != "*" {
		k = Token(string(kind))
	}
	return EventsPrefix + "." + w + "." + k
}
