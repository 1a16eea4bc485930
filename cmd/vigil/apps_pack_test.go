package main_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// packRole performs, for the rule pack's tests, the behaviours args name
// (separated by ";" arguments), in order, and prints "what=result" for
// each, the result "ok" or the errno's name:
//
//	spawn ARGV...  run ARGV (a program that is not a shell starting one)
//	ptrace         PTRACE_SEIZE a child (sleep), then PTRACE_TRACEME
//	packet         a UDP socket, then an AF_PACKET one
//	module         finit_module(-1) and delete_module of no module
func packRole(args []string) int {
	for len(args) > 0 {
		one := args
		if i := slices.Index(args, ";"); i >= 0 {
			one, args = args[:i], args[i+1:]
		} else {
			args = nil
		}
		if code := packBehaviour(one); code != 0 {
			return code
		}
	}
	return 0
}

func packBehaviour(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "pack: want spawn, ptrace, packet or module")
		return 99
	}
	switch args[0] {
	case "spawn":
		cmd := exec.Command(args[1], args[2:]...)
		cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
		if os.Getenv("VIGILTEST_QUIET") == "" {
			cmd.Stderr = os.Stderr
		}
		if err := cmd.Run(); err != nil {
			fmt.Println("spawn=" + err.Error())
			return 0
		}
		fmt.Println("spawn=ok")
	case "ptrace":
		child := exec.Command("sleep", "10")
		if err := child.Start(); err != nil {
			return 98
		}
		defer child.Process.Kill()
		fmt.Println("seize=" + result(unix.PtraceSeize(child.Process.Pid)))
		_, _, e := unix.RawSyscall(unix.SYS_PTRACE, unix.PTRACE_TRACEME, 0, 0)
		fmt.Println("traceme=" + result(errnoErr(e)))
	case "packet":
		for _, fam := range []struct {
			name        string
			domain, typ int
		}{{"inet", unix.AF_INET, unix.SOCK_DGRAM}, {"packet", unix.AF_PACKET, unix.SOCK_RAW}} {
			fd, err := unix.Socket(fam.domain, fam.typ, 0)
			if err == nil {
				unix.Close(fd)
			}
			fmt.Println(fam.name + "=" + result(err))
		}
	case "module":
		fmt.Println("finit=" + result(unix.FinitModule(-1, "", 0)))
		fmt.Println("delete=" + result(unix.DeleteModule("vigil_test_none", unix.O_NONBLOCK)))
	default:
		fmt.Fprintf(os.Stderr, "pack: unknown behaviour %q\n", args[0])
		return 99
	}
	return 0
}

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// result is "ok", or the errno's name (EPERM).
func result(err error) string {
	var e syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &e):
		return strings.ToUpper(unix.ErrnoName(e))
	}
	return err.Error()
}
