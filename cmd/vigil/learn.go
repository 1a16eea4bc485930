package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/netwatch"
	"github.com/vigilsec/vigil/supervisor/procwatch"
	"github.com/vigilsec/vigil/supervisor/seccomp"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// learnBaseline are allowed in every learned profile, so that it runs
// unchanged under docker run --security-opt seccomp=: what the container
// runtime itself calls after loading the profile and before the app's
// execve, and exit_group, so that every process can end (an app killed
// while learning never called it). vigil's own sandbox needs none of them:
// vigil lets through its calls before the app's execve.
//
// Measured with Docker 20.10.24 and runc 1.1.5 on amd64 (docs/seccomp.md,
// "Learning a profile"): with a profile whose default action is
// SCMP_ACT_LOG, the kernel's audit lines (type=1326) of the task named
// runc:[2:INIT], in 60 containers each as root, --user 1000:1000, --user
// with --cap-drop ALL and --security-opt no-new-privileges (the filter
// loaded last: a subset), and 10 each with --cap-drop ALL, --cap-add,
// --group-add, --workdir, --read-only, -t and --init. Every run made the
// same calls, except rt_sigreturn (some runs) and fchown (non-root only).
// Then each was denied in turn, under a static app that only calls
// exit_group: each below failed the container's start, except fcntl and
// fchown, whose errors runc ignores (kept for what their loss does), and
// rt_sigreturn, needed only when a signal comes. Left out, as denying them
// changed nothing: epoll_ctl (the Go runtime's, on /proc files, which the
// kernel refuses with EPERM anyway) and getpid (only for OCI hooks, which
// Docker does not set).
var learnBaseline = []string{
	// Listing /proc/self/fd (fstatfs: "ensure /proc/self/fd is on procfs")
	// to mark its fds close-on-exec (fcntl: a denial is silent, and runc
	// before 1.1.12 relies on it to keep them from the app), and again to
	// close them before the execve; the exec FIFO.
	"openat", "fstatfs", "getdents64", "fcntl", "close",
	// /proc/self/status, /etc/passwd, /etc/group, /proc/self/setgroups.
	"read", "fstat",
	// Capabilities: PR_CAPBSET_DROP for each, PR_SET_KEEPCAPS, capset, then
	// PR_CAP_AMBIENT for each.
	"capget", "capset", "prctl",
	// The user and groups (as root too), the working directory, the stdio
	// given to a non-root user (stat /dev/null; fchown: a denial is silent,
	// and the app cannot open /dev/stdout, measured).
	"setgroups", "setgid", "setuid", "chdir", "getcwd", "newfstatat", "fchown",
	"getppid",    // checks that its parent is still there
	"faccessat2", // looks the app up (with newfstatat)
	"write",      // tells runc start it is ready, through the exec FIFO
	"futex",
	"rt_sigreturn", // after a SIGURG (Go's preemption), which may come at any time
	"execve",
	"exit_group",
}

// learnArch is the only architecture a learned profile lists: the learning
// filter kills the calls of any other (the 32-bit ABIs included), and so
// does runc for an architecture the profile does not list (measured: an
// int 0x80 getpid ended in SIGSYS, exit 159).
var learnArch = map[string]specs.Arch{
	"amd64": specs.ArchX86_64, "arm64": specs.ArchAARCH64, "386": specs.ArchX86, "arm": specs.ArchARM,
}[runtime.GOARCH]

// setupLearn is vigil learn [flags] -- CMD: it runs CMD as vigil run would,
// with every syscall reported and let through, and when CMD exits writes
// the least profile that allows what it did (PREFIX.json, usable by docker
// run --security-opt seccomp= and vigil run --seccomp-profile) and a policy
// using it (PREFIX.yaml).
func setupLearn(fs *pflag.FlagSet, sigs *signals.Set) func([]string) int {
	cfg := supervisor.DefaultConfig()
	fs.BoolVar(&cfg.Group, "group", false, "forward signals to the app's process group, not only the app")
	fs.DurationVar(&cfg.Grace, "grace", cfg.Grace, "at shutdown, time between SIGTERM and SIGKILL for processes left running")
	out := fs.String("out", "vigil-learned", "write the profile to OUT.json and the policy to OUT.yaml")
	lf := addLogFlags(fs)
	return func(args []string) int {
		if sigs == nil {
			fail("learn: bug: signal handlers were not registered at start")
			return exitError
		}
		log, err := newLogger(lf)
		if err != nil {
			fail("learn: %v", err)
			return exitError
		}
		learned := &learner{}
		cfg.Args, cfg.Learn, cfg.Workload = args, learned.add, "learn"
		// What the learning filter does not let through (calls of another
		// architecture, killed) is reported as by vigil run.
		if cfg.Events, err = events.NewAggregator(events.NewJSONLines(os.Stderr)); err != nil {
			fail("learn: %v", err)
			return exitError
		}
		defer cfg.Events.Close()
		// Every call is notified (LOG), recorded and let through.
		if cfg.Seccomp, err = seccomp.Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActLog}, ""); err != nil {
			fail("learn: %v", err)
			return exitError
		}
		if supervisor.SeccompNotifyAvailable() {
			cfg.Exec = &procwatch.ExecConfig{Drift: rules.DriftOff, Self: os.Getpid(), Learned: learned.addExec}
			if cfg.Network, err = netwatch.Compile(netwatch.PolicyConfig{}); err != nil {
				fail("learn: bug: %v", err)
				return exitError
			}
			cfg.LearnNetwork = learned.net.add
		}
		code, err := supervisor.Run(cfg, sigs, log)
		if err != nil {
			fail("learn: %v", err)
			return supervisor.ExitCode(err)
		}
		if err := learned.write(*out); err != nil {
			fail("learn: %v", err)
			return exitError
		}
		fmt.Fprintf(os.Stderr, "vigil: learn: %d syscalls, %d programs; wrote %s.json and %s.yaml\n", len(learned.names()), len(learned.programs()), *out, *out)
		return code
	}
}

// learner keeps the syscall names and the programs a learning run saw.
type learner struct {
	net  netLearner
	mu   sync.Mutex
	seen map[string]bool
	// execs are the files executed, with the argv[0] base names they were
	// run by (a multi-call binary such as busybox runs what argv[0] names).
	execs map[string]map[string]bool
}

// addExec records that the app executed path as argv0; the exec watch
// calls it.
func (l *learner) addExec(path, argv0 string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.execs == nil {
		l.execs = map[string]map[string]bool{}
	}
	if l.execs[path] == nil {
		l.execs[path] = map[string]bool{}
	}
	if argv0 != "" {
		l.execs[path][filepath.Base(argv0)] = true
	}
}

// programs are the files executed, sorted.
func (l *learner) programs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.execs))
}

// execSection is the exec section of the learned policy: what the app ran
// is allowed, anything else reported. A file run under names other than
// its own (busybox's applets) is allowed by those names only.
func (l *learner) execSection() string {
	paths := l.programs()
	if len(paths) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("# What the app executed; anything else is reported (default: deny refuses it).\nexec:\n  default: alert\n  allow:\n")
	for i, p := range paths {
		fmt.Fprintf(&b, "    - name: learned.%d\n      path: [%s]\n", i, strconv.Quote(p))
		l.mu.Lock()
		names := slices.Sorted(maps.Keys(l.execs[p]))
		l.mu.Unlock()
		if len(names) > 0 && !(len(names) == 1 && names[0] == filepath.Base(p)) {
			quoted := make([]string, len(names))
			for j, n := range names {
				quoted[j] = strconv.Quote(n)
			}
			fmt.Fprintf(&b, "      program: [%s]\n", strings.Join(quoted, ", "))
		}
	}
	return b.String()
}

// add records that the app called name; the notifier calls it.
func (l *learner) add(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[name] = true
}

func (l *learner) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := slices.Clone(learnBaseline)
	for n := range l.seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// write writes the learned profile and a policy that uses it.
func (l *learner) write(prefix string) error {
	errno := uint(1)
	profile := specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: &errno,
		Architectures:   []specs.Arch{learnArch},
		Syscalls:        []specs.LinuxSyscall{{Names: l.names(), Action: specs.ActAllow}},
	}
	b, err := json.MarshalIndent(profile, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the learned profile: %w", err)
	}
	if err := os.WriteFile(prefix+".json", append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the learned profile: %w", err)
	}
	policy := fmt.Sprintf("# Learned by vigil learn: every syscall the app made, and nothing else.\n"+
		"apiVersion: vigil.dev/v1\nkind: Policy\nseccomp:\n  profile: ./%s.json\n%s%s", filepath.Base(prefix), l.execSection(), l.net.section())
	if err := os.WriteFile(prefix+".yaml", []byte(policy), 0o644); err != nil {
		return fmt.Errorf("writing the learned policy: %w", err)
	}
	return nil
}
