package seccomp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// AUDIT_ARCH_AARCH64 (linux/audit.h): EM_AARCH64 | __AUDIT_ARCH_64BIT |
// __AUDIT_ARCH_LE.
const auditArchAARCH64 = 0xc00000b7

// arm64Numbers are syscall numbers of arm64's table (asm-generic/unistd.h).
// x/sys/unix's constants are those of the architecture the test is built
// for, so they are written out here, and checked against x/sys/unix's
// source (xsysArm64).
var arm64Numbers = map[string]uint32{
	"read":           63,
	"write":          64,
	"openat":         56,
	"close":          57,
	"execve":         221,
	"clone":          220,
	"mmap":           222,
	"exit_group":     94,
	"getppid":        173,
	"unshare":        97,
	"reboot":         142,
	"mount":          40,
	"io_uring_setup": 425,
}

// knownGaps are arm64 syscalls zsyscalls.go would name otherwise than the
// kernel, x/sys/unix and libseccomp: a profile's rule for the kernel's name
// would be skipped on arm64. None is left: go-seccomp-bpf's "fstatat" (79)
// is renamed newfstatat by internal/gensyscalls.
var knownGaps = map[string]string{}

// arm64Missing are x86_64 syscalls that arm64 never had: a profile naming
// them compiles, skipping them.
var arm64Missing = []string{"open", "fork", "vfork", "stat", "access", "arch_prctl", "modify_ldt"}

// TestArm64Table checks the aarch64 table Compile uses against x/sys/unix's
// arm64 table, on any machine.
func TestArm64Table(t *testing.T) {
	a, err := lookupArch("arm64")
	if err != nil {
		t.Fatal(err)
	}
	if a.name != "aarch64" || a.auditArch != auditArchAARCH64 {
		t.Errorf("arm64 is %s %#x, want aarch64 %#x", a.name, a.auditArch, auditArchAARCH64)
	}
	for name, want := range arm64Numbers {
		if got, ok := a.number(name); !ok || got != want {
			t.Errorf("arm64 %s: %d (%v), want %d", name, got, ok, want)
		}
	}
	xsys := xsysArm64(t)
	last := a.byNr[len(a.byNr)-1].nr
	for name, want := range xsys {
		got, ok := a.number(name)
		switch {
		case !ok && want > last:
			t.Logf("arm64 %s (%d): newer than the table (last %d)", name, want, last)
		case knownGaps[name] != "":
			if ok {
				t.Errorf("arm64 %s is in the table now (%d): remove it from knownGaps", name, got)
			} else if alias, _ := a.number(knownGaps[name]); alias != want {
				t.Errorf("arm64 %s: the table's %s is %d, want %d", name, knownGaps[name], alias, want)
			}
		case !ok || got != want:
			t.Errorf("arm64 %s: %d (%v), x/sys/unix says %d", name, got, ok, want)
		}
	}
	for name, want := range arm64Numbers {
		if got := xsys[name]; got != want {
			t.Errorf("x/sys/unix: arm64 %s is %d, want %d", name, got, want)
		}
	}
	for _, name := range arm64Missing {
		if nr, ok := a.number(name); ok {
			t.Errorf("arm64 has %s (%d), want none", name, nr)
		}
	}
}

// TestCompileArm64 compiles Docker's default profile and a learned one for
// arm64 and runs the programs in the BPF VM with arm64's seccomp_data.
func TestCompileArm64(t *testing.T) {
	docker, err := Resolve(DockerDefaultName, DockerCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		giveProfile *specs.LinuxSeccomp
		wantAllowed []string
		wantDenied  []string
		wantUnknown []string // at least these names are skipped
	}{
		{
			name:        "docker-default",
			giveProfile: docker,
			wantAllowed: []string{"read", "openat", "execve", "clone", "exit_group", "getppid"},
			wantDenied:  []string{"mount", "reboot", "unshare"},
			// The loader resolves includes for the running architecture:
			// on amd64 its amd64-only rules reach the arm64 compile.
			wantUnknown: unknownOnArm64([]string{"arch_prctl", "modify_ldt"}),
		},
		{
			name:        "learned",
			giveProfile: learnedArm64(),
			wantAllowed: []string{"openat", "execve", "read", "write", "exit_group"},
			wantDenied:  []string{"getppid", "clone", "unshare"},
			wantUnknown: []string{"fork", "open"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := compile(t, tt.giveProfile, "arm64")
			if f.Arch != "aarch64" {
				t.Errorf("Arch %q, want aarch64", f.Arch)
			}
			for _, name := range tt.wantUnknown {
				if !slices.Contains(f.Unknown, name) {
					t.Errorf("Unknown %v lacks %s", f.Unknown, name)
				}
			}
			for _, name := range tt.wantAllowed {
				checkArm64(t, f, name, retAllow)
			}
			for _, name := range tt.wantDenied {
				checkArm64(t, f, name, retNotify)
			}
			// arm64's execve is 221; x86_64's 59 is arm64's getresuid:
			// an x86_64 call must not be read with arm64's table.
			x86 := Data{Nr: 59, Arch: auditArchX86_64}
			if got := run(t, f, x86); got != retNotify {
				t.Errorf("x86_64 execve: BPF returns %#x, want notify %#x", got, retNotify)
			}
			if got := f.Decide(x86); got.Action != ActionKillProcess || got.Rule != RuleForeignArch {
				t.Errorf("x86_64 execve: Decide %+v, want kill, RuleForeignArch", got)
			}
		})
	}
}

// checkArm64 runs syscall name with arm64's number and audit arch through
// f's program and compares it with want and with Decide.
func checkArm64(t *testing.T, f *Filter, name string, want uint32) {
	t.Helper()
	nr, ok := arm64Numbers[name]
	if !ok {
		t.Fatalf("bug: no arm64 number for %s in arm64Numbers", name)
	}
	d := Data{Nr: int32(nr), Arch: auditArchAARCH64}
	if got := run(t, f, d); got != want {
		t.Errorf("%s (%d): BPF returns %#x, want %#x", name, nr, got, want)
	}
	if got, wantD := run(t, f, d), wantRet(f.Decide(d)); got != wantD {
		t.Errorf("%s (%d): BPF returns %#x, Decide %#x", name, nr, got, wantD)
	}
	if got := f.SyscallName(int32(nr)); got != name {
		t.Errorf("SyscallName(%d) = %s, want %s", nr, got, name)
	}
}

// learnedArm64 is a profile as vigil learn writes on arm64, with the x86_64
// names a profile learned on amd64 would add.
func learnedArm64() *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: uintp(1),
		Architectures:   []specs.Arch{specs.ArchAARCH64},
		Syscalls: []specs.LinuxSyscall{{
			Names:  []string{"exit_group", "execve", "fork", "open", "openat", "read", "write"},
			Action: specs.ActAllow,
		}},
	}
}

// unknownOnArm64 is names when the test runs on amd64, where they reach the
// profile, and nothing elsewhere.
func unknownOnArm64(names []string) []string {
	if a, err := lookupArch(""); err != nil || a.auditArch != auditArchX86_64 {
		return nil
	}
	return names
}

// xsysArm64 reads x/sys/unix's arm64 table, zsysnum_linux_arm64.go, from
// the module cache: its constants are compiled only into arm64 binaries.
func xsysArm64(t *testing.T) map[string]uint32 {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("no go command to find golang.org/x/sys: %v", err)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil {
		t.Fatalf("go list -m golang.org/x/sys: %v", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "unix", "zsysnum_linux_arm64.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	nrs := map[string]uint32{}
	ast.Inspect(f, func(n ast.Node) bool {
		v, ok := n.(*ast.ValueSpec)
		if !ok || len(v.Names) != 1 || len(v.Values) != 1 {
			return true
		}
		lit, ok := v.Values[0].(*ast.BasicLit)
		name, found := strings.CutPrefix(v.Names[0].Name, "SYS_")
		if !ok || !found {
			return true
		}
		nr, err := strconv.ParseUint(lit.Value, 0, 32)
		if err != nil {
			t.Fatalf("%s: %s = %s: %v", path, v.Names[0].Name, lit.Value, err)
		}
		nrs[strings.ToLower(name)] = uint32(nr)
		return true
	})
	if len(nrs) < 250 {
		t.Fatalf("%s: %d syscalls, want an arm64 table", path, len(nrs))
	}
	return nrs
}
