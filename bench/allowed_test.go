package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// Environment of the test binary run as the filtered task of
// BenchmarkAllowedSyscall: how many calls to time, of which syscall (the
// name of an allowedSyscalls entry), and the programs to install first
// (files of struct sock_filter, in order, the last one with a
// notification listener).
const (
	allowedCallsEnv   = "VIGIL_BENCH_ALLOWED_CALLS"
	allowedSyscallEnv = "VIGIL_BENCH_ALLOWED_SYSCALL"
	allowedFiltersEnv = "VIGIL_BENCH_ALLOWED_FILTERS"
)

// allowedSyscall is one call that Docker's default profile allows.
type allowedSyscall struct {
	name string
	nr   uintptr
	arg  uintptr // its first argument
}

var allowedSyscalls = []allowedSyscall{
	// Allowed whatever its arguments: the kernel's action cache (5.11+)
	// answers it without running any program, so it measures seccomp's
	// syscall-entry work, not the programs.
	{name: "getppid", nr: unix.SYS_GETPPID},
	// Allowed only for arguments 0x0, 0x8, 0x20000, 0x20008 and
	// 0xffffffff (a query that changes nothing), so every call runs every
	// program: the comparison of vigil's program with libseccomp's.
	{name: "personality", nr: unix.SYS_PERSONALITY, arg: 0xffffffff},
}

// dockerProfilePath is the profile measured, relative to bench/.
const dockerProfilePath = "../supervisor/seccomp/profiles/docker-default.json"

// harnessSource is the C program that compiles the profile with libseccomp.
const harnessSource = "libseccomp/harness.c"

// warmupCalls are untimed calls before the timed ones, which a
// child times in timeBlocks blocks and reports the median block of (as
// libseccomp/harness.c does).
const (
	warmupCalls = 100_000
	timeBlocks  = 20
)

// allowedVariant is one filter set-up whose allowed syscall is timed.
type allowedVariant struct {
	name string
	// filters lists the programs the Go child installs (vigil's listener
	// on the last), or, with c, the rules the C harness loads instead.
	filters func(p *allowedPrograms) []string
	c       bool
}

func noFilters(*allowedPrograms) []string { return nil }

var allowedVariants = []allowedVariant{
	{name: "none", filters: noFilters},
	{name: "vigil", filters: func(p *allowedPrograms) []string { return []string{p.vigil} }},
	{name: "libseccomp", filters: func(p *allowedPrograms) []string { return []string{p.libseccomp} }},
	// As under Docker: runc loads Docker's filter before vigil loads its own.
	{name: "vigil-on-libseccomp", filters: func(p *allowedPrograms) []string { return []string{p.libseccomp, p.vigil} }},
	// The C harness times its own loop, with libseccomp's seccomp_load:
	// a cross-check of the Go child's loop and of the exported program.
	{name: "c-none", c: true, filters: noFilters},
	{name: "c-libseccomp", c: true, filters: func(p *allowedPrograms) []string { return []string{p.rules} }},
}

// BenchmarkAllowedSyscall measures what seccomp costs a system call the
// profile allows: getppid and personality, each timed in a fresh child
// process (filters stack, and all of them run) with no filter, under
// vigil's compile of Docker's default profile, under libseccomp's compile
// of the same profile, and under both stacked. One op is one call; ns/call
// is the child's own timing (the median of 20 blocks of b.N/20 calls),
// ns/op the benchmark's (the child's start and exit included).
func BenchmarkAllowedSyscall(b *testing.B) {
	for _, sc := range allowedSyscalls {
		b.Run(sc.name, func(b *testing.B) {
			for _, v := range allowedVariants {
				b.Run(v.name, func(b *testing.B) {
					p, err := programsOnce()
					if err != nil {
						b.Fatal(err)
					}
					if v.name != "none" && v.name != "vigil" && p.skip != "" {
						b.Skip(p.skip)
					}
					b.ReportMetric(timeAllowedCalls(b, sc, v, p), "ns/call")
				})
			}
		})
	}
}

// timeAllowedCalls runs one child and returns its ns per call of sc, after
// checking that it ran under as many seccomp filters as v lists.
func timeAllowedCalls(b *testing.B, sc allowedSyscall, v allowedVariant, p *allowedPrograms) float64 {
	b.Helper()
	files := v.filters(p)
	calls := strconv.Itoa(b.N)
	var cmd *exec.Cmd
	if v.c {
		args := []string{"time", calls, strconv.FormatUint(uint64(sc.nr), 10), strconv.FormatUint(uint64(sc.arg), 10)}
		cmd = exec.Command(p.harness, append(args, files...)...)
	} else {
		cmd = exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
		cmd.Env = append(os.Environ(),
			allowedCallsEnv+"="+calls,
			allowedSyscallEnv+"="+sc.name,
			allowedFiltersEnv+"="+strings.Join(files, string(os.PathListSeparator)))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s child: %v\n%s", v.name, err, stderr.Bytes())
	}
	var ns float64
	var filters int
	if _, err := fmt.Sscan(string(out), &ns, &filters); err != nil {
		b.Fatalf("%s child printed %q: %v", v.name, out, err)
	}
	if filters != len(files) {
		b.Fatalf("%s child ran under %d seccomp filters, want %d", v.name, filters, len(files))
	}
	return ns
}

// allowedPrograms are the files the children need, made once per test
// binary: vigil's program, libseccomp's, the rules both came from and the
// C harness. skip says why libseccomp's variants cannot run, if they
// cannot.
type allowedPrograms struct {
	dir        string
	vigil      string
	rules      string
	harness    string
	libseccomp string
	skip       string
}

var programsOnce = sync.OnceValues(makePrograms)

func makePrograms() (*allowedPrograms, error) {
	spec, err := seccomp.LoadProfile(dockerProfilePath, seccomp.DockerCapabilities)
	if err != nil {
		return nil, err
	}
	f, err := seccomp.Compile(spec, "")
	if err != nil {
		return nil, err
	}
	prog, err := f.EncodeProgram()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vigil-bench-seccomp-")
	if err != nil {
		return nil, err
	}
	allowedDir = dir
	p := &allowedPrograms{
		dir:        dir,
		vigil:      filepath.Join(dir, "vigil.bpf"),
		rules:      filepath.Join(dir, "rules.txt"),
		harness:    filepath.Join(dir, "harness"),
		libseccomp: filepath.Join(dir, "libseccomp.bpf"),
	}
	if err := os.WriteFile(p.vigil, prog, 0o600); err != nil {
		return nil, err
	}
	rules, err := libseccompRules(spec)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(p.rules, rules, 0o600); err != nil {
		return nil, err
	}
	p.skip = buildHarness(p)
	return p, nil
}

// allowedDir is removed by TestMain.
var allowedDir string

// buildHarness compiles the C harness and has it export libseccomp's
// program; it returns why not, when it cannot.
func buildHarness(p *allowedPrograms) string {
	if _, err := exec.LookPath("gcc"); err != nil {
		return "gcc not installed: apt-get install gcc libseccomp-dev"
	}
	msg, err := exec.Command("gcc", "-O2", "-o", p.harness, harnessSource, "-lseccomp").CombinedOutput()
	if err != nil {
		if bytes.Contains(msg, []byte("seccomp.h")) || bytes.Contains(msg, []byte("-lseccomp")) {
			return "libseccomp-dev not installed: apt-get install libseccomp-dev"
		}
		return fmt.Sprintf("compiling %s: %v\n%s", harnessSource, err, msg)
	}
	cmd := exec.Command(p.harness, "export", p.rules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	prog, err := cmd.Output()
	if err == nil {
		err = os.WriteFile(p.libseccomp, prog, 0o600)
	}
	if err != nil {
		return fmt.Sprintf("libseccomp's program: %v\n%s", err, stderr.Bytes())
	}
	return ""
}

// libseccompRules writes the resolved profile in the harness's format.
// Like runc and vigil's compiler, it ANDs a rule's comparisons unless one
// argument index repeats, and then adds one rule per comparison; it drops
// rules whose action is the default one, which libseccomp refuses.
func libseccompRules(s *specs.LinuxSeccomp) ([]byte, error) {
	var buf bytes.Buffer
	def, err := libseccompAction(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&buf, "default %s\n", def)
	for _, a := range s.Architectures {
		fmt.Fprintf(&buf, "arch %s\n", strings.ToLower(strings.TrimPrefix(string(a), "SCMP_ARCH_")))
	}
	for _, sc := range s.Syscalls {
		act, err := libseccompAction(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, err
		}
		if act == def {
			continue
		}
		alts := [][]specs.LinuxSeccompArg{sc.Args}
		if repeatsIndex(sc.Args) {
			alts = alts[:0]
			for _, a := range sc.Args {
				alts = append(alts, []specs.LinuxSeccompArg{a})
			}
		}
		for _, name := range sc.Names {
			for _, args := range alts {
				fmt.Fprintf(&buf, "rule %s %s", name, act)
				for _, a := range args {
					fmt.Fprintf(&buf, " %d %s %d %d", a.Index, strings.TrimPrefix(string(a.Op), "SCMP_CMP_"), a.Value, a.ValueTwo)
				}
				buf.WriteByte('\n')
			}
		}
	}
	return buf.Bytes(), nil
}

// libseccompAction is "ACTION ERRNO" in the harness's format. Docker's
// SCMP_ACT_ERRNO without errnoRet is EPERM.
func libseccompAction(act specs.LinuxSeccompAction, errnoRet *uint) (string, error) {
	name := strings.TrimPrefix(string(act), "SCMP_ACT_")
	switch name {
	case "ALLOW", "KILL", "KILL_PROCESS", "KILL_THREAD", "TRAP", "LOG":
		return name + " 0", nil
	case "ERRNO":
		e := uint(unix.EPERM)
		if errnoRet != nil {
			e = *errnoRet
		}
		return "ERRNO " + strconv.FormatUint(uint64(e), 10), nil
	}
	return "", fmt.Errorf("action %s: not measured with libseccomp", act)
}

func repeatsIndex(args []specs.LinuxSeccompArg) bool {
	var seen [6]bool
	for _, a := range args {
		if a.Index < 6 {
			if seen[a.Index] {
				return true
			}
			seen[a.Index] = true
		}
	}
	return false
}

// allowedChild is the filtered task: it installs the programs named in
// allowedFiltersEnv, in order (the last one as vigil does, with a
// listener it closes: the syscall is allowed and never notifies), times
// calls calls of the syscall named in allowedSyscallEnv and prints ns per
// call and its Seccomp_filters.
func allowedChild(calls int) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 1 }
	name := os.Getenv(allowedSyscallEnv)
	i := slices.IndexFunc(allowedSyscalls, func(sc allowedSyscall) bool { return sc.name == name })
	if i < 0 {
		return fail(fmt.Errorf("%s=%q: not one of allowedSyscalls", allowedSyscallEnv, name))
	}
	sc := allowedSyscalls[i]
	var files []string
	if s := os.Getenv(allowedFiltersEnv); s != "" {
		files = filepath.SplitList(s)
	}
	if err := installFilters(files); err != nil {
		return fail(err)
	}
	// A denied call (ENOSYS: nobody holds the listener) would time the
	// wrong path.
	if _, _, errno := unix.RawSyscall(sc.nr, sc.arg, 0, 0); errno != 0 {
		return fail(fmt.Errorf("%s(%#x): %w", sc.name, sc.arg, errno))
	}
	ns := timeCalls(sc, calls)
	filters, err := seccompFilters()
	if err != nil {
		return fail(err)
	}
	fmt.Printf("%.3f %d\n", ns, filters)
	return 0
}

// installFilters installs the programs in files, in order, the last one
// with a listener it closes.
func installFilters(files []string) error {
	if len(files) > 0 {
		if err := linux.SetNoNewPrivs(); err != nil {
			return err
		}
	}
	for i, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		prog, err := seccomp.DecodeProgram(b)
		if err != nil {
			return err
		}
		if i < len(files)-1 {
			err = installPlain(prog)
		} else {
			var listener int
			listener, err = linux.InstallNotifyProgram(prog)
			unix.Close(listener)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	return nil
}

// timeCalls makes warmupCalls untimed calls of sc, then calls timed ones
// in timeBlocks blocks, and returns ns per call in the median block: the
// median shrugs off what other tasks of a shared machine take from a few
// blocks.
func timeCalls(sc allowedSyscall, calls int) float64 {
	for range warmupCalls {
		unix.RawSyscall(sc.nr, sc.arg, 0, 0)
	}
	blocks := min(timeBlocks, calls)
	perBlock := make([]time.Duration, blocks)
	for i := range perBlock {
		start := time.Now()
		for range calls / blocks {
			unix.RawSyscall(sc.nr, sc.arg, 0, 0)
		}
		perBlock[i] = time.Since(start)
	}
	return float64(median(perBlock).Nanoseconds()) / float64(calls/blocks)
}

// installPlain loads a filter without a listener (a chain has at most one)
// on every thread, as runc loads Docker's.
func installPlain(raw []bpf.RawInstruction) error {
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	tid, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	switch {
	case errno != 0:
		return fmt.Errorf("seccomp(SET_MODE_FILTER): %w", errno)
	case tid != 0:
		return fmt.Errorf("seccomp(SET_MODE_FILTER, TSYNC): thread %d cannot take the filter", tid)
	}
	return nil
}

// seccompFilters reads Seccomp_filters (kernel 5.9+) from /proc/self/status.
func seccompFilters() (int, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "Seccomp_filters:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, errors.New("no Seccomp_filters in /proc/self/status (kernel before 5.9)")
}
