package procwatch_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/supervisor/procwatch"
)

const busybox = "/bin/busybox"

func needBusybox(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(busybox); err != nil {
		t.Skipf("no %s (install busybox-static): %v", busybox, err)
	}
}

// realBusybox is busybox's path with symlinks resolved, as /proc shows it.
func realBusybox(t testing.TB) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(busybox)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// start starts cmd and kills it when the test ends.
func start(t testing.TB, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", cmd.Args, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// startBusybox starts busybox with args (args[0] the applet).
func startBusybox(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	return start(t, exec.Command(busybox, args...))
}

// waitExec waits until pid runs something other than the test binary
// (between fork and exec /proc shows the parent's exe).
func waitExec(t testing.TB, pid int) {
	t.Helper()
	self, _ := os.Readlink("/proc/self/exe")
	for range 200 {
		if exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); err == nil && exe != self {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("pid %d did not exec", pid)
}

func newScanner(t testing.TB, cfg procwatch.ScanConfig) *procwatch.Scanner {
	t.Helper()
	s, err := procwatch.NewScanner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// scan runs one pass and returns its findings about pid.
func scan(t testing.TB, s *procwatch.Scanner, pid int) []procwatch.Finding {
	t.Helper()
	found, err := s.Scan()
	if err != nil {
		t.Fatal(err)
	}
	var out []procwatch.Finding
	for _, f := range found {
		if int(f.Process.PID) == pid {
			out = append(out, f)
		}
	}
	return out
}

// withRule keeps the findings of rule.
func withRule(fs []procwatch.Finding, rule string) []procwatch.Finding {
	var out []procwatch.Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// children lists pid's children.
func children(t testing.TB, pid int) []int {
	t.Helper()
	p := strconv.Itoa(pid)
	b, err := os.ReadFile("/proc/" + p + "/task/" + p + "/children")
	if err != nil {
		t.Fatalf("children of %d: %v", pid, err)
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
