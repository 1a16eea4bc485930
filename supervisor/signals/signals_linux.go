package signals

import (
	"os"
	"syscall"
)

var childSignal os.Signal = syscall.SIGCHLD

// stopping are the signals that stop a container; they are registered first.
var stopping = []os.Signal{syscall.SIGTERM, syscall.SIGINT}

// fatal are the other signals that end or stop a Go program that has not
// asked for them (see os/signal): they must be registered before the app
// starts, or one of them would end vigil under it.
var fatal = []os.Signal{
	syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGILL, syscall.SIGTRAP, syscall.SIGABRT,
	syscall.SIGBUS, syscall.SIGFPE, syscall.SIGSEGV, syscall.SIGSTKFLT, syscall.SIGSYS,
	syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU,
}

// harmless are the rest of the signals vigil forwards, which the Go runtime
// ignores until registered: all signals up to 64 but those above, SIGKILL
// and SIGSTOP (uncatchable), SIGCHLD (vigil's own, for reaping), SIGURG and
// SIGPROF (the Go runtime's own: preemption, and the profiler, which
// consumes SIGPROF before any handler could see it) and 32 to 34, which the
// Go runtime reserves for C libraries' threads and never lets a Go program
// catch (34 is glibc's SIGRTMIN; SIGRTMIN+1 and up are forwarded).
var harmless = func() []os.Signal {
	skip := map[os.Signal]bool{
		syscall.SIGKILL: true, syscall.SIGSTOP: true, syscall.SIGCHLD: true,
		syscall.SIGURG: true, syscall.SIGPROF: true,
		syscall.Signal(32): true, syscall.Signal(33): true, syscall.Signal(34): true,
	}
	for _, sig := range append(stopping, fatal...) {
		skip[sig] = true
	}
	var sigs []os.Signal
	for n := syscall.Signal(1); n <= 64; n++ {
		if !skip[n] {
			sigs = append(sigs, n)
		}
	}
	return sigs
}()

// StopsApp reports whether forwarding sig starts the shutdown clock.
func StopsApp(sig os.Signal) bool {
	return sig == syscall.SIGTERM || sig == syscall.SIGINT
}
