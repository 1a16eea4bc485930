// Command pid1 is a test helper: started as the first process of new PID
// and mount namespaces, it mounts the namespace's own /proc and then execs
// its arguments, which thereby run as PID 1 with a /proc of their own (what
// docker run gives a container's init). With PID1_DOCKER_CAPS=1 in its
// environment it also keeps only Docker's default capabilities, as docker
// run does (no CAP_SYS_PTRACE, no CAP_SYS_ADMIN). With PID1_NO_LANDLOCK=1
// the landlock system calls fail with ENOSYS, as on a kernel without
// Landlock (x86_64 numbers).
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

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
	if os.Getenv("PID1_NO_LANDLOCK") == "1" {
		if err := noLandlock(); err != nil {
			die("hiding Landlock", err)
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

// noLandlock loads a seccomp filter that fails landlock_create_ruleset,
// landlock_add_rule and landlock_restrict_self (444-446) with ENOSYS.
func noLandlock() error {
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},                  // A = nr
		{Code: unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, K: 444, Jt: 0, Jf: 2}, // nr >= 444?
		{Code: unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, K: 446, Jt: 1, Jf: 0}, // nr > 446?
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	return unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&fprog)), 0, 0)
}

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "pid1: %s: %v\n", what, err)
	os.Exit(124)
}
