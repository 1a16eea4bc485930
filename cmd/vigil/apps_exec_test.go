package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileless runs a copy of the program args[0] (a static binary) with argv
// args[1:] without a lasting path: from a memfd and from a deleted file,
// through /proc/self/fd, and prints "memfd=…" and "deleted=…": the
// program's exit code, or "denied" when the exec failed.
func fileless(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "fileless: want PROGRAM ARGV...")
		return 99
	}
	prog, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "fileless:", err)
		return 98
	}
	mfd, err := unix.MemfdCreate("payload", 0)
	if err != nil {
		fmt.Println("memfd=denied")
	} else {
		if _, err := unix.Write(mfd, prog); err != nil {
			fmt.Fprintln(os.Stderr, "fileless: writing the memfd:", err)
			return 98
		}
		fmt.Println("memfd=" + runFd(mfd, args[1:]))
	}
	dir, err := os.MkdirTemp("", "fileless")
	if err != nil {
		return 98
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "payload")
	if err := os.WriteFile(path, prog, 0o755); err != nil {
		return 98
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY, 0)
	if err != nil {
		return 98
	}
	os.Remove(path)
	fmt.Println("deleted=" + runFd(fd, args[1:]))
	return 0
}

// runFd runs the file open at fd (inherited: not close-on-exec).
func runFd(fd int, argv []string) string {
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
