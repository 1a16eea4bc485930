//go:build e2e

package examples_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// labelKey marks the containers of the e2e tests; its value is the runID.
const labelKey = "vigil-e2e"

var containerSeq atomic.Int32

// newContainer names a container for t and removes it when t ends. opts
// are the options of docker run or create that give it its name and label.
func newContainer(t *testing.T) (name string, opts []string) {
	t.Helper()
	name = fmt.Sprintf("vigil-e2e-%s-%d", runID, containerSeq.Add(1))
	t.Cleanup(func() {
		// docker rm --force succeeds when the container does not exist.
		if _, err := docker("rm", "--force", name); err != nil {
			t.Errorf("removing container: %v", err)
		}
	})
	return name, []string{"--name", name, "--label", labelKey + "=" + runID}
}

// startContainer runs image in the background with the environment env
// and, if given, cmd instead of its CMD. It returns the container's name.
func startContainer(t *testing.T, image string, env []string, cmd ...string) string {
	t.Helper()
	name, opts := newContainer(t)
	args := append([]string{"run", "--detach"}, opts...)
	for _, e := range env {
		args = append(args, "--env", e)
	}
	args = append(append(args, image), cmd...)
	mustDocker(t, args...)
	return name
}

// waitExit waits for the container to end and returns its exit code.
func waitExit(t *testing.T, name string) int {
	t.Helper()
	out := mustDocker(t, "wait", name)
	code, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("docker wait %s: want an exit code, got %q", name, out)
	}
	return code
}

// containerLogs returns what the app (stdout) and vigil (stderr) printed.
func containerLogs(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := dockerCmd(ctx, "logs", name).CombinedOutput()
	if err != nil {
		t.Fatalf("docker logs %s: %v\n%s", name, err, out)
	}
	return string(out)
}

// waitForLog waits until the container's logs contain want, and returns them.
func waitForLog(t *testing.T, name, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs := containerLogs(t, name)
		if strings.Contains(logs, want) {
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the logs of %s after 30s:\n%s", want, name, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
	waitForLog(t, name, "started, worker is pid")

	start := time.Now()
	mustDocker(t, "stop", name)
	took := time.Since(start)
	t.Logf("docker stop took %v", took.Round(time.Millisecond))

	if code := waitExit(t, name); code != 5 {
		t.Errorf("exit code %d, want the app's 5\n%s", code, containerLogs(t, name))
	}
	logs := containerLogs(t, name)
	for _, want := range []string{"got SIGTERM, stopping the worker", "worker: stopped", "stopped cleanly, exit 5"} {
		if !strings.Contains(logs, want) {
			t.Errorf("docker logs lack %q:\n%s", want, logs)
		}
	}
	if took > stopHangGuard {
		t.Errorf("docker stop took %v, want under %v", took, stopHangGuard)
	}
}

// orphanMaker leaves 60 short-lived orphans to PID 1 and reports how many
// it saw adopted, then stays up as `sleep 100`.
const orphanMaker = `for i in $(seq 60); do (sleep 0.5 &); done
echo "orphans adopted by pid 1: $(ps -o ppid,comm | grep -c '^ *1 sleep')"
exec sleep 100`

var adoptedRE = regexp.MustCompile(`orphans adopted by pid 1: (\d+)`)

// TestZombies checks that vigil reaps the orphans it adopts: once they have
// exited, only vigil and the app are left, and no zombie.
func TestZombies(t *testing.T) {
	t.Parallel()
	imgs := testImages(t)
	name := startContainer(t, imgs.hello, nil, "sh", "-c", orphanMaker)
	logs := waitForLog(t, name, "orphans adopted by pid 1: ")
	m := adoptedRE.FindStringSubmatch(logs)
	if n, _ := strconv.Atoi(m[1]); n < 50 {
		t.Fatalf("%d orphans adopted by PID 1, want 50 or more for the test to mean anything:\n%s", n, logs)
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, others := otherProcesses(t, name)
		if len(others) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10s after the orphans were made, %d processes besides vigil and the app, %d of them zombies:\n%s",
				len(others), zombies(others), ps)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// otherProcesses lists the container's processes (as `ps` lines: PID STAT
// ARGS) other than vigil, the app and ps itself. It also returns the whole
// output of ps.
func otherProcesses(t *testing.T, name string) (ps string, others [][]string) {
	t.Helper()
	ps = mustDocker(t, "exec", name, "ps", "-o", "pid,stat,args")
	for _, line := range strings.Split(strings.TrimSpace(ps), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Fatalf("docker exec %s ps: unexpected line %q in\n%s", name, line, ps)
		}
		args := strings.Join(f[2:], " ")
		if f[0] == "1" || args == "sleep 100" || strings.HasPrefix(args, "ps ") {
			continue
		}
		others = append(others, f)
	}
	return ps, others
}

func zombies(procs [][]string) int {
	n := 0
	for _, p := range procs {
		if strings.HasPrefix(p[1], "Z") {
			n++
		}
	}
	return n
}
