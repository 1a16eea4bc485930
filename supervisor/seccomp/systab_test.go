package seccomp

import (
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
)

// TestSyscallTables checks the generated tables (zsyscalls.go) against
// go-seccomp-bpf's, which they are made from: run go generate when this
// fails after an upgrade. The generator renames what the library names
// otherwise than the kernel (internal/gensyscalls).
func TestSyscallTables(t *testing.T) {
	kernelName := map[string]string{"arm64/fstatat": "newfstatat"}
	for _, name := range []string{"amd64", "arm64", "386", "arm"} {
		got, err := lookupArch(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := arch.GetInfo(name)
		if err != nil {
			t.Fatal(err)
		}
		if got.name != want.Name || got.auditArch != uint32(want.ID) {
			t.Errorf("%s: %s %#x, want %s %#x", name, got.name, got.auditArch, want.Name, uint32(want.ID))
		}
		if len(got.byNr) != len(want.SyscallNumbers) || len(got.byName) != len(want.SyscallNames) {
			t.Errorf("%s: %d numbers, %d names; want %d, %d", name, len(got.byNr), len(got.byName), len(want.SyscallNumbers), len(want.SyscallNames))
		}
		for nr, n := range want.SyscallNumbers {
			if k, ok := kernelName[name+"/"+n]; ok {
				n = k
			}
			if g, ok := got.syscallName(uint32(nr)); !ok || g != n {
				t.Errorf("%s: syscall %d is %q, want %q", name, nr, g, n)
			}
		}
		for n, nr := range want.SyscallNames {
			if k, ok := kernelName[name+"/"+n]; ok {
				n = k
			}
			if g, ok := got.number(n); !ok || g != uint32(nr) {
				t.Errorf("%s: %s is %d (%v), want %d", name, n, g, ok, nr)
			}
		}
		if _, ok := got.number("no_such_syscall"); ok {
			t.Errorf("%s: no_such_syscall has a number", name)
		}
	}
	for _, name := range []string{"x32", "mips", "sparc"} {
		if _, err := lookupArch(name); err == nil {
			t.Errorf("%s: supported, want ErrUnsupportedArch", name)
		}
	}
}
