package supervisor

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/prestart"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// sandboxFd is the child's end of its socket to PID 1.
const sandboxFd = 3

// maxProgram is the size of the largest seccomp program.
const maxProgram = 4096 * 8

// Sandbox is the child side of the re-exec, and becomes the app. args
// are what spawnSandboxed put after the hidden command: the sandbox reads
// the seccomp program from PID 1 (when told to), drops privileges, sets
// no_new_privs, loads the filter, hands its listener to PID 1 and execs the
// app with vigil's environment. It returns only if that fails, with the
// exit code to use; it has printed why.
func Sandbox() int {
	err := sandbox()
	if errors.Is(err, io.EOF) {
		return 125 // vigil did not start the app, and has said why
	}
	fmt.Fprintf(os.Stderr, "vigil: run: %v\n", err)
	return ExitCode(err)
}

// maxSpec bounds the orders the sandbox reads: far above any argv the
// kernel would exec.
const maxSpec = 64 << 20

func sandbox() error {
	blob, err := linux.RecvBlob(sandboxFd, maxSpec)
	if errors.Is(err, io.EOF) {
		return err
	} else if err != nil {
		return fmt.Errorf("sandbox: reading what to run from vigil: %w", err)
	}
	// The app must not inherit the socket, filter or not.
	if err := linux.SetCloseOnExec(sandboxFd); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	spec, err := parseSandboxArgs(strings.Split(string(blob), "\x00"))
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	path, err := lookPath(spec.args[0])
	if err != nil {
		return err
	}
	var h *handover
	if spec.seccomp {
		prog, err := readProgram()
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		h = startHandover(prog) // before this thread is locked: see startHandover
	}
	// Capability sets are per thread: the one that drops them must be the
	// one that calls execve. Never unlocked: this thread ends in execve.
	runtime.LockOSThread()
	if err := linux.SetNoNewPrivs(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	// Before the drop: vigil's view of the directories is then complete.
	if len(spec.readOnly)+len(spec.hidden) > 0 || spec.execOnly || spec.tcp.HandleConnect || spec.tcp.HandleBind {
		if err := restrictFiles(spec.readOnly, spec.hidden, execOnly(spec), spec.tcp); err != nil {
			return fmt.Errorf("sandbox: Landlock: %w", err)
		}
	} else if err := linux.RestrictThread(LandlockABI()); err != nil {
		// The app's own domain, which keeps it from vigil (confine_linux.go).
		return fmt.Errorf("sandbox: Landlock: %w", err)
	}
	if err := linux.Drop(spec.cred); err != nil {
		return fmt.Errorf("sandbox: dropping privileges: %w", err)
	}
	if spec.seccomp {
		// The listener is close-on-exec: the app does not get it.
		if err := h.load(); err != nil {
			return err
		}
	}
	return execError(path, syscall.Exec(path, spec.args, os.Environ()))
}

// checkExecutable fails as execve would for a path that is missing, not
// a regular file, or has no execute bit, so that PID 1 says so in one
// line rather than the sandbox. (The app's own credentials may refuse it
// still: then the sandbox says why.)
func checkExecutable(path string) error {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return execError(path, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Mode&0o111 == 0 {
		return execError(path, syscall.EACCES)
	}
	return nil
}

// execOnly is the files the spec allows to execute, nil for any.
func execOnly(spec sandboxSpec) []string {
	if !spec.execOnly {
		return nil
	}
	if spec.exec == nil {
		return []string{} // none
	}
	return spec.exec
}

// readProgram reads the seccomp program PID 1 sends over the socket.
func readProgram() ([]bpf.RawInstruction, error) {
	blob, err := linux.RecvBlob(sandboxFd, maxProgram)
	if err != nil {
		return nil, fmt.Errorf("reading the seccomp program from vigil: %w", err)
	}
	prog, err := seccomp.DecodeProgram(blob)
	if err != nil {
		return nil, err
	}
	return prog, nil
}

// handover loads the filter on the calling thread only and hands its
// listener to PID 1 from another thread, which stays unfiltered (see
// linux.InstallThreadNotifyProgram): until PID 1 holds the listener, a
// system call of the filtered thread that the filter reports waits for an
// answer, and PID 1 answers the sandbox's own calls (those before the app's
// execve) by letting them run, unreported. So after loading, the filtered
// thread only sleeps in futex until the listener is sent, and the other
// thread finds the listener in /proc/self/fd by itself: the two share no
// lock or memory the filtered thread could hold while it waits (the race
// detector's runtime, in race builds, would). Its signals are blocked (a
// handler would run Go code), garbage collection is off (a stop-the-world
// would wait for it), there are at least two Ps, and its stack is grown
// beforehand (growing it takes the runtime's locks). If the hand-over
// fails, the unfiltered thread ends the process.
type handover struct {
	prog  []bpf.RawInstruction
	start chan struct{} // closed just before the filter is loaded
	// running is closed by the hand-over goroutine once it runs past start,
	// on its own thread: from then on it is in no P's run queue of ours.
	running chan struct{}
	sent    uint32 // 1 once PID 1 has the listener
}

// startHandover starts the thread that will hand prog's listener over. The
// caller must not be locked to its thread yet: a locked goroutine's new
// threads are made through the runtime's template thread, two wake-ups that
// cost milliseconds on a busy machine. The thread waits until load is
// about to load the filter, and only then looks for the listener.
func startHandover(prog []bpf.RawInstruction) *handover {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(math.MaxInt64) // GOMEMLIMIT in the app's environment would collect anyway
	runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0)))
	h := &handover{prog: prog, start: make(chan struct{}), running: make(chan struct{})}
	go func() {
		runtime.LockOSThread() // never unlocked: the process ends in execve
		// Parked, not blocked in a system call of its own: the privilege
		// drop stops the world to change every thread's ids, and a thread
		// in a raw system call would never stop.
		<-h.start
		close(h.running)
		fd := linux.FindListener()
		for ; fd < 0; fd = linux.FindListener() {
		}
		if err := linux.SendFd(sandboxFd, fd); err != nil {
			fmt.Fprintf(os.Stderr, "vigil: run: sandbox: handing the listener to vigil: %v\n", err)
			os.Exit(125)
		}
		atomic.StoreUint32(&h.sent, 1)
		linux.WakeWord(&h.sent)
	}()
	return h
}

// load loads the program on the calling thread, which must be locked to
// it, and returns once PID 1 has its listener.
func (h *handover) load() error {
	restore, err := linux.BlockThreadSignals()
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	growStack()
	close(h.start)
	// Not before the hand-over goroutine runs: close readied it onto this
	// goroutine's P, and that P is never scheduled again once this thread
	// waits under the filter. Left there, nothing is bound to steal it
	// (a rescheduling of this goroutine in between hands the P, queue and
	// all, back to it) and the hand-over never happens.
	<-h.running
	if _, err := linux.InstallThreadNotifyProgram(h.prog); err != nil {
		return fmt.Errorf("sandbox: loading the seccomp filter: %w", err)
	}
	linux.WaitWord(&h.sent, 0)
	// The mask would pass to the app through execve: give back vigil's.
	if err := restore(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// growStack makes the goroutine's stack big enough for what follows it in
// loadAndHandOver; with garbage collection off it never shrinks back.
//
//go:noinline
func growStack() {
	var pad [64 << 10]byte
	pad[stackSink] = 1
	stackSink = pad[len(pad)-1-int(stackSink)]
}

// stackSink keeps growStack's frame from being optimised away.
var stackSink byte

// spawnSandboxed starts the app through the sandbox (cfg.Sandbox, else
// one started now), with the privileges of cfg.Credential and under
// cfg.Seccomp when set, and returns its pid, the filter's listener (-1
// without a filter) and vigil's end of the socket to the sandbox (-1
// without a filter), which hangs up when the sandbox execs the app. An
// error with a pid means the sandbox failed after it was given the app: it
// has said why and exits with the code of its failure, which supervision
// reports as the app's.
func spawnSandboxed(cfg *Config) (pid, listener, conn int, err error) {
	sb := cfg.Sandbox
	cfg.Sandbox = nil
	var prog []byte
	var path string
	if path, err = lookPath(cfg.Args[0]); err == nil {
		err = checkExecutable(path)
	}
	if err == nil && cfg.Seccomp != nil {
		prog, err = cfg.Seccomp.EncodeProgram()
	}
	if err == nil && sb == nil {
		sb, err = prestart.Start()
	}
	if err != nil {
		sb.Abort()
		return 0, -1, -1, err // said here, in one line, rather than by the sandbox
	}
	pid, conn = sb.Take()
	spec := sandboxSpec{seccomp: prog != nil, cred: cfg.Credential, readOnly: cfg.ReadOnly, hidden: cfg.Hidden,
		execOnly: cfg.ExecOnly != nil, exec: cfg.ExecOnly, tcp: cfg.NetworkTCP, args: cfg.Args}
	if err = linux.SendBlob(conn, []byte(strings.Join(spec.argv()[2:], "\x00"))); err != nil {
		err = fmt.Errorf("sending the app to the sandbox: %w", err)
	} else if prog == nil {
		syscall.Close(conn)
		return pid, -1, -1, nil
	} else if err = linux.SendBlob(conn, prog); err != nil {
		err = fmt.Errorf("sending the seccomp program to the sandbox: %w", err)
	} else if listener, err = linux.RecvFdWithin(conn, handoverLimit); errors.Is(err, os.ErrDeadlineExceeded) {
		// Never seen to take more than a few milliseconds: the sandbox is
		// stuck (its hand-over thread never ran, or never came back from
		// sendmsg). Say where each of its threads is, rather than hang.
		err = fmt.Errorf("the sandbox did not hand over its seccomp listener within %s; its threads:%s", handoverLimit, linux.TaskStates(pid))
		syscall.Close(conn)
		killSandbox(pid)
		return 0, -1, -1, err
	} else if err != nil {
		err = fmt.Errorf("receiving the seccomp listener from the sandbox: %w", err)
	} else {
		return pid, listener, conn, nil
	}
	syscall.Close(conn)
	return pid, -1, -1, err
}

// handoverLimit bounds each step of the sandbox's start that vigil waits
// for: handing over the listener, then exec'ing the app once PID 1 has it.
// Both take milliseconds; a sandbox past it is stuck, and vigil says where
// its threads are instead of waiting for ever.
const handoverLimit = 10 * time.Second

// killSandbox kills a sandbox that is stuck before exec'ing the app, and
// reaps it.
func killSandbox(pid int) {
	syscall.Kill(pid, syscall.SIGKILL)
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			return
		}
	}
}

// watchExec waits for the sandbox pid to exec the app, which hangs up its
// end of conn (close-on-exec), at most handoverLimit from now. Past it, it
// logs where the sandbox's threads are and kills it: supervision then
// reports the app as killed (137) instead of waiting for ever. It works
// on a duplicate of conn, which the notifier closes when it sees the
// hang-up.
func watchExec(pid, conn int, log *zap.Logger) {
	dup, err := unix.FcntlInt(uintptr(conn), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return
	}
	go func() {
		defer syscall.Close(dup)
		if up, err := linux.WaitHangUpWithin(dup, handoverLimit); up || err != nil {
			return
		}
		log.Error("the sandbox has not exec'd the app; killing it", zap.Duration("waited", handoverLimit),
			zap.Int("pid", pid), zap.String("threads", linux.TaskStates(pid)))
		syscall.Kill(pid, syscall.SIGKILL)
	}()
}
