// Command guardprobe is a test helper: run as the app under vigil, it tries
// what an attacker in the app would do to the guard (vigil's pid: the
// parent's, or the first argument) and prints one line per attempt,
// "NAME denied: ERROR" or "NAME ALLOWED: WHAT". It exits 0 when every
// attempt was refused, 1 when one succeeded, 2 on a usage error. With
// -kill it also sends the guard SIGKILL, and with -term SIGTERM.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	runtime.LockOSThread() // ptrace requests come from the thread that attached
	pid := os.Getppid()
	kill, term := false, false
	for _, a := range os.Args[1:] {
		switch a {
		case "-kill":
			kill = true
		case "-term":
			term = true
		default:
			n, err := strconv.Atoi(a)
			if err != nil {
				fmt.Fprintln(os.Stderr, "usage: guardprobe [-kill] [-term] [PID]")
				os.Exit(2)
			}
			pid = n
		}
	}
	dir := "/proc/" + strconv.Itoa(pid)
	allowed := false
	report := func(name string, what string, err error) {
		if err != nil {
			fmt.Printf("%s denied: %v\n", name, err)
			return
		}
		allowed = true
		fmt.Printf("%s ALLOWED: %s\n", name, what)
	}
	report("ptrace", "attached to "+dir, attach(pid))
	f, err := os.Open(dir + "/mem")
	if err == nil {
		f.Close()
	}
	report("mem", "opened "+dir+"/mem", err)
	env, err := os.ReadFile(dir + "/environ")
	if err == nil {
		report("environ", fmt.Sprintf("read %d bytes, secrets shown: %v", len(env), secrets(env)), nil)
	} else {
		report("environ", "", err)
	}
	// Listing the numbers is not reading them: an fd is reached by its link.
	fds, err := os.ReadDir(dir + "/fd")
	if err == nil {
		var links []string
		for _, fd := range fds {
			var l string
			if l, err = os.Readlink(dir + "/fd/" + fd.Name()); err == nil {
				links = append(links, l)
			}
		}
		if len(links) > 0 {
			err = nil
		} else if err == nil {
			err = fmt.Errorf("no fds")
		}
		report("fd", fmt.Sprintf("%d fds: %s", len(fds), strings.Join(links, " ")), err)
	} else {
		report("fd", "", err)
	}
	if term {
		report("sigterm", "sent SIGTERM to "+strconv.Itoa(pid), syscall.Kill(pid, syscall.SIGTERM))
	}
	if kill {
		report("sigkill", "sent SIGKILL to "+strconv.Itoa(pid), syscall.Kill(pid, syscall.SIGKILL))
	}
	if allowed {
		os.Exit(1)
	}
}

// attach ptrace-attaches to pid and detaches at once.
func attach(pid int) error {
	if err := syscall.PtraceAttach(pid); err != nil {
		return err
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, syscall.WALL, nil) //nolint:errcheck // only to detach
	syscall.PtraceDetach(pid)                  //nolint:errcheck // attached: that is the finding
	return nil
}

// secrets lists the VIGIL_NATS* variables whose values can be read in env.
func secrets(env []byte) []string {
	var shown []string
	for _, kv := range strings.Split(string(env), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "VIGIL_NATS") && v != "" {
			shown = append(shown, k)
		}
	}
	return shown
}
