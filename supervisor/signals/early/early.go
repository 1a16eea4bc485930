// Package early does, while the program is still initializing and ahead of
// the heavier packages, the two things vigil run cannot wait for main to
// do: it registers vigil's signal handlers (a SIGTERM that reaches a Go PID
// 1 after the runtime starts but before anyone called signal.Notify makes it
// exit with status 2 without starting the app), and it starts the sandbox
// when the app will likely need one, so that the sandbox's runtime starts
// alongside vigil's (package prestart). Import it only from main.
package early

import (
	"os"

	"github.com/vigilsec/vigil/supervisor/prestart"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// Signals was registered during package initialization when vigil was
// started to supervise (vigil run or learn), and is nil otherwise: the other commands
// keep Go's default handling, and pay nothing for registering ~60 signals.
var Signals = func() *signals.Set {
	if len(os.Args) > 1 && (os.Args[1] == "run" || os.Args[1] == "learn") {
		return signals.Notify()
	}
	return nil
}()

// Sandbox is the sandbox started during package initialization for vigil
// run with a policy or a seccomp profile, or nil. Whoever does not hand it
// to the supervisor must Abort it.
var Sandbox = func() *prestart.Sandbox {
	if len(os.Args) < 2 || os.Args[1] != "run" || !prestart.Wanted(os.Args[2:]) {
		return nil
	}
	s, err := prestart.Start()
	if err != nil {
		return nil // started later, when the error is reported
	}
	return s
}()
