package supervisor

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/filewatch"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// killInterval is how often SIGKILL is repeated after the grace period, for
// processes forked between one sweep and the next.
const killInterval = 100 * time.Millisecond

// supervisor is the state of one Run; only Run's goroutine touches it.
type supervisor struct {
	cfg  Config
	log  *zap.Logger
	pid1 bool

	app      int                 // the app's pid
	status   *syscall.WaitStatus // the app's status, once reaped
	leftOver bool                // processes left by the app were sent SIGTERM

	grace *time.Timer  // armed at the first TERM/INT or when the app exits
	kill  *time.Ticker // repeats SIGKILL once the grace period is over
}

// Run starts the app described by cfg and supervises it until no process is
// left below vigil. It returns the app's exit status in the convention of
// docker run: its own code, or 128+N when signal N killed it. An error means
// the app could not be started; match it with ErrCommandNotFound and
// ErrNotExecutable.
func Run(cfg Config, sigs *signals.Set, log *zap.Logger) (int, error) {
	if err := cfg.Validate(); err != nil {
		cfg.Sandbox.Abort()
		return 0, err
	}
	s := &supervisor{cfg: cfg, log: log, pid1: os.Getpid() == 1}
	var err error
	if !s.pid1 {
		if err = linux.SetChildSubreaper(); err != nil {
			cfg.Sandbox.Abort()
			return 0, fmt.Errorf("becoming the reaper of orphans (vigil is not PID 1): %w", err)
		}
	}
	// Not before every signal that would end vigil under the app is registered.
	sigs.Wait()
	hideSelf(log)
	xw := newExecWatch(&cfg, log)
	var asked []concern
	if xw != nil {
		asked = append(asked, xw)
	}
	if fc := (fileCalls{attribute: attributesFiles(&cfg), rules: cfg.FileRules && cfg.Exec != nil, traversal: cfg.Traversal && cfg.FileRules && cfg.Exec != nil}); fc.attribute || fc.rules {
		asked = append(asked, fc)
	}
	if cfg.Network != nil {
		asked = append(asked, netCalls{policy: cfg.Network, learned: cfg.LearnNetwork})
	}
	concerns, err := watchConcerns(&cfg, asked...)
	if err != nil {
		cfg.Sandbox.Abort()
		return 0, fmt.Errorf("watching the calls of the app: %w", err)
	}
	s.cfg = cfg // with the filter watchConcerns may have made
	defer xw.stop()
	who := newWriters()
	base := &baselineRef{}
	fw := startFileWatch(&cfg, who, func(m *filewatch.Manifest) { xw.setBaseline(m); base.set(m) }, log)
	// Beside the app, from before it starts: an outsider may come at once.
	ps := startScan(&cfg, base, log)
	defer ps.wait()
	if cfg.Seccomp == nil && cfg.Credential.IsZero() && cfg.Sandbox == nil && !cfg.landlocks() {
		if s.app, err = spawn(cfg.Args); err != nil {
			fw.wait(0, log)
			return 0, err
		}
		s.logStart()
		code := s.loop(sigs)
		fw.wait(notifierDrain, log)
		return code, nil
	}
	pid, listener, conn, err := spawnSandboxed(&cfg)
	if pid == 0 {
		fw.wait(0, log)
		return 0, err
	}
	s.app = pid
	s.logStart()
	var n *notifier
	if err != nil {
		log.Debug("the sandbox failed before loading the filter", zap.Error(err))
	} else if listener >= 0 {
		watchExec(pid, conn, log)
		n = startNotifier(listener, conn, &cfg, who, concerns, log)
	}
	code := s.loop(sigs)
	n.wait(notifierDrain)
	fw.wait(notifierDrain, log)
	return code, nil
}

func (s *supervisor) logStart() {
	s.log.Info("app started", zap.Int("pid", s.app), zap.Strings("argv", s.cfg.Args),
		zap.Bool("pid1", s.pid1), zap.Bool("seccomp", s.cfg.Seccomp != nil))
}

// loop is the single owner of wait4(-1); it returns the app's exit status
// once every descendant is gone.
func (s *supervisor) loop(sigs *signals.Set) int {
	defer s.stopTimers()
	for {
		select {
		case <-sigs.Child:
			if s.reap() {
				return exitCode(*s.status)
			}
		case sig := <-sigs.Forward:
			s.forward(sig)
		case <-timerC(s.grace):
			s.log.Warn("grace period over, killing what is left", zap.Duration("grace", s.cfg.Grace))
			s.kill = time.NewTicker(killInterval)
			s.signalRest(syscall.SIGKILL)
		case <-tickerC(s.kill):
			s.signalRest(syscall.SIGKILL)
		}
	}
}

// reap collects every child that has exited and reports whether the app is
// done and nothing is left to wait for.
func (s *supervisor) reap() bool {
	for {
		r, ok, err := linux.ReapOne()
		switch {
		case errors.Is(err, syscall.ECHILD):
			if s.status == nil {
				// The app is our child until we reap it: this cannot happen.
				s.log.Error("bug: no children left but the app was never reaped", zap.Int("pid", s.app))
				ws := syscall.WaitStatus(125 << 8)
				s.status = &ws
			}
			return true
		case err != nil:
			s.log.Error("reaping", zap.Error(err))
			return false
		case !ok:
			if s.status != nil && !s.leftOver {
				s.stopLeftOver()
			}
			return false
		case r.Pid == s.app:
			s.status = &r.Status
			s.log.Info("app exited", zap.Int("pid", s.app), zap.Int("code", exitCode(r.Status)))
		default:
			s.log.Debug("reaped", zap.Int("pid", r.Pid), zap.Int("status", exitCode(r.Status)))
		}
	}
}

// stopLeftOver sends SIGTERM to what the app left running when it exited
// and starts the grace period.
func (s *supervisor) stopLeftOver() {
	s.leftOver = true
	if s.signalRest(syscall.SIGTERM) {
		s.log.Info("stopping processes left by the app", zap.Duration("grace", s.cfg.Grace))
	}
	s.armGrace()
}

// forward passes sig on to the app (or its process group), or to whatever
// is left once the app has exited. Failing to forward is never fatal.
func (s *supervisor) forward(sig os.Signal) {
	ssig, ok := sig.(syscall.Signal)
	if !ok {
		return
	}
	if s.status != nil {
		s.signalRest(ssig)
		return
	}
	target := s.app
	if s.cfg.Group {
		target = -s.app
	}
	if err := linux.Kill(target, ssig); err != nil && !errors.Is(err, syscall.ESRCH) {
		s.log.Warn("forwarding signal", zap.Stringer("signal", ssig), zap.Int("to", target), zap.Error(err))
	}
	if signals.StopsApp(sig) {
		s.armGrace()
	}
}

// signalRest sends sig to every process left below vigil (as PID 1: every
// other process in the namespace) and reports whether it reached any.
func (s *supervisor) signalRest(sig syscall.Signal) bool {
	if s.pid1 {
		return linux.Kill(-1, sig) == nil
	}
	pids, err := descendants()
	if err != nil {
		s.log.Warn("finding remaining processes", zap.Error(err))
	}
	reached := false
	for _, pid := range pids {
		reached = linux.Kill(pid, sig) == nil || reached
	}
	return reached
}

func (s *supervisor) armGrace() {
	if s.grace == nil {
		s.grace = time.NewTimer(s.cfg.Grace)
	}
}

func (s *supervisor) stopTimers() {
	if s.grace != nil {
		s.grace.Stop()
	}
	if s.kill != nil {
		s.kill.Stop()
	}
}

// timerC and tickerC give a nil channel, which never fires, until armed.
func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

func tickerC(t *time.Ticker) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

// exitCode converts a wait status to the exit code convention of docker run.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
