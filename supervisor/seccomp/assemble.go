package seccomp

import (
	"fmt"

	sbpf "github.com/elastic/go-seccomp-bpf"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// Offsets in struct seccomp_data.
const (
	offsetNr   = 0
	offsetArch = 4
	offsetArgs = 16
)

// maxInstructions is the kernel's BPF_MAXINSNS for classic BPF.
const maxInstructions = 4096

// assemble emits the notify-variant program: an architecture prologue, each
// rule in order (first match wins, as in Decide), the default return.
// Conditional jumps stay within a few instructions; longer distances use
// "ja", whose offset is 32 bits, so no program is too long to jump across.
func (f *Filter) assemble() ([]bpf.Instruction, error) {
	prog := f.prologue()
	for _, r := range f.rules {
		prog = append(prog, emitRule(r)...)
	}
	prog = append(prog, retOf(f.def))
	if len(prog) > maxInstructions {
		return nil, fmt.Errorf("BPF program has %d instructions, the kernel takes at most %d", len(prog), maxInstructions)
	}
	return prog, nil
}

func retOf(o Outcome) bpf.RetConstant {
	return bpf.RetConstant{Val: uint32(ret(o))}
}

// ret is what the notify variant returns for an outcome.
func ret(o Outcome) sbpf.Action {
	if o.Action == ActionAllow {
		return sbpf.ActionAllow
	}
	return sbpf.ActionUserNotify
}

// prologue sends every syscall of a foreign architecture or ABI to the
// listener and leaves the syscall number in A.
func (f *Filter) prologue() []bpf.Instruction {
	notify := bpf.RetConstant{Val: uint32(sbpf.ActionUserNotify)}
	p := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offsetArch, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: f.auditArch, SkipTrue: 1},
		notify,
		loadNr,
	}
	if f.x32 {
		p = append(p,
			bpf.JumpIf{Cond: bpf.JumpBitsNotSet, Val: x32Bit, SkipTrue: 1},
			notify)
	}
	return p
}

var loadNr = bpf.LoadAbsolute{Off: offsetNr, Size: 4}

// emitRule expects the syscall number in A and leaves it there.
//
//	unconditional:  jeq nr ? next : +1;  ret
//	conditional:    jeq nr ? next : +1;  ja end;  alt…;  end: ld nr
//
// Each alternative returns when all its conditions hold and falls through to
// the next when one fails; argument loads clobber A, hence the reload.
func emitRule(r rule) []bpf.Instruction {
	if r.alts == nil {
		return []bpf.Instruction{
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: r.nr, SkipFalse: 1},
			retOf(r.out),
		}
	}
	var alts []bpf.Instruction
	for _, conds := range r.alts {
		alts = append(alts, emitAlt(conds, retOf(r.out))...)
	}
	head := []bpf.Instruction{
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: r.nr, SkipTrue: 1},
		bpf.Jump{Skip: uint32(len(alts))},
	}
	return append(append(head, alts...), loadNr)
}

// emitAlt emits conditions that must all hold, then ret. Each condition ends
// in "ja" past the ret, taken when it fails.
func emitAlt(conds []cond, ret bpf.RetConstant) []bpf.Instruction {
	blocks := make([][]bpf.Instruction, len(conds))
	n := 1 // the ret
	for i, c := range conds {
		blocks[i] = c.emit()
		n += len(blocks[i]) + 1
	}
	var out []bpf.Instruction
	for _, b := range blocks {
		out = append(out, b...)
		out = append(out, bpf.Jump{Skip: uint32(n - len(out) - 1)})
	}
	return append(out, ret)
}

// emit compares the argument in two 32-bit halves, high first. The last
// instruction of the returned block is followed by the failure jump:
// "pass" skips it, "fail" falls into it.
func (c cond) emit() []bpf.Instruction {
	hi, lo := uint32(c.value>>32), uint32(c.value)
	b := block{}
	switch c.op {
	case specs.OpEqualTo:
		b.ld(c.arg, true).jeq(hi, next, fail).ld(c.arg, false).jeq(lo, pass, fail)
	case specs.OpNotEqual:
		b.ld(c.arg, true).jeq(hi, next, pass).ld(c.arg, false).jeq(lo, fail, pass)
	case specs.OpGreaterThan, specs.OpGreaterEqual:
		b.ld(c.arg, true).jgt(hi, pass, next).jeq(hi, next, fail).ld(c.arg, false)
		b.jcmp(c.op == specs.OpGreaterThan, lo, pass, fail)
	case specs.OpLessThan, specs.OpLessEqual:
		b.ld(c.arg, true).jgt(hi, fail, next).jeq(hi, next, pass).ld(c.arg, false)
		b.jcmp(c.op == specs.OpLessEqual, lo, fail, pass)
	case specs.OpMaskedEqual:
		whi, wlo := uint32(c.want>>32), uint32(c.want)
		b.ld(c.arg, true).and(hi).jeq(whi, next, fail).ld(c.arg, false).and(lo).jeq(wlo, pass, fail)
	default:
		panic(fmt.Sprintf("bug: operator %q passed translation", c.op))
	}
	return b.resolve()
}
