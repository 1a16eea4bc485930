package rules

import "fmt"

// PackJudge is a rule pack's exec rules compiled for matching. Match does
// not allocate when nothing matches, and it may be used by several
// goroutines at once.
type PackJudge struct {
	rules []packMatcher
	// byProgram and others index the rules by the names their programs
	// must have, so that an execution is tried only against the rules it
	// could match: byProgram has, for each literal program name, the rules
	// (bits, by index) with an alternative that needs it; others are those
	// with an alternative that needs no literal name. Without an index
	// (more than 64 rules) every rule is tried.
	byProgram map[string]uint64
	others    uint64
	indexed   bool
}

type packMatcher struct {
	match PackMatch
	alts  []packAlt
}

// packAlt is one PackExec compiled: the positive conditions as an exec
// rule's, then the negations.
type packAlt struct {
	execMatcher
	notProgram, notParent, notPath, notArgs []glob
	tty                                     bool
}

// ExecMatcher compiles the pack's exec rules (its syscall rules are
// SeccompRules).
func (p *Pack) ExecMatcher() (*PackJudge, error) {
	j := &PackJudge{}
	for i := range p.Rules {
		r := &p.Rules[i]
		if len(r.Exec) == 0 {
			continue
		}
		m := packMatcher{match: PackMatch{Name: r.Name, Severity: r.Severity, Action: r.effectiveAction()}}
		for k := range r.Exec {
			a, err := r.Exec[k].compile(r.Name)
			if err != nil {
				return nil, err
			}
			m.alts = append(m.alts, a)
		}
		j.rules = append(j.rules, m)
	}
	j.index()
	return j, nil
}

// index fills byProgram and others (see PackJudge).
func (j *PackJudge) index() {
	if len(j.rules) > 64 {
		return
	}
	j.byProgram, j.indexed = map[string]uint64{}, true
	for i := range j.rules {
		bit := uint64(1) << i
		for k := range j.rules[i].alts {
			names, ok := literalNames(j.rules[i].alts[k].program)
			if !ok {
				j.others |= bit
				continue
			}
			for _, n := range names {
				j.byProgram[n] |= bit
			}
		}
	}
}

// literalNames are the names a program condition matches when each of its
// patterns is a literal; false when one is a glob, or there is no
// condition.
func literalNames(program []glob) ([]string, bool) {
	if program == nil {
		return nil, false
	}
	names := make([]string, len(program))
	for i := range program {
		if !program[i].isLit {
			return nil, false
		}
		names[i] = program[i].literal
	}
	return names, true
}

func (x *PackExec) compile(name string) (packAlt, error) {
	ms, err := compileRules([]ExecRule{{Name: name, Path: x.Path, Program: x.Program, Args: x.Args, Parent: x.Parent, UID: x.UID}}, "pack")
	if err != nil {
		return packAlt{}, err
	}
	a := packAlt{execMatcher: ms[0], tty: x.TTY}
	for _, g := range []struct {
		dst      *[]glob
		patterns []string
		flat     bool
	}{{&a.notProgram, x.NotProgram, false}, {&a.notParent, x.NotParent, false}, {&a.notPath, x.NotPath, false}, {&a.notArgs, x.NotArgs, true}} {
		if *g.dst, err = compileGlobs(g.patterns, g.flat); err != nil {
			return packAlt{}, fmt.Errorf("compiling pack rule %s: %w", name, err)
		}
	}
	return a, nil
}

// Match lists the pack rules that match c, in the pack's order; nil when
// none does. A nil judge matches nothing.
func (j *PackJudge) Match(c *ExecCall) []PackMatch {
	if j == nil {
		return nil
	}
	f := packFacts(c)
	candidates := ^uint64(0)
	if j.indexed {
		candidates = j.others | j.byProgram[f.argv0Base] | j.byProgram[f.pathBase]
		if f.applet != "" {
			candidates |= j.byProgram[f.applet]
		}
	}
	var out []PackMatch
	for i := range j.rules {
		if j.indexed && candidates&(1<<i) == 0 {
			continue
		}
		r := &j.rules[i]
		for k := range r.alts {
			if r.alts[k].matches(&f) {
				out = append(out, r.match)
				break
			}
		}
	}
	return out
}

// multiCall reports whether a program's file is a multi-call binary, whose
// argv[0] (or argv[1], run by its own name) says what it runs.
func multiCall(base string) bool { return base == "busybox" || base == "toybox" }

func packFacts(c *ExecCall) execFacts {
	f := execFacts{call: c, pathBase: base(c.Path), pack: true}
	if len(c.Argv) > 0 {
		f.argv0Base = base(c.Argv[0])
	}
	if multiCall(f.argv0Base) && len(c.Argv) > 1 {
		f.applet = base(c.Argv[1])
	}
	return f
}

func (a *packAlt) matches(f *execFacts) bool {
	return a.execMatcher.matches(f) &&
		(a.notPath == nil || !anyMatch(a.notPath, f.call.Path)) &&
		(a.notArgs == nil || !anyArgMatch(a.notArgs, f.call.Argv)) &&
		(a.notProgram == nil || !a.notProgramMatches(f)) &&
		(!a.tty || f.caller().call.TTY) &&
		(a.notParent == nil || !a.notParentMatches(f.caller()))
}

// notProgramMatches judges by the file, and by argv[0] or the applet only
// for a multi-call binary: a program cannot name its way out of a rule.
func (a *packAlt) notProgramMatches(f *execFacts) bool {
	if multiCall(f.pathBase) {
		return anyMatch(a.notProgram, f.argv0Base, f.applet)
	}
	return anyMatch(a.notProgram, f.pathBase)
}

// notParentMatches judges the caller as notProgramMatches the program; a
// caller whose executable could not be read is judged by its argv[0].
func (a *packAlt) notParentMatches(f *execFacts) bool {
	switch {
	case f.call.ParentExe == "", multiCall(f.parentExeBase):
		return anyMatch(a.notParent, f.parentArgv0Base, f.parentApplet)
	}
	return anyMatch(a.notParent, f.parentExeBase, f.call.ParentExe)
}

func anyArgMatch(globs []glob, argv []string) bool {
	for i := range globs {
		if argMatch(&globs[i], argv) {
			return true
		}
	}
	return false
}
