// Command pid1 is a test helper: started as the first process of new PID
// and mount namespaces, it mounts the namespace's own /proc and then execs
// its arguments, which thereby run as PID 1 with a /proc of their own (what
// docker run gives a container's init).
package main

import (
	"fmt"
	"os"
	"syscall"
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
	if err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ()); err != nil {
		die("exec "+os.Args[1], err)
	}
}

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "pid1: %s: %v\n", what, err)
	os.Exit(124)
}
