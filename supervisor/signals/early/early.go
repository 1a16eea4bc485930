// Package early registers vigil's signal handlers while the program is
// still initializing, ahead of every heavier package: a SIGTERM that reaches
// a Go PID 1 after the runtime starts but before anyone called
// signal.Notify makes it exit with status 2 without starting the app.
// Import it only from main.
package early

import "github.com/vigilsec/vigil/supervisor/signals"

// Signals was registered during package initialization.
var Signals = signals.Notify()
