// Package early registers vigil's signal handlers while the program is
// still initializing, ahead of the heavier packages: a SIGTERM that
// reaches a Go PID 1 after the runtime starts but before anyone called
// signal.Notify makes it exit with status 2 without starting the app, and
// a signal that arrives before the app exists must wait for it. Import it
// only from main.
//
// Go initializes the packages that are ready in the order of their import
// paths, so this package imports nothing beyond os and the signals
// package: it is ready as soon as os/signal is, and runs before the
// packages of the bus, crypto and seccomp (everything that imports
// golang.org/x/sys waits longer). The early sandbox is in
// supervisor/prestart/early for that reason.
package early

import (
	"os"

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
