package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/events"
)

// head is the part of an event the view indexes.
type head struct {
	Schema    string           `json:"schema"`
	ID        string           `json:"id"`
	Time      time.Time        `json:"time"`
	Kind      events.Kind      `json:"kind"`
	Rule      string           `json:"rule"`
	Severity  events.Severity  `json:"severity"`
	Action    events.Action    `json:"action"`
	Workload  string           `json:"workload"`
	Container events.Container `json:"container"`
	Count     int64            `json:"count"`
}

// decode reads an event from the bus. The hub serves the message as it
// is, so the message must mean to every reader what it means to the hub:
// its keys are checked (see eachMember), its header as events.Decode would,
// and its process and details for their JSON types (see checkBody), which
// the dashboard reads. Lifecycle and heartbeat events, whose details the
// hub reads, are decoded in full by events.Decode. Decoding every event in
// full costs the hub more than half its ingest.
func decode(raw []byte) (events.Event, error) {
	var h head
	if err := json.Unmarshal(raw, &h); err != nil { // and raw is valid JSON
		return events.Event{}, fmt.Errorf("decoding event: %w", err)
	}
	if err := checkBody(h.Kind, raw); err != nil {
		return events.Event{}, fmt.Errorf("decoding event %s: %w", h.ID, err)
	}
	if h.Kind == events.KindLifecycle || h.Kind == events.KindHeartbeat {
		return events.Decode(raw)
	}
	e := events.Event{Schema: h.Schema, ID: h.ID, Time: h.Time, Kind: h.Kind, Rule: h.Rule, Severity: h.Severity,
		Action: h.Action, Workload: h.Workload, Container: h.Container, Count: h.Count}
	if err := checkHead(e); err != nil {
		return events.Event{}, fmt.Errorf("decoding event %s: %w", e.ID, err)
	}
	return e, nil
}

// checkHead is events.Event.Validate of the header fields alone.
func checkHead(e events.Event) error {
	var errs []error
	if e.Schema != events.SchemaVersion {
		errs = append(errs, fmt.Errorf("schema %q, want %q", e.Schema, events.SchemaVersion))
	}
	if !validID(e.ID) {
		errs = append(errs, fmt.Errorf("id %q is not an upper-case ULID", e.ID))
	}
	if e.Time.IsZero() || !e.Kind.Valid() || !e.Severity.Valid() || !e.Action.Valid() || e.Rule == "" || e.Workload == "" || e.Count < 1 {
		errs = append(errs, fmt.Errorf("time %v, kind %q, severity %q, action %q, rule %q, workload %q, count %d: want all set and valid",
			e.Time, e.Kind, e.Severity, e.Action, e.Rule, e.Workload, e.Count))
	}
	return errors.Join(errs...)
}
