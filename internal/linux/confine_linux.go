package linux

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SetUndumpable makes the calling process non-dumpable: its /proc/PID/mem,
// environ, fd, maps and ptrace then need CAP_SYS_PTRACE, which Docker does
// not give, whatever the caller's uid. execve makes a process dumpable
// again, so what vigil starts is not affected.
func SetUndumpable() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	return nil
}

// Dumpable reports whether the calling process is dumpable.
func Dumpable() bool {
	r, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	return r != 0
}

// IsMainThread reports whether the calling thread is the process's main
// thread (its tid is the pid).
func IsMainThread() bool { return unix.Gettid() == unix.Getpid() }

// LandlockScopes are the IPC scopes (Landlock ABI 6) a domain closes to
// processes outside it: signals, and abstract Unix sockets.
const LandlockScopes = unix.LANDLOCK_SCOPE_SIGNAL | unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET

// landlockMakeBlock is LANDLOCK_ACCESS_FS_MAKE_BLOCK: handled and granted
// everywhere, it restricts nothing, but makes a domain on kernels before
// ABI 6, where scopes are unknown.
const landlockMakeBlock = 1 << 11

// ConfineThread puts the calling thread, which must be locked to its
// goroutine and never given back to the runtime, under no_new_privs and in
// a Landlock domain of its own that restricts no file access: what it
// starts cannot ptrace, or read the memory, environment and fds of, any
// process outside that domain (Landlock ABI 1+), and with ABI 6+ cannot
// signal them or connect to their abstract Unix sockets either. abi is the
// kernel's Landlock ABI; with 0 it does nothing. Only this thread is
// affected (raw prctl and landlock_restrict_self, not all threads).
func ConfineThread(abi int) error {
	if abi <= 0 {
		return nil
	}
	if err := SetNoNewPrivs(); err != nil {
		return err
	}
	return RestrictThread(abi)
}

// RestrictThread is ConfineThread for a thread that already has
// no_new_privs.
func RestrictThread(abi int) error {
	if abi <= 0 {
		return nil
	}
	attr := unix.LandlockRulesetAttr{}
	if abi >= 6 {
		attr.Scoped = LandlockScopes
	} else {
		attr.Handled_access_fs = landlockMakeBlock
	}
	// Size 24 (fs, net, scoped): a kernel with a shorter struct accepts it
	// while the fields it lacks are zero.
	fd, _, errno := unix.RawSyscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), 24, 0)
	if errno != 0 {
		return fmt.Errorf("landlock_create_ruleset: %w", errno)
	}
	defer unix.Close(int(fd))
	if abi < 6 {
		if err := grantRoot(int(fd)); err != nil {
			return err
		}
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, 0, 0); errno != 0 {
		return fmt.Errorf("landlock_restrict_self: %w", errno)
	}
	return nil
}

// grantRoot adds to the ruleset fd the rule that grants its one handled
// right beneath /.
func grantRoot(ruleset int) error {
	root, err := unix.Open("/", unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening / for a Landlock rule: %w", err)
	}
	defer unix.Close(root)
	rule := unix.LandlockPathBeneathAttr{Allowed_access: landlockMakeBlock, Parent_fd: int32(root)}
	if _, _, errno := unix.RawSyscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(ruleset), unix.LANDLOCK_RULE_PATH_BENEATH,
		uintptr(unsafe.Pointer(&rule)), 0, 0, 0); errno != 0 {
		return fmt.Errorf("landlock_add_rule: %w", errno)
	}
	return nil
}

// ScrubEnviron overwrites, in this process's original environment block
// (what /proc/PID/environ shows), the values of the variables whose names
// start with prefix, and reports how many it blanked. The Go runtime keeps
// its own copy: os.Getenv still sees them.
func ScrubEnviron(prefix string) (int, error) {
	if !slices.ContainsFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, prefix) }) {
		return 0, nil // the common case, without reading /proc
	}
	env, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		return 0, fmt.Errorf("reading /proc/self/environ: %w", err)
	}
	start, _, err := envBlock()
	if err != nil {
		return 0, err
	}
	var blanks []int // offset, length pairs of the values to blank
	for off := 0; off < len(env); {
		end := off
		for end < len(env) && env[end] != 0 {
			end++
		}
		kv := env[off:end]
		if eq := bytes.IndexByte(kv, '='); eq > 0 && bytes.HasPrefix(kv, []byte(prefix)) {
			blanks = append(blanks, off+eq+1, len(kv)-eq-1)
		}
		off = end + 1
	}
	if len(blanks) == 0 {
		return 0, nil
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_WRONLY, 0)
	if err != nil {
		return 0, fmt.Errorf("opening /proc/self/mem: %w", err)
	}
	defer mem.Close()
	for i := 0; i < len(blanks); i += 2 {
		if _, err := mem.WriteAt(make([]byte, blanks[i+1]), int64(start)+int64(blanks[i])); err != nil {
			return i / 2, fmt.Errorf("blanking a variable in the environment block: %w", err)
		}
	}
	return len(blanks) / 2, nil
}

// envBlock is where the environment block lies in this process's memory
// (fields env_start and env_end of /proc/self/stat).
func envBlock() (start, end uint64, err error) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("reading /proc/self/stat: %w", err)
	}
	// The command name, in parentheses, may hold spaces: count from its end.
	rest := stat
	for i := len(stat) - 1; i >= 0; i-- {
		if stat[i] == ')' {
			rest = stat[i+1:]
			break
		}
	}
	fields := strings.Fields(string(rest))
	// rest starts at field 3 (state); env_start is field 50, env_end 51.
	const first = 3
	if len(fields) < 51-first+1 {
		return 0, 0, fmt.Errorf("/proc/self/stat has %d fields, want 51", len(fields)+first-1)
	}
	if _, err := fmt.Sscan(fields[50-first], &start); err != nil {
		return 0, 0, fmt.Errorf("/proc/self/stat env_start: %w", err)
	}
	if _, err := fmt.Sscan(fields[51-first], &end); err != nil {
		return 0, 0, fmt.Errorf("/proc/self/stat env_end: %w", err)
	}
	return start, end, nil
}
