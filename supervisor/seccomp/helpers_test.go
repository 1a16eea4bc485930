package seccomp

import (
	"encoding/binary"
	"testing"

	sbpf "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

const (
	retAllow  = uint32(sbpf.ActionAllow)
	retNotify = uint32(sbpf.ActionUserNotify)
)

// encode lays d out as struct seccomp_data on a little-endian machine.
func encode(d Data) []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], uint32(d.Nr))
	binary.LittleEndian.PutUint32(b[4:], d.Arch)
	binary.LittleEndian.PutUint64(b[8:], d.InstructionPointer)
	for i, a := range d.Args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// forVM swaps each 32-bit word: the kernel loads seccomp_data words in native
// (here little-endian) order, x/net/bpf's VM in network order. Seccomp
// programs only load aligned words, so this makes the VM see what the kernel
// sees.
func forVM(b []byte) []byte {
	for i := 0; i+4 <= len(b); i += 4 {
		binary.BigEndian.PutUint32(b[i:], binary.LittleEndian.Uint32(b[i:]))
	}
	return b
}

// run executes f's program in x/net/bpf's VM, as the kernel would.
func run(t testing.TB, f *Filter, d Data) uint32 {
	t.Helper()
	vm, err := bpf.NewVM(f.Program)
	if err != nil {
		t.Fatalf("loading BPF into the VM: %v", err)
	}
	got, err := vm.Run(forVM(encode(d)))
	if err != nil {
		t.Fatalf("running BPF: %v", err)
	}
	return uint32(got)
}

// nr is a syscall number on x86_64.
func nr(t testing.TB, name string) int32 {
	t.Helper()
	n, ok := arch.X86_64.SyscallNames[name]
	if !ok {
		t.Fatalf("no syscall %q on x86_64", name)
	}
	return int32(n)
}

func uintp(v uint) *uint { return &v }

func compile(t testing.TB, s *specs.LinuxSeccomp, archName string) *Filter {
	t.Helper()
	f, err := Compile(s, archName)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return f
}

// wantRet is what the notify program must return for o.
func wantRet(o Outcome) uint32 {
	return uint32(ret(o))
}
