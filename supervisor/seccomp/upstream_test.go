package seccomp

import (
	"runtime"
	"testing"

	sbpf "github.com/elastic/go-seccomp-bpf"
)

// TestUpstreamAssemblerClobbersA records why we emit BPF ourselves:
// go-seccomp-bpf v1.6.0 does not reload the syscall number after comparing
// an argument, so the next syscall of the group is compared with the argument.
// read(0, buf, 1) fails read's condition, then passes for write (A holds 1,
// write's number) and write's condition, and is allowed. If this test starts
// failing, upstream is fixed.
func TestUpstreamAssemblerClobbersA(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("Policy.Assemble compiles for runtime.GOARCH only; the syscall numbers here are amd64's")
	}
	p := sbpf.Policy{
		DefaultAction: sbpf.ActionErrno,
		Syscalls: []sbpf.SyscallGroup{{
			NamesWithCondtions: []sbpf.NameWithConditions{
				{Name: "read", Conditions: sbpf.ArgumentConditions{{Argument: 2, Operation: sbpf.Equal, Value: 5}}},
				{Name: "write", Conditions: sbpf.ArgumentConditions{{Argument: 0, Operation: sbpf.NotEqual, Value: 12345}}},
			},
			Action: sbpf.ActionAllow,
		}},
	}
	prog, err := p.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	read := Data{Nr: nr(t, "read"), Arch: 0xc000003e, Args: [6]uint64{2: uint64(nr(t, "write"))}}
	if got := run(t, &Filter{Program: prog}, read); got != retAllow {
		t.Errorf("upstream returned %#x for read(_, _, 1): fixed? then reconsider using Policy", got)
	}
}
