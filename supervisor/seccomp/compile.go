package seccomp

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// x32Bit marks syscalls of the x32 ABI, which share AUDIT_ARCH_X86_64.
const x32Bit = 0x40000000

// Filter is a profile compiled for one architecture: the notify-variant BPF
// program and the table that says what the profile meant.
type Filter struct {
	// Arch is the Linux name of the architecture compiled for ("x86_64").
	Arch string
	// Program is the BPF: SECCOMP_RET_ALLOW where the profile allows,
	// SECCOMP_RET_USER_NOTIF everywhere else.
	Program []bpf.Instruction
	// Unknown lists, sorted, the profile's syscall names the architecture's
	// table does not know (other architectures, newer kernels). Their rules
	// were skipped, so those syscalls get the default action.
	Unknown []string

	info      *archTable
	auditArch uint32
	x32       bool // reject the x32 ABI (x86_64 only)
	rules     []rule
	byNr      map[uint32][]int // rule indices by syscall number, in order
	def       Outcome
	// watch are the calls reported whatever the profile says (Watch).
	watch     []rule
	watchByNr map[uint32][]int
}

// Data is struct seccomp_data, as the kernel hands it to the filter and, in
// struct seccomp_notif, to the listener.
type Data struct {
	Nr                 int32
	Arch               uint32
	InstructionPointer uint64
	Args               [6]uint64
}

// Compile translates s for the architecture archName (a GOARCH or Linux name
// such as "amd64", "arm64", "386", "arm"; "" is the running one).
//
// Rules are evaluated in profile order and the first match wins.
func Compile(s *specs.LinuxSeccomp, archName string) (*Filter, error) {
	a, err := lookupArch(archName)
	if err != nil {
		return nil, fmt.Errorf("compiling seccomp profile: %w", err)
	}
	f, err := newFilter(s, a)
	if err != nil {
		return nil, fmt.Errorf("compiling seccomp profile for %s: %w", a.name, err)
	}
	return f, nil
}

func newFilter(s *specs.LinuxSeccomp, a *archTable) (*Filter, error) {
	if s == nil {
		return nil, ErrEmptyProfile
	}
	def, err := outcomeOf(s.DefaultAction, s.DefaultErrnoRet, RuleDefault)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %w", err)
	}
	rules, unknown, err := translate(s, a)
	if err != nil {
		return nil, err
	}
	f := &Filter{
		Arch:      a.name,
		Unknown:   sortedUnique(unknown),
		info:      a,
		auditArch: a.auditArch,
		x32:       a.auditArch == auditArchX86_64,
		rules:     rules,
		byNr:      index(rules),
		def:       def,
	}
	if f.Program, err = f.assemble(); err != nil {
		return nil, err
	}
	return f, nil
}

func sortedUnique(names []string) []string {
	slices.Sort(names)
	return slices.Compact(names)
}

func index(rules []rule) map[uint32][]int {
	m := make(map[uint32][]int)
	for i, r := range rules {
		m[r.nr] = append(m[r.nr], i)
	}
	return m
}

// Watch makes the filter report calls matching watch (names and argument
// conditions as in a profile; actions are ignored) to PID 1 even where the
// profile allows them, so that vigil sees them: Decide still gives the
// profile's verdict, and Watched says which calls were reported only to be
// seen. Names the architecture lacks are skipped.
func (f *Filter) Watch(watch []specs.LinuxSyscall) error {
	calls := slices.Clone(watch)
	for i := range calls {
		calls[i].Action = specs.ActNotify
	}
	rules, _, err := translate(&specs.LinuxSeccomp{Syscalls: calls}, f.info)
	if err != nil {
		return fmt.Errorf("watched calls: %w", err)
	}
	f.watch, f.watchByNr = rules, index(rules)
	prog, err := f.assemble()
	if err != nil {
		return err
	}
	f.Program = prog
	return nil
}

// Watched reports whether d is a call Watch asked to see.
func (f *Filter) Watched(d Data) bool {
	if d.Arch != f.auditArch {
		return false
	}
	for _, i := range f.watchByNr[uint32(d.Nr)] {
		if f.watch[i].matches(&d.Args) {
			return true
		}
	}
	return false
}

// DecideFrom is Decide with the profile's rules before index first left
// out: the verdict of the rules a call would reach if those did not match.
func (f *Filter) DecideFrom(d Data, first int) Outcome {
	if d.Arch != f.auditArch || (f.x32 && uint32(d.Nr)&x32Bit != 0) {
		return Outcome{Action: ActionKillProcess, Rule: RuleForeignArch}
	}
	for _, i := range f.byNr[uint32(d.Nr)] {
		if f.rules[i].out.Rule >= first && f.rules[i].matches(&d.Args) {
			return f.rules[i].out
		}
	}
	return f.def
}

// Outcome is the profile's verdict on syscall nr with args, for the
// architecture the filter was compiled for.
func (f *Filter) Outcome(nr int32, args [6]uint64) Outcome {
	return f.Decide(Data{Nr: nr, Arch: f.auditArch, Args: args})
}

// Decide is the profile's verdict on d, as reported in seccomp_notif.data.
// Syscalls of another architecture or ABI get ActionKillProcess (see the
// package documentation).
func (f *Filter) Decide(d Data) Outcome {
	if d.Arch != f.auditArch || (f.x32 && uint32(d.Nr)&x32Bit != 0) {
		return Outcome{Action: ActionKillProcess, Rule: RuleForeignArch}
	}
	for _, i := range f.byNr[uint32(d.Nr)] {
		if f.rules[i].matches(&d.Args) {
			return f.rules[i].out
		}
	}
	return f.def
}
