package supervisor

import (
	"os"
	"syscall"
)

var childSignal os.Signal = syscall.SIGCHLD

// forwarded lists every signal vigil catches and passes on: all of them but
// SIGKILL and SIGSTOP (uncatchable), SIGCHLD (vigil's own, for reaping),
// SIGURG (the Go runtime's preemption signal, not meant for the app) and
// 32 and 33 (reserved by the C library for its threads).
var forwarded = func() []os.Signal {
	var sigs []os.Signal
	for n := syscall.Signal(1); n <= 64; n++ {
		switch n {
		case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, syscall.SIGURG, 32, 33:
			continue
		}
		sigs = append(sigs, n)
	}
	return sigs
}()

// stopsApp reports whether forwarding sig starts the shutdown clock.
func stopsApp(sig os.Signal) bool {
	return sig == syscall.SIGTERM || sig == syscall.SIGINT
}
