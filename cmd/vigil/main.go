// Command vigil is the runtime guard baked into container images: it runs
// the app as PID 1 and watches it. See "vigil help".
package main

import (
	"os"

	// First, before any other package initializes: a Go PID 1 with no
	// handler registered exits on SIGTERM, and a signal that arrives before
	// the app exists must wait for it.
	"github.com/vigilsec/vigil/supervisor/signals/early"
)

func main() {
	os.Exit(dispatch(os.Args[1:], early.Signals))
}
