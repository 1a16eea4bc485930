package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Action is what a profile asks for a syscall. It is the profile's intent,
// not what the notify filter returns (that is always ALLOW or USER_NOTIF).
type Action uint8

// Actions, one per SCMP_ACT_* name of the OCI runtime spec.
const (
	ActionAllow Action = iota
	ActionErrno
	ActionKillThread
	ActionKillProcess
	ActionTrap
	ActionTrace
	ActionLog
	ActionNotify
)

var actionNames = [...]string{
	ActionAllow:       "allow",
	ActionErrno:       "errno",
	ActionKillThread:  "kill_thread",
	ActionKillProcess: "kill_process",
	ActionTrap:        "trap",
	ActionTrace:       "trace",
	ActionLog:         "log",
	ActionNotify:      "notify",
}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// specActions maps the OCI names. SCMP_ACT_KILL is libseccomp's historic name
// for killing the thread.
var specActions = map[specs.LinuxSeccompAction]Action{
	specs.ActAllow:       ActionAllow,
	specs.ActErrno:       ActionErrno,
	specs.ActKill:        ActionKillThread,
	specs.ActKillThread:  ActionKillThread,
	specs.ActKillProcess: ActionKillProcess,
	specs.ActTrap:        ActionTrap,
	specs.ActTrace:       ActionTrace,
	specs.ActLog:         ActionLog,
	specs.ActNotify:      ActionNotify,
}

// defaultErrno is what runc and libseccomp use when ERRNO or TRACE come
// without errnoRet.
const defaultErrno = 1 // EPERM

// maxErrno is the kernel's MAX_ERRNO: larger values are not errors to libc.
const maxErrno = 4095

// Outcome is the profile's verdict on one syscall.
type Outcome struct {
	Action Action
	// Errno is the errno for ActionErrno (the trace message for
	// ActionTrace); zero otherwise.
	Errno uint32
	// Rule is the index in LinuxSeccomp.Syscalls of the rule that matched,
	// or RuleDefault / RuleForeignArch.
	Rule int
}

// Rule values of an Outcome that no syscall rule decided.
const (
	RuleDefault     = -1 // no rule matched: the profile's defaultAction
	RuleForeignArch = -2 // an architecture or ABI the filter was not compiled for
)

func (o Outcome) String() string {
	if o.Action == ActionErrno || o.Action == ActionTrace {
		return fmt.Sprintf("%s(%d)", o.Action, o.Errno)
	}
	return o.Action.String()
}

// outcomeOf translates an OCI action and its optional errno.
func outcomeOf(act specs.LinuxSeccompAction, errno *uint, rule int) (Outcome, error) {
	a, ok := specActions[act]
	if !ok {
		return Outcome{}, fmt.Errorf("unknown action %q", act)
	}
	out := Outcome{Action: a, Rule: rule}
	if a == ActionErrno || a == ActionTrace {
		out.Errno = defaultErrno
		if errno != nil {
			if *errno > maxErrno {
				return Outcome{}, fmt.Errorf("errnoRet %d is above %d", *errno, maxErrno)
			}
			out.Errno = uint32(*errno)
		}
	}
	return out, nil
}
