package supervisor

import (
	"errors"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor/filewatch"
	"github.com/vigilsec/vigil/supervisor/procwatch"
)

// execWatch is the exec concern: it judges every execve and execveat the
// filter holds (package procwatch) and reports them beside the notify
// loop, and under drift: deny makes every memfd non-executable.
type execWatch struct {
	x    *procwatch.Execs
	cfg  *Config
	log  *zap.Logger
	done chan struct{}

	mu      sync.Mutex // held to send on reports, which stop closes
	stopped bool
	reports chan execReport
}

type execReport struct {
	e *procwatch.Exec
	v procwatch.Verdict
}

// execBacklog bounds the executions judged but not yet reported: past it
// the notify loop waits (the app's next exec with it), nothing is lost.
const execBacklog = 1024

func newExecWatch(cfg *Config, log *zap.Logger) *execWatch {
	if cfg.Exec == nil {
		return nil
	}
	w := &execWatch{x: procwatch.NewExecs(*cfg.Exec), cfg: cfg, log: log,
		reports: make(chan execReport, execBacklog), done: make(chan struct{})}
	go w.report()
	return w
}

// calls are the calls the exec watch asks the filter to report.
func (w *execWatch) calls() []specs.LinuxSyscall {
	calls := []specs.LinuxSyscall{{Names: []string{"execve", "execveat"}}}
	if w.cfg.Exec.Drift == rules.DriftDeny && w.cfg.Exec.Enforced {
		calls = append(calls, specs.LinuxSyscall{Names: []string{"memfd_create"}})
	}
	return calls
}

// handle answers one held call the exec watch asked for.
func (w *execWatch) handle(n *notifier, req *linux.SeccompNotif, name string) {
	if name == "memfd_create" {
		w.memfd(n, req)
		return
	}
	if w.cfg.Learn != nil {
		w.cfg.Learn(name) // the learned profile must allow it
	}
	pid := int(req.Pid)
	var asOwner func(linux.TaskIDs, func())
	if !n.ptrace {
		asOwner = func(ids linux.TaskIDs, fn func()) { n.asOwner(ownerFrom(ids), fn) }
	}
	e := w.x.Inspect(pid, name == "execveat", req.Data.Args, asOwner)
	v := w.x.Decide(e)
	report := w.x.NeedsReport(e, v)
	if report {
		e.ReadCaller() // now: the exec replaces it
		// What was read is the caller's only if its call is still held (a
		// pid is reused only once its task is gone). Without an event,
		// the answer needs no such check: it reaches only the held call.
		if linux.NotifIDValid(n.listener, req.ID) != nil {
			return // gone, or interrupted: it asks again
		}
	}
	resp := linux.SeccompNotifResp{ID: req.ID, Flags: linux.SeccompContinue}
	if v.Errno != 0 {
		resp = linux.SeccompNotifResp{ID: req.ID, Error: -int32(v.Errno)}
	}
	if err := linux.NotifSend(n.listener, &resp); err != nil {
		if !errors.Is(err, syscall.ENOENT) {
			w.log.Warn("answering an exec", zap.Int("pid", pid), zap.Error(err))
		}
		return
	}
	if !report {
		return
	}
	w.mu.Lock()
	if !w.stopped {
		w.reports <- execReport{e, v}
	}
	w.mu.Unlock()
}

// memfd answers memfd_create with a memfd vigil made, which can never be
// executed: Landlock's execute right does not reach memfds (they live on
// an internal mount), so this is what keeps drift: deny race-free for them.
// MFD_EXEC, which asks for an executable one, is refused.
func (w *execWatch) memfd(n *notifier, req *linux.SeccompNotif) {
	flags := int(req.Data.Args[1])
	resp := linux.SeccompNotifResp{ID: req.ID, Error: -int32(syscall.EACCES)}
	if flags&linux.MemfdExec == 0 {
		var name string
		n.asOwner(ownerOf(int(req.Pid)), func() { name, _ = readString(int(req.Pid), uintptr(req.Data.Args[0])) })
		fd, err := linux.MemfdNoExec(name, flags)
		if err == nil {
			_, err = linux.NotifAnswerFd(n.listener, req.ID, fd, flags&linux.MemfdCloexec != 0)
			syscall.Close(fd)
			if err == nil || errors.Is(err, syscall.ENOENT) {
				return
			}
		}
		w.log.Warn("making a memfd for the app", zap.Error(err))
		resp.Error = -int32(syscall.ENOMEM)
	}
	if err := linux.NotifSend(n.listener, &resp); err != nil && !errors.Is(err, syscall.ENOENT) {
		w.log.Warn("answering memfd_create", zap.Error(err))
	}
}

// report builds and emits the events of judged executions, in order.
func (w *execWatch) report() {
	defer close(w.done)
	for r := range w.reports {
		for _, ev := range w.x.Report(r.e, r.v) {
			ev.Workload = w.cfg.Workload
			ev.Container = events.Container{Hostname: w.cfg.Hostname}
			if err := w.cfg.Events.Emit(ev); err != nil && !errors.Is(err, events.ErrDropped) {
				w.log.Warn("emitting an event", zap.Error(err))
			}
		}
	}
}

// stop reports what is pending, once the notify loop is done.
func (w *execWatch) stop() {
	if w == nil {
		return
	}
	w.x.SetBaseline(nil) // if it never came, no report waits for it
	w.mu.Lock()
	w.stopped = true
	close(w.reports)
	w.mu.Unlock()
	<-w.done
}

// setBaseline gives the exec watch the baseline once it is read (nil: it
// could not be); a nil watch does not need it.
func (w *execWatch) setBaseline(m *filewatch.Manifest) {
	if w != nil {
		w.x.SetBaseline(m)
	}
}
