//go:build !e2e

package examples_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMakeDemo runs examples/demo/demo.sh, what make demo runs, as a
// newcomer would on a machine without Docker or NATS: the attacks'
// outcomes and events must be those of wantVerdicts, and the demo must
// leave nothing behind (its network namespace, its hub, its files).
func TestMakeDemo(t *testing.T) {
	bin := demoBinaries(t)
	out, err := runDemo(t, bin, "", 4*time.Minute)
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	checkVerdicts(t, out)
	if !strings.Contains(out, "the dashboard: http://") {
		t.Errorf("no dashboard URL in the output:\n%s", out)
	}
	checkDemoCleanedUp(t, bin)
	if t.Failed() {
		t.Logf("demo.sh said:\n%s", out)
	}
}

// TestMakeDemoInterrupted: Ctrl-C (SIGINT to the demo's process group)
// in the middle of the attacks ends the demo with 130 and cleans up.
func TestMakeDemoInterrupted(t *testing.T) {
	bin := demoBinaries(t)
	out, err := runDemo(t, bin, "== reverse-shell", time.Minute)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("demo.sh interrupted: %v, want exit code 130\n%s", err, out)
	}
	if !strings.Contains(out, "interrupted, cleaning up") {
		t.Errorf("no word of the interruption:\n%s", out)
	}
	checkDemoCleanedUp(t, bin)
}

// demoBinaries builds what make demo builds, into a directory of the test.
func demoBinaries(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("make demo needs root: network namespaces and a veth pair")
	}
	for _, tool := range []string{"busybox", "ip", "unshare", "nsenter", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil && os.Getenv("CI") != "true" {
			t.Skipf("make demo needs %s: %v", tool, err)
		}
	}
	bin := t.TempDir()
	for name, pkg := range map[string]string{
		"vigil": "../cmd/vigil", "vigil-hub": "../cmd/vigil-hub",
		"vulnerable-web": "./vulnerable-web", "attacker": "./vulnerable-web/attacker",
	} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bin, name), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return bin
}

// runDemo runs demo.sh with the binaries of bin and a free port for the
// dashboard. With interruptAt, it sends SIGINT to the demo's process group
// once that line is out.
func runDemo(t *testing.T, bin, interruptAt string, timeout time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "demo/demo.sh")
	cmd.Env = append(os.Environ(), "DEMO_BIN="+bin, "DEMO_HTTP="+freeAddr(t))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	if interruptAt != "" {
		for !strings.Contains(out.String(), interruptAt) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	}
	err := cmd.Wait()
	return out.String(), err
}

// checkDemoCleanedUp fails t if a demo left its namespace, hub or files.
func checkDemoCleanedUp(t *testing.T, bin string) {
	t.Helper()
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil || bytes.Contains(out, []byte("vigil-demo-")) {
		t.Errorf("a network namespace left behind (or ip failed: %v):\n%s", err, out)
	}
	if left, _ := filepath.Glob("/tmp/vigil-demo.*"); len(left) > 0 {
		t.Errorf("files left behind: %v", left)
	}
	if out, _ := exec.Command("ip", "addr", "show", "to", "10.250.0.1/30").CombinedOutput(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("the veth pair left behind:\n%s", out)
	}
	if left := processesOf(bin); len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
}

// processesOf lists the command lines of the running processes whose
// program is in dir, and of the demo's guards and apps.
func processesOf(dir string) []string {
	var found []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		guard := bytes.HasPrefix(b, []byte("/usr/local/bin/vigil\x00run\x00--policy\x00/etc/vigil/policy-"))
		if err == nil && (guard || bytes.HasPrefix(b, []byte(dir+"/")) || string(b) == "/app/vulnerable-web\x00") {
			found = append(found, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return found
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer the demo writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
