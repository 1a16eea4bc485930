package seccomp

import "errors"

var (
	// ErrNotSupported is returned where a feature needs Linux (the profile
	// loader resolves minKernel against the running kernel).
	ErrNotSupported = errors.New("not supported on this platform")

	// ErrEmptyProfile is returned for a profile with neither a defaultAction
	// nor syscall rules. Docker reads such a profile as "seccomp disabled";
	// a guard must not silently run without a filter.
	ErrEmptyProfile = errors.New("profile has neither defaultAction nor syscalls")

	// ErrUnsupportedArch is returned by Compile for an architecture without a
	// syscall table in go-seccomp-bpf, or one we do not compile for (x32).
	ErrUnsupportedArch = errors.New("unsupported architecture")
)
