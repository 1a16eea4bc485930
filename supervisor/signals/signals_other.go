//go:build !linux

package signals

import "os"

// No signal is handled where the supervisor cannot run.
var (
	childSignal               os.Signal
	stopping, fatal, harmless []os.Signal
)

// StopsApp reports false: no signal is forwarded where the supervisor cannot run.
func StopsApp(os.Signal) bool { return false }
