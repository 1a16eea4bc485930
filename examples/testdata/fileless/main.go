// Command fileless runs a copy of a static program without a lasting
// path, as an attacker's payload would: from a memfd and from a deleted
// file, each through /proc/self/fd. It prints "memfd=…" and "deleted=…":
// the program's exit code, or "denied" when the exec (or the memfd) was
// refused.
//
//	fileless PROGRAM ARGV...
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: fileless PROGRAM ARGV...")
		os.Exit(2)
	}
	prog, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "fileless:", err)
		os.Exit(1)
	}
	argv := os.Args[2:]
	if fd, err := unix.MemfdCreate("payload", 0); err != nil {
		fmt.Println("memfd=denied")
	} else if _, err := unix.Write(fd, prog); err != nil {
		fmt.Fprintln(os.Stderr, "fileless: writing the memfd:", err)
		os.Exit(1)
	} else {
		fmt.Println("memfd=" + run(fd, argv))
	}
	dir, err := os.MkdirTemp("", "fileless")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fileless:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "payload")
	if err := os.WriteFile(path, prog, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "fileless:", err)
		os.Exit(1)
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fileless:", err)
		os.Exit(1)
	}
	os.Remove(path)
	fmt.Println("deleted=" + run(fd, argv))
}

// run runs the file open at fd (inherited: not close-on-exec) and returns
// its exit code, or "denied".
func run(fd int, argv []string) string {
	pid, err := syscall.ForkExec(fmt.Sprintf("/proc/self/fd/%d", fd), argv, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	if err != nil {
		return "denied"
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		return "lost"
	}
	return fmt.Sprint(ws.ExitStatus())
}
