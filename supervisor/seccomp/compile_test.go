package seccomp

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// opsProfile has one rule per comparison operator, each on its own syscall,
// plus two rules on one syscall with different actions.
func opsProfile() *specs.LinuxSeccomp {
	arg := func(op specs.LinuxSeccompOperator, v, v2 uint64) []specs.LinuxSeccompArg {
		return []specs.LinuxSeccompArg{{Index: 1, Op: op, Value: v, ValueTwo: v2}}
	}
	allow := func(name string, args []specs.LinuxSeccompArg) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: []string{name}, Action: specs.ActAllow, Args: args}
	}
	const big = 1<<32 + 5
	return &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: uintp(13),
		Syscalls: []specs.LinuxSyscall{
			allow("read", arg(specs.OpEqualTo, big, 0)),
			allow("write", arg(specs.OpNotEqual, big, 0)),
			allow("open", arg(specs.OpLessThan, big, 0)),
			allow("close", arg(specs.OpLessEqual, big, 0)),
			allow("stat", arg(specs.OpGreaterThan, big, 0)),
			allow("fstat", arg(specs.OpGreaterEqual, big, 0)),
			allow("lstat", arg(specs.OpMaskedEqual, 0xff0000000f, 0x0100000005)),
			allow("poll", arg(specs.OpMaskedEqual, 0xf, 0x10)), // never matches
			allow("lseek", []specs.LinuxSeccompArg{ // same index twice: OR, like runc
				{Index: 0, Op: specs.OpEqualTo, Value: 1},
				{Index: 0, Op: specs.OpEqualTo, Value: 2},
			}),
			allow("mmap", []specs.LinuxSeccompArg{ // different indices: AND
				{Index: 0, Op: specs.OpEqualTo, Value: 1},
				{Index: 1, Op: specs.OpEqualTo, Value: 2},
			}),
			{Names: []string{"kill"}, Action: specs.ActKillProcess, Args: arg(specs.OpEqualTo, 9, 0)},
			{Names: []string{"kill"}, Action: specs.ActLog},
			{Names: []string{"ptrace"}, Action: specs.ActErrno, ErrnoRet: uintp(38)},
			{Names: []string{"ptrace"}, Action: specs.ActAllow}, // shadowed: first match wins
			{Names: []string{"getpid", "no_such_syscall"}, Action: specs.ActTrap},
		},
	}
}

func TestCompileOperators(t *testing.T) {
	f := compile(t, opsProfile(), "amd64")
	const big = 1<<32 + 5
	eacces := Outcome{Action: ActionErrno, Errno: 13, Rule: RuleDefault}
	tests := []struct {
		name     string
		giveCall string
		giveArgs [6]uint64
		want     Outcome
	}{
		{name: "EQ equal", giveCall: "read", giveArgs: [6]uint64{1: big}, want: Outcome{Rule: 0}},
		{name: "EQ low half only", giveCall: "read", giveArgs: [6]uint64{1: 5}, want: eacces},
		{name: "NE equal", giveCall: "write", giveArgs: [6]uint64{1: big}, want: eacces},
		{name: "NE other", giveCall: "write", giveArgs: [6]uint64{1: big + 1<<32}, want: Outcome{Rule: 1}},
		{name: "LT below", giveCall: "open", giveArgs: [6]uint64{1: big - 1}, want: Outcome{Rule: 2}},
		{name: "LT equal", giveCall: "open", giveArgs: [6]uint64{1: big}, want: eacces},
		{name: "LE equal", giveCall: "close", giveArgs: [6]uint64{1: big}, want: Outcome{Rule: 3}},
		{name: "LE above", giveCall: "close", giveArgs: [6]uint64{1: big + 1}, want: eacces},
		{name: "GT above", giveCall: "stat", giveArgs: [6]uint64{1: big + 1}, want: Outcome{Rule: 4}},
		{name: "GT equal", giveCall: "stat", giveArgs: [6]uint64{1: big}, want: eacces},
		{name: "GE equal", giveCall: "fstat", giveArgs: [6]uint64{1: big}, want: Outcome{Rule: 5}},
		{name: "GE below", giveCall: "fstat", giveArgs: [6]uint64{1: 4}, want: eacces},
		{name: "MASKED_EQ match", giveCall: "lstat", giveArgs: [6]uint64{1: 0x01_0000_00f5}, want: Outcome{Rule: 6}},
		{name: "MASKED_EQ extra bit", giveCall: "lstat", giveArgs: [6]uint64{1: 0x03_0000_0005}, want: eacces},
		{name: "MASKED_EQ missing bit", giveCall: "lstat", giveArgs: [6]uint64{1: 0x01_0000_0004}, want: eacces},
		{name: "MASKED_EQ impossible", giveCall: "poll", giveArgs: [6]uint64{1: 0x10}, want: eacces},
		{name: "repeated index first", giveCall: "lseek", giveArgs: [6]uint64{0: 1}, want: Outcome{Rule: 8}},
		{name: "repeated index second", giveCall: "lseek", giveArgs: [6]uint64{0: 2}, want: Outcome{Rule: 8}},
		{name: "repeated index neither", giveCall: "lseek", giveArgs: [6]uint64{0: 3}, want: eacces},
		{name: "AND both", giveCall: "mmap", giveArgs: [6]uint64{0: 1, 1: 2}, want: Outcome{Rule: 9}},
		{name: "AND one", giveCall: "mmap", giveArgs: [6]uint64{0: 1}, want: eacces},
		{name: "conditional kill", giveCall: "kill", giveArgs: [6]uint64{1: 9}, want: Outcome{Action: ActionKillProcess, Rule: 10}},
		{name: "fallback log", giveCall: "kill", giveArgs: [6]uint64{1: 15}, want: Outcome{Action: ActionLog, Rule: 11}},
		{name: "first match wins", giveCall: "ptrace", want: Outcome{Action: ActionErrno, Errno: 38, Rule: 12}},
		{name: "trap", giveCall: "getpid", want: Outcome{Action: ActionTrap, Rule: 14}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Data{Nr: nr(t, tt.giveCall), Arch: f.auditArch, Args: tt.giveArgs}
			if got := f.Decide(d); got != tt.want {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
			if got := run(t, f, d); got != wantRet(tt.want) {
				t.Errorf("BPF returned %#x, want %#x", got, wantRet(tt.want))
			}
		})
	}
	if len(f.Unknown) != 1 || f.Unknown[0] != "no_such_syscall" {
		t.Errorf("Unknown = %v, want [no_such_syscall]", f.Unknown)
	}
}

func TestCompileAgreement(t *testing.T) {
	for _, a := range []string{"amd64", "arm64", "386", "arm"} {
		t.Run(a, func(t *testing.T) { agree(t, compile(t, opsProfile(), a), 20000) })
	}
}

// TestCompileLongJumps compiles a profile whose every syscall checks an
// argument with outcomes that differ from the default: the search tree's
// subtrees outgrow a conditional jump's 255 instructions.
func TestCompileLongJumps(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	for nr := range 300 {
		name, ok := arch.X86_64.SyscallNumbers[nr]
		if !ok {
			continue
		}
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{
			Names:  []string{name},
			Action: []specs.LinuxSeccompAction{specs.ActErrno, specs.ActLog, specs.ActKillProcess}[nr%3],
			Args:   []specs.LinuxSeccompArg{{Index: uint(nr % 6), Value: uint64(nr) << (nr % 40), Op: specs.OpEqualTo}},
		})
	}
	f := compile(t, s, "amd64")
	if !slices.ContainsFunc(f.Program, func(i bpf.Instruction) bool { _, ok := i.(bpf.Jump); return ok }) {
		t.Fatalf("no long jump in a program of %d instructions", len(f.Program))
	}
	agree(t, f, 20000)
}

func TestCompileDefaultAllow(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"ptrace"}, Action: specs.ActErrno}},
	}
	f := compile(t, s, "amd64")
	tests := []struct {
		name     string
		giveData Data
		wantRet  uint32
		want     Outcome
	}{
		{name: "other syscall", giveData: Data{Nr: nr(t, "getppid"), Arch: f.auditArch}, wantRet: retAllow, want: Outcome{Rule: RuleDefault}},
		{name: "denied syscall", giveData: Data{Nr: nr(t, "ptrace"), Arch: f.auditArch}, wantRet: retNotify, want: Outcome{Action: ActionErrno, Errno: 1}},
		{name: "foreign arch is not allowed", giveData: Data{Nr: 26, Arch: 0x40000003}, wantRet: retNotify, want: Outcome{Action: ActionKillProcess, Rule: RuleForeignArch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(t, f, tt.giveData); got != tt.wantRet {
				t.Errorf("BPF returned %#x, want %#x", got, tt.wantRet)
			}
			if got := f.Decide(tt.giveData); got != tt.want {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	valid := func(edit func(*specs.LinuxSeccomp)) *specs.LinuxSeccomp {
		s := &specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}},
		}
		edit(s)
		return s
	}
	tests := []struct {
		name        string
		giveProfile *specs.LinuxSeccomp
		giveArch    string
		wantErr     string
		wantIs      error
	}{
		{name: "nil profile", wantIs: ErrEmptyProfile, giveArch: "amd64"},
		{name: "unknown arch", giveProfile: valid(func(*specs.LinuxSeccomp) {}), giveArch: "ppc64", wantIs: ErrUnsupportedArch},
		{name: "x32", giveProfile: valid(func(*specs.LinuxSeccomp) {}), giveArch: "x32", wantIs: ErrUnsupportedArch},
		{name: "unknown default", giveProfile: valid(func(s *specs.LinuxSeccomp) { s.DefaultAction = "SCMP_ACT_NOPE" }), wantErr: `defaultAction: unknown action "SCMP_ACT_NOPE"`},
		{name: "missing default", giveProfile: valid(func(s *specs.LinuxSeccomp) { s.DefaultAction = "" }), wantErr: `defaultAction: unknown action ""`},
		{name: "unknown action", giveProfile: valid(func(s *specs.LinuxSeccomp) { s.Syscalls[0].Action = "x" }), wantErr: `syscall rule 0 ([read]): unknown action "x"`},
		{name: "errno too big", giveProfile: valid(func(s *specs.LinuxSeccomp) { s.DefaultErrnoRet = uintp(70000) }), wantErr: "errnoRet 70000 is above 4095"},
		{name: "unknown operator", giveProfile: valid(func(s *specs.LinuxSeccomp) {
			s.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_XOR"}}
		}), wantErr: `unknown operator "SCMP_CMP_XOR"`},
		{name: "argument index", giveProfile: valid(func(s *specs.LinuxSeccomp) {
			s.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}
		}), wantErr: "argument index 6 is above 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.giveProfile, tt.giveArch)
			if err == nil {
				t.Fatal("Compile succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLineColumn(t *testing.T) {
	tests := []struct {
		name       string
		giveData   string
		giveOffset int64
		wantLine   int
		wantCol    int
	}{
		{name: "start", giveData: "x", giveOffset: 0, wantLine: 1, wantCol: 1},
		{name: "first line", giveData: "abc", giveOffset: 3, wantLine: 1, wantCol: 3},
		{name: "after newline", giveData: "a\nbc", giveOffset: 3, wantLine: 2, wantCol: 1},
		{name: "past the end", giveData: "a\nb", giveOffset: 99, wantLine: 2, wantCol: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col := lineColumn([]byte(tt.giveData), tt.giveOffset)
			if line != tt.wantLine || col != tt.wantCol {
				t.Errorf("lineColumn = %d:%d, want %d:%d", line, col, tt.wantLine, tt.wantCol)
			}
		})
	}
}

// agree runs n syscalls through f's BPF and f.Decide and fails where the BPF
// does not return what the outcome table implies. Syscall numbers and
// argument values come from the rules themselves, near their boundaries.
func agree(t testing.TB, f *Filter, n int) {
	t.Helper()
	checkProgram(t, f)
	rng := rand.New(rand.NewPCG(1, 2))
	for range n {
		d := sample(rng, f)
		got, want := run(t, f, d), wantRet(f.Decide(d))
		if f.Watched(d) {
			want = retNotify
		}
		if got != want {
			t.Fatalf("%+v: BPF returned %#x, outcome table %v implies %#x", d, got, f.Decide(d), want)
		}
	}
}

// checkProgram asserts the program assembles for the kernel and only ever
// returns ALLOW or USER_NOTIF.
func checkProgram(t testing.TB, f *Filter) {
	t.Helper()
	if _, err := bpf.Assemble(f.Program); err != nil {
		t.Fatalf("bpf.Assemble: %v", err)
	}
	for i, ins := range f.Program {
		if r, ok := ins.(bpf.RetConstant); ok && r.Val != retAllow && r.Val != retNotify {
			t.Fatalf("instruction %d returns %#x", i, r.Val)
		}
	}
}

func sample(rng *rand.Rand, f *Filter) Data {
	d := Data{Arch: f.auditArch, Nr: int32(rng.Uint32N(512))}
	if rng.IntN(50) == 0 {
		d.Arch = rng.Uint32()
	}
	if rng.IntN(50) == 0 {
		d.Nr = int32(rng.Uint32())
	}
	var values []uint64
	if len(f.rules) > 0 && rng.IntN(4) != 0 {
		r := f.rules[rng.IntN(len(f.rules))]
		d.Nr = int32(r.nr) + int32(rng.IntN(5)/4) - int32(rng.IntN(5)/4) // now and then a neighbour
		values = ruleValues(r)
	}
	for i := range d.Args {
		d.Args[i] = pick(rng, values)
	}
	return d
}

func ruleValues(r rule) []uint64 {
	var vs []uint64
	for _, conds := range r.alts {
		for _, c := range conds {
			vs = append(vs, c.value, c.value-1, c.value+1, c.value^1<<32, ^c.value, c.want, c.want|^c.value)
		}
	}
	return vs
}

func pick(rng *rand.Rand, values []uint64) uint64 {
	switch {
	case len(values) > 0 && rng.IntN(3) != 0:
		return values[rng.IntN(len(values))] | uint64(rng.IntN(2))*rng.Uint64()&values[rng.IntN(len(values))]
	case rng.IntN(2) == 0:
		return uint64(rng.IntN(64))
	}
	return rng.Uint64()
}

func TestProgramRoundTrip(t *testing.T) {
	spec, err := LoadProfile("profiles/docker-default.json", DockerCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(spec, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.EncodeProgram()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := DecodeProgram(b)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := bpf.Assemble(f.Program)
	if !slices.Equal(raw, want) {
		t.Errorf("decoded program differs from the assembled one")
	}
	if _, err := DecodeProgram(b[:len(b)-1]); err == nil {
		t.Errorf("a truncated program decoded")
	}
	if got := f.SyscallName(39); got != "getpid" {
		t.Errorf("SyscallName(39) = %q, want getpid", got)
	}
	if got := f.SyscallName(9999); got != "syscall_9999" {
		t.Errorf("SyscallName(9999) = %q, want syscall_9999", got)
	}
}

// writeOpens is what vigil watches to attribute file changes: opens that
// may write (any of O_WRONLY, O_RDWR, O_CREAT, O_TRUNC), and unlink.
var writeOpens = []specs.LinuxSyscall{
	{Names: []string{"openat"}, Args: []specs.LinuxSeccompArg{
		{Index: 2, Op: specs.OpMaskedEqual, Value: 1, ValueTwo: 1},
		{Index: 2, Op: specs.OpMaskedEqual, Value: 2, ValueTwo: 2},
		{Index: 2, Op: specs.OpMaskedEqual, Value: 0o100, ValueTwo: 0o100},
		{Index: 2, Op: specs.OpMaskedEqual, Value: 0o1000, ValueTwo: 0o1000},
	}},
	{Names: []string{"unlink", "unlinkat", "no_such_call"}},
}

func TestWatch(t *testing.T) {
	spec, err := LoadProfile("profiles/docker-default.json", DockerCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	f := compile(t, spec, "amd64")
	before := len(f.Program)
	if err := f.Watch(writeOpens); err != nil {
		t.Fatal(err)
	}
	t.Logf("Docker's profile: %d instructions, %d with the watch", before, len(f.Program))
	openat, unlink, read := nr(t, "openat"), nr(t, "unlink"), nr(t, "read")
	for _, tt := range []struct {
		name        string
		give        Data
		wantWatched bool
	}{
		{"openat O_RDONLY", Data{Nr: openat, Args: [6]uint64{0, 0, 0}}, false},
		{"openat O_WRONLY|O_CREAT", Data{Nr: openat, Args: [6]uint64{0, 0, 0o101}}, true},
		{"openat O_RDWR", Data{Nr: openat, Args: [6]uint64{0, 0, 2}}, true},
		{"openat O_RDONLY|O_TRUNC", Data{Nr: openat, Args: [6]uint64{0, 0, 0o1000}}, true},
		{"openat O_RDONLY|O_CLOEXEC", Data{Nr: openat, Args: [6]uint64{0, 0, 0o2000000}}, false},
		{"unlink", Data{Nr: unlink}, true},
		{"read", Data{Nr: read}, false},
	} {
		d := tt.give
		d.Arch = f.auditArch
		if got := f.Watched(d); got != tt.wantWatched {
			t.Errorf("%s: Watched %v, want %v", tt.name, got, tt.wantWatched)
		}
		if f.Decide(d).Action != ActionAllow {
			t.Errorf("%s: the profile's verdict changed: %v", tt.name, f.Decide(d))
		}
		wantRet := uint32(retAllow)
		if tt.wantWatched {
			wantRet = retNotify
		}
		if got := run(t, f, d); got != wantRet {
			t.Errorf("%s: BPF returned %#x, want %#x", tt.name, got, wantRet)
		}
	}
	agree(t, f, 20000)
}

// TestDecideFrom: leaving out the first rules gives the verdict of those
// after them, or the default.
func TestDecideFrom(t *testing.T) {
	f := compile(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"chmod"}, Action: specs.ActLog},
			{Names: []string{"chmod"}, Action: specs.ActErrno, ErrnoRet: uintp(13)},
			{Names: []string{"socket"}, Action: specs.ActLog},
		},
	}, "x86_64")
	chmod, socket := Data{Nr: 90, Arch: f.auditArch}, Data{Nr: 41, Arch: f.auditArch}
	tests := []struct {
		name  string
		give  Data
		first int
		want  Outcome
	}{
		{name: "all", give: chmod, first: 0, want: Outcome{Action: ActionLog, Rule: 0}},
		{name: "past the first", give: chmod, first: 1, want: Outcome{Action: ActionErrno, Errno: 13, Rule: 1}},
		{name: "to the default", give: socket, first: 3, want: Outcome{Action: ActionAllow, Rule: RuleDefault}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.DecideFrom(tt.give, tt.first); got != tt.want {
				t.Errorf("DecideFrom = %+v, want %+v", got, tt.want)
			}
		})
	}
}
