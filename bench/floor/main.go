// Command floor is the least that a container init built on vigil's
// libraries can do to run one app, measured next to vigil in
// BenchmarkStartup: a lower bound for vigil's own start-up on the machine
// at hand.
//
//	floor [--seccomp-profile docker-default] -- APP [ARG...]
//
// It links every library the project requires of the guard (the Go
// runtime, zap, gopsutil, nats.go, go-seccomp-bpf, and moby/profiles
// through vigil's seccomp package), so that all their package
// initializers run as they do in vigil; registers the three signals no
// init can do without (SIGTERM, SIGINT, SIGCHLD); with --seccomp-profile,
// resolves (for the bounding set) and compiles that profile as vigil does,
// but loads nothing (the cost of a sandbox is left out); then fork-execs
// the app and waits for it. Nothing else: no flags beyond that one, no
// logger, no policy lookup, no forwarding, no events.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	_ "github.com/nats-io/nats.go"
	_ "github.com/shirou/gopsutil/v4/process"
	_ "go.uber.org/zap"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	if len(args) >= 2 && args[0] == "--seccomp-profile" {
		if err := compile(args[1]); err != nil {
			fmt.Fprintf(os.Stderr, "floor: %v\n", err)
			return 125
		}
		args = args[2:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: floor [--seccomp-profile PROFILE] -- APP [ARG...]")
		return 125
	}
	pid, err := syscall.ForkExec(args[0], args, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		return 127
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// compile resolves a profile for the bounding set and compiles it as vigil
// run does before it starts the app, and encodes the program it would load.
func compile(profile string) error {
	bnd, err := linux.BoundingSet()
	if err != nil {
		return err
	}
	s, err := seccomp.Resolve(profile, linux.CapNames(bnd))
	if err != nil {
		return err
	}
	f, err := seccomp.Compile(s, runtime.GOARCH)
	if err != nil {
		return err
	}
	_, err = f.EncodeProgram()
	return err
}
