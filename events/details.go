package events

import (
	"encoding/json"
	"fmt"
)

// SyscallDetails are the details of a syscall event.
type SyscallDetails struct {
	Name string `json:"name"` // e.g. "ptrace"
	Nr   int    `json:"nr"`   // the syscall number on Arch
	Arch string `json:"arch"` // e.g. "x86_64", "aarch64"
	// Args are the six raw argument registers, as JSON numbers. Values above
	// 2^53 lose precision in readers that parse numbers as float64.
	Args [6]uint64 `json:"args"`
	// Decoded holds human-readable forms of arguments vigil could decode
	// (paths, flags, socket addresses), keyed by argument index ("0".."5")
	// or by name ("path", "flags", "addr").
	Decoded map[string]string `json:"decoded,omitempty"`
	// Errno is the error number the app got (1 for EPERM); 0 when the call
	// went on.
	Errno int `json:"errno"`
	// Intended is the action the rule asks for. It differs from the event's
	// action when the policy only audits (intended deny, action alert).
	Intended Action `json:"intended,omitempty"`
}

// FileDetails are the details of a file event. Aggregation folds file events
// only when all their details are the same (see Aggregator).
type FileDetails struct {
	Path string `json:"path"`
	// Op is what happened: "write", "create", "remove", "rename", "chmod",
	// "modified" (found by a rescan).
	Op string `json:"op,omitempty"`
	// Change is how the file differs from the baseline: "added",
	// "removed", "content", "mode", "owner", "type", "target".
	Change string `json:"change,omitempty"`
	// Expected and Actual are the baseline's and the file's value, as
	// vigil verify prints them ("sha256:… (N bytes)", "0755", "0:0").
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Requested is the path as the call named it, when that says more than
	// Path (files.traversal: through "..").
	Requested string `json:"requested,omitempty"`
	// By is the process that made the change when vigil knows it, else
	// "unknown" (the event's process is then left out).
	By string `json:"by,omitempty"`
}

// LifecycleDetails are the details of a lifecycle event.
type LifecycleDetails struct {
	// What happened to vigil: "started", "stopped", or "degraded" when
	// part of its watch is off.
	What string `json:"what"`
	// Component is the part concerned ("filewatch").
	Component string `json:"component,omitempty"`
	// Path and Error say where and why, when they apply.
	Path  string `json:"path,omitempty"`
	Error string `json:"error,omitempty"`
	// Version is vigil's (started).
	Version string `json:"version,omitempty"`
	// PolicyDigest is the SHA-256 of the policy file vigil runs with,
	// "sha256:<hex>" (started; empty without a policy).
	PolicyDigest string `json:"policy_digest,omitempty"`
	// Features are the kernel features vigil found (started):
	// "seccomp_notify" ("yes"/"no"), "landlock_abi" (a number, "0" for
	// none); and, when a seccomp profile was loaded, "seccomp_caps": the
	// capabilities its includes/excludes by caps were resolved for,
	// comma-separated CAP_ names in number order, "" for none.
	Features map[string]string `json:"features,omitempty"`
	// ExitCode is the app's exit code in the convention of docker run
	// (stopped).
	ExitCode *int `json:"exit_code,omitempty"`
}

// DroppedDetails are the details of a dropped event, whose count is the
// number of events lost.
type DroppedDetails struct {
	// Reason is why: "outbox full" (the disk queue of the bus reached its
	// cap), "outbox damaged" (unreadable records found at start),
	// "too large" (an event over the bus's size limit).
	Reason string `json:"reason"`
	// Lost says how many of what, by kind, severity and rule; empty when
	// the reason cannot tell (damaged records).
	Lost []DroppedGroup `json:"lost,omitempty"`
	// Bytes is how much was lost, when only that is known.
	Bytes int64 `json:"bytes,omitempty"`
}

// DroppedGroup counts the lost events of one kind, severity and rule.
type DroppedGroup struct {
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Count    int64    `json:"count"`
}

// HeartbeatDetails are the details of a heartbeat: the guard's counters
// since it started.
type HeartbeatDetails struct {
	// UptimeSeconds is how long the guard has run.
	UptimeSeconds int64 `json:"uptime_seconds"`
	// Published counts the events the bus acknowledged, by kind.
	Published map[Kind]int64 `json:"published"`
	// Dropped is how many events were lost (see dropped events).
	Dropped int64 `json:"dropped"`
	// OutboxRecords and OutboxBytes are what waits in the disk queue.
	OutboxRecords int64 `json:"outbox_records"`
	OutboxBytes   int64 `json:"outbox_bytes"`
	// LastPublishError is the latest failure to publish, if any, and
	// LastPublishErrorTime when it happened (RFC 3339).
	LastPublishError     string `json:"last_publish_error,omitempty"`
	LastPublishErrorTime string `json:"last_publish_error_time,omitempty"`
}

// SetDetails stores v, marshalled to a JSON object, as e's details.
func (e *Event) SetDetails(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("setting %s event details: %w", e.Kind, err)
	}
	if !isObject(b) {
		return fmt.Errorf("setting %s event details: %T is not a JSON object", e.Kind, v)
	}
	e.Details = b
	return nil
}

// DetailsAs unmarshals e's details into v (a pointer). Unknown fields are
// ignored: newer producers may add them.
func (e Event) DetailsAs(v any) error {
	if len(e.Details) == 0 {
		return fmt.Errorf("reading %s event details: none", e.Kind)
	}
	if err := json.Unmarshal(e.Details, v); err != nil {
		return fmt.Errorf("reading %s event details: %w", e.Kind, err)
	}
	return nil
}

// Syscall returns the details of a syscall event.
func (e Event) Syscall() (SyscallDetails, error) {
	var d SyscallDetails
	if e.Kind != KindSyscall {
		return d, fmt.Errorf("reading syscall details: event kind is %q", e.Kind)
	}
	return d, e.DetailsAs(&d)
}

// isObject reports whether b, valid JSON, is an object.
func isObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}
