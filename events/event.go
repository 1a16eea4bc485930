package events

import (
	"encoding/json"
	"time"
)

// SchemaVersion is the value of the schema field of every event this package
// writes and the only one Decode accepts. Additive changes keep it; a
// breaking change bumps it.
const SchemaVersion = "vigil.dev/event/v1"

// Event is one security event. Its JSON form is the contract with
// subscribers; see docs/events.md and Schema.
type Event struct {
	Schema    string          `json:"schema"`
	ID        string          `json:"id"`
	Time      time.Time       `json:"time"`
	Kind      Kind            `json:"kind"`
	Rule      string          `json:"rule"`
	Severity  Severity        `json:"severity"`
	Action    Action          `json:"action"`
	Workload  string          `json:"workload"`
	Container Container       `json:"container"`
	Process   *Process        `json:"process,omitempty"`
	Details   json.RawMessage `json:"details,omitempty"`
	// Count is how many identical occurrences the event stands for: 1, or
	// more for a summary emitted by an Aggregator.
	Count int64 `json:"count"`
}

// Container identifies the container vigil guards. Fields vigil cannot
// learn are empty.
type Container struct {
	ID       string `json:"id,omitempty"`
	Image    string `json:"image,omitempty"`
	Hostname string `json:"hostname,omitempty"`
}

// Process is the process an event is about.
type Process struct {
	PID  int32    `json:"pid"`
	PPID int32    `json:"ppid"`
	UID  uint32   `json:"uid"`
	GID  uint32   `json:"gid"`
	Exe  string   `json:"exe,omitempty"`
	Argv []string `json:"argv,omitempty"`
	// Ancestry lists the process's ancestors, parent first.
	Ancestry []Ancestor `json:"ancestry,omitempty"`
	// PIDsDiffer is set on an Aggregator's summary whose folded events came
	// from more than one process (same exe, argv, uid, gid and ancestors'
	// exes, other pids): PID, PPID and the ancestors' pids are then the
	// first folded event's.
	PIDsDiffer bool `json:"pids_differ,omitempty"`
}

// Ancestor is one process in a Process's ancestry.
type Ancestor struct {
	PID int32  `json:"pid"`
	Exe string `json:"exe,omitempty"`
}

// New returns an event of the given kind with schema, id, time (now, UTC)
// and count 1 filled in. The caller sets the workload, container, process
// and details.
func New(kind Kind, rule string, sev Severity, act Action) Event {
	now := time.Now().UTC()
	return Event{
		Schema:   SchemaVersion,
		ID:       newID(now),
		Time:     now,
		Kind:     kind,
		Rule:     rule,
		Severity: sev,
		Action:   act,
		Count:    1,
	}
}
