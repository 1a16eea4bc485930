package rules

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ProfileLoader loads a base seccomp profile: DockerDefault or a path,
// already resolved against the policy file's directory. The supervisor's
// seccomp.LoadProfile, plus the embedded Docker profile, is one.
type ProfileLoader func(profile string) (*specs.LinuxSeccomp, error)

// specActions maps policy actions to the OCI spec's.
var specActions = map[Action]specs.LinuxSeccompAction{
	ActionAllow:      specs.ActAllow,
	ActionErrno:      specs.ActErrno,
	ActionKill:       specs.ActKillProcess,
	ActionKillThread: specs.ActKillThread,
	ActionLog:        specs.ActLog,
}

// specOps maps policy comparisons to the OCI spec's.
var specOps = map[Op]specs.LinuxSeccompOperator{
	OpEq:       specs.OpEqualTo,
	OpNe:       specs.OpNotEqual,
	OpLt:       specs.OpLessThan,
	OpLe:       specs.OpLessEqual,
	OpGt:       specs.OpGreaterThan,
	OpGe:       specs.OpGreaterEqual,
	OpMaskedEq: specs.OpMaskedEqual,
}

// ProfilePath is the seccomp profile as the loader receives it:
// DockerDefault, a path resolved against the policy file's directory, or ""
// when there is none.
func (p *Policy) ProfilePath() string {
	if p.Seccomp == nil {
		return ""
	}
	prof := p.Seccomp.Profile
	if prof == "" || prof == DockerDefault || filepath.IsAbs(prof) {
		return prof
	}
	return filepath.Join(filepath.Dir(p.file), prof)
}

// SeccompSpec is the filter the policy asks for, nil when it has no seccomp
// section: the base profile from load, or an empty one when there is none,
// with the policy's rules before the profile's (the first matching rule
// wins) and defaultAction and defaultErrno replacing the profile's when set.
// The profile load returns is not changed.
func (p *Policy) SeccompSpec(load ProfileLoader) (*specs.LinuxSeccomp, error) {
	if p.Seccomp == nil {
		return nil, nil
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	base, err := p.baseProfile(load)
	if err != nil {
		return nil, fmt.Errorf("building seccomp filter of %s: %w", cmp.Or(p.file, "policy"), err)
	}
	out := *base
	out.Syscalls = append(p.Seccomp.syscalls(), base.Syscalls...)
	if a := p.Seccomp.DefaultAction; a != "" {
		out.DefaultAction = specActions[a]
		out.DefaultErrnoRet = errnoRet(a, p.Seccomp.DefaultErrno)
	}
	return &out, nil
}

func (p *Policy) baseProfile(load ProfileLoader) (*specs.LinuxSeccomp, error) {
	path := p.ProfilePath()
	if path == "" {
		return &specs.LinuxSeccomp{}, nil
	}
	s, err := load(path)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("profile %s: %w", path, ErrNoProfile)
	}
	return s, nil
}

// SeccompRuleName names rule i of the spec SeccompSpec returns, in events:
// the policy rule's name (seccomp.rules.<index> when it has none) or, past
// them, seccomp.profile.<index> for the profile's rule at that index of its
// syscalls.
func (p *Policy) SeccompRuleName(i int) string {
	var rules []Rule
	if p.Seccomp != nil {
		rules = p.Seccomp.Rules
	}
	switch {
	case i < 0:
		return ""
	case i >= len(rules):
		return ProfileRuleName(i - len(rules))
	case rules[i].Name != "":
		return rules[i].Name
	}
	return "seccomp.rules." + strconv.Itoa(i)
}

// ProfileRuleName names rule i of a seccomp profile's syscalls in events.
func ProfileRuleName(i int) string { return "seccomp.profile." + strconv.Itoa(i) }

func (s *SeccompSection) syscalls() []specs.LinuxSyscall {
	out := make([]specs.LinuxSyscall, 0, len(s.Rules))
	for _, r := range s.Rules {
		out = append(out, r.syscall())
	}
	return out
}

func (r *Rule) syscall() specs.LinuxSyscall {
	sc := specs.LinuxSyscall{
		Names:    append([]string(nil), r.Names...),
		Action:   specActions[r.Action],
		ErrnoRet: errnoRet(r.Action, r.Errno),
	}
	for _, a := range r.Args {
		sc.Args = append(sc.Args, a.spec())
	}
	return sc
}

// spec keeps the OCI meaning of MASKED_EQ: Value is the mask, ValueTwo
// what the masked argument must equal.
func (a *ArgCondition) spec() specs.LinuxSeccompArg {
	arg := specs.LinuxSeccompArg{Index: uint(a.Index), Value: a.Value, Op: specOps[a.Op]}
	if a.ValueTwo != nil {
		arg.ValueTwo = *a.ValueTwo
	}
	return arg
}

// errnoRet is the OCI errnoRet of an action: set for errno (EPERM unless
// given), nil otherwise.
func errnoRet(a Action, errno string) *uint {
	if a != ActionErrno {
		return nil
	}
	v, _ := errnoValue(errno)
	return &v
}
