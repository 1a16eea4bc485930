package supervisor

import "errors"

var (
	// ErrCommandNotFound means the app could not be found (exit code 127).
	ErrCommandNotFound = errors.New("command not found")
	// ErrNotExecutable means the app was found but cannot be executed (exit code 126).
	ErrNotExecutable = errors.New("cannot execute")
	// ErrNoCommand means vigil was given nothing to run.
	ErrNoCommand = errors.New("no command given: use vigil run [flags] -- CMD [ARG...]")
)
