package supervisor

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/supervisor/prestart"
)

// spawn starts the app in its own process group with vigil's stdio,
// environment and working directory, and returns its pid. It does not wait:
// the reaper in Run collects the app like any other child.
func spawn(args []string) (int, error) {
	path, err := lookPath(args[0])
	if err != nil {
		return 0, err
	}
	pid, err := syscall.ForkExec(path, args, prestart.ProcAttr())
	if err != nil {
		return 0, execError(path, err)
	}
	return pid, nil
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
