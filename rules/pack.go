package rules

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// PackKind is the kind of a rule pack file.
const PackKind = "RulePack"

// defaultPack is the default rule pack (docs/rules.md), as written; and
// defaultPackJSON the same, parsed and checked at build time (go generate:
// rules/internal/genpack), which is what vigil decodes at every start.
//
//go:embed pack/default.yaml
var defaultPack []byte

//go:embed pack/default.json
var defaultPackJSON []byte

//go:generate go run ./internal/genpack

// Severity ranks a pack rule's events, as events.Severity does.
type Severity string

// The severities, least urgent first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Pack is a rule pack: named detections of what an attacker does in a
// container, each an exec match or a seccomp rule; and, for the default
// pack, the built-in rules (BuiltinRules) vigil applies in code.
type Pack struct {
	Rules []PackRule
	// Off are the built-in rules turned off; Enabled the opt-in ones
	// (OptInRules) turned on.
	Off     []string
	Enabled []string
}

// BuiltinRules are the default pack's rules that vigil applies in code
// rather than as an exec match or a seccomp rule (the file calls, the
// network concern, the /proc scan): turned off like the others, and
// documented in docs/files.md, docs/network.md and docs/process.md.
var BuiltinRules = []string{
	"files.log-clearing", "files.link-sensitive", "files.sensitive-late",
	"net.cloud-metadata", "net.kubernetes-api",
	"proc.outsider", "proc.terminal-shell", "proc.fileless-running", "proc.drift-running",
	"proc.root", "proc.listener", "proc.reverse-shell", "proc.cpu-hog",
}

// OptInRules are the built-in rules that are off unless the policy turns
// them on (rules.enable): each costs a held call for every call of a kind
// (files.traversal: every open), where the others hold only rare ones.
var OptInRules = []string{"files.traversal"}

// On reports whether the rule named name is on in p; a nil p has none on.
func (p *Pack) On(name string) bool {
	if p == nil {
		return false
	}
	if slices.Contains(OptInRules, name) {
		return slices.Contains(p.Enabled, name) && !slices.Contains(p.Off, name)
	}
	if slices.Contains(BuiltinRules, name) {
		return !slices.Contains(p.Off, name)
	}
	return slices.ContainsFunc(p.Rules, func(r PackRule) bool { return r.Name == name })
}

// PackRule is one rule of a pack: exactly one of Exec and Syscall is set.
type PackRule struct {
	// Name is the rule's name in events: stable, documented in
	// docs/rules.md under that anchor.
	Name        string
	Description string
	Severity    Severity
	// Action is VerdictAlert (the default, when "") or VerdictDeny.
	Action Verdict
	// Exec are alternatives: the rule matches an execution that one of them
	// matches.
	Exec []PackExec
	// Syscall are seccomp rules (Names, Args, Errno; the action follows
	// Action: errno for deny, log for alert).
	Syscall []Rule

	pos positions
}

// PackExec matches an execution: every condition that is set must hold.
// Path, Program, Args, Parent and UID are those of ExecRule; the Not
// conditions hold when none of their patterns matches.
type PackExec struct {
	Path, Program, Args, Parent, UID []string
	// NotProgram and NotParent are judged by names the caller cannot
	// choose: the executable's base name and path, and the argv[0] (or
	// applet) only of a multi-call binary such as busybox.
	NotProgram, NotParent, NotPath []string
	// NotArgs: no argument after argv[0] matches one of them.
	NotArgs []string
	// TTY: the caller's standard input is a terminal.
	TTY bool

	pos positions
}

// PackMatch is a pack rule that matched an execution.
type PackMatch struct {
	Name     string
	Severity Severity
	Action   Verdict
}

// DefaultPack is the rule pack embedded in vigil, decoded from its
// checked JSON form (TestDefaultPackGenerated keeps it the YAML's).
func DefaultPack() (*Pack, error) {
	var p Pack
	if err := json.Unmarshal(defaultPackJSON, &p); err != nil {
		return nil, fmt.Errorf("decoding rules/pack/default.json: %w", err)
	}
	return &p, nil
}

// Names lists the pack's rule names, in order, then the built-in ones and
// the opt-in ones.
func (p *Pack) Names() []string {
	names := make([]string, len(p.Rules), len(p.Rules)+len(BuiltinRules)+len(OptInRules))
	for i := range p.Rules {
		names[i] = p.Rules[i].Name
	}
	return append(append(names, BuiltinRules...), OptInRules...)
}

// With is p with the named opt-in rules (OptInRules) on; any other name
// is an error.
func (p *Pack) With(names []string) (*Pack, error) {
	for _, n := range names {
		if !slices.Contains(OptInRules, n) {
			return nil, fmt.Errorf("rule pack: %q is not a rule to enable: want one of %s", n, oneOf(OptInRules))
		}
	}
	out := *p
	out.Enabled = append(slices.Clone(p.Enabled), names...)
	return &out, nil
}

// Without is p less the named rules; a name p does not have is an error.
func (p *Pack) Without(names []string) (*Pack, error) {
	for _, n := range names {
		if !slices.Contains(p.Names(), n) {
			return nil, fmt.Errorf("rule pack: no rule %q: want one of %s", n, oneOf(p.Names()))
		}
	}
	out := &Pack{Off: slices.Clone(p.Off), Enabled: slices.Clone(p.Enabled)}
	for _, n := range names {
		if slices.Contains(BuiltinRules, n) || slices.Contains(OptInRules, n) {
			out.Off = append(out.Off, n)
		}
	}
	for _, r := range p.Rules {
		if !slices.Contains(names, r.Name) {
			out.Rules = append(out.Rules, r)
		}
	}
	return out, nil
}

// effectiveAction is the rule's action, VerdictAlert when "".
func (r *PackRule) effectiveAction() Verdict {
	if r.Action == "" {
		return VerdictAlert
	}
	return r.Action
}

// SeccompRules are the pack's syscall rules as seccomp rules named by
// their pack rule: errno (EPERM unless set) for deny, log for alert.
func (p *Pack) SeccompRules() []Rule {
	var out []Rule
	for i := range p.Rules {
		r := &p.Rules[i]
		for _, sc := range r.Syscall {
			sc.Name, sc.Action = r.Name, ActionLog
			if r.effectiveAction() == VerdictDeny {
				sc.Action = ActionErrno
			} else {
				sc.Errno = ""
			}
			sc.Names, sc.Args = slices.Clone(sc.Names), slices.Clone(sc.Args)
			out = append(out, sc)
		}
	}
	return out
}

// SeverityOf is the severity of the pack rule named name, "" when p has
// none by that name.
func (p *Pack) SeverityOf(name string) Severity {
	for i := range p.Rules {
		if p.Rules[i].Name == name {
			return p.Rules[i].Severity
		}
	}
	return ""
}

// WithRules is s with rs evaluated before its own rules (the first match
// wins); a nil s is a filter that allows everything else. s is not changed.
func WithRules(s *specs.LinuxSeccomp, rs []Rule) *specs.LinuxSeccomp {
	out := specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	if s != nil {
		out = *s
	}
	calls := make([]specs.LinuxSyscall, 0, len(rs)+len(out.Syscalls))
	for i := range rs {
		calls = append(calls, rs[i].syscall())
	}
	out.Syscalls = append(calls, out.Syscalls...)
	return &out
}
