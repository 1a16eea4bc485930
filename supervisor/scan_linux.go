package supervisor

import (
	"errors"
	"slices"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/supervisor/filewatch"
	"github.com/vigilsec/vigil/supervisor/procwatch"
)

// procScan runs the /proc scan (package procwatch) beside the app.
type procScan struct {
	stop, done chan struct{}
}

// baselineRef holds the baseline once it is read, for the watches that
// start before it is.
type baselineRef struct {
	m atomic.Pointer[filewatch.Manifest]
}

func (b *baselineRef) set(m *filewatch.Manifest) {
	if m != nil {
		b.m.Store(m)
	}
}

// has says whether path is in the baseline; ok is false until it is read,
// and for a path outside its roots, on which it takes no stand.
func (b *baselineRef) has(path string) (known, ok bool) {
	m := b.m.Load()
	if m == nil || !procwatch.WithinRoots(path, m.Roots) {
		return false, false
	}
	_, known = m.Lookup(path)
	return known, true
}

// startScan starts the scan that cfg.Scan asks for, reporting to
// cfg.Events; nil without one.
func startScan(cfg *Config, base *baselineRef, log *zap.Logger) *procScan {
	if cfg.Scan == nil {
		return nil
	}
	sc := *cfg.Scan
	if cfg.Baseline != nil || cfg.BaselineFile != "" {
		sc.InBaseline = base.has
	}
	s, err := procwatch.NewScanner(sc)
	if err != nil {
		log.Error("bug: the process scan's configuration", zap.Error(err))
		return nil
	}
	ps := &procScan{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(ps.done)
		err := s.Run(ps.stop, func(f procwatch.Finding) {
			if slices.Contains(cfg.RulesOff, f.Rule) {
				return
			}
			ev, err := f.Event()
			if err != nil {
				log.Error("bug: a process event", zap.Error(err))
				return
			}
			ev.Workload, ev.Container = cfg.Workload, events.Container{Hostname: cfg.Hostname}
			if err := cfg.Events.Emit(ev); err != nil && !errors.Is(err, events.ErrDropped) {
				log.Warn("emitting an event", zap.Error(err))
			}
		})
		if err != nil {
			degradedScan(cfg, err, log)
		}
	}()
	return ps
}

// degradedScan says, in a lifecycle event, that the scan stopped.
func degradedScan(cfg *Config, err error, log *zap.Logger) {
	log.Warn("the process scan stopped", zap.Error(err))
	ev := events.New(events.KindLifecycle, "vigil.procscan", events.SeverityMedium, events.ActionAlert)
	ev.Workload, ev.Container = cfg.Workload, events.Container{Hostname: cfg.Hostname}
	if ev.SetDetails(events.LifecycleDetails{What: "degraded", Component: "procscan", Error: err.Error()}) == nil {
		cfg.Events.Emit(ev) //nolint:errcheck // reported as best it can
	}
}

// wait stops the scan; a nil scan is done.
func (ps *procScan) wait() {
	if ps == nil {
		return
	}
	close(ps.stop)
	<-ps.done
}
