package procwatch

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/events"
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

// Inspect reads what the held call of pid (execve, or execveat when at)
// with arguments args will run. It needs ptrace access to pid: the caller
// runs it with the process owner's filesystem ids when vigil lacks
// CAP_SYS_PTRACE.
func Inspect(pid int, at bool, args [6]uint64, self int) *Exec {
	e := &Exec{pid: pid}
	mem, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err == nil {
		defer mem.Close()
	}
	pathArg, argvArg := args[0], args[1]
	dirfd, flags := atFDCWD, uint64(0)
	if at {
		dirfd, pathArg, argvArg, flags = int(int32(args[0])), args[1], args[2], args[4]
	}
	if mem != nil {
		e.Requested, _ = readString(mem, uintptr(pathArg), maxPathLen)
		e.Argv = readArgv(mem, uintptr(argvArg))
	}
	e.Cwd, _ = os.Readlink(procPath(pid, "cwd"))
	e.resolve(dirfd, flags&atEmptyPath != 0)
	e.Caller = processOf(pid)
	// The program that runs the new one is the caller as it is now: after
	// a fork, a copy of its parent.
	e.UID, e.ParentExe = e.Caller.UID, e.Caller.Exe
	if len(e.Caller.Argv) > 0 {
		e.ParentArgv0 = e.Caller.Argv[0]
	}
	e.Caller.Ancestry = ancestry(int(e.Caller.PPID), self)
	e.Loaded = loaded(e)
	e.TTY = isTerminal(procPath(pid, "fd/0"))
	return e
}

// isTerminal reports whether the descriptor link names a terminal: a
// pseudo-terminal, a virtual console or the console.
func isTerminal(link string) bool {
	t, err := os.Readlink(link)
	return err == nil && (strings.HasPrefix(t, "/dev/pts/") || strings.HasPrefix(t, "/dev/tty") || t == "/dev/console")
}

// resolve finds the file the call names: by dirfd (execveat), the
// caller's working directory, or the caller's descriptor, and stats it.
func (e *Exec) resolve(dirfd int, emptyPath bool) {
	p := e.Requested
	switch {
	case emptyPath && p == "":
		e.Requested = "fd " + strconv.Itoa(dirfd)
		e.fromFd(procPath(e.pid, "fd/"+strconv.Itoa(dirfd)))
		return
	case p == "":
		return // ENOENT
	case !filepath.IsAbs(p) && dirfd != atFDCWD:
		dir, err := os.Readlink(procPath(e.pid, "fd/"+strconv.Itoa(dirfd)))
		if err != nil {
			return
		}
		p = filepath.Join(dir, p)
	case !filepath.IsAbs(p):
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
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return
	}
	e.Path, e.open = real, real
	e.stat()
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
	target, err := os.Readlink(link)
	if err != nil {
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
	e.stat()
}

func (e *Exec) stat() {
	var st syscall.Stat_t
	if syscall.Stat(e.open, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return
	}
	e.Exists, e.mode = true, st.Mode
	e.id = fileID{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim, ctime: st.Ctim}
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

// readString reads a NUL-terminated string of at most limit bytes at addr.
func readString(mem *os.File, addr uintptr, limit int) (string, bool) {
	if addr == 0 {
		return "", false
	}
	var buf []byte
	for len(buf) < limit {
		chunk := make([]byte, min(4096-int(addr%4096), limit-len(buf)))
		n, _ := mem.ReadAt(chunk, int64(addr))
		if i := bytes.IndexByte(chunk[:n], 0); i >= 0 {
			return string(append(buf, chunk[:i]...)), true
		}
		if n < len(chunk) {
			return "", false
		}
		buf, addr = append(buf, chunk...), addr+uintptr(n)
	}
	return string(buf), false // cut at limit
}

// readArgv reads a NULL-terminated array of string pointers at addr (a
// 64-bit caller's), bounded by maxArgs and maxArgvLen; an argument cut
// at maxArgLen ends with "…".
func readArgv(mem *os.File, addr uintptr) []string {
	if addr == 0 {
		return nil
	}
	ptrs := make([]byte, 8*64)
	var argv []string
	total := 0
	for len(argv) < maxArgs && total < maxArgvLen {
		n, _ := mem.ReadAt(ptrs, int64(addr))
		n -= n % 8
		if n == 0 {
			return argv
		}
		for i := 0; i < n; i += 8 {
			p := binary.NativeEndian.Uint64(ptrs[i:])
			if p == 0 || len(argv) == maxArgs || total >= maxArgvLen {
				return argv
			}
			s, complete := readString(mem, uintptr(p), maxArgLen)
			if !complete && len(s) == maxArgLen {
				s += "…"
			}
			argv, total = append(argv, s), total+len(s)
		}
		addr += uintptr(n)
	}
	return argv
}

func procPath(pid int, rest string) string { return "/proc/" + strconv.Itoa(pid) + "/" + rest }

// processOf is what /proc/PID/status and cmdline say of pid (readable
// without ptrace access) and its exe (which needs it).
func processOf(pid int) *events.Process {
	p := &events.Process{PID: int32(pid)}
	if status, err := os.ReadFile(procPath(pid, "status")); err == nil {
		for line := range strings.SplitSeq(string(status), "\n") {
			key, val, _ := strings.Cut(line, ":")
			f := strings.Fields(val)
			if len(f) == 0 {
				continue
			}
			n, _ := strconv.ParseUint(f[0], 10, 32)
			switch key {
			case "Tgid":
				p.PID = int32(n)
			case "PPid":
				p.PPID = int32(n)
			case "Uid":
				p.UID = uint32(n)
			case "Gid":
				p.GID = uint32(n)
			}
		}
	}
	p.Argv = cmdline(pid)
	p.Exe, _ = os.Readlink(procPath(pid, "exe"))
	return p
}

func cmdline(pid int) []string {
	cmd, err := os.ReadFile(procPath(pid, "cmdline"))
	if err != nil || len(cmd) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(cmd), "\x00"), "\x00")
}

// maxAncestry bounds an ancestry: deeper trees are cut.
const maxAncestry = 32

// ancestry lists pid and its ancestors, parent first, up to but not
// including self (vigil) or PID 1.
func ancestry(pid, self int) []events.Ancestor {
	var out []events.Ancestor
	for pid > 1 && pid != self && len(out) < maxAncestry {
		exe, _ := os.Readlink(procPath(pid, "exe"))
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
	stat, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}
