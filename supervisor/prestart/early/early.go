// Package early starts, while the program is still initializing, the
// sandbox that vigil run will likely need (package prestart), so that its
// runtime starts alongside vigil's. Import it only from main.
package early

import (
	"os"

	"github.com/vigilsec/vigil/supervisor/prestart"
)

// Sandbox is the sandbox started during package initialization for vigil
// run with a policy or a seccomp profile, or nil. Whoever does not hand it
// to the supervisor must Abort it.
var Sandbox = func() *prestart.Sandbox {
	if len(os.Args) < 2 || os.Args[1] != "run" || !prestart.Wanted(os.Args[2:]) {
		return nil
	}
	s, err := prestart.Start()
	if err != nil {
		return nil // started later, when the error is reported
	}
	return s
}()
