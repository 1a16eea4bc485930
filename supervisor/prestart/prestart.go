// Package prestart starts vigil's sandbox (the re-execution of vigil that
// becomes the app) before vigil knows what the sandbox will apply, so that
// the sandbox's Go runtime starts while vigil's own is still starting,
// reading its flags and compiling its filter, rather than after: a Go
// binary of vigil's size takes about a millisecond to reach main, and a
// container start pays it once instead of twice.
//
// The sandbox waits on its socket (fd 3) for what to run; Abort ends it
// unused. Import it only from supervisor and supervisor/prestart/early.
package prestart

import (
	"os"
	"strings"
)

// Command is the hidden subcommand with which vigil re-executes itself as
// the sandbox.
const Command = "__sandbox"

// Sandbox is a started sandbox waiting for its orders.
type Sandbox struct {
	// Pid is the sandbox's, and will be the app's.
	Pid int
	// Conn is vigil's end of the socket; the sandbox has the other as fd 3.
	Conn int
}

// defaultPolicy is vigil run's policy when it has no --policy.
const defaultPolicy = "/etc/vigil/policy.yaml"

// Wanted reports whether vigil run with these arguments (after "run") will
// likely start the app through the sandbox: always, unless the exec watch
// is turned off (--exec-watch=false, VIGIL_EXEC_WATCH=false) and no policy
// or seccomp profile is named by flag or environment, nor the default
// policy exists. A guess, made before the flags are parsed: a wrong one
// costs a process started for nothing, or one started later.
func Wanted(args []string) bool {
	watchOff := false
	for i, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") {
			break
		}
		for _, f := range []string{"--policy", "--seccomp-profile"} {
			if a == f && i+1 < len(args) || strings.HasPrefix(a, f+"=") {
				return true
			}
		}
		if v, ok := strings.CutPrefix(a, "--exec-watch="); ok {
			watchOff = isFalse(v)
		}
	}
	if os.Getenv("VIGIL_POLICY") != "" || os.Getenv("VIGIL_SECCOMP_PROFILE") != "" {
		return true
	}
	if !watchOff && !isFalse(os.Getenv("VIGIL_EXEC_WATCH")) {
		return true // the exec watch's filter goes through the sandbox
	}
	_, err := os.Stat(defaultPolicy)
	return err == nil
}

// isFalse reports whether v is one of the false values of a boolean flag.
func isFalse(v string) bool {
	switch v {
	case "0", "f", "F", "false", "FALSE", "False":
		return true
	}
	return false
}

// SecretPrefix starts the variables that configure vigil's connection to
// the bus (credentials among them): the app never sees them.
const SecretPrefix = "VIGIL_NATS"

// AppEnviron is vigil's environment without the VIGIL_NATS* variables.
func AppEnviron() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, SecretPrefix) {
			out = append(out, kv)
		}
	}
	return out
}
