package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// Validate reports every problem of e at once, joined; each matches
// ErrInvalid.
func (e Event) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...)))
	}
	e.validateHeader(add)
	e.validateProcess(add)
	e.validateDetails(add)
	return errors.Join(errs...)
}

type addFunc func(field, format string, args ...any)

func (e Event) validateHeader(add addFunc) {
	if e.Schema != SchemaVersion {
		add("schema", "%q, want %q", e.Schema, SchemaVersion)
	}
	if !validID(e.ID) {
		add("id", "%q is not an upper-case ULID", e.ID)
	}
	if e.Time.IsZero() || e.Time.Location() != time.UTC {
		add("time", "%v is not a UTC time", e.Time)
	}
	if !e.Kind.Valid() {
		add("kind", "unknown %q, want one of %v", e.Kind, Kinds)
	}
	if e.Rule == "" {
		add("rule", "empty")
	}
	if !e.Severity.Valid() {
		add("severity", "unknown %q, want one of %v", e.Severity, Severities)
	}
	if !e.Action.Valid() {
		add("action", "unknown %q, want one of %v", e.Action, Actions)
	}
	if e.Workload == "" {
		add("workload", "empty")
	}
	if e.Count < 1 {
		add("count", "%d, want 1 or more", e.Count)
	}
}

func validID(id string) bool {
	_, err := ulid.ParseStrict(id)
	return err == nil && id == strings.ToUpper(id)
}

func (e Event) validateProcess(add addFunc) {
	p := e.Process
	if p == nil {
		if e.Kind.NeedsProcess() {
			add("process", "missing, %s events need one", e.Kind)
		}
		return
	}
	if p.PID < 1 {
		add("process.pid", "%d, want 1 or more", p.PID)
	}
	if p.PPID < 0 {
		add("process.ppid", "%d, want 0 or more", p.PPID)
	}
	for i, a := range p.Ancestry {
		if a.PID < 1 {
			add(fmt.Sprintf("process.ancestry[%d].pid", i), "%d, want 1 or more", a.PID)
		}
	}
}

func (e Event) validateDetails(add addFunc) {
	if len(e.Details) == 0 {
		if e.Kind == KindSyscall || e.Kind == KindExec || e.Kind == KindProcess || e.Kind == KindNetwork || e.Kind == KindFile || e.Kind == KindLifecycle || e.Kind == KindDropped {
			add("details", "missing, %s events need them", e.Kind)
		}
		return
	}
	if !json.Valid(e.Details) || !isObject(e.Details) {
		add("details", "not a JSON object")
		return
	}
	switch e.Kind {
	case KindSyscall:
		validateSyscall(e.Details, add)
	case KindFile:
		validateFile(e.Details, add)
	case KindExec:
		validateExec(e.Details, add)
	case KindProcess:
		validateProcessDetails(e.Details, add)
	case KindNetwork:
		validateNetwork(e.Details, add)
	case KindLifecycle:
		validateLifecycle(e.Details, add)
	case KindDropped:
		validateDropped(e.Details, add)
	case KindHeartbeat:
		validateHeartbeat(e.Details, add)
	}
}

func validateLifecycle(raw json.RawMessage, add addFunc) {
	var d LifecycleDetails
	if err := json.Unmarshal(raw, &d); err != nil {
		add("details", "lifecycle: %v", err)
		return
	}
	if d.What == "" {
		add("details.what", "empty")
	}
	if d.PolicyDigest != "" && !validDigest(d.PolicyDigest) {
		add("details.policy_digest", "%q is not sha256:<64 hex digits>", d.PolicyDigest)
	}
}

func validDigest(s string) bool {
	hex, ok := strings.CutPrefix(s, "sha256:")
	return ok && len(hex) == 64 && strings.Trim(hex, "0123456789abcdef") == ""
}

func validateDropped(raw json.RawMessage, add addFunc) {
	var d DroppedDetails
	if err := json.Unmarshal(raw, &d); err != nil {
		add("details", "dropped: %v", err)
		return
	}
	if d.Reason == "" {
		add("details.reason", "empty")
	}
	if d.Bytes < 0 {
		add("details.bytes", "%d, want 0 or more", d.Bytes)
	}
	for i, g := range d.Lost {
		at := fmt.Sprintf("details.lost[%d]", i)
		if !g.Kind.Valid() {
			add(at+".kind", "unknown %q", g.Kind)
		}
		if !g.Severity.Valid() {
			add(at+".severity", "unknown %q", g.Severity)
		}
		if g.Count < 1 {
			add(at+".count", "%d, want 1 or more", g.Count)
		}
	}
}

// heartbeatWire tells a missing member from a zero one.
type heartbeatWire struct {
	UptimeSeconds *int64           `json:"uptime_seconds"`
	Published     map[string]int64 `json:"published"`
	Dropped       *int64           `json:"dropped"`
	OutboxRecords *int64           `json:"outbox_records"`
	OutboxBytes   *int64           `json:"outbox_bytes"`
	ErrorTime     string           `json:"last_publish_error_time"`
}

func validateHeartbeat(raw json.RawMessage, add addFunc) {
	var d heartbeatWire
	if err := json.Unmarshal(raw, &d); err != nil {
		add("details", "heartbeat: %v", err)
		return
	}
	for name, v := range map[string]*int64{"uptime_seconds": d.UptimeSeconds, "dropped": d.Dropped,
		"outbox_records": d.OutboxRecords, "outbox_bytes": d.OutboxBytes} {
		if v == nil || *v < 0 {
			add("details."+name, "missing or negative")
		}
	}
	if d.Published == nil {
		add("details.published", "missing")
	}
	for k, n := range d.Published {
		if n < 0 {
			add("details.published."+k, "%d, want 0 or more", n)
		}
	}
	if d.ErrorTime != "" {
		if _, err := time.Parse(time.RFC3339, d.ErrorTime); err != nil {
			add("details.last_publish_error_time", "%q is not an RFC 3339 time", d.ErrorTime)
		}
	}
}

// syscallWire tells a missing member from a zero one.
type syscallWire struct {
	Name     string   `json:"name"`
	Nr       *int     `json:"nr"`
	Arch     string   `json:"arch"`
	Args     []uint64 `json:"args"`
	Errno    *int     `json:"errno"`
	Intended Action   `json:"intended"`

	Decoded map[string]string `json:"decoded"`
}

func validateSyscall(raw json.RawMessage, add addFunc) {
	var d syscallWire
	if err := json.Unmarshal(raw, &d); err != nil {
		add("details", "syscall: %v", err)
		return
	}
	if d.Name == "" {
		add("details.name", "empty")
	}
	if d.Arch == "" {
		add("details.arch", "empty")
	}
	if d.Nr == nil || *d.Nr < 0 {
		add("details.nr", "missing or negative")
	}
	if len(d.Args) != len(SyscallDetails{}.Args) {
		add("details.args", "%d numbers, want 6", len(d.Args))
	}
	if d.Errno == nil || *d.Errno < 0 {
		add("details.errno", "missing or negative")
	}
	if d.Intended != "" && !d.Intended.Valid() {
		add("details.intended", "unknown %q, want one of %v", d.Intended, Actions)
	}
}

func validateFile(raw json.RawMessage, add addFunc) {
	var d FileDetails
	if err := json.Unmarshal(raw, &d); err != nil {
		add("details", "file: %v", err)
		return
	}
	if d.Path == "" {
		add("details.path", "empty")
	}
}
