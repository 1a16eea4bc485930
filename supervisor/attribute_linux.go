package supervisor

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/filewatch"
)

// Writes are attributed by watching, through the seccomp filter, the calls
// that change files by path: opens that may write (any of O_WRONLY, O_RDWR,
// O_CREAT, O_TRUNC), and the calls that make, remove, rename, link, chmod or
// chown an entry. PID 1 reads the path while the call is held, lets it go
// on (the profile's verdict stands), and remembers who: the file watch then
// names the process in its event. A call Landlock will refuse (the path is
// read-only for the app) is reported at once as denied.

// mayWrite are the open flag alternatives that make an open a write.
var mayWrite = []specs.LinuxSeccompArg{
	{Op: specs.OpMaskedEqual, Value: 1, ValueTwo: 1},           // O_WRONLY
	{Op: specs.OpMaskedEqual, Value: 2, ValueTwo: 2},           // O_RDWR
	{Op: specs.OpMaskedEqual, Value: 0o100, ValueTwo: 0o100},   // O_CREAT
	{Op: specs.OpMaskedEqual, Value: 0o1000, ValueTwo: 0o1000}, // O_TRUNC
}

func flagsAt(index uint) []specs.LinuxSeccompArg {
	args := make([]specs.LinuxSeccompArg, len(mayWrite))
	for i, a := range mayWrite {
		a.Index = index
		args[i] = a
	}
	return args
}

// watchedCalls are the calls the filter reports for attribution. Not
// openat2: its flags are in memory, where a filter cannot look (glibc's
// open does not use it).
var watchedCalls = []specs.LinuxSyscall{
	{Names: []string{"open"}, Args: flagsAt(1)},
	{Names: []string{"openat"}, Args: flagsAt(2)},
	{Names: []string{"creat", "truncate", "unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2",
		"mkdir", "mkdirat", "mknod", "mknodat", "symlink", "symlinkat", "link", "linkat",
		"chmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchownat"}},
}

// pathArg is a path argument of a watched call and the argument with the
// directory fd it is relative to (-1: the working directory).
type pathArg struct{ path, dirfd int }

// changedPaths are, for each watched call, the paths it changes (a
// symlink's target is not one), and what Landlock would say it does to
// them: "" where Landlock does not restrict it (chmod, chown).
var changedPaths = map[string]struct {
	args []pathArg
	op   string
}{
	"open": {[]pathArg{{0, -1}}, "write"}, "creat": {[]pathArg{{0, -1}}, "write"},
	"openat":   {[]pathArg{{1, 0}}, "write"},
	"truncate": {[]pathArg{{0, -1}}, "write"},
	"unlink":   {[]pathArg{{0, -1}}, "remove"}, "unlinkat": {[]pathArg{{1, 0}}, "remove"},
	"rmdir":  {[]pathArg{{0, -1}}, "remove"},
	"rename": {[]pathArg{{0, -1}, {1, -1}}, "rename"}, "renameat": {[]pathArg{{1, 0}, {3, 2}}, "rename"},
	"renameat2": {[]pathArg{{1, 0}, {3, 2}}, "rename"},
	"mkdir":     {[]pathArg{{0, -1}}, "create"}, "mkdirat": {[]pathArg{{1, 0}}, "create"},
	"mknod": {[]pathArg{{0, -1}}, "create"}, "mknodat": {[]pathArg{{1, 0}}, "create"},
	"symlink": {[]pathArg{{1, -1}}, "create"}, "symlinkat": {[]pathArg{{2, 1}}, "create"},
	"link": {[]pathArg{{1, -1}}, "create"}, "linkat": {[]pathArg{{3, 2}}, "create"},
	"chmod": {[]pathArg{{0, -1}}, ""}, "fchmodat": {[]pathArg{{1, 0}}, ""}, "fchmodat2": {[]pathArg{{1, 0}}, ""},
	"chown": {[]pathArg{{0, -1}}, ""}, "lchown": {[]pathArg{{0, -1}}, ""}, "fchownat": {[]pathArg{{1, 0}}, ""},
}

// atFDCWD is AT_FDCWD: a path relative to the working directory.
const atFDCWD = -100

// resolve makes path, an argument of pid's call, absolute: relative to the
// directory fd dirfd (an argument's value; -1 when the call has none) or
// to pid's working directory. It needs ptrace access to pid.
func resolve(pid int, path string, dirfd int) (string, bool) {
	if filepath.IsAbs(path) {
		return filepath.Clean(path), true
	}
	link := "/proc/" + strconv.Itoa(pid) + "/cwd"
	if dirfd != -1 && dirfd != atFDCWD {
		link = "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(dirfd)
	}
	dir, err := os.Readlink(link)
	if err != nil || !filepath.IsAbs(dir) {
		return "", false
	}
	return filepath.Join(dir, path), true
}

// writers remembers, for a while, which process last changed each path
// through a watched call: its pid only, read in full when a file event
// needs it (most writes never make one, and the app waits for each).
type writers struct {
	mu     sync.Mutex
	byPath map[string]writer
}

type writer struct {
	pid int
	at  time.Time
}

// writerMemory is how long a writer is remembered: the file watch reports
// a change within milliseconds, a rescan much later (then: unknown).
const writerMemory = 30 * time.Second

// maxWriters bounds the table: an app writing many files forgets the
// oldest first.
const maxWriters = 4096

func newWriters() *writers { return &writers{byPath: map[string]writer{}} }

func (w *writers) note(path string, pid int, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, known := w.byPath[path]; !known && len(w.byPath) >= maxWriters {
		oldest, at := "", now
		for k, v := range w.byPath {
			if now.Sub(v.at) > writerMemory {
				delete(w.byPath, k)
			} else if v.at.Before(at) {
				oldest, at = k, v.at
			}
		}
		if len(w.byPath) >= maxWriters {
			delete(w.byPath, oldest) // the oldest goes first, never the lot
		}
	}
	w.byPath[path] = writer{pid, now}
}

// who is the process that last changed path, if it did lately, as /proc
// shows it now (its exe may be unreadable for another user's process; a
// process gone since is its pid alone).
func (w *writers) who(path string, now time.Time) *events.Process {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	v, ok := w.byPath[path]
	w.mu.Unlock()
	if !ok || now.Sub(v.at) > writerMemory {
		return nil
	}
	p, _ := processOf(v.pid)
	p.Exe = exeOf(v.pid)
	return p
}

// underAny reports whether path is one of paths or below one.
func underAny(path string, paths []string) bool {
	for _, p := range paths {
		if filewatch.IsUnder(path, p) {
			return true
		}
	}
	return false
}

// fileCalls is the files concern of the notify loop: the calls that say
// who changes files (attribute), and those the file rules judge (rules:
// files.log-clearing, files.link-sensitive).
// With traversal (files.traversal) every open is reported too.
type fileCalls struct{ attribute, rules, traversal bool }

func (c fileCalls) calls() []specs.LinuxSyscall {
	calls := fileRuleCalls
	if c.attribute {
		calls = watchedCalls // every call the rules need too
	}
	if c.traversal {
		calls = append(slices.Clone(calls), specs.LinuxSyscall{Names: []string{"open", "openat", "openat2"}})
	}
	return calls
}

func (c fileCalls) handle(n *notifier, req *linux.SeccompNotif, name string) {
	var found []fileFinding
	if c.rules {
		found = n.fileRules(req, name)
	}
	if c.attribute && changesFiles(name, req.Data.Args) {
		n.attribute(req, name)
	} else {
		n.answerContinue(req)
	}
	for _, f := range found {
		n.emitFileFinding(f, int(req.Pid))
	}
}

// changesFiles reports whether a watched call may change a file: an open
// only with a flag that writes (watchedCalls' conditions; the others are
// held for files.traversal alone), and openat2 never (its flags are in
// memory: it is not watched for attribution).
func changesFiles(name string, args [6]uint64) bool {
	var flags uint64
	switch name {
	case "open":
		flags = args[1]
	case "openat":
		flags = args[2]
	case "openat2":
		return false
	default:
		return true
	}
	for _, a := range mayWrite {
		if flags&a.Value == a.ValueTwo {
			return true
		}
	}
	return false
}

// attributesFiles reports whether cfg's filter should report the calls
// that change files, so that file events name the process. Only where the
// app goes through the sandbox anyway (a filter, Landlock, a privilege
// drop, the exec watch): a filter just for this would cost every start a
// second start of vigil.
func attributesFiles(cfg *Config) bool {
	watching := cfg.watchesFiles() || len(cfg.ReadOnly) > 0
	sandboxed := cfg.Seccomp != nil || len(cfg.ReadOnly)+len(cfg.Hidden) > 0 || !cfg.Credential.IsZero() || cfg.Exec != nil
	return watching && sandboxed
}
