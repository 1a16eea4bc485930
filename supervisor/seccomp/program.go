package seccomp

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"golang.org/x/net/bpf"
)

// instructionSize is the size of one struct sock_filter.
const instructionSize = 8

// SyscallName returns the name of syscall nr on the filter's architecture,
// or "syscall_<nr>" when the table does not know it.
func (f *Filter) SyscallName(nr int32) string {
	if name, ok := f.info.syscallName(uint32(nr)); ok {
		return name
	}
	return "syscall_" + strconv.Itoa(int(nr))
}

// EncodeProgram returns the filter's program as the kernel reads it (an
// array of struct sock_filter, in the machine's byte order), to hand to
// the process that loads it.
func (f *Filter) EncodeProgram() ([]byte, error) {
	raw, err := bpf.Assemble(f.Program)
	if err != nil {
		return nil, fmt.Errorf("assembling the seccomp program: %w", err)
	}
	b := make([]byte, 0, len(raw)*instructionSize)
	for _, r := range raw {
		b = binary.NativeEndian.AppendUint16(b, r.Op)
		b = append(b, r.Jt, r.Jf)
		b = binary.NativeEndian.AppendUint32(b, r.K)
	}
	return b, nil
}

// DecodeProgram is the inverse of EncodeProgram.
func DecodeProgram(b []byte) ([]bpf.RawInstruction, error) {
	if len(b) == 0 || len(b)%instructionSize != 0 || len(b)/instructionSize > maxInstructions {
		return nil, fmt.Errorf("decoding a seccomp program: %d bytes is not 1 to %d instructions", len(b), maxInstructions)
	}
	raw := make([]bpf.RawInstruction, len(b)/instructionSize)
	for i := range raw {
		in := b[i*instructionSize:]
		raw[i] = bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(in),
			Jt: in[2],
			Jf: in[3],
			K:  binary.NativeEndian.Uint32(in[4:]),
		}
	}
	return raw, nil
}
