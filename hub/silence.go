package hub

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// RuleGuardSilent is the rule of the alert the hub publishes when a
// guard's heartbeats stop without a stopped event (docs/hub.md).
const RuleGuardSilent = "hub.guard-silent"

// silentDetails are the details of a silent alert: a lifecycle event's,
// what "silent", and what it was judged on.
type silentDetails struct {
	events.LifecycleDetails
	// LastHeartbeat and LastHeartbeatID are the guard's last heartbeat's
	// own time and id; LastEventID, without a heartbeat, its newest
	// event's.
	LastHeartbeat   string `json:"last_heartbeat,omitempty"`
	LastHeartbeatID string `json:"last_heartbeat_id,omitempty"`
	LastEventID     string `json:"last_event_id,omitempty"`
	// SilenceSeconds is how long without a heartbeat made it silent.
	SilenceSeconds float64 `json:"silence_seconds"`
}

// silence is how long g may send nothing: cfg's, else three of its
// periods.
func silence(cfg time.Duration, g *guard) time.Duration {
	if cfg > 0 {
		return cfg
	}
	p := g.period
	if p <= 0 {
		p = natsbus.DefaultHeartbeat
	}
	return silencePeriods * p
}

// silentAlert is the alert for g, silent for after. Everything in it
// comes from what the guard sent (its last heartbeat, or without one its
// newest event), so that every hub, and a hub restarted, makes the same
// id: the stream keeps one (Nats-Msg-Id is the id).
func silentAlert(g *guard, after time.Duration) (events.Event, error) {
	basisID, basisTime := g.beatID, g.beatTime
	d := silentDetails{
		LifecycleDetails: events.LifecycleDetails{What: "silent", Component: "heartbeat",
			Error: fmt.Sprintf("no heartbeat for %s", after)},
		SilenceSeconds: after.Seconds(),
	}
	if basisID != "" {
		d.LastHeartbeat, d.LastHeartbeatID = basisTime.UTC().Format(time.RFC3339Nano), basisID
	} else {
		basisID, basisTime = g.lastID, g.lastTime
		d.LastEventID = basisID
	}
	e := events.New(events.KindLifecycle, RuleGuardSilent, events.SeverityHigh, events.ActionAlert)
	e.ID, e.Time = silentID(g.w.Workload, basisID, basisTime), basisTime.UTC()
	e.Workload, e.Container = g.w.Workload, g.w.Container
	if err := e.SetDetails(d); err != nil {
		return events.Event{}, bug("silent alert details", err)
	}
	return e, e.Validate()
}

// silentID is the ULID of a silent alert: the time is the basis's (the
// last time the guard was heard of), the entropy a digest of the rule,
// the workload and the basis's id.
func silentID(workload, basisID string, t time.Time) string {
	sum := sha256.Sum256([]byte(RuleGuardSilent + "\x00" + workload + "\x00" + basisID))
	id, err := ulid.New(ulid.Timestamp(t), bytes.NewReader(sum[:]))
	if err != nil {
		// Only a time past the year 10889 gets here.
		return ulid.Make().String()
	}
	return id.String()
}
