package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// notifier answers the seccomp filter's notifications the way the profile
// asked and reports each one as an event. It runs on its own goroutine
// until no task is left under the filter.
type notifier struct {
	listener int
	filter   *seccomp.Filter
	cfg      *Config
	log      *zap.Logger
	done     chan struct{}
	// ptrace is whether vigil may read any process's memory (it has
	// CAP_SYS_PTRACE); without it, it reads as the process's owner.
	ptrace bool
	// fsWarned is set once WithFSIDs has failed and been logged.
	fsWarned bool
	// otherOwners is set once vigil's own ids could not read a process:
	// from then on the network concern looks up the owner first.
	otherOwners bool
	// writers is told who made the watched calls (attribute_linux.go).
	writers *writers
	// protected are the paths Landlock makes read-only for the app, with
	// their real spellings; made at first use.
	protected []string
	// linkProtected are the files files.link-sensitive protects, with
	// their real spellings; made at first use.
	linkProtected []string
	// concerns answer the calls they asked the filter for, by name.
	concerns map[string]concern
	// blockingRecv: the loop waits in SECCOMP_IOCTL_NOTIF_RECV itself,
	// which on the kernels that have SYNC_WAKE_UP (6.6+) also returns
	// once no task is left; before, RECV would wait for ever then, and the
	// loop polls first.
	blockingRecv bool
	// sandbox is PID 1's end of the socket to the sandbox until it hangs
	// up, which it does when the sandbox execs the app (the sandbox's end
	// is close-on-exec); -1 after.
	sandbox int
}

func startNotifier(listener, sandbox int, cfg *Config, w *writers, concerns map[string]concern, log *zap.Logger) *notifier {
	n := &notifier{listener: listener, sandbox: sandbox, filter: cfg.Seccomp, cfg: cfg, writers: w, concerns: concerns, log: log, done: make(chan struct{})}
	if err := linux.SetSyncWakeUp(listener); err != nil {
		log.Debug("seccomp notifications without SYNC_WAKE_UP (kernel before 6.6)", zap.Error(err))
	} else {
		n.blockingRecv = true
	}
	n.ptrace = linux.HasCap(linux.CapSysPtrace)
	go n.run()
	return n
}

// notifierDrain bounds the wait for the last notifications once every
// process is gone: the listener hangs up as soon as the filter has no task.
const notifierDrain = 2 * time.Second

// wait waits for the notifier to finish, at most limit; a nil notifier is done.
func (n *notifier) wait(limit time.Duration) {
	if n == nil {
		return
	}
	select {
	case <-n.done:
	case <-time.After(limit):
		n.log.Warn("seccomp notifications still pending at exit", zap.Duration("waited", limit))
	}
}

func (n *notifier) run() {
	defer close(n.done)
	defer syscall.Close(n.listener)
	defer func() {
		if n.sandbox >= 0 {
			syscall.Close(n.sandbox)
		}
	}()
	for {
		if !n.blockingRecv {
			ready, err := linux.WaitReadable(n.listener)
			if err != nil {
				n.log.Error("waiting for seccomp notifications", zap.Error(err))
				return
			}
			if !ready {
				return // every task under the filter has exited
			}
		}
		var req linux.SeccompNotif
		if err := linux.NotifRecv(n.listener, &req); errors.Is(err, syscall.ENOENT) {
			if n.blockingRecv && linux.HungUp(n.listener) {
				return // every task under the filter has exited
			}
			continue // interrupted: the kernel asks again
		} else if err != nil {
			n.log.Error("reading a seccomp notification", zap.Error(err))
			return
		}
		n.handle(&req)
	}
}

// handle reports one notification and answers it. The process and the
// call's arguments are read while the call is still held; if the kernel
// then says the call is no longer pending, what was read may belong to
// another process that reused the pid, and only the raw call is reported.
// The event is built after the answer: the app waits only for the reads.
func (n *notifier) handle(req *linux.SeccompNotif) {
	if n.sandbox >= 0 && !n.appStarted() {
		// The sandbox's own calls between loading the filter and exec.
		if err := linux.NotifSend(n.listener, &linux.SeccompNotifResp{ID: req.ID, Flags: linux.SeccompContinue}); err != nil && !errors.Is(err, syscall.ENOENT) {
			n.log.Warn("answering a call of the sandbox", zap.Error(err))
		}
		return
	}
	out := n.filter.Decide(seccomp.Data(req.Data))
	if out.Action == seccomp.ActionLog && out.Rule >= 0 && out.Rule < n.cfg.SeccompPack {
		// A pack alert: reported as such unless the rest refuses the call.
		if rest := n.filter.DecideFrom(seccomp.Data(req.Data), n.cfg.SeccompPack); rest.Action != seccomp.ActionAllow && rest.Action != seccomp.ActionLog {
			out = rest
		}
	}
	name := n.filter.SyscallName(req.Data.Nr)
	// Let through by the profile (or by a learning run, which logs all):
	// the concern that asked for it answers.
	letThrough := out.Action == seccomp.ActionAllow || (out.Action == seccomp.ActionLog && n.cfg.Learn != nil)
	if letThrough && n.filter.Watched(seccomp.Data(req.Data)) {
		if c := n.concerns[name]; c != nil {
			c.handle(n, req, name)
			return
		}
	}
	if out.Action == seccomp.ActionLog && n.filter.Watched(seccomp.Data(req.Data)) {
		// An alert (a pack rule's, chmod setting the setuid bit) on a call
		// a concern asked for too: reported, and the concern answers it
		// (the file watch then knows who changed the file).
		if c := n.concerns[name]; c != nil {
			ev, ok := n.heldEvent(req, out, name)
			c.handle(n, req, name)
			if ok {
				n.emit(ev)
			}
			return
		}
	}
	if n.cfg.Learn != nil && (out.Action == seccomp.ActionLog || out.Action == seccomp.ActionAllow) {
		n.cfg.Learn(name)
		if err := n.answer(req, out); err != nil && !errors.Is(err, syscall.ENOENT) {
			n.log.Warn("answering a seccomp notification", zap.Int("pid", int(req.Pid)), zap.Error(err))
		}
		return
	}
	ev, _ := n.heldEvent(req, out, name)
	if err := n.answer(req, out); err != nil && !errors.Is(err, syscall.ENOENT) {
		n.log.Warn("answering a seccomp notification", zap.Int("pid", int(req.Pid)), zap.Error(err))
	}
	n.emit(ev)
}

// heldEvent describes a held call as the profile judged it (out), reading
// the process and the call's arguments while it is held; ok is false
// when the call is no longer held (only the raw call is then in the event:
// what was read may be another process's).
func (n *notifier) heldEvent(req *linux.SeccompNotif, out seccomp.Outcome, name string) (ev events.Event, ok bool) {
	if req.Pid == 0 {
		// The kernel could not name the caller in vigil's PID namespace:
		// the call is reported without a process rather than not at all.
		n.log.Debug("a held call's caller has no pid in vigil's namespace", zap.String("syscall", name))
		return n.event(req, out, name, nil, nil), linux.NotifIDValid(n.listener, req.ID) == nil
	}
	proc, owner := processOf(int(req.Pid))
	var decoded map[string]string
	n.asOwner(owner, func() {
		proc.Exe = exeOf(int(req.Pid))
		decoded = decode(name, int(req.Pid), req.Data.Args)
	})
	ok = linux.NotifIDValid(n.listener, req.ID) == nil
	if !ok {
		proc, decoded = &events.Process{PID: int32(req.Pid)}, nil
	}
	return n.event(req, out, name, proc, decoded), ok
}

// heldProcess reads the process of a held call, before it is answered: a
// short-lived program is gone once its call goes on.
func (n *notifier) heldProcess(pid int) *events.Process {
	proc, owner := processOf(pid)
	n.asOwner(owner, func() { proc.Exe = exeOf(pid) })
	return proc
}

func (n *notifier) emit(ev events.Event) {
	if err := n.cfg.Events.Emit(ev); err != nil && !errors.Is(err, events.ErrDropped) {
		n.log.Warn("emitting an event", zap.Error(err))
	}
}

// attribute answers a call watched to know who changes files (the profile
// allows it): it reads the paths while the call is held, lets the call go
// on, notes the process as their writer, and reports at once a change
// Landlock will refuse.
func (n *notifier) attribute(req *linux.SeccompNotif, name string) {
	pid := int(req.Pid)
	// While the call is held, only what it is about: the paths. Who made
	// it is read once it goes on (the app waits less).
	var paths []string
	var proc *events.Process // read now only for a refused change: reported at once
	op := changedPaths[name].op
	n.asOwner(ownerOf(pid), func() {
		decoded := decode(name, pid, req.Data.Args)
		for _, a := range changedPaths[name].args {
			p, ok := decoded[strconv.Itoa(a.path)]
			if !ok {
				continue
			}
			dirfd := -1
			if a.dirfd >= 0 {
				dirfd = int(int32(req.Data.Args[a.dirfd]))
			}
			if abs, ok := resolve(pid, p, dirfd); ok {
				// By its real directory, as Landlock and the file watch see it.
				abs = filepath.Join(realPath(filepath.Dir(abs)), filepath.Base(abs))
				paths = append(paths, abs)
				if proc == nil && op != "" && n.refused(abs) {
					proc, _ = processOf(pid)
					proc.Exe = exeOf(pid)
				}
			}
		}
	})
	valid := linux.NotifIDValid(n.listener, req.ID) == nil
	if valid {
		// Before the call goes on: the file watch may see its effect at once.
		now := time.Now()
		for _, p := range paths {
			n.writers.note(p, pid, now)
		}
	}
	if err := n.answer(req, seccomp.Outcome{Action: seccomp.ActionAllow}); err != nil && !errors.Is(err, syscall.ENOENT) {
		n.log.Warn("answering a seccomp notification", zap.Int("pid", pid), zap.Error(err))
	}
	if !valid {
		return // the process is gone, or the pid is another's now
	}
	for _, p := range paths {
		if proc != nil && n.refused(p) {
			n.emitDenied(p, op, proc)
		}
	}
}

// refused reports whether Landlock refuses the app changes to path (a real
// path): under a read-only tree or one of vigil's files, by any spelling.
func (n *notifier) refused(path string) bool {
	if n.protected == nil {
		n.protected = withRealPaths(append(slices.Clone(n.cfg.ReadOnly), n.cfg.Hidden...))
	}
	return underAny(path, n.protected)
}

// emitDenied reports a change to a read-only path, which Landlock refuses.
func (n *notifier) emitDenied(path, op string, proc *events.Process) {
	ev := events.New(events.KindFile, protectRule, events.SeverityHigh, events.ActionDeny)
	ev.Workload = n.cfg.Workload
	ev.Container = events.Container{Hostname: n.cfg.Hostname}
	ev.Process = proc
	if err := ev.SetDetails(events.FileDetails{Path: path, Op: op, Change: "denied", By: byOf(proc)}); err != nil {
		n.log.Error("bug: file details", zap.Error(err))
		return
	}
	if err := n.cfg.Events.Emit(ev); err != nil && !errors.Is(err, events.ErrDropped) {
		n.log.Warn("emitting an event", zap.Error(err))
	}
}

// appStarted reports whether the sandbox has exec'd the app (or died), and
// closes the socket to it once it has. Only the sandbox's filtered thread
// is under the filter until then, and the kernel closes the sandbox's end
// of the socket during execve, before the app runs a single instruction: a
// notification that arrives while the socket is still open is the
// sandbox's, one that arrives after may be the app's.
func (n *notifier) appStarted() bool {
	if n.sandbox < 0 {
		return true
	}
	if !linux.HungUp(n.sandbox) {
		return false
	}
	syscall.Close(n.sandbox)
	n.sandbox = -1
	return true
}

// asOwner runs fn, which reads a process's memory or exe, with the
// filesystem ids of the process's owner when vigil needs them for ptrace
// access: the same ids, since it has not CAP_SYS_PTRACE.
func (n *notifier) asOwner(owner ids, fn func()) {
	if n.ptrace || owner == (ids{uint32(os.Geteuid()), uint32(os.Getegid())}) {
		fn()
		return
	}
	err := linux.AsFSIDs(owner.uid, owner.gid, fn)
	if err != nil {
		if !n.fsWarned {
			n.log.Warn("cannot read the arguments and exe of processes of other users", zap.Error(err))
			n.fsWarned = true
		}
		if !errors.Is(err, linux.ErrFSIDsStuck) {
			fn() // it did not run: what can be read without
		}
	}
}

// answer carries out the profile's outcome. A filter cannot be told to kill
// from user space: vigil sends SIGKILL (to the whole process, also for
// SCMP_ACT_KILL_THREAD) and fails the call.
func (n *notifier) answer(req *linux.SeccompNotif, out seccomp.Outcome) error {
	resp := linux.SeccompNotifResp{ID: req.ID}
	switch out.Action {
	case seccomp.ActionAllow, seccomp.ActionLog:
		resp.Flags = linux.SeccompContinue
	case seccomp.ActionErrno:
		resp.Error = -int32(out.Errno)
	case seccomp.ActionKillProcess, seccomp.ActionKillThread:
		if err := linux.Kill(int(req.Pid), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			n.log.Warn("killing a process as the seccomp profile asks", zap.Int("pid", int(req.Pid)), zap.Error(err))
		}
		resp.Error = -int32(syscall.EPERM)
	default: // trap, trace, notify: no tracer or second listener here
		resp.Error = -int32(syscall.ENOSYS)
	}
	return linux.NotifSend(n.listener, &resp)
}

// event describes one notification.
func (n *notifier) event(req *linux.SeccompNotif, out seccomp.Outcome, name string, proc *events.Process, decoded map[string]string) events.Event {
	action, errno := events.ActionDeny, int(out.Errno)
	switch out.Action {
	case seccomp.ActionAllow, seccomp.ActionLog:
		action, errno = events.ActionAlert, 0
	case seccomp.ActionKillProcess, seccomp.ActionKillThread:
		action, errno = events.ActionKill, int(syscall.EPERM)
	case seccomp.ActionErrno:
	default:
		errno = int(syscall.ENOSYS)
	}
	sev := severity(action)
	if out.Rule >= 0 && out.Rule < len(n.cfg.SeccompSeverities) && n.cfg.SeccompSeverities[out.Rule] != "" {
		sev = n.cfg.SeccompSeverities[out.Rule]
	}
	ev := events.New(events.KindSyscall, n.ruleName(out), sev, action)
	ev.Workload = n.cfg.Workload
	ev.Container = events.Container{Hostname: n.cfg.Hostname}
	ev.Process = proc
	details := events.SyscallDetails{
		Name:    name,
		Nr:      int(req.Data.Nr),
		Arch:    n.filter.Arch,
		Args:    req.Data.Args,
		Decoded: decoded,
		Errno:   errno,
	}
	if err := ev.SetDetails(details); err != nil {
		n.log.Error("bug: syscall details", zap.Error(err))
	}
	return ev
}

func (n *notifier) ruleName(out seccomp.Outcome) string {
	switch names := n.cfg.SeccompRules; {
	case out.Rule == seccomp.RuleDefault:
		return "seccomp.default"
	case out.Rule == seccomp.RuleForeignArch:
		return "seccomp.foreign-arch"
	case out.Rule >= 0 && out.Rule < len(names) && names[out.Rule] != "":
		return names[out.Rule]
	}
	return "seccomp.rule." + strconv.Itoa(out.Rule)
}

func severity(a events.Action) events.Severity {
	if a == events.ActionAlert {
		return events.SeverityLow
	}
	return events.SeverityHigh
}

// ids are a process's effective uid and gid.
type ids struct{ uid, gid uint32 }

// processOf reads what the kernel says of pid without needing ptrace
// access (its ids, and its cmdline, readable for any process), and its
// owner.
func processOf(pid int) (*events.Process, ids) {
	p := &events.Process{PID: int32(pid)}
	var owner ids
	if t, err := linux.ReadTaskIDs(pid); err == nil && t.Tgid > 0 {
		p.PID, p.PPID, p.UID, p.GID = int32(t.Tgid), int32(t.PPid), t.UID, t.GID
		owner = ownerFrom(t)
	}
	if cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && len(cmd) > 0 {
		p.Argv = strings.Split(strings.TrimSuffix(string(cmd), "\x00"), "\x00")
	}
	return p, owner
}

// ownerOf is pid's effective uid and gid: what reading its memory or
// /proc links needs (ptrace access), and all that gives it.
func ownerOf(pid int) ids {
	t, err := linux.ReadTaskIDs(pid)
	if err != nil {
		return ids{}
	}
	return ownerFrom(t)
}

func ownerFrom(t linux.TaskIDs) ids { return ids{t.EUID, t.EGID} }

// exeOf is pid's executable, "" when it cannot be read: that needs ptrace
// access.
func exeOf(pid int) string {
	exe, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	return exe
}

// SeccompNotifyAvailable reports whether the kernel can report system
// calls to vigil (seccomp user notification).
func SeccompNotifyAvailable() bool { return linux.SeccompNotifyAvailable() }
