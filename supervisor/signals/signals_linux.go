package signals

import (
	"os"
	"syscall"
)

var childSignal os.Signal = syscall.SIGCHLD

// forwarded lists every signal vigil catches and passes on: all of them but
// SIGKILL and SIGSTOP (uncatchable), SIGCHLD (vigil's own, for reaping),
// SIGURG and SIGPROF (the Go runtime's own: preemption and the profiler,
// which consumes SIGPROF before any handler could see it) and 32 to 34,
// which the Go runtime reserves for C libraries' threads and never lets a Go
// program catch (34 is glibc's SIGRTMIN; SIGRTMIN+1 and up are forwarded).
//
// The signals that stop a container come first: each registration costs a
// round trip to the runtime's signal thread, and until SIGTERM is registered
// it would end vigil instead of reaching the app.
var forwarded = func() []os.Signal {
	sigs := []os.Signal{syscall.SIGTERM, syscall.SIGINT}
	for n := syscall.Signal(1); n <= 64; n++ {
		switch n {
		case syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL, syscall.SIGSTOP,
			syscall.SIGCHLD, syscall.SIGURG, syscall.SIGPROF, 32, 33, 34:
			continue
		}
		sigs = append(sigs, n)
	}
	return sigs
}()

// StopsApp reports whether forwarding sig starts the shutdown clock.
func StopsApp(sig os.Signal) bool {
	return sig == syscall.SIGTERM || sig == syscall.SIGINT
}
