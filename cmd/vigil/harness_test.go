package main_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mode is how vigil is started: as PID 1 of a new PID namespace, or as an
// ordinary process that must make itself a child subreaper.
type mode struct {
	name string
	pid1 bool
}

var modes = []mode{{name: "pid1", pid1: true}, {name: "subreaper"}}

// vigil returns a command that runs the vigil binary in mode m. The process
// it starts has vigil's pid (the PID 1 helper execs vigil in place).
func vigil(m mode, args ...string) *exec.Cmd {
	cmd := exec.Command(vigilBin, args...)
	cmd.Env = os.Environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if m.pid1 {
		cmd = exec.Command(pid1Bin, append([]string{vigilBin}, args...)...)
		cmd.Env = os.Environ()
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
			Pdeathsig:  syscall.SIGKILL,
		}
	}
	return cmd
}

// app returns argv that runs the test binary as an app playing role.
func app(t *testing.T, role string) (argv, env []string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{self}, []string{"VIGILTEST_ROLE=" + role}
}

// exitCode waits for cmd and returns its exit code, failing the test if it
// takes longer than limit (a hang guard, not a measurement).
func exitCode(t *testing.T, cmd *exec.Cmd, limit time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		default:
			t.Fatalf("waiting for vigil: %v", err)
		}
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("vigil still running after %s: hung", limit)
	}
	return -1
}

// runVigil runs vigil to completion and returns its exit code, stdout and stderr.
func runVigil(t *testing.T, m mode, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := vigil(m, args...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	code := exitCode(t, cmd, 30*time.Second)
	return code, stdout.String(), stderr.String()
}

// lines reads r line by line into a channel.
func lines(r io.Reader) <-chan string {
	ch := make(chan string, 256)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// expectLine waits for the next line from ch and checks it.
func expectLine(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got, ok := <-ch:
		if !ok {
			t.Fatalf("output ended, want %q", want)
		}
		if got != want {
			t.Fatalf("got line %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no line after 10s, want %q", want)
	}
}

// proc is one entry of /proc as seen from the test's namespace.
type proc struct {
	pid, ppid int
	state     byte
	cmdline   string
}

// procs lists every process on the machine.
func procs(t *testing.T) []proc {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	var out []proc
	for _, d := range dirs {
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue // gone
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 {
			continue
		}
		p := proc{state: f[0][0]}
		p.pid, _ = strconv.Atoi(filepath.Base(d))
		p.ppid, _ = strconv.Atoi(f[1])
		cmd, _ := os.ReadFile(d + "/cmdline")
		p.cmdline = strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
		out = append(out, p)
	}
	return out
}

// childrenOf returns the live and the zombie children of pid.
func childrenOf(t *testing.T, pid int) (live, zombies int) {
	t.Helper()
	for _, p := range procs(t) {
		if p.ppid != pid {
			continue
		}
		if p.state == 'Z' {
			zombies++
		} else {
			live++
		}
	}
	return live, zombies
}

// withCmdline returns the processes whose command line contains marker.
func withCmdline(t *testing.T, marker string) []proc {
	t.Helper()
	var out []proc
	for _, p := range procs(t) {
		if strings.Contains(p.cmdline, marker) {
			out = append(out, p)
		}
	}
	return out
}

// eventually polls cond every 20ms until it holds or limit passes.
func eventually(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

// fdCount returns how many file descriptors pid has open.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// marker returns a sleep duration that no other process on the machine uses,
// so its processes can be found by command line.
func marker(t *testing.T) string {
	return "1000." + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
}

// waitCatching waits until pid runs vigil and has a handler for sig.
func waitCatching(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid)
	catching := func() bool {
		exe, _ := os.Readlink(dir + "/exe")
		status, _ := os.ReadFile(dir + "/status")
		_, caught, _ := strings.Cut(string(status), "SigCgt:\t")
		mask, err := strconv.ParseUint(strings.TrimSpace(strings.SplitN(caught, "\n", 2)[0]), 16, 64)
		return exe == vigilBin && err == nil && mask&(1<<(sig-1)) != 0
	}
	// Poll tightly: the test is about what happens in the next milliseconds.
	for deadline := time.Now().Add(10 * time.Second); !catching(); time.Sleep(50 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d never ran vigil with a handler for %v", pid, sig)
		}
	}
}
