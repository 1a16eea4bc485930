package seccomp

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// Offsets in struct seccomp_data.
const (
	offsetNr   = 0
	offsetArch = 4
	offsetArgs = 16
)

// SECCOMP_RET_ALLOW and SECCOMP_RET_USER_NOTIF (linux/seccomp.h), the only
// two returns of vigil's programs.
const (
	seccompRetAllow     = 0x7fff0000
	seccompRetUserNotif = 0x7fc00000
)

// maxInstructions is the kernel's BPF_MAXINSNS for classic BPF.
const maxInstructions = 4096

// assemble emits the notify-variant program: an architecture prologue,
// then a binary search on the syscall number over intervals of numbers that
// share one handler, each handler either a return or, for a syscall whose
// rules check arguments and do not all return the same, that syscall's
// rules in order (first match wins, as in Decide) and the default return.
//
// A program runs for every call the kernel's constant-action cache does not
// answer, those whose rules check arguments: the search reaches any
// syscall's rules in about log2(intervals) jumps, where a list of rules
// would run one comparison per rule before it (what libseccomp emits).
// Conditional jumps reach at most 255 instructions; the search uses "ja",
// whose offset is 32 bits, to jump over longer subtrees, so no program is
// too long to jump across.
func (f *Filter) assemble() ([]bpf.Instruction, error) {
	prog := append(f.prologue(), f.search(f.intervals())...)
	if len(prog) > maxInstructions {
		return nil, fmt.Errorf("BPF program has %d instructions, the kernel takes at most %d", len(prog), maxInstructions)
	}
	return prog, nil
}

// interval is syscall numbers from start up to the next interval's start,
// and the code that handles them.
type interval struct {
	start uint32
	code  []bpf.Instruction
}

// intervals partitions every syscall number, in order, into intervals of
// one handler each, merging neighbours with the same single return.
func (f *Filter) intervals() []interval {
	nrs := make([]uint32, 0, len(f.byNr)+len(f.watchByNr))
	for nr := range f.byNr {
		nrs = append(nrs, nr)
	}
	for nr := range f.watchByNr {
		nrs = append(nrs, nr)
	}
	slices.Sort(nrs)
	nrs = slices.Compact(nrs)
	def := []bpf.Instruction{retOf(f.def)}
	ivs := []interval{{start: 0, code: def}}
	add := func(start uint32, code []bpf.Instruction) {
		if ivs[len(ivs)-1].start == start {
			ivs = ivs[:len(ivs)-1] // a default in the place of nr's handler
		}
		if n := len(ivs); n > 0 && len(code) == 1 && slices.Equal(ivs[n-1].code, code) {
			return // the same return: the interval grows
		}
		ivs = append(ivs, interval{start: start, code: code})
	}
	for _, nr := range nrs {
		add(nr, f.handler(nr))
		if nr != ^uint32(0) {
			add(nr+1, def)
		}
	}
	return ivs
}

// handler is the code for syscall nr: its rules in order, then the default.
// Rules after an unconditional one are unreachable and left out; a handler
// whose every return is the same is that one return.
func (f *Filter) handler(nr uint32) []bpf.Instruction {
	var code []bpf.Instruction
	rets := map[bpf.RetConstant]bool{}
	// Watched calls are reported whatever the profile says; PID 1 then
	// answers them as it does (see Watch).
	notify := bpf.RetConstant{Val: seccompRetUserNotif}
	for _, i := range f.watchByNr[nr] {
		w := f.watch[i]
		if w.alts == nil {
			return []bpf.Instruction{notify}
		}
		rets[notify] = true
		for _, conds := range w.alts {
			code = append(code, emitAlt(conds, notify)...)
		}
	}
	final := retOf(f.def)
	for _, i := range f.byNr[nr] {
		r := f.rules[i]
		if r.alts == nil {
			final = retOf(r.out)
			break
		}
		rets[retOf(r.out)] = true
		for _, conds := range r.alts {
			code = append(code, emitAlt(conds, retOf(r.out))...)
		}
	}
	if len(rets) == 0 || (len(rets) == 1 && rets[final]) {
		return []bpf.Instruction{final}
	}
	return append(code, final)
}

// search emits a binary search of the syscall number (in A) over ivs,
// which start at 0 and are in order; each subtree ends in returns.
func (f *Filter) search(ivs []interval) []bpf.Instruction {
	if len(ivs) == 1 {
		return ivs[0].code
	}
	mid := len(ivs) / 2
	left, right := f.search(ivs[:mid]), f.search(ivs[mid:])
	var head []bpf.Instruction
	if len(left) <= 255 {
		head = []bpf.Instruction{bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: ivs[mid].start, SkipTrue: uint8(len(left))}}
	} else {
		head = []bpf.Instruction{
			bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: ivs[mid].start, SkipFalse: 1},
			bpf.Jump{Skip: uint32(len(left))},
		}
	}
	return append(append(head, left...), right...)
}

func retOf(o Outcome) bpf.RetConstant {
	return bpf.RetConstant{Val: uint32(ret(o))}
}

// ret is what the notify variant returns for an outcome.
func ret(o Outcome) uint32 {
	if o.Action == ActionAllow {
		return seccompRetAllow
	}
	return seccompRetUserNotif
}

// prologue sends every syscall of a foreign architecture or ABI to the
// listener and leaves the syscall number in A.
func (f *Filter) prologue() []bpf.Instruction {
	notify := bpf.RetConstant{Val: seccompRetUserNotif}
	p := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offsetArch, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: f.auditArch, SkipTrue: 1},
		notify,
		bpf.LoadAbsolute{Off: offsetNr, Size: 4},
	}
	if f.x32 {
		p = append(p,
			bpf.JumpIf{Cond: bpf.JumpBitsNotSet, Val: x32Bit, SkipTrue: 1},
			notify)
	}
	return p
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
