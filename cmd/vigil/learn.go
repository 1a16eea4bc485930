package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/seccomp"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// learnBaseline are allowed in every learned profile: what a container
// runtime (runc, or vigil's own sandbox) calls after loading the filter and
// before the app runs, and what every process needs to end.
var learnBaseline = []string{"execve", "exit", "exit_group", "rt_sigreturn", "futex", "close", "close_range"}

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
		code, err := supervisor.Run(cfg, sigs, log)
		if err != nil {
			fail("learn: %v", err)
			return supervisor.ExitCode(err)
		}
		if err := learned.write(*out); err != nil {
			fail("learn: %v", err)
			return exitError
		}
		fmt.Fprintf(os.Stderr, "vigil: learn: %d syscalls; wrote %s.json and %s.yaml\n", len(learned.names()), *out, *out)
		return code
	}
}

// learner keeps the syscall names a learning run saw.
type learner struct {
	mu   sync.Mutex
	seen map[string]bool
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
		Architectures:   []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
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
		"apiVersion: vigil.dev/v1\nkind: Policy\nseccomp:\n  profile: ./%s.json\n", filepath.Base(prefix))
	if err := os.WriteFile(prefix+".yaml", []byte(policy), 0o644); err != nil {
		return fmt.Errorf("writing the learned policy: %w", err)
	}
	return nil
}
