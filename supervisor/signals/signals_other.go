//go:build !linux

package signals

import "os"

// No signal is handled where the supervisor cannot run.
var (
	childSignal os.Signal
	forwarded   []os.Signal
)

func StopsApp(os.Signal) bool { return false }
