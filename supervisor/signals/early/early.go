// Package early registers vigil's signal handlers while the program is
// still initializing, ahead of every heavier package: a SIGTERM that reaches
// a Go PID 1 after the runtime starts but before anyone called
// signal.Notify makes it exit with status 2 without starting the app.
// Import it only from main.
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
