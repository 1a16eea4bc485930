package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"time"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/rules"

	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/filewatch"
	prestarted "github.com/vigilsec/vigil/supervisor/prestart/early"
	"github.com/vigilsec/vigil/supervisor/procwatch"
	"github.com/vigilsec/vigil/supervisor/seccomp"
	"github.com/vigilsec/vigil/supervisor/signals"
)

const runExitCodes = `
Exit status (as docker run):
  the app's own code   when it exits
  128+N                when signal N killed it
  127                  CMD not found
  126                  CMD found but not executable
  125                  vigil's own error (bad flag or configuration, cannot start)
`

// runOptions are vigil run's flags beyond the supervisor's own config.
type runOptions struct {
	policy, seccompProfile, baseline string
	bus                              *busOptions
	// seccompCaps, set by setupGuard, are the capabilities the seccomp
	// profile was resolved for (nil: no profile), for the started event.
	seccompCaps []string
	// execWatch turns the exec watch on (the default); exec is what it got.
	execWatch bool
	exec      execState
	// net is what the network concern got.
	net netState
	// scanInterval is the /proc scan's period, 0 for none.
	scanInterval time.Duration
	// rules is --rules: the default rule pack, or off.
	rules string
}

// runFlags defines the flags of vigil run on fs and returns the config they fill.
func runFlags(fs *pflag.FlagSet) (*supervisor.Config, *runOptions) {
	cfg, opts := supervisor.DefaultConfig(), &runOptions{}
	fs.BoolVar(&cfg.Group, "group", false, "forward signals to the app's process group, not only the app")
	fs.DurationVar(&cfg.Grace, "grace", cfg.Grace, "at shutdown, time between SIGTERM and SIGKILL for processes left running")
	fs.StringVar(&opts.policy, "policy", "", "the policy file (YAML; default "+defaultPolicy+" when present)")
	fs.StringVar(&opts.seccompProfile, "seccomp-profile", "", "start the app under this Docker/OCI seccomp profile (JSON, or docker-default for the built-in one), replacing the policy's, and report every call it does not allow")
	fs.StringVar(&opts.baseline, "baseline", "", "watch the files of this baseline (vigil baseline) while the app runs, and report every change (default "+defaultBaseline+" when present; off: none)")
	fs.DurationVar(&cfg.SensitiveLate, "sensitive-late", cfg.SensitiveLate, "report a read of a sensitive file this long after the start as files.sensitive-late (a server reads its secrets as it starts; 0: never)")
	fs.DurationVar(&cfg.Rescan, "rescan", filewatch.DefaultRescan, "with a baseline, compare every file with it this often too (0: only at start)")
	fs.StringVar(&cfg.Workload, "workload", "", "the workload name in events and subjects (default: the hostname)")
	fs.BoolVar(&opts.execWatch, "exec-watch", true, "judge every exec of the app's processes by the policy's exec section and the baseline, and report what they say (false: none, and the app starts faster)")
	fs.DurationVar(&opts.scanInterval, "scan-interval", procwatch.DefaultInterval, "scan /proc this often for what no exec shows: processes entered from outside (docker exec), fileless or drifted programs running, unexpected root, new listeners, reverse shells, CPU hogs (0: never)")
	fs.StringVar(&opts.rules, "rules", rulesDefault, "the default rule pack (docs/rules.md), applied with the exec watch: default, or off (the policy's rules section turns single rules off)")
	opts.bus = addBusFlags(fs)
	return &cfg, opts
}

func setupRun(fs *pflag.FlagSet, sigs *signals.Set) func([]string) int {
	cfg, opts := runFlags(fs)
	lf := addLogFlags(fs)
	return func(args []string) int {
		if sigs == nil {
			fail("run: bug: signal handlers were not registered at start")
			return exitError
		}
		cfg.Args = args
		// Started early, in case; Run takes it over, else this ends it.
		cfg.Sandbox = prestarted.Sandbox
		defer cfg.Sandbox.Abort()
		if err := cfg.Validate(); err != nil {
			fail("run: %v", err)
			return exitError
		}
		log, err := newLogger(lf)
		if err != nil {
			fail("run: %v", err)
			return exitError
		}
		defer log.Sync() //nolint:errcheck // stderr may not support sync
		if err := setupGuard(cfg, opts, log); err != nil {
			fail("run: %v", err)
			return exitError
		}
		defer opts.net.close()
		if cfg.Events != nil {
			defer func() {
				if err := cfg.Events.Close(); err != nil {
					log.Warn("closing the event sink", zap.Error(err))
				}
			}()
		}
		bus := opts.bus.conn.URLs != ""
		if bus {
			d := started(policyPath(opts.policy), opts.seccompCaps)
			opts.exec.features(d.Features)
			opts.net.features(d.Features)
			lifecycle(cfg, d, log)
		}
		code, err := supervisor.Run(*cfg, sigs, log)
		if err != nil {
			fail("run: %v", err)
			code = supervisor.ExitCode(err)
		}
		if bus {
			lifecycle(cfg, events.LifecycleDetails{What: "stopped", ExitCode: &code}, log)
		}
		return code
	}
}

// setupGuard puts the filter and privilege drop that the policy and
// profile ask for, and the baseline to watch, into cfg, with the event sink
// and identity their reports need.
func setupGuard(cfg *supervisor.Config, opts *runOptions, log *zap.Logger) error {
	pack, err := packWanted(opts.rules, opts.execWatch)
	if err != nil {
		return err
	}
	g, err := loadGuard(policyPath(opts.policy), opts.seccompProfile, pack)
	if err != nil {
		return err
	}
	cfg.Seccomp, cfg.SeccompRules, cfg.Credential = g.filter, g.ruleNames, g.cred
	cfg.SeccompSeverities, cfg.SeccompPack = g.severities, g.packRules
	opts.seccompCaps = g.seccompCaps
	baseline, err := loadBaseline(cfg, opts.baseline)
	if err != nil {
		return err
	}
	if opts.exec, err = setupExec(cfg, g.exec, g.pack, baseline, opts.execWatch, log); err != nil {
		return err
	}
	if opts.net, err = setupNetwork(cfg, g.network, g.pack, log); err != nil {
		return err
	}
	if err := setupScan(cfg, opts.scanInterval, g.cred, g.pack, opts.net.declared(g.network)); err != nil {
		return err
	}
	opts.exec.pack = packState(g.pack, pack, opts.rules)
	cfg.Sensitive = g.sensitive
	if len(g.readOnly) > 0 {
		cfg.ReadOnly, cfg.Hidden = g.readOnly, g.own
		if opts.seccompProfile != "" && opts.seccompProfile != seccomp.DockerDefaultName {
			cfg.Hidden = append(cfg.Hidden, opts.seccompProfile)
		}
		if baseline != "" {
			cfg.Hidden = append(cfg.Hidden, baseline)
		}
		for i, p := range cfg.Hidden {
			cfg.Hidden[i], _ = filepath.Abs(p)
		}
	}
	if len(g.readOnly) > 0 {
		for _, f := range opts.bus.ownPaths() {
			abs, _ := filepath.Abs(f)
			cfg.Hidden = append(cfg.Hidden, abs)
		}
	}
	bus := opts.bus.conn.URLs != ""
	cfg.Own = ownFiles(opts, g, baseline)
	if !bus && cfg.Seccomp == nil && cfg.Exec == nil && cfg.Network == nil && cfg.Scan == nil && cfg.Baseline == nil && cfg.BaselineFile == "" && len(cfg.ReadOnly) == 0 && len(cfg.Sensitive) == 0 && len(cfg.Own) == 0 {
		return nil
	}
	if cfg.Seccomp != nil && len(cfg.Seccomp.Unknown) > 0 {
		log.Debug("seccomp profile names syscalls this architecture does not have; skipped",
			zap.Strings("syscalls", cfg.Seccomp.Unknown))
	}
	cfg.Hostname, _ = os.Hostname()
	if cfg.Workload == "" {
		cfg.Workload = cfg.Hostname
	}
	if cfg.Workload == "" {
		cfg.Workload = "unknown"
	}
	var next events.Sink = events.NewJSONLines(os.Stderr)
	if bus {
		b, err := opts.bus.openBus(cfg, log)
		if err != nil {
			return fmt.Errorf("NATS: %w", err)
		}
		next = b
		if dir, err := filepath.Abs(b.OutboxDir()); err == nil {
			cfg.Own = append(cfg.Own, filewatch.Own{Path: dir, Verify: b.VerifyOutbox})
		}
	}
	sink, err := events.NewAggregator(next)
	if err != nil {
		next.Close()
		return err
	}
	cfg.Events = sink
	if len(cfg.ReadOnly) > 0 && supervisor.LandlockABI() == 0 {
		// Detection goes on; enforcement cannot.
		log.Warn("the kernel has no Landlock (or it is blocked): files.protect enforce is off")
		degraded(cfg, sink, "landlock", "Landlock is not available: protected paths stay writable")
		cfg.ReadOnly, cfg.Hidden = nil, nil
	}
	if opts.exec.drift == rules.DriftDeny && opts.exec.enforcement == "off" { // notification only
		degraded(cfg, sink, "exec", "Landlock is not available: exec drift: deny is enforced only as far as the notification sees")
	}
	if opts.net.degraded {
		degraded(cfg, sink, "network", "Landlock has no TCP rules (ABI 4): the network policy is enforced only as far as the notification sees")
	}
	return nil
}

// ownFiles are the files vigil reads and the app must leave alone: the
// policy, a seccomp profile file, the baseline, the bus's credentials and
// certificates (the outbox, which vigil writes, is added with the bus).
// Every change to them is reported (rule files.vigil).
func ownFiles(opts *runOptions, g guard, baseline string) []filewatch.Own {
	paths := []string{policyPath(opts.policy), g.profileFile, baseline}
	if c := opts.bus.conn; c.URLs != "" {
		paths = append(paths, c.Creds, c.NKeySeed, c.CA, c.Cert, c.Key)
	}
	var own []filewatch.Own
	for _, p := range paths {
		if p == "" || p == seccomp.DockerDefaultName {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil && !slices.ContainsFunc(own, func(o filewatch.Own) bool { return o.Path == abs }) {
			own = append(own, filewatch.Own{Path: abs})
		}
	}
	return own
}

// loadBaseline puts the baseline to watch (a path, "" for the default when
// it exists, "off" for none) into cfg, with what the watch leaves out: the
// mount points and the baseline itself, and returns its absolute path (""
// for none). A file that is missing or not a baseline is an error: the app
// is not started without the watch it asked for.
func loadBaseline(cfg *supervisor.Config, path string) (string, error) {
	switch path {
	case "off":
		return "", nil
	case "":
		if _, err := os.Stat(defaultBaseline); err != nil {
			return "", nil
		}
		path = defaultBaseline
	}
	// Only its start here: it is read in full beside the app.
	if err := peekManifest(path); err != nil {
		return "", fmt.Errorf("baseline: %w", err)
	}
	skip, err := filewatch.MountPoints()
	if err != nil {
		return "", fmt.Errorf("baseline: reading the mount points: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("baseline: %w", err)
	}
	cfg.BaselineFile, cfg.BaselineSkip = abs, append(skip, abs)
	if cfg.Rescan == 0 {
		cfg.Rescan = -1 // --rescan 0: the first comparison only
	}
	return abs, nil
}

// peekManifest checks that path is there, a regular file (a FIFO would
// block vigil's start), and starts as a baseline does.
func peekManifest(path string) error {
	return filewatch.PeekFile(path)
}
