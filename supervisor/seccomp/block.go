package seccomp

import "golang.org/x/net/bpf"

// target is where a conditional jump in a block goes.
type target int

const (
	next target = iota // the following instruction
	pass               // past the block's failure jump
	fail               // the block's failure jump, right after the block
)

// block collects a condition's instructions with symbolic targets.
type block struct {
	ins     []bpf.Instruction
	targets map[int][2]target // instruction index → true, false target
}

func (b *block) ld(arg uint32, high bool) *block {
	off := offsetArgs + 8*arg // little-endian: low half first
	if high {
		off += 4
	}
	b.ins = append(b.ins, bpf.LoadAbsolute{Off: off, Size: 4})
	return b
}

func (b *block) and(mask uint32) *block {
	b.ins = append(b.ins, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
	return b
}

func (b *block) jump(cond bpf.JumpTest, val uint32, t, f target) *block {
	if b.targets == nil {
		b.targets = make(map[int][2]target)
	}
	b.targets[len(b.ins)] = [2]target{t, f}
	b.ins = append(b.ins, bpf.JumpIf{Cond: cond, Val: val})
	return b
}

func (b *block) jeq(val uint32, t, f target) *block { return b.jump(bpf.JumpEqual, val, t, f) }
func (b *block) jgt(val uint32, t, f target) *block { return b.jump(bpf.JumpGreaterThan, val, t, f) }

// jcmp is "A > val" when strict, else "A >= val".
func (b *block) jcmp(strict bool, val uint32, t, f target) *block {
	if strict {
		return b.jgt(val, t, f)
	}
	return b.jump(bpf.JumpGreaterOrEqual, val, t, f)
}

func (b *block) resolve() []bpf.Instruction {
	for i, tf := range b.targets {
		j := b.ins[i].(bpf.JumpIf)
		j.SkipTrue, j.SkipFalse = b.skip(i, tf[0]), b.skip(i, tf[1])
		b.ins[i] = j
	}
	return b.ins
}

func (b *block) skip(i int, t target) uint8 {
	switch t {
	case pass:
		return uint8(len(b.ins) - i)
	case fail:
		return uint8(len(b.ins) - i - 1)
	}
	return 0
}
