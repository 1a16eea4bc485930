//go:build !linux

package supervisor

import "os"

// No signal is handled where the supervisor cannot run.
var (
	childSignal os.Signal
	forwarded   []os.Signal
)

func stopsApp(os.Signal) bool { return false }
