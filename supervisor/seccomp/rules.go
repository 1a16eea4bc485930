package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// rule is one syscall of one profile rule, translated for one architecture.
// The BPF program and Filter.Outcome are both derived from a []rule, in
// order, so they cannot disagree.
type rule struct {
	nr uint32 // syscall number
	// alts are alternative condition sets: the rule matches when every
	// condition of any one set holds. nil means unconditional.
	alts [][]cond
	out  Outcome
}

// cond is one comparison of a 64-bit syscall argument, unsigned, as
// libseccomp does it.
type cond struct {
	arg   uint32
	op    specs.LinuxSeccompOperator
	value uint64 // the mask for SCMP_CMP_MASKED_EQ
	want  uint64 // SCMP_CMP_MASKED_EQ only: valueTwo
}

// translate turns the profile's rules into rules for a. Names a does not know
// are skipped and returned in unknown.
func translate(s *specs.LinuxSeccomp, a *archTable) (rules []rule, unknown []string, err error) {
	for i, sc := range s.Syscalls {
		out, err := outcomeOf(sc.Action, sc.ErrnoRet, i)
		if err != nil {
			return nil, nil, fmt.Errorf("syscall rule %d (%v): %w", i, sc.Names, err)
		}
		alts, err := alternatives(sc.Args)
		if err != nil {
			return nil, nil, fmt.Errorf("syscall rule %d (%v): %w", i, sc.Names, err)
		}
		for _, name := range sc.Names {
			nr, ok := a.number(name)
			if !ok {
				unknown = append(unknown, name)
				continue
			}
			rules = append(rules, rule{nr: nr, alts: alts, out: out})
		}
	}
	return rules, unknown, nil
}

// alternatives translates a rule's argument comparisons. Like runc, it ANDs
// them, except when one argument index appears twice: then each comparison
// is a rule of its own (OR), which is what libseccomp did before it could
// AND comparisons of one argument.
func alternatives(args []specs.LinuxSeccompArg) ([][]cond, error) {
	if len(args) == 0 {
		return nil, nil
	}
	conds := make([]cond, 0, len(args))
	for _, a := range args {
		c, err := condition(a)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	if !repeatsIndex(args) {
		return [][]cond{conds}, nil
	}
	alts := make([][]cond, 0, len(conds))
	for _, c := range conds {
		alts = append(alts, []cond{c})
	}
	return alts, nil
}

func repeatsIndex(args []specs.LinuxSeccompArg) bool {
	var seen [6]bool
	for _, a := range args {
		if seen[a.Index] {
			return true
		}
		seen[a.Index] = true
	}
	return false
}

func condition(a specs.LinuxSeccompArg) (cond, error) {
	if a.Index > 5 {
		return cond{}, fmt.Errorf("argument index %d is above 5", a.Index)
	}
	switch a.Op {
	case specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual:
	default:
		return cond{}, fmt.Errorf("argument %d: unknown operator %q", a.Index, a.Op)
	}
	c := cond{arg: uint32(a.Index), op: a.Op, value: a.Value}
	if a.Op == specs.OpMaskedEqual {
		c.want = a.ValueTwo
	}
	return c, nil
}

// matches evaluates r in Go, with the semantics of the BPF emitted for it.
func (r *rule) matches(args *[6]uint64) bool {
	if r.alts == nil {
		return true
	}
	for _, conds := range r.alts {
		if holdAll(conds, args) {
			return true
		}
	}
	return false
}

func holdAll(conds []cond, args *[6]uint64) bool {
	for _, c := range conds {
		if !c.holds(args[c.arg]) {
			return false
		}
	}
	return true
}

func (c cond) holds(v uint64) bool {
	switch c.op {
	case specs.OpEqualTo:
		return v == c.value
	case specs.OpNotEqual:
		return v != c.value
	case specs.OpLessThan:
		return v < c.value
	case specs.OpLessEqual:
		return v <= c.value
	case specs.OpGreaterThan:
		return v > c.value
	case specs.OpGreaterEqual:
		return v >= c.value
	case specs.OpMaskedEqual:
		return v&c.value == c.want
	}
	panic(fmt.Sprintf("bug: operator %q passed translation", c.op))
}
