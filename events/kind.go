package events

import "slices"

// Kind says what an event is about; it selects the shape of the details.
type Kind string

// The kinds of event.
const (
	KindExec      Kind = "exec"      // a program was executed
	KindSyscall   Kind = "syscall"   // a syscall matched a rule (details: SyscallDetails)
	KindFile      Kind = "file"      // a protected file changed
	KindNetwork   Kind = "network"   // a connection or listener
	KindProcess   Kind = "process"   // a process found by the /proc scan
	KindLifecycle Kind = "lifecycle" // vigil itself: started, app exited, degraded
	KindHeartbeat Kind = "heartbeat" // vigil is alive
	KindDropped   Kind = "dropped"   // events were lost on the way (count says how many)
)

// Kinds lists every kind, in documentation order.
var Kinds = []Kind{KindExec, KindSyscall, KindFile, KindNetwork, KindProcess, KindLifecycle, KindHeartbeat, KindDropped}

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Reserved reports whether k is a kind vigil does not emit yet:
// subscribers may filter on it. Every kind is emitted today.
func Reserved(Kind) bool { return false }

// NeedsProcess reports whether events of this kind always name a process.
// A syscall event may not: the kernel names a held call's caller 0 when it
// cannot say who it is, and the call is reported all the same.
func (k Kind) NeedsProcess() bool {
	return k == KindExec || k == KindProcess
}

// Severity ranks how urgent an event is.
type Severity string

// The severities, from least to most urgent.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every severity, least urgent first.
var Severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Valid reports whether s is one of the severities above.
func (s Severity) Valid() bool { return slices.Contains(Severities, s) }

// Action is what vigil did about an event.
type Action string

// The actions.
const (
	ActionAlert Action = "alert" // reported only; the app went on
	ActionDeny  Action = "deny"  // the operation failed with an errno
	ActionKill  Action = "kill"  // the process was killed
)

// Actions lists every action.
var Actions = []Action{ActionAlert, ActionDeny, ActionKill}

// Valid reports whether a is one of the actions above.
func (a Action) Valid() bool { return slices.Contains(Actions, a) }
