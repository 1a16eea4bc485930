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

// FileDetails are the details of a file event. Aggregation keys file events
// by Path.
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
	// By is the process that made the change when vigil knows it, else
	// "unknown" (the event's process is then left out).
	By string `json:"by,omitempty"`
}

// LifecycleDetails are the details of a lifecycle event.
type LifecycleDetails struct {
	// What happened to vigil: "degraded" when part of its watch is off.
	What string `json:"what"`
	// Component is the part concerned ("filewatch").
	Component string `json:"component,omitempty"`
	// Path and Error say where and why, when they apply.
	Path  string `json:"path,omitempty"`
	Error string `json:"error,omitempty"`
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
