package supervisor

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// The rules of the default pack on file calls (docs/files.md): a log
// emptied, a link made to a sensitive file.
const (
	logClearingRule   = "files.log-clearing"
	linkSensitiveRule = "files.link-sensitive"
	traversalRule     = "files.traversal" // opt-in: every open is held
)

// openPaths are the path arguments of the opens files.traversal judges.
var openPaths = map[string]pathArg{"open": {0, -1}, "openat": {1, 0}, "openat2": {1, 0}}

// oTrunc is O_TRUNC.
const oTrunc = 0o1000

// truncAt is the condition "argument index has O_TRUNC".
func truncAt(index uint) []specs.LinuxSeccompArg {
	return []specs.LinuxSeccompArg{{Index: index, Op: specs.OpMaskedEqual, Value: oTrunc, ValueTwo: oTrunc}}
}

// fileRuleCalls are the calls the file rules need to see: opens that
// truncate (by argument condition: other opens stay unwatched), truncate,
// and the calls that make links.
var fileRuleCalls = []specs.LinuxSyscall{
	{Names: []string{"open"}, Args: truncAt(1)},
	{Names: []string{"openat"}, Args: truncAt(2)},
	{Names: []string{"creat", "truncate", "symlink", "symlinkat", "link", "linkat"}},
}

// logDirs are where files.log-clearing looks for logs.
var logDirs = []string{"/var/log"}

// linkSensitive are the files files.link-sensitive protects, beside
// the policy's sensitive files: a link to one lets a program that trusts a
// path read or overwrite it.
var linkSensitive = []string{"/etc/shadow", "/etc/gshadow", "/etc/passwd", "/etc/group", "/etc/sudoers", "/etc/sudoers.d", "/root/.ssh", "/etc/ssh"}

// linkTargets are, for each call that makes a link, its target's argument
// and the directory fd it is relative to (-1: the working directory), and
// the new link's. A symlink's relative target is relative to the link.
var linkTargets = map[string]struct {
	target, link pathArg
	symlink      bool
}{
	"symlink":   {pathArg{0, -1}, pathArg{1, -1}, true},
	"symlinkat": {pathArg{0, -1}, pathArg{2, 1}, true},
	"link":      {pathArg{0, -1}, pathArg{1, -1}, false},
	"linkat":    {pathArg{1, 0}, pathArg{3, 2}, false},
}

// fileFinding is one file rule that matched a held call.
type fileFinding struct {
	rule    string
	details events.FileDetails
	// proc is who made the call, read while it was held (a short-lived
	// program is gone once it goes on).
	proc *events.Process
}

// fileRules checks a held call against the file rules, reading its paths
// while it is held; it does not answer.
func (n *notifier) fileRules(req *linux.SeccompNotif, name string) []fileFinding {
	pid := int(req.Pid)
	args := req.Data.Args
	if a, ok := openPaths[name]; ok && !truncates(name, args) {
		// Held for files.traversal alone (or to be attributed): only its
		// path is read, and only one through ".." is looked at further.
		if !n.cfg.Traversal {
			return nil
		}
		return n.traversal(req, name, a)
	}
	var out []fileFinding
	n.asOwner(ownerOf(pid), func() {
		decoded := decode(name, pid, args)
		path := func(a pathArg) (string, bool) {
			p, ok := decoded[strconv.Itoa(a.path)]
			if !ok {
				return "", false
			}
			dirfd := -1
			if a.dirfd >= 0 {
				dirfd = int(int32(args[a.dirfd]))
			}
			return resolve(pid, p, dirfd)
		}
		if l, ok := linkTargets[name]; ok {
			out = n.linkFinding(l.symlink, path, l.target, l.link, decoded[strconv.Itoa(l.target.path)])
			return
		}
		if truncates(name, args) {
			if p, ok := path(changedPaths[name].args[0]); ok && underAny(p, logDirs) {
				out = append(out, fileFinding{rule: logClearingRule, details: events.FileDetails{Path: p, Op: "truncate", Change: "truncated"}})
			}
		}
	})
	if len(out) > 0 && linux.NotifIDValid(n.listener, req.ID) != nil {
		return nil // what was read may be another process's
	}
	return n.withCaller(out, pid)
}

// withCaller sets the process of each finding: pid, read now.
func (n *notifier) withCaller(found []fileFinding, pid int) []fileFinding {
	if len(found) == 0 {
		return found
	}
	proc := n.heldProcess(pid)
	for i := range found {
		found[i].proc = proc
	}
	return found
}

// traversal is files.traversal when the open's path goes through ".." to
// a sensitive file (a path a web app was tricked into building: Falco's
// "directory traversal monitored file read"). The path is read as vigil
// first, as its owner where that gets nothing.
func (n *notifier) traversal(req *linux.SeccompNotif, name string, a pathArg) []fileFinding {
	pid := int(req.Pid)
	addr := uintptr(req.Data.Args[a.path])
	raw, ok := readString(pid, addr)
	var owner ids
	if !ok && !n.ptrace {
		owner = ownerOf(pid)
		n.asOwner(owner, func() { raw, ok = readString(pid, addr) })
	}
	if !ok || !strings.Contains("/"+raw+"/", "/../") {
		return nil
	}
	dirfd := -1
	if a.dirfd >= 0 {
		dirfd = int(int32(req.Data.Args[a.dirfd]))
	}
	if owner == (ids{}) {
		owner = ownerOf(pid)
	}
	var abs string
	n.asOwner(owner, func() { abs, ok = resolve(pid, raw, dirfd) })
	if !ok || !underAny(realPath(abs), n.sensitiveFiles()) {
		return nil
	}
	if linux.NotifIDValid(n.listener, req.ID) != nil {
		return nil // what was read may be another process's
	}
	return n.withCaller([]fileFinding{{rule: traversalRule, details: events.FileDetails{Path: realPath(abs), Op: "open", Change: "opened", Requested: raw}}}, pid)
}

// sensitiveFiles are the files files.link-sensitive and files.traversal
// protect, with their real spellings, and the policy's sensitive files;
// made at first use (resolving them is a walk each).
func (n *notifier) sensitiveFiles() []string {
	if n.linkProtected == nil {
		n.linkProtected = append(withRealPaths(linkSensitive), n.cfg.Sensitive...)
	}
	return n.linkProtected
}

// truncates reports whether the call empties its file.
func truncates(name string, args [6]uint64) bool {
	switch name {
	case "open":
		return args[1]&oTrunc != 0
	case "openat":
		return args[2]&oTrunc != 0
	case "creat", "truncate":
		return true
	}
	return false
}

// linkFinding is files.link-sensitive when the link's target is a
// sensitive file; raw is the target as the call gives it.
func (n *notifier) linkFinding(symlink bool, path func(pathArg) (string, bool), target, link pathArg, raw string) []fileFinding {
	linkPath, ok := path(link)
	if !ok {
		return nil
	}
	var to string
	switch {
	case symlink && raw != "" && !filepath.IsAbs(raw):
		to = filepath.Join(filepath.Dir(linkPath), raw)
	case symlink:
		to = filepath.Clean(raw)
	default:
		if to, ok = path(target); !ok {
			return nil
		}
	}
	if !underAny(realPath(to), n.sensitiveFiles()) {
		return nil
	}
	return []fileFinding{{rule: linkSensitiveRule, details: events.FileDetails{Path: linkPath, Op: "link", Change: "linked", Actual: "-> " + to}}}
}

// emitFileFinding reports f, made by pid, unless its rule is off.
func (n *notifier) emitFileFinding(f fileFinding, pid int) {
	if slices.Contains(n.cfg.RulesOff, f.rule) {
		return
	}
	ev := events.New(events.KindFile, f.rule, events.SeverityHigh, events.ActionAlert)
	ev.Workload = n.cfg.Workload
	ev.Container = events.Container{Hostname: n.cfg.Hostname}
	proc := f.proc
	if proc == nil {
		proc, _ = processOf(pid)
		proc.Exe = exeOf(pid)
	}
	ev.Process = proc
	f.details.By = byOf(proc)
	if err := ev.SetDetails(f.details); err != nil {
		n.log.Error("bug: file details", zap.Error(err))
		return
	}
	if err := n.cfg.Events.Emit(ev); err != nil && !errors.Is(err, events.ErrDropped) {
		n.log.Warn("emitting an event", zap.Error(err))
	}
}

// answerContinue lets a held call go on, as the profile allows it.
func (n *notifier) answerContinue(req *linux.SeccompNotif) {
	if err := n.answer(req, seccomp.Outcome{Action: seccomp.ActionAllow}); err != nil && !errors.Is(err, syscall.ENOENT) {
		n.log.Warn("answering a seccomp notification", zap.Int("pid", int(req.Pid)), zap.Error(err))
	}
}
