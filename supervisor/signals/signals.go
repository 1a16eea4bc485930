// Package signals is what PID 1 listens to: every catchable signal, split
// into the ones vigil forwards to the app and SIGCHLD, which drives reaping.
package signals

import (
	"os"
	"os/signal"
)

// Set is the channels PID 1 listens on. Register it before anything else
// (see package early): a Go PID 1 with no handler registered exits on
// SIGTERM, and a signal that arrives before the app exists must wait in the
// channel, not be lost.
type Set struct {
	// Forward receives every catchable signal that vigil passes on to the app.
	Forward <-chan os.Signal
	// Child receives SIGCHLD. It holds one pending signal at most: a receive
	// means "reap until nothing has exited", so coalescing loses nothing.
	Child <-chan os.Signal

	fwd, chld chan os.Signal
	ready     chan struct{} // closed when every signal that could end vigil is registered
}

// Notify starts delivery of every signal the supervisor handles. The Go
// runtime makes each registration a round trip to its signal thread, tens of
// microseconds apiece, so only the signals that stop a container (and
// SIGCHLD) are registered before Notify returns. The others that would end
// or stop vigil until registered follow in the background: call Wait before
// starting the app. The rest, which the runtime ignores until registered,
// come last, while the app starts (and could not handle a signal yet either).
func Notify() *Set {
	s := &Set{
		fwd:   make(chan os.Signal, 64),
		chld:  make(chan os.Signal, 1),
		ready: make(chan struct{}),
	}
	s.Forward, s.Child = s.fwd, s.chld
	if len(stopping) > 0 {
		signal.Notify(s.fwd, stopping...)
		signal.Notify(s.chld, childSignal)
	}
	go func() {
		if len(fatal) > 0 {
			signal.Notify(s.fwd, fatal...)
		}
		close(s.ready)
		if len(harmless) > 0 {
			signal.Notify(s.fwd, harmless...)
		}
	}()
	return s
}

// Wait returns once every signal that could end vigil is registered.
func (s *Set) Wait() { <-s.ready }
