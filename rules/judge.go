package rules

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// ExecCall is an execution to judge, as the supervisor decoded it.
type ExecCall struct {
	// Path is the file executed, absolute, symlinks resolved.
	Path string
	// Argv is the new program's argv, argv[0] included.
	Argv []string
	// ParentExe and ParentArgv0 are the caller's executable path and
	// argv[0], as they were before the exec: the program that runs the new
	// one.
	ParentExe   string
	ParentArgv0 string
	// UID is the caller's real uid: a fact of the caller, as below.
	UID uint32
	// ParentArgv is the caller's whole argv (ParentArgv0 first): a
	// multi-call binary run as "busybox sh" is the applet sh.
	ParentArgv []string
	// TTY is whether the caller's standard input is a terminal.
	TTY bool
	// Caller, when set, fills UID, ParentExe, ParentArgv0, ParentArgv and
	// TTY.
	// The judges call it at most once, and only for a rule whose cheaper
	// conditions matched and which looks at the caller, so that the
	// supervisor reads the caller's /proc only then.
	Caller func(*ExecCall)
}

// loadCaller fills the caller's facts, once.
func (c *ExecCall) loadCaller() {
	if fill := c.Caller; fill != nil {
		c.Caller = nil
		fill(c)
	}
}

// ExecJudge is an exec section compiled for judging. Its methods do not
// allocate, and it may be used by several goroutines at once.
type ExecJudge struct {
	deny, allow []execMatcher
	def         Verdict
}

// execMatcher is one compiled rule; a nil list is a condition not set.
type execMatcher struct {
	name                        string
	uids                        []uidRange
	program, path, parent, args []glob
}

type uidRange struct{ first, last uint32 }

// Compile checks s (as Validate does) and compiles its rules. A nil s is a
// judge that allows every execution.
func (s *ExecSection) Compile() (*ExecJudge, error) {
	j := &ExecJudge{def: s.EffectiveDefault()}
	if s == nil {
		return j, nil
	}
	c := &checker{file: "policy"}
	s.check(c)
	if err := errors.Join(sorted(c.problems)...); err != nil {
		return nil, fmt.Errorf("compiling the exec section: %w", err)
	}
	var err error
	if j.deny, err = compileRules(s.Deny, "deny"); err != nil {
		return nil, err
	}
	if j.allow, err = compileRules(s.Allow, "allow"); err != nil {
		return nil, err
	}
	return j, nil
}

func compileRules(rules []ExecRule, list string) ([]execMatcher, error) {
	ms := make([]execMatcher, len(rules))
	for i := range rules {
		r := &rules[i]
		m := &ms[i]
		m.name = r.ruleName(list, i)
		var err error
		for _, g := range []struct {
			dst      *[]glob
			patterns []string
			flat     bool
		}{{&m.path, r.Path, false}, {&m.program, r.Program, false}, {&m.parent, r.Parent, false}, {&m.args, r.Args, true}} {
			if *g.dst, err = compileGlobs(g.patterns, g.flat); err != nil {
				return nil, fmt.Errorf("compiling exec rule %s: %w", m.name, err)
			}
		}
		for _, u := range r.UID {
			ur, ok := parseUIDRange(u)
			if !ok {
				return nil, fmt.Errorf("compiling exec rule %s: invalid uid %q", m.name, u)
			}
			m.uids = append(m.uids, ur)
		}
	}
	return ms, nil
}

func compileGlobs(patterns []string, flat bool) ([]glob, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	gs := make([]glob, len(patterns))
	for i, p := range patterns {
		var err error
		if gs[i], err = compileGlob(p, flat); err != nil {
			return nil, fmt.Errorf("invalid glob %q: %w", p, err)
		}
	}
	return gs, nil
}

// parseUIDRange parses "N" or "first-last", decimal, below 4294967295
// ((uid_t)-1), first <= last.
func parseUIDRange(s string) (uidRange, bool) {
	a, b, isRange := strings.Cut(s, "-")
	first, ok := parseID(a)
	if !ok {
		return uidRange{}, false
	}
	last := first
	if isRange {
		if last, ok = parseID(b); !ok || first > last {
			return uidRange{}, false
		}
	}
	return uidRange{first, last}, true
}

// execFacts are what the conditions look at, worked out once per call.
type execFacts struct {
	call                *ExecCall
	argv0Base, pathBase string
	// applet and parentApplet are argv[1] of a multi-call binary run by
	// its own name ("busybox sh"); only the rule pack (pack) sets them.
	applet string
	pack   bool
	// The caller's, worked out by caller at first use.
	callerRead                                   bool
	parentExeBase, parentArgv0Base, parentApplet string
}

// caller makes the caller's facts known (ExecCall.Caller) and returns f.
func (f *execFacts) caller() *execFacts {
	if !f.callerRead {
		f.callerRead = true
		f.call.loadCaller()
		f.parentExeBase, f.parentArgv0Base = base(f.call.ParentExe), base(f.call.ParentArgv0)
		if f.pack && multiCall(f.parentArgv0Base) && len(f.call.ParentArgv) > 1 {
			f.parentApplet = base(f.call.ParentArgv[1])
		}
	}
	return f
}

// Judge gives the verdict of an execution and the rule that decided it:
// the first deny rule that matches (VerdictDeny), else the first allow rule
// (VerdictAllow), else the section's default, under ExecDefaultRule. A nil
// judge allows everything.
func (j *ExecJudge) Judge(c *ExecCall) (v Verdict, rule string) {
	if j == nil {
		return VerdictAllow, ExecDefaultRule
	}
	f := execFacts{call: c, pathBase: base(c.Path)}
	if len(c.Argv) > 0 {
		f.argv0Base = base(c.Argv[0])
	}
	for i := range j.deny {
		if j.deny[i].matches(&f) {
			return VerdictDeny, j.deny[i].name
		}
	}
	for i := range j.allow {
		if j.allow[i].matches(&f) {
			return VerdictAllow, j.allow[i].name
		}
	}
	return j.def, ExecDefaultRule
}

// base is path.Base, except that an unknown (empty) name stays empty.
func base(name string) string {
	if name == "" {
		return ""
	}
	return path.Base(name)
}

// matches tries the new program's conditions first, and the caller's
// last: it may have to be read.
func (m *execMatcher) matches(f *execFacts) bool {
	return (m.program == nil || anyMatch(m.program, f.argv0Base, f.pathBase, f.applet)) &&
		(m.path == nil || anyMatch(m.path, f.call.Path)) &&
		(m.args == nil || m.argsMatch(f.call.Argv)) &&
		(m.uids == nil || m.uidMatches(f.caller().call.UID)) &&
		(m.parent == nil || anyMatch(m.parent, f.caller().parentExeBase, f.parentArgv0Base, f.call.ParentExe, f.parentApplet))
}

func (m *execMatcher) uidMatches(uid uint32) bool {
	for _, r := range m.uids {
		if r.first <= uid && uid <= r.last {
			return true
		}
	}
	return false
}

// anyMatch reports whether a glob matches one of the names; an empty name
// (unknown) matches none.
func anyMatch(globs []glob, names ...string) bool {
	for i := range globs {
		for _, n := range names {
			if n != "" && globs[i].match(n) {
				return true
			}
		}
	}
	return false
}

// argsMatch: every pattern matches at least one argument after argv[0].
func (m *execMatcher) argsMatch(argv []string) bool {
	if len(argv) < 2 {
		return false
	}
	for i := range m.args {
		if !argMatch(&m.args[i], argv) {
			return false
		}
	}
	return true
}

// argMatch: g matches an argument after argv[0].
func argMatch(g *glob, argv []string) bool {
	for i := 1; i < len(argv); i++ {
		if g.match(argv[i]) {
			return true
		}
	}
	return false
}
