//go:build e2e

package examples_test

import (
	"regexp"
	"testing"
	"time"
)

// TestExampleImage runs examples/hello to its end: it starts its worker,
// stops it and exits on its own, under vigil as PID 1.
func TestExampleImage(t *testing.T) {
	t.Parallel()
	imgs := testImages(t)
	name := startContainer(t, imgs.hello, []string{"HELLO_SECONDS=1"})
	if code := waitExit(t, name); code != 0 {
		t.Errorf("exit code %d, want 0\n%s", code, containerLogs(t, name))
	}
	wantLogs(t, name,
		`"msg":"app started"`,
		`"pid1":true`,
		"started, worker is pid",
		"worker: tick 1",
		"ran for 1s, stopping the worker",
		"worker: stopped",
		"stopped cleanly, exit 0",
		`"msg":"app exited"`,
	)
}

// TestExitCodes checks that docker wait sees the app's exit code, or
// 128+N when signal N killed it, or docker run's codes for a CMD that
// cannot start.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	imgs := testImages(t)
	tests := []struct {
		name     string
		giveEnv  []string
		giveCmd  []string
		wantCode int
	}{
		{name: "exit 0", giveEnv: []string{"HELLO_SECONDS=0"}, wantCode: 0},
		{name: "exit 3", giveEnv: []string{"HELLO_SECONDS=0", "HELLO_EXIT=3"}, wantCode: 3},
		{name: "exit 42", giveEnv: []string{"HELLO_SECONDS=0", "HELLO_EXIT=42"}, wantCode: 42},
		{name: "killed by SIGKILL", giveCmd: []string{"sh", "-c", "kill -KILL $$"}, wantCode: 128 + 9},
		{name: "killed by SIGTERM", giveCmd: []string{"sh", "-c", "kill -TERM $$"}, wantCode: 128 + 15},
		{name: "command not found", giveCmd: []string{"/no/such/app"}, wantCode: 127},
		{name: "not executable", giveCmd: []string{"/etc/vigil/README.md"}, wantCode: 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := startContainer(t, imgs.hello, tt.giveEnv, tt.giveCmd...)
			if code := waitExit(t, name); code != tt.wantCode {
				t.Errorf("exit code %d, want %d\n%s", code, tt.wantCode, containerLogs(t, name))
			}
		})
	}
}

// stopHangGuard is far more than a graceful stop takes (about 0.1s) and
// less than docker stop's 10s before it sends SIGKILL.
const stopHangGuard = 8 * time.Second

// TestDockerStop checks that docker stop reaches the app's SIGTERM handler
// through vigil, and that the container ends with the app's own exit code.
func TestDockerStop(t *testing.T) {
	t.Parallel()
	imgs := testImages(t)
	name := startContainer(t, imgs.hello, []string{"HELLO_EXIT=5"})
	waitForLog(t, name, regexp.MustCompile(`started, worker is pid \d+`))

	start := time.Now()
	mustDocker(t, "stop", name)
	took := time.Since(start)
	t.Logf("docker stop took %v", took.Round(time.Millisecond))

	if code := waitExit(t, name); code != 5 {
		t.Errorf("exit code %d, want the app's 5\n%s", code, containerLogs(t, name))
	}
	wantLogs(t, name, "got SIGTERM, stopping the worker", "worker: stopped", "stopped cleanly, exit 5")
	if took > stopHangGuard {
		t.Errorf("docker stop took %v, want under %v", took, stopHangGuard)
	}
}
