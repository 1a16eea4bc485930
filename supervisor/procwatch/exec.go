package procwatch

import (
	"errors"
	"sync"
	"syscall"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor/filewatch"
)

// The rules of exec events vigil itself applies (the policy's rules are
// named by the policy, see rules.ExecSection).
const (
	RuleExecDrift    = "exec.drift"    // a file not in the baseline, or changed since
	RuleExecFileless = "exec.fileless" // a memfd, a deleted file, a file run through a descriptor
	RuleExecLoader   = "exec.loader"   // the dynamic loader asked to run a file
)

// Judge is the policy's verdict on an execution and the rule that gave it
// (rules.ExecJudge); nil allows everything.
type Judge func(c *rules.ExecCall) (rules.Verdict, string)

// Pack lists the rule pack's rules that match an execution
// (rules.PackJudge); nil matches none.
type Pack func(c *rules.ExecCall) []rules.PackMatch

// ExecConfig says how executions are judged.
type ExecConfig struct {
	// Judge is the policy's exec section.
	Judge Judge
	// Pack is the rule pack's exec rules: each match is reported, and a
	// deny rule's refuses the execution.
	Pack Pack
	// Drift is the effective drift mode (rules.ExecSection.EffectiveDrift).
	Drift rules.Drift
	// Enforced says that the kernel refuses drift by itself (Landlock
	// grants the execute right only on the baseline's executables, and
	// memfds are made without it): the notification is then the report.
	Enforced bool
	// Self is vigil's pid: ancestry stops below it.
	Self int
	// Learned, when set, is told every file executed (vigil learn):
	// its resolved path and argv[0].
	Learned func(path, argv0 string)
}

// Execs judges the executions of the app's processes. Inspect and Decide
// run while the call is held, on the notify loop; Report after it was
// answered.
type Execs struct {
	cfg ExecConfig

	mu       sync.Mutex
	baseline *filewatch.Manifest // nil until SetBaseline
	loaded   chan struct{}       // closed by SetBaseline
	once     sync.Once
	hashes   hashCache
	paths    paths // the real paths of executed files (Inspect)
}

// NewExecs returns a judge of executions; drift needs SetBaseline.
func NewExecs(cfg ExecConfig) *Execs {
	return &Execs{cfg: cfg, loaded: make(chan struct{})}
}

// SetBaseline gives the build-time baseline (nil: it could not be read,
// and drift is judged "unknown").
func (x *Execs) SetBaseline(m *filewatch.Manifest) {
	x.once.Do(func() {
		x.mu.Lock()
		x.baseline = m
		x.mu.Unlock()
		close(x.loaded)
	})
}

// Loaded is closed once SetBaseline has been called.
func (x *Execs) Loaded() <-chan struct{} { return x.loaded }

// Verdict is what happens to a held execution.
type Verdict struct {
	// Errno refuses the call; 0 lets it go on.
	Errno syscall.Errno
	// Rule and Verdict are the policy's, when one of its rules (or its
	// default) said alert or deny.
	Rule    string
	Verdict rules.Verdict
	// Drift is the baseline's status when it was judged while held
	// (drift: deny), else "".
	Drift string
	// Pack are the rule pack's rules that matched.
	Pack []rules.PackMatch
}

// Decide judges e while its call is held: the policy's rules, and under
// drift: deny the baseline (Landlock refuses the same files; answering
// here refuses a file changed in place too, which keeps its grant).
func (x *Execs) Decide(e *Exec) Verdict {
	var v Verdict
	if !e.Exists {
		return v // the kernel says ENOENT; $PATH lookups make many
	}
	c := e.call()
	if x.cfg.Judge != nil {
		v.Verdict, v.Rule = x.cfg.Judge(c)
		if v.Verdict == rules.VerdictDeny {
			v.Errno = syscall.EACCES
		}
	}
	if x.cfg.Pack != nil {
		v.Pack = x.cfg.Pack(c)
		for _, m := range v.Pack {
			if m.Action == rules.VerdictDeny {
				v.Errno = syscall.EACCES
			}
		}
	}
	if x.cfg.Drift == rules.DriftDeny {
		v.Drift = x.drift(e)
		if v.Drift == driftAbsent || v.Drift == driftChanged || e.Fileless == "memfd" || e.Fileless == "deleted" {
			v.Errno = syscall.EACCES
		}
	}
	return v
}

// The baseline's statuses of an executed file (events.ExecDetails.Baseline).
const (
	driftUnchanged = "unchanged"
	driftChanged   = "changed"
	driftAbsent    = "absent"
	driftUnknown   = "unknown"
)

// Report builds the events e gives rise to, once its call was answered
// with v: drift and fileless execution, the loader run on a file, the
// policy's rule when it said alert or deny, and each rule pack match. It waits for the baseline when
// drift is judged and the baseline is still being read.
func (x *Execs) Report(e *Exec, v Verdict) []events.Event {
	if !e.Exists {
		return nil
	}
	if x.cfg.Learned != nil && v.Errno == 0 {
		argv0 := ""
		if len(e.Argv) > 0 {
			argv0 = e.Argv[0]
		}
		x.cfg.Learned(e.Path, argv0)
	}
	var out []events.Event
	d := e.details(v)
	add := func(rule string, sev events.Severity) {
		if len(out) == 0 {
			e.complete(x.cfg.Self) // only for an event: it costs a read per ancestor
		}
		act := events.ActionAlert
		if v.Errno != 0 {
			act = events.ActionDeny
		}
		ev := events.New(events.KindExec, rule, sev, act)
		ev.Process = e.Caller
		if err := ev.SetDetails(d); err == nil {
			out = append(out, ev)
		}
	}
	if x.cfg.Drift != rules.DriftOff && x.cfg.Drift != "" {
		if d.Baseline = v.Drift; d.Baseline == "" {
			<-x.loaded
			d.Baseline = x.drift(e)
		}
	} else {
		d.Baseline = driftUnknown
	}
	drifted := d.Baseline == driftAbsent || d.Baseline == driftChanged
	switch {
	case e.Fileless == "memfd" || e.Fileless == "deleted" || (e.Fileless == "fd" && (drifted || d.Baseline == driftUnknown)):
		// A file run through a descriptor is fileless unless the baseline
		// vouches for it.
		add(RuleExecFileless, events.SeverityCritical)
	case drifted:
		add(RuleExecDrift, events.SeverityHigh)
	}
	if e.Loaded != "" {
		add(RuleExecLoader, events.SeverityHigh)
	}
	switch v.Verdict {
	case rules.VerdictAlert:
		add(v.Rule, events.SeverityMedium)
	case rules.VerdictDeny:
		add(v.Rule, events.SeverityHigh)
	}
	for _, m := range v.Pack {
		add(m.Name, events.Severity(m.Severity))
	}
	return out
}

// NeedsReport says whether Report could find anything to report of e,
// answered with v, so that the many executions that give nothing are not
// handed to the reporter at all: it is false only when no rule said
// anything, the file is neither fileless nor the loader, and drift is off
// or the file's content is already known to be the baseline's.
func (x *Execs) NeedsReport(e *Exec, v Verdict) bool {
	switch {
	case !e.Exists:
		return false
	case e.Fileless != "", e.Loaded != "", v.Verdict == rules.VerdictAlert, v.Verdict == rules.VerdictDeny, v.Errno != 0, len(v.Pack) > 0, x.cfg.Learned != nil:
		return true
	case x.cfg.Drift == rules.DriftOff || x.cfg.Drift == "":
		return false
	case v.Drift != "":
		return v.Drift != driftUnchanged && v.Drift != driftUnknown
	}
	select {
	case <-x.loaded:
	default:
		return true // judged once the baseline is read
	}
	return x.judgeDrift(e, true) != driftUnchanged
}

// drift is what the baseline says of e's file.
func (x *Execs) drift(e *Exec) string { return x.judgeDrift(e, false) }

// judgeDrift is drift; with cachedOnly, a file whose hash is not cached
// yet is "changed" (judged again, by Report, which hashes it).
func (x *Execs) judgeDrift(e *Exec, cachedOnly bool) string {
	x.mu.Lock()
	m := x.baseline
	x.mu.Unlock()
	switch {
	case e.Fileless == "memfd":
		return driftAbsent // never in an image
	case m == nil:
		return driftUnknown
	}
	ent, ok := m.Lookup(e.Path)
	switch {
	case e.Fileless == "deleted":
		return driftAbsent
	case !ok && x.cfg.Drift != rules.DriftDeny && !WithinRoots(e.Path, m.Roots):
		// The baseline takes no stand on trees it did not record (only
		// Landlock does, under drift: deny).
		return driftUnknown
	case !ok:
		return driftAbsent
	}
	if ent.Type != filewatch.TypeFile || ent.Size != e.id.size || ent.Mode&0o7777 != e.mode&0o7777 {
		return driftChanged
	}
	if cachedOnly && !x.hashes.has(e) {
		return driftChanged
	}
	sum, err := x.hashes.sum(e)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return driftChanged // larger than it was
		}
		return driftUnknown
	}
	if sum != ent.SHA256 {
		return driftChanged
	}
	return driftUnchanged
}

// details are e as an exec event says it; Baseline is filled by Report.
func (e *Exec) details(v Verdict) events.ExecDetails {
	d := events.ExecDetails{
		Path: e.Path, Argv: e.Argv, Cwd: e.Cwd, Fileless: e.Fileless, Loaded: e.Loaded,
		Errno: int(v.Errno),
	}
	if e.Requested != e.Path {
		d.Requested = e.Requested
	}
	if d.Argv == nil {
		d.Argv = []string{} // unreadable: still a list
	}
	return d
}

// call is e to judge; the caller's facts are read when a rule asks.
func (e *Exec) call() *rules.ExecCall {
	c := &rules.ExecCall{Path: e.Path, Argv: e.Argv}
	fill := func(c *rules.ExecCall) {
		e.ReadCaller() // a no-op for an Exec that Inspect did not make: its facts are set
		c.UID, c.ParentExe, c.ParentArgv0, c.TTY = e.UID, e.ParentExe, e.ParentArgv0, e.TTY
		if e.Caller != nil {
			c.ParentArgv = e.Caller.Argv
		}
	}
	if e.callerRead || e.pid == 0 {
		fill(c)
	} else {
		c.Caller = fill
	}
	return c
}

// WithinRoots reports whether path is under one of the baseline's roots
// (any path, with no roots).
func WithinRoots(path string, roots []string) bool {
	for _, r := range roots {
		if filewatch.IsUnder(path, r) {
			return true
		}
	}
	return len(roots) == 0
}
