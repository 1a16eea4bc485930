// Command pid1 is a test helper: started as the first process of new PID
// and mount namespaces, it mounts the namespace's own /proc and then execs
// its arguments, which thereby run as PID 1 with a /proc of their own (what
// docker run gives a container's init). With PID1_DOCKER_CAPS=1 in its
// environment it also keeps only Docker's default capabilities, as docker
// run does (no CAP_SYS_PTRACE, no CAP_SYS_ADMIN).
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

func main() {
	if len(os.Args) < 2 {
		die("usage", fmt.Errorf("pid1 CMD [ARG...]"))
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		die("making / private", err)
	}
	if err := syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		die("mounting /proc", err)
	}
	if os.Getenv("PID1_DOCKER_CAPS") == "1" {
		if err := dockerCaps(); err != nil {
			die("keeping Docker's capabilities", err)
		}
	}
	if err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ()); err != nil {
		die("exec "+os.Args[1], err)
	}
}

func dockerCaps() error {
	runtime.LockOSThread() // capabilities are per thread; this one execs
	c := linux.Credential{SetCaps: true}
	for _, name := range seccomp.DockerCapabilities {
		n, ok := linux.CapNumber(name)
		if !ok {
			return fmt.Errorf("unknown capability %s", name)
		}
		c.Caps = append(c.Caps, n)
	}
	return linux.Drop(c)
}

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "pid1: %s: %v\n", what, err)
	os.Exit(124)
}
