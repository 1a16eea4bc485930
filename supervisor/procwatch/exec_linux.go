package procwatch

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
)

// Exec is what a held execve or execveat is about to run, as read from the
// caller's memory and /proc while the call is held. What was read from
// memory can be changed by another thread of the caller once read: it
// decides what vigil reports and answers, not what the kernel enforces.
type Exec struct {
	// Path is the file, absolute, symlinks resolved; Requested as given.
	Path, Requested string
	Argv            []string
	Cwd             string
	// Exists is whether the file was there when the call was held; the
	// kernel fails the others (ENOENT), unreported.
	Exists bool
	// Fileless is "memfd", "deleted" or "fd" (see events.ExecDetails).
	Fileless string
	// Loaded is the file the dynamic loader is asked to run.
	Loaded string
	// Caller is the process making the call, before the exec.
	Caller *events.Process
	// ParentExe and ParentArgv0 are the caller's as it is before the exec:
	// the program that runs the new one (after a fork, a copy of the new
	// program's parent).
	ParentExe, ParentArgv0 string
	UID                    uint32
	// TTY is whether the caller's standard input is a terminal.
	TTY bool

	pid  int
	open string // what to open to read the file: a /proc/PID/fd link for a descriptor
	id   fileID
	mode uint32
	// asOwner, owner, ids: how the caller's memory and links are read
	// (Inspect, withAccess); callerRead is set once ReadCaller has run.
	asOwner    func(linux.TaskIDs, func())
	owner      bool
	idsRead    bool
	taskIDs    linux.TaskIDs
	callerRead bool
}

// Limits of what is read from a caller's memory: far above what programs
// pass, and bounded so that a hostile caller cannot make vigil read
// without end.
const (
	maxArgs    = 1024
	maxArgLen  = 4096
	maxArgvLen = 128 << 10
	maxPathLen = 4096
)

// atFDCWD and atEmptyPath are execveat's AT_FDCWD and AT_EMPTY_PATH.
const (
	atFDCWD     = -100
	atEmptyPath = 0x1000
)

// Inspect reads what the held call of task tid (execve, or execveat when
// at) with arguments args will run: the file and argv, and the loader's
// file when it runs the loader. Only that, while the call is held: the
// caller's ids and what it ran before are read by ReadCaller when a rule
// or an event needs them, the ancestry once the call was answered
// (complete). Reading tid's memory and /proc links needs ptrace access:
// they are read as vigil is, and where that gets nothing, through
// asOwner, which runs a function with the filesystem ids of tid's owner
// (vigil without CAP_SYS_PTRACE, a process of another uid); nil when
// vigil needs no other ids.
func (x *Execs) Inspect(tid int, at bool, args [6]uint64, asOwner func(linux.TaskIDs, func())) *Exec {
	e := &Exec{pid: tid, asOwner: asOwner}
	pathArg, argvArg := args[0], args[1]
	dirfd, flags := atFDCWD, uint64(0)
	if at {
		dirfd, pathArg, argvArg, flags = int(int32(args[0])), args[1], args[2], args[4]
	}
	read := func() {
		mem := linux.OpenMem(tid)
		// One window of memory for the path, argv and its strings, which
		// most often lie close together: one read for all, often.
		w := &window{mem: mem}
		e.Requested, _ = w.str(uintptr(pathArg))
		e.Argv = readArgv(w, uintptr(argvArg))
		mem.Close()
	}
	if e.withAccess(read, func() bool { return e.Requested != "" || len(e.Argv) > 0 }) {
		e.withAccess(func() { x.resolve(e, dirfd, flags&atEmptyPath != 0) }, func() bool { return true })
	}
	if e.Exists && isLoader(filepath.Base(e.Path)) {
		if e.Cwd == "" {
			e.Cwd = e.readlink("cwd")
		}
		e.Loaded = loaded(e)
	}
	if e.Exists {
		e.Caller = &events.Process{PID: int32(tid)}
	}
	return e
}

// withAccess runs read as vigil and, when got says it got nothing, again
// with the owner's ids; after one such retry, every later read of e goes
// through the owner at once. It reports got.
func (e *Exec) withAccess(read func(), got func() bool) bool {
	if !e.owner {
		read()
		if got() || e.asOwner == nil {
			return got()
		}
		e.owner = true
	}
	e.asOwner(e.ids(), read)
	return got()
}

// ids are the caller's, read at first use (they need no ptrace access).
func (e *Exec) ids() linux.TaskIDs {
	if !e.idsRead {
		e.idsRead = true
		e.taskIDs, _ = linux.ReadTaskIDs(e.pid) // gone: zero ids, judged on what was read
	}
	return e.taskIDs
}

// readlink reads the caller's /proc link rest, as withAccess does.
func (e *Exec) readlink(rest string) string {
	var target string
	e.withAccess(func() { target = linux.Readlink(procPath(e.pid, rest)) }, func() bool { return target != "" })
	return target
}

// ReadCaller reads, while the call is still held, who the caller is and
// what it ran before the exec replaces it: its ids, its exe and argv
// (after a fork, a copy of its parent's), whether its standard input is a
// terminal, and its directory. Decide calls it for a rule that looks at
// the caller; the supervisor calls it before answering a call it will
// report.
func (e *Exec) ReadCaller() {
	if e.callerRead || e.Caller == nil || e.pid == 0 {
		return // read already, nothing to read, or not made by Inspect
	}
	e.callerRead = true
	ids := e.ids()
	e.UID = ids.UID
	if ids.Tgid != 0 {
		e.Caller.PID, e.Caller.PPID = int32(ids.Tgid), int32(ids.PPid)
	}
	e.Caller.UID, e.Caller.GID = ids.UID, ids.GID
	e.Caller.Exe = e.readlink("exe")
	e.TTY = isTerminal(e.readlink("fd/0"))
	if e.Cwd == "" {
		e.Cwd = e.readlink("cwd")
	}
	e.Caller.Argv = cmdline(e.pid) // readable without ptrace access
	e.ParentExe = e.Caller.Exe
	if len(e.Caller.Argv) > 0 {
		e.ParentArgv0 = e.Caller.Argv[0]
	}
}

// complete reads what only an event needs, once the call was answered:
// the caller's ancestry up to self (its parents outlive it, mostly).
func (e *Exec) complete(self int) {
	e.Caller.Ancestry = ancestry(int(e.Caller.PPID), self)
}

// isTerminal reports whether a descriptor's target names a terminal: a
// pseudo-terminal, a virtual console or the console.
func isTerminal(t string) bool {
	return t != "" && (strings.HasPrefix(t, "/dev/pts/") || strings.HasPrefix(t, "/dev/tty") || t == "/dev/console")
}

// resolve finds the file the call names: by dirfd (execveat), the
// caller's working directory, or the caller's descriptor, and stats it.
func (x *Execs) resolve(e *Exec, dirfd int, emptyPath bool) {
	p := e.Requested
	switch {
	case emptyPath && p == "":
		e.Requested = "fd " + strconv.Itoa(dirfd)
		e.fromFd(procPath(e.pid, "fd/"+strconv.Itoa(dirfd)))
		return
	case p == "":
		return // ENOENT
	case !filepath.IsAbs(p) && dirfd != atFDCWD:
		dir := linux.Readlink(procPath(e.pid, "fd/"+strconv.Itoa(dirfd)))
		if dir == "" {
			return
		}
		p = filepath.Join(dir, p)
	case !filepath.IsAbs(p):
		e.Cwd = linux.Readlink(procPath(e.pid, "cwd"))
		p = filepath.Join(e.Cwd, p)
	}
	// /proc/self is the caller's, not vigil's.
	for _, self := range []string{"/proc/self/", "/proc/thread-self/"} {
		if rest, ok := strings.CutPrefix(p, self); ok {
			p = procPath(e.pid, rest)
		}
	}
	if fd, ok := fdLink(p); ok {
		e.fromFd(fd)
		return
	}
	real, st, err := x.paths.resolve(p)
	if err != nil {
		return
	}
	e.Path, e.open = real, real
	e.setStat(st)
}

// fdLink reports whether p is a /proc/PID/fd/N link, which names an open
// file rather than a path.
func fdLink(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/proc/")
	if !ok {
		return "", false
	}
	pid, fd, ok := strings.Cut(rest, "/fd/")
	if !ok || strings.Contains(fd, "/") {
		return "", false
	}
	if _, err := strconv.Atoi(pid); err != nil {
		return "", false
	}
	return p, true
}

// fromFd names the file open at link (a /proc/PID/fd/N): a memfd, a
// deleted file, or a file run through a descriptor.
func (e *Exec) fromFd(link string) {
	target := linux.Readlink(link)
	if target == "" {
		return
	}
	e.Path, e.open = target, link
	switch {
	case strings.HasPrefix(target, "/memfd:"):
		e.Fileless = "memfd"
	case strings.HasSuffix(target, " (deleted)"):
		e.Fileless = "deleted"
		e.Path = strings.TrimSuffix(target, " (deleted)")
	default:
		e.Fileless = "fd"
	}
	if _, st, err := linux.Resolve(link); err == nil {
		e.setStat(st)
	}
}

func (e *Exec) setStat(st linux.FileStat) {
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return
	}
	e.Exists, e.mode = true, st.Mode
	e.id = fileID{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtime.Nano(), ctime: st.Ctime.Nano()}
}

// loaded is the file the dynamic loader is asked to run, "" when e does
// not run the loader on a file: its first argument that is not an option
// (or an option's value).
func loaded(e *Exec) string {
	if !e.Exists || !isLoader(filepath.Base(e.Path)) {
		return ""
	}
	args := e.Argv
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--library-path" || a == "--preload" || a == "--audit" || a == "--argv0" || a == "--inhibit-rpath":
			i++ // takes a value
		case strings.HasPrefix(a, "-"):
		default:
			if !filepath.IsAbs(a) {
				a = filepath.Join(e.Cwd, a)
			}
			return a
		}
	}
	return ""
}

// isLoader reports whether name is a dynamic loader's (glibc, musl).
func isLoader(name string) bool {
	return name == "ld.so" || strings.HasPrefix(name, "ld-linux") || strings.HasPrefix(name, "ld-musl-")
}

// readArgv reads a NULL-terminated array of string pointers at addr (a
// 64-bit caller's) through w, bounded by maxArgs and maxArgvLen; an
// argument cut at maxArgLen ends with "…".
func readArgv(w *window, addr uintptr) []string {
	if addr == 0 {
		return nil
	}
	ptrs := make([]byte, 8*64)
	var argv []string
	total := 0
	for len(argv) < maxArgs && total < maxArgvLen {
		// Copied: reading the strings may move the window.
		n := copy(ptrs, w.within(addr))
		if n == 0 {
			n = w.mem.ReadAt(ptrs, addr)
		}
		n -= n % 8
		if n == 0 {
			return argv
		}
		for i := 0; i < n; i += 8 {
			p := binary.NativeEndian.Uint64(ptrs[i:])
			if p == 0 || len(argv) == maxArgs || total >= maxArgvLen {
				return argv
			}
			s, complete := w.str(uintptr(p))
			if !complete && len(s) == maxArgLen {
				s += "…"
			}
			argv, total = append(argv, s), total+len(s)
		}
		addr += uintptr(n)
	}
	return argv
}

// window reads what lies close together in a caller's memory (a path, an
// argv and its strings, most often) with one read of the memory around
// it.
type window struct {
	mem *linux.Mem
	at  uintptr
	buf []byte
}

// within is the window's bytes from addr to its end, nil when addr is
// not in it.
func (w *window) within(addr uintptr) []byte {
	if addr < w.at || addr >= w.at+uintptr(len(w.buf)) {
		return nil
	}
	return w.buf[addr-w.at:]
}

// str is the string at addr, from the window when it lies in it whole.
func (w *window) str(addr uintptr) (string, bool) {
	rest := w.within(addr)
	if rest == nil {
		if w.buf == nil {
			w.buf = make([]byte, 4096)
		}
		w.at, w.buf = addr, w.buf[:cap(w.buf)]
		w.buf = w.buf[:w.mem.ReadAt(w.buf, addr)]
		rest = w.buf
	}
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		return string(rest[:i]), true
	}
	return w.mem.String(addr, maxArgLen)
}

func procPath(pid int, rest string) string { return "/proc/" + strconv.Itoa(pid) + "/" + rest }

// cmdline is pid's argv, its first 4 KiB.
func cmdline(pid int) []string {
	cmd, err := linux.ReadSmall(procPath(pid, "cmdline"), make([]byte, 4096))
	if err != nil {
		return nil
	}
	return parseCmdline(cmd)
}

// ancestry lists pid and its ancestors, parent first, up to but not
// including self (vigil) or PID 1.
func ancestry(pid, self int) []events.Ancestor {
	var out []events.Ancestor
	for pid > 1 && pid != self && len(out) < maxAncestry {
		exe := linux.Readlink(procPath(pid, "exe"))
		if exe == "" {
			if argv := cmdline(pid); len(argv) > 0 {
				exe = argv[0]
			}
		}
		out = append(out, events.Ancestor{PID: int32(pid), Exe: exe})
		pid = ppidOf(pid)
	}
	return out
}

func ppidOf(pid int) int {
	b, err := linux.ReadSmall(procPath(pid, "stat"), make([]byte, 1024))
	if err != nil {
		return 0
	}
	st, err := parseStat(b)
	if err != nil {
		return 0
	}
	return int(st.ppid)
}
