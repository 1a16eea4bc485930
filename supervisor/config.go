package supervisor

import (
	"fmt"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/filewatch"
	"github.com/vigilsec/vigil/supervisor/netwatch"
	"github.com/vigilsec/vigil/supervisor/prestart"
	"github.com/vigilsec/vigil/supervisor/procwatch"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// Credential is the user, groups and capabilities the app runs with.
type Credential = linux.Credential

// DefaultSensitiveLate is when a read of a sensitive file counts as late.
const DefaultSensitiveLate = 10 * time.Minute

// DefaultGrace is how long remaining processes get between SIGTERM and SIGKILL.
const DefaultGrace = 10 * time.Second

// Config is what the supervisor needs to run one app.
type Config struct {
	// Args is the app's argv; Args[0] is looked up in $PATH when it has no slash.
	Args []string
	// Group forwards signals to the app's process group instead of the app alone.
	Group bool
	// Grace is the time between SIGTERM and SIGKILL for processes left at shutdown.
	Grace time.Duration
	// Seccomp, when set, is the filter the app starts under (through the
	// sandbox re-exec); every call it does not allow is reported to Events.
	Seccomp *seccomp.Filter
	// Learn, when set, is told the name of every call the filter lets
	// through (log, allow) instead of an event being made of it: a learning
	// run answers at once, without reading the caller's /proc and memory.
	Learn func(syscall string)
	// SeccompRules names the filter's rules in events, by Outcome.Rule;
	// seccomp.rule.<index> where it has no name.
	SeccompRules []string
	// SeccompSeverities give the severity of the events of the filter's
	// rules, by Outcome.Rule; where it has none (""), the action says.
	SeccompSeverities []events.Severity
	// SeccompPack is how many of the filter's first rules are the rule
	// pack's. A call one of them logs (an alert) is answered as the rest of
	// the filter would answer it: a pack alert never lets through what the
	// policy or the profile refuse.
	SeccompPack int
	// Events receives what vigil reports; required with Seccomp.
	Events events.Sink
	// Credential is what the app drops to (through the sandbox re-exec):
	// user, supplementary groups, capabilities kept. The zero value keeps
	// vigil's own.
	Credential Credential
	// Baseline, when set, is watched while the app runs: every change to
	// its files is reported to Events as a file event.
	Baseline *filewatch.Manifest
	// BaselineFile, when set (and Baseline not), is read beside the app
	// and then watched: reading a large one takes longer than vigil's whole
	// start. If it cannot be read, a lifecycle event says the watch is off.
	BaselineFile string
	// BaselineSkip are paths the watch leaves out (mount points, vigil's
	// own files).
	BaselineSkip []string
	// Sensitive are files (or directories of files) whose every read by
	// the app is reported; watched with or without a Baseline.
	Sensitive []string
	// SensitiveLate, when positive, is how long after the start a read of
	// a sensitive file is reported as files.sensitive-late rather than
	// files.sensitive.
	SensitiveLate time.Duration
	// Own are vigil's own files and directories (policy, profile,
	// baseline, credentials, outbox): every change to them by another
	// process is reported as a critical file event (rule files.vigil).
	Own []filewatch.Own
	// Rescan is the period of the full comparison with the baseline
	// (filewatch.DefaultRescan when 0, never when negative).
	Rescan time.Duration
	// ReadOnly and Hidden are made read-only, and unreadable too, for the
	// app with Landlock (through the sandbox re-exec), when the kernel has
	// it.
	ReadOnly, Hidden []string
	// Sandbox, when set, is a sandbox started early (package prestart):
	// the app starts through it even when it has nothing to apply. Run
	// takes it over; if Run is not called, Abort it.
	Sandbox *prestart.Sandbox
	// Exec, when set, judges every execve and execveat of the app's
	// processes (the filter reports them) and reports what its rules and
	// the baseline say (package procwatch).
	Exec *procwatch.ExecConfig
	// ExecOnly, when set, are the only files the app may execute, enforced
	// with Landlock (drift: deny): the baseline's executables.
	ExecOnly []string
	// FileRules turns on the default pack's rules on file calls, with the
	// exec watch: files.log-clearing (a log under /var/log truncated) and
	// files.link-sensitive (a link made to a sensitive file).
	FileRules bool
	// Traversal, with FileRules, turns on files.traversal (opt-in): every
	// open is held, and one whose path goes through ".." to a sensitive
	// file is reported.
	Traversal bool
	// Network, when set, judges the app's connects (and with network
	// policy its binds and sends with an address): the filter reports them
	// (package netwatch).
	Network *netwatch.Policy
	// LearnNetwork, with Network and Learn, is told every address the app
	// connected, sent to or bound (a learning run holds every such call).
	LearnNetwork func(netwatch.Attempt)
	// NetworkTCP is what Landlock enforces of the network policy: the
	// only TCP ports the app may connect to and bind (ABI 4+).
	NetworkTCP netwatch.TCPPorts
	// RulesOff are the built-in rules of the pack turned off: their
	// events are not made (rules.BuiltinRules).
	RulesOff []string
	// Scan, when set, is the /proc scan run beside the app: outsiders,
	// fileless or drifted executables, unexpected root, listeners, reverse
	// shells, CPU hogs (package procwatch). Its InBaseline is set here,
	// from the baseline.
	Scan *procwatch.ScanConfig
	// Workload and Hostname identify the container in events.
	Workload, Hostname string
}

// DefaultConfig returns a Config with every default set.
func DefaultConfig() Config {
	return Config{Grace: DefaultGrace, SensitiveLate: DefaultSensitiveLate}
}

// Validate reports the first problem that would keep the app from starting.
func (c Config) Validate() error {
	if len(c.Args) == 0 || c.Args[0] == "" {
		return ErrNoCommand
	}
	if c.Grace < 0 {
		return fmt.Errorf("grace period %s is negative", c.Grace)
	}
	if (c.Seccomp != nil || c.Exec != nil || c.Scan != nil || c.Network != nil || c.watchesFiles() || len(c.ReadOnly)+len(c.Hidden) > 0) && (c.Events == nil || c.Workload == "") {
		return fmt.Errorf("a seccomp filter or a baseline needs an event sink and a workload name")
	}
	return nil
}

// landlocks reports whether c asks Landlock for anything beyond the
// app's own domain (files read-only or hidden, execute rights, TCP ports).
func (c *Config) landlocks() bool {
	return len(c.ReadOnly)+len(c.Hidden) > 0 || c.ExecOnly != nil || c.NetworkTCP.HandleConnect || c.NetworkTCP.HandleBind
}

// watchesFiles reports whether c asks for a file watch.
func (c *Config) watchesFiles() bool {
	return c.Baseline != nil || c.BaselineFile != "" || len(c.Sensitive) > 0 || len(c.Own) > 0
}
