package hub

import (
	"maps"
	"time"

	"github.com/vigilsec/vigil/events"
)

// The states of a workload.
const (
	// StateSeen: the hub has its events, but neither a started event
	// nor a heartbeat since it started.
	StateSeen = "seen"
	// StateLive: it started or beats, and its heartbeats come.
	StateLive = "live"
	// StateSilent: its heartbeats stopped without a stopped event.
	StateSilent = "silent"
	// StateStopped: it said it stopped.
	StateStopped = "stopped"
)

// Workload is what the hub knows of one guard: GET /api/workloads and the
// SSE workload messages.
type Workload struct {
	Workload  string           `json:"workload"`
	Container events.Container `json:"container"`
	State     string           `json:"state"`
	Silent    bool             `json:"silent"`
	// Version, PolicyDigest and Features are its started event's: the
	// kernel enforcement it got (seccomp_notify, landlock_abi,
	// exec_enforcement, network_enforcement, …; see docs/events.md).
	Version      string            `json:"version,omitempty"`
	PolicyDigest string            `json:"policy_digest,omitempty"`
	Features     map[string]string `json:"features,omitempty"`
	Started      *time.Time        `json:"started,omitempty"`
	Stopped      *time.Time        `json:"stopped,omitempty"`
	ExitCode     *int              `json:"exit_code,omitempty"`
	// SilentSince is when it was last heard of, once silent.
	SilentSince *time.Time `json:"silent_since,omitempty"`
	// LastHeartbeat is when the hub received its latest heartbeat, and
	// Heartbeat that heartbeat's counters; HeartbeatPeriod the time
	// between its last two, in seconds.
	LastHeartbeat   *time.Time               `json:"last_heartbeat,omitempty"`
	HeartbeatPeriod float64                  `json:"heartbeat_period_seconds,omitempty"`
	Heartbeat       *events.HeartbeatDetails `json:"heartbeat,omitempty"`
	// LastEvent is the time of its newest event; Events counts its
	// events by kind, over what the hub read since it started (its
	// rebuilt view included).
	LastEvent *time.Time            `json:"last_event,omitempty"`
	Events    map[events.Kind]int64 `json:"events"`
}

// clone is w with nothing shared.
func (w Workload) clone() Workload {
	w.Features = maps.Clone(w.Features)
	w.Events = maps.Clone(w.Events)
	if w.Heartbeat != nil {
		hb := *w.Heartbeat
		hb.Published = maps.Clone(hb.Published)
		w.Heartbeat = &hb
	}
	return w
}

func timePtr(t time.Time) *time.Time { return &t }

// guard is a Workload with what the silence rule needs.
type guard struct {
	w Workload
	// The latest heartbeat: received (hub clock), and its own time and
	// id (the guard's).
	beatAt   time.Time
	beatTime time.Time
	beatID   string
	period   time.Duration // between the last two, by their own times
	// liveSince is when the hub began to expect heartbeats without having
	// one: a started event read, a reconnection of the hub.
	liveSince time.Time
	// lastID and lastTime are its newest event's, the basis of a silent
	// alert when no heartbeat came.
	lastID   string
	lastTime time.Time
	// alert is the silent alert not yet published.
	alert *events.Event
	// sentAt is when the last workload message was sent (beats are
	// throttled); seenAt when the hub last heard of it.
	sentAt time.Time
	seenAt time.Time
}

func newGuard(name string) *guard {
	return &guard{w: Workload{Workload: name, State: StateSeen, Events: map[events.Kind]int64{}}}
}

// setContainer keeps the most complete identity heard.
func (g *guard) setContainer(c events.Container) {
	if c != (events.Container{}) {
		g.w.Container = c
	}
}

// event applies one of the workload's events; it reports whether its
// state changed (beyond counters).
func (g *guard) event(e events.Event, now time.Time) bool {
	g.w.Events[e.Kind]++
	g.setContainer(e.Container)
	g.seenAt = now
	if g.w.LastEvent == nil || e.Time.After(*g.w.LastEvent) {
		g.w.LastEvent = timePtr(e.Time)
		g.lastID, g.lastTime = e.ID, e.Time
	}
	if e.Kind != events.KindLifecycle {
		return false
	}
	var d events.LifecycleDetails
	if e.DetailsAs(&d) != nil {
		return false
	}
	switch {
	case e.Rule == RuleGuardSilent:
		return g.silentEvent(e)
	case d.What == "started":
		g.started(e, d, now)
		return true
	case d.What == "stopped":
		g.w.State, g.w.Silent, g.w.SilentSince, g.alert = StateStopped, false, nil, nil
		g.w.Stopped, g.w.ExitCode = timePtr(e.Time), d.ExitCode
		return true
	}
	return false
}

func (g *guard) started(e events.Event, d events.LifecycleDetails, now time.Time) {
	g.w.State, g.w.Silent, g.w.SilentSince, g.alert = StateLive, false, nil, nil
	g.w.Version, g.w.PolicyDigest, g.w.Features = d.Version, d.PolicyDigest, maps.Clone(d.Features)
	g.w.Started, g.w.Stopped, g.w.ExitCode = timePtr(e.Time), nil, nil
	g.liveSince = now
}

// silentEvent applies a silent alert (the hub's or another's): it holds
// unless the guard beat again since, or stopped or started after.
func (g *guard) silentEvent(e events.Event) bool {
	switch {
	case g.w.State == StateStopped && g.w.Stopped != nil && !e.Time.Before(*g.w.Stopped),
		g.w.Started != nil && g.w.Started.After(e.Time),
		g.beatTime.After(e.Time):
		return false
	}
	changed := g.w.State != StateSilent
	g.w.State, g.w.Silent, g.alert = StateSilent, true, nil
	if g.w.SilentSince == nil {
		g.w.SilentSince = timePtr(e.Time)
	}
	return changed
}

// beat applies one heartbeat received at now; it reports whether the
// state changed.
func (g *guard) beat(e events.Event, now time.Time) bool {
	g.setContainer(e.Container)
	g.seenAt = now
	if g.w.State == StateStopped && g.w.Stopped != nil && !e.Time.After(*g.w.Stopped) {
		return false // sent before it stopped, come late
	}
	if !g.beatTime.IsZero() && e.Time.After(g.beatTime) {
		g.period = e.Time.Sub(g.beatTime)
		g.w.HeartbeatPeriod = g.period.Seconds()
	}
	if e.Time.After(g.beatTime) {
		g.beatTime, g.beatID = e.Time, e.ID
	}
	g.beatAt = now
	g.w.LastHeartbeat = timePtr(now)
	var d events.HeartbeatDetails
	if e.DetailsAs(&d) == nil {
		g.w.Heartbeat = &d
	}
	if g.w.State == StateStopped {
		g.w.Stopped, g.w.ExitCode = nil, nil // a guard of that name again
	}
	changed := g.w.State != StateLive
	g.w.State, g.w.Silent, g.w.SilentSince, g.alert = StateLive, false, nil, nil
	return changed
}
