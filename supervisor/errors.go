package supervisor

import (
	"errors"

	"github.com/vigilsec/vigil/supervisor/prestart"
)

var (
	// ErrCommandNotFound means the app could not be found (exit code 127).
	ErrCommandNotFound = errors.New("command not found")
	// ErrNotExecutable means the app was found but cannot be executed (exit code 126).
	ErrNotExecutable = errors.New("cannot execute")
	// ErrNoCommand means vigil was given nothing to run.
	ErrNoCommand = errors.New("no command given: use vigil run [flags] -- CMD [ARG...]")
)

// SandboxCommand is the hidden subcommand with which vigil re-executes
// itself to start the app: Go cannot run code between fork and exec, so the
// child is vigil again until it has restricted itself (as runc init does).
const SandboxCommand = prestart.Command

// ExitCode is the exit code of docker run's convention for an error that
// kept the app from starting: 127 not found, 126 not executable, 125 else.
func ExitCode(err error) int {
	switch {
	case errors.Is(err, ErrCommandNotFound):
		return 127
	case errors.Is(err, ErrNotExecutable):
		return 126
	}
	return 125
}
