package supervisor

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/prestart"
)

// spawn starts the app in its own process group with vigil's stdio,
// environment and working directory, confined (see confine), and returns
// its pid. It does not wait: the reaper in Run collects the app like any
// other child.
func spawn(args []string) (int, error) {
	path, err := lookPath(args[0])
	if err != nil {
		return 0, err
	}
	type started struct {
		pid int
		err error
	}
	done := make(chan started, 1)
	onSpareThread(func() {
		if err := linux.ConfineThread(LandlockABI()); err != nil {
			done <- started{err: fmt.Errorf("confining the app: %w", err)}
			return
		}
		pid, err := syscall.ForkExec(path, args, prestart.ProcAttr())
		if err != nil {
			err = execError(path, err)
		}
		done <- started{pid, err}
	})
	s := <-done
	return s.pid, s.err
}

// lookPath resolves name like execvp(3) does: through $PATH when it has no
// slash. A match in the current directory (exec.ErrDot) is accepted, as
// execvp would.
func lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, err := exec.LookPath(name)
	if errors.Is(err, exec.ErrDot) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w in $PATH", name, ErrCommandNotFound)
	}
	return path, nil
}

// execError classifies a failed start by the exit codes of docker run.
func execError(path string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%s: %w (%v)", path, ErrCommandNotFound, err)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM),
		errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EISDIR),
		errors.Is(err, syscall.ETXTBSY), errors.Is(err, syscall.ELIBBAD):
		return fmt.Errorf("%s: %w (%v)", path, ErrNotExecutable, err)
	}
	return fmt.Errorf("starting %s: %w", path, err)
}

// onSpareThread runs fn on a goroutine locked to a thread that is not
// vigil's main thread, and that ends with fn: fn may change the thread
// for good (the child of a fork is a copy of its thread). The runtime
// makes no thread from a locked one (it asks its template thread), so no
// other thread inherits what fn did. Not the main thread: the runtime
// never ends it, and the kernel judges signals and ptrace against vigil
// by the main thread's credentials.
func onSpareThread(fn func()) {
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with fn
		if !linux.IsMainThread() {
			fn()
			return
		}
		// While this goroutine holds the main thread, no other runs on it.
		ran := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			defer close(ran)
			fn()
		}()
		<-ran
		runtime.UnlockOSThread()
	}()
}
