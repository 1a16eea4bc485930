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
}

// Notify starts delivery of every signal the supervisor handles.
func Notify() *Set {
	fwd := make(chan os.Signal, 64)
	chld := make(chan os.Signal, 1)
	if len(forwarded) > 0 {
		signal.Notify(fwd, forwarded...) // SIGTERM first
	}
	if childSignal != nil {
		signal.Notify(chld, childSignal)
	}
	return &Set{Forward: fwd, Child: chld, fwd: fwd, chld: chld}
}

// Stop ends delivery and restores default handling, for subcommands that do
// not supervise.
func (s *Set) Stop() {
	signal.Stop(s.fwd)
	signal.Stop(s.chld)
	signal.Reset()
}
