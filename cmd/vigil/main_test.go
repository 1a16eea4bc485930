package main_test

// Black-box tests of the built vigil binary. The test binary plays two extra
// parts, chosen by environment variables before any test runs:
//   - VIGILTEST_PID1=1: the first process of a new PID namespace, which mounts
//     that namespace's /proc and then execs vigil, so vigil is PID 1 with a
//     /proc of its own (what docker run gives it);
//   - VIGILTEST_ROLE=...: an app under vigil (see roles in apps_test.go).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// vigilBin is the binary under test, built once by TestMain.
var vigilBin string

func TestMain(m *testing.M) {
	if os.Getenv("VIGILTEST_PID1") == "1" {
		becomePID1()
	}
	if role := os.Getenv("VIGILTEST_ROLE"); role != "" {
		os.Exit(playRole(role, os.Args[1:]))
	}
	dir, err := os.MkdirTemp("", "vigil-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vigilBin = filepath.Join(dir, "vigil")
	build := exec.Command("go", "build", "-o", vigilBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building vigil: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// becomePID1 runs as PID 1 of a fresh PID and mount namespace: it mounts
// /proc for the namespace and replaces itself with the command in its
// arguments (vigil), which thereby is PID 1.
func becomePID1() {
	die := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "pid1 helper: %s: %v\n", what, err)
		os.Exit(124)
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		die("making / private", err)
	}
	if err := syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		die("mounting /proc", err)
	}
	os.Unsetenv("VIGILTEST_PID1")
	if err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ()); err != nil {
		die("exec "+os.Args[1], err)
	}
}
