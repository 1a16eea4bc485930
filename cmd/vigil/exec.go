package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/filewatch"
	"github.com/vigilsec/vigil/supervisor/procwatch"
)

// execState is what the exec watch got, for the started event and vigil
// check.
type execState struct {
	// watch is "on", or "off" and why.
	watch string
	drift rules.Drift
	// enforcement is "landlock" when the kernel refuses drift, "off"
	// otherwise.
	enforcement string
	// pack is the rule pack's state: "default (N rules)", or "off (why)".
	pack string
}

// features adds the exec watch's state to the started event's features.
func (s execState) features(f map[string]string) {
	f["exec_watch"] = s.watch
	f["exec_drift"] = string(s.drift)
	f["exec_enforcement"] = s.enforcement
	f["rule_pack"] = s.pack
}

// setupExec puts the exec watch that sec (nil: the policy has no exec
// section) and the rule pack (nil: none) ask for into cfg: every execution
// of the app's processes is judged, and under drift: deny only the
// baseline's executables may run.
// baseline is the baseline's path, "" for none. With the watch off
// (watch false, or no seccomp user notification), drift: deny is still
// enforced by Landlock, unreported, memfds aside.
func setupExec(cfg *supervisor.Config, sec *rules.ExecSection, pack *rules.Pack, baseline string, watch bool, log *zap.Logger) (execState, error) {
	st := execState{watch: "on", drift: sec.EffectiveDrift(baseline != ""), enforcement: "off"}
	switch {
	case !watch:
		st.watch = "off (--exec-watch=false)"
	case !supervisor.SeccompNotifyAvailable():
		st.watch = "off (the kernel has no seccomp user notification)"
	}
	on := st.watch == "on"
	xc := &procwatch.ExecConfig{Drift: st.drift, Self: os.Getpid()}
	if sec != nil {
		judge, err := sec.Compile()
		if err != nil {
			return st, err
		}
		xc.Judge = judge.Judge
	}
	if pack != nil {
		judge, err := pack.ExecMatcher()
		if err != nil {
			return st, fmt.Errorf("bug: the rule pack: %w", err)
		}
		xc.Pack = judge.Match
	}
	if st.drift == rules.DriftDeny {
		if baseline == "" {
			return st, errors.New("exec: drift: deny needs a baseline (vigil baseline at build time, --baseline)")
		}
		allowed, err := execOnly(cfg, baseline, sec)
		if err != nil {
			return st, err
		}
		if supervisor.LandlockABI() == 0 {
			log.Warn("the kernel has no Landlock (or it is blocked): exec drift is refused only as the notification sees it")
		} else {
			cfg.ExecOnly, xc.Enforced, st.enforcement = allowed, true, "landlock"
		}
	}
	if !on {
		st.drift = rules.DriftOff // nothing reports it
		if cfg.ExecOnly != nil {
			st.enforcement = "landlock (unreported)"
		}
		return st, nil
	}
	cfg.Exec = xc
	cfg.Traversal = pack.On("files.traversal")
	cfg.FileRules = pack.On("files.log-clearing") || pack.On("files.link-sensitive") || cfg.Traversal
	if !pack.On("files.sensitive-late") {
		cfg.SensitiveLate = 0
	}
	cfg.RulesOff = builtinOff(pack)
	return st, nil
}

// builtinOff are the built-in rules of the pack that p turns off (all of
// them without a pack).
func builtinOff(p *rules.Pack) []string {
	var off []string
	for _, n := range rules.BuiltinRules {
		if !p.On(n) {
			off = append(off, n)
		}
	}
	return off
}

// execOnly reads the baseline now (Landlock needs its executables before
// the app starts) and gives it to the file watch too, and returns its
// executables less those sec's deny rules name by path alone (which the
// kernel then refuses too, race-free). The app itself must be one of them.
func execOnly(cfg *supervisor.Config, baseline string, sec *rules.ExecSection) ([]string, error) {
	m, _, err := filewatch.ReadFile(baseline)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	cfg.Baseline, cfg.BaselineFile = m, ""
	allowed := m.Executables()
	if sec != nil {
		for i := range sec.Deny {
			if r := &sec.Deny[i]; r.PathOnly() {
				allowed = slices.DeleteFunc(allowed, func(p string) bool { return slices.Contains(r.Path, p) })
			}
		}
	}
	if app, err := appPath(cfg.Args[0]); err == nil && !slices.Contains(allowed, app) {
		return nil, fmt.Errorf("%s: %w: exec drift: deny allows only the baseline's executables, and it is not one of them", app, supervisor.ErrNotExecutable)
	}
	if allowed == nil {
		allowed = []string{}
	}
	return allowed, nil
}

// appPath is the app's file, through $PATH and symlinks.
func appPath(name string) (string, error) {
	path, err := exec.LookPath(name)
	if errors.Is(err, exec.ErrDot) {
		err = nil
	}
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// degraded says, as a lifecycle event, that the kernel does not enforce
// what component asked of Landlock: msg says what is left.
func degraded(cfg *supervisor.Config, sink events.Sink, component, msg string) {
	ev := events.New(events.KindLifecycle, "vigil.landlock", events.SeverityHigh, events.ActionAlert)
	ev.Workload, ev.Container = cfg.Workload, events.Container{Hostname: cfg.Hostname}
	if err := ev.SetDetails(events.LifecycleDetails{What: "degraded", Component: component, Error: msg}); err == nil {
		sink.Emit(ev) //nolint:errcheck // stderr
	}
}
