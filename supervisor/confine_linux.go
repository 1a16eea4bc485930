package supervisor

import (
	"go.uber.org/zap"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/prestart"
)

// The app must not read or trace vigil: vigil's memory holds the bus's
// credentials, its fds the listener and the outbox. Two locks, either of
// which is enough against an app without CAP_SYS_PTRACE:
//
//   - vigil is not dumpable (hideSelf): its /proc/PID/mem, environ and fd,
//     and ptrace, need CAP_SYS_PTRACE, whatever the app's uid;
//   - the app starts in a Landlock domain of its own (spawn, and the
//     sandbox), which forbids ptrace access to any process outside it,
//     CAP_SYS_PTRACE or not, and with Landlock ABI 6+ signals and abstract
//     Unix sockets to them too: an app cannot kill vigil when vigil is not
//     PID 1 (docker run --init, a shared process namespace).
//
// Confining the app sets no_new_privs on it, as a seccomp filter already
// does: setuid binaries do not raise its privileges.

// hideSelf makes vigil non-dumpable and blanks the bus's variables in the
// environment block the kernel shows as /proc/PID/environ (the runtime has
// its copy). Failing is not fatal: the Landlock domain still holds.
func hideSelf(log *zap.Logger) {
	// First: once vigil is not dumpable, its /proc files are root's, and
	// a vigil of another uid can no longer open its own environ.
	if _, err := linux.ScrubEnviron(prestart.SecretPrefix); err != nil {
		log.Warn("the bus's variables stay in vigil's environment block", zap.Error(err))
	}
	if err := linux.SetUndumpable(); err != nil {
		log.Warn("vigil stays dumpable: an app with CAP_SYS_PTRACE and no Landlock could read it", zap.Error(err))
	}
}

// AppIsolation says what keeps the app from vigil on this kernel, for the
// started event: "landlock-scoped" (ptrace, /proc access, signals and
// abstract sockets refused by Landlock, vigil not dumpable), "landlock"
// (ptrace and /proc access), or "undumpable" (no Landlock: only vigil's
// dumpable flag, which CAP_SYS_PTRACE passes).
func AppIsolation() string {
	switch abi := LandlockABI(); {
	case abi >= 6:
		return "landlock-scoped"
	case abi >= 1:
		return "landlock"
	}
	return "undumpable"
}
