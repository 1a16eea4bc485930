//go:build e2e

package examples_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
)

// The bus tests run vigil-hub (the same NATS server the Go tests embed) in
// a container of its own, and guards in others, on a network of their own:
// the guards reach it as nats://hub:4222, with nothing on the host.

// syncProfile denies sync(2), which Docker's own profile allows: each run
// of busybox's sync applet is exactly one violation only vigil sees.
const syncProfile = `{"defaultAction": "SCMP_ACT_ALLOW",
	"syscalls": [{"names": ["sync"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`

// syncLoop calls sync N times, 10 ms apart, then prints done; with
// a marker file, it does nothing the second time its container starts.
func syncLoop(n int) string {
	return `[ -e /ran ] && exit 0; touch /ran; i=0; while [ $i -lt ` + strconv.Itoa(n) + ` ]; do sync; i=$((i+1)); sleep 0.01; done; echo done; ` +
		`[ -n "$HOLD" ] && sleep 1000; exit 0`
}

// busNetwork makes a network for one test, removed at its end, with a hub
// on it; it returns the network and the hub's container name.
func busNetwork(t *testing.T, imgs images) (network, hub string) {
	t.Helper()
	network = "vigil-e2e-net-" + runID + "-" + strconv.Itoa(int(containerSeq.Add(1)))
	mustDocker(t, "network", "create", "--label", labelKey+"="+runID, network)
	t.Cleanup(func() {
		if _, err := docker("network", "rm", network); err != nil {
			t.Errorf("removing the network: %v", err)
		}
	})
	hub = startContainerWith(t, []string{"--network", network, "--network-alias", "hub"}, imgs.hub)
	waitForLog(t, hub, regexp.MustCompile(`vigil-hub: listening`))
	return network, hub
}

// streamSyscalls reads the stream with vigil tail from a container on the
// network, for a few seconds, and returns the sum of the syscall events'
// counts, each id once, and the lifecycle events' whats in order.
func streamSyscalls(t *testing.T, imgs images, network string) (sum int64, lifecycle []string) {
	t.Helper()
	_, opts := newContainer(t)
	args := append([]string{"run"}, opts...)
	args = append(args, "--network", network, "--entrypoint", "/bin/timeout", imgs.hello,
		"5", "/usr/local/bin/vigil", "tail", "--nats", "nats://hub:4222", "--all", "--json")
	out, _ := docker(args...) // timeout ends it: its exit code is not tail's
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		e, err := events.Decode([]byte(line))
		if err != nil {
			t.Fatalf("vigil tail printed a line that is not an event: %v\n%s", err, line)
		}
		if seen[e.ID] {
			t.Errorf("event %s in the stream twice", e.ID)
		}
		seen[e.ID] = true
		switch e.Kind {
		case events.KindSyscall:
			sum += e.Count
		case events.KindLifecycle:
			var d events.LifecycleDetails
			if err := e.DetailsAs(&d); err != nil {
				t.Fatal(err)
			}
			lifecycle = append(lifecycle, d.What)
		}
	}
	return sum, lifecycle
}

// TestBusOutageInDocker: a guard under Docker's default seccomp profile and
// capabilities makes 300 violations over 3 s while the hub's container is
// stopped and started again: the stream then holds them all, each once.
func TestBusOutageInDocker(t *testing.T) {
	imgs := testImages(t)
	network, hub := busNetwork(t, imgs)
	opts := append(seccompOpts(t, writeProfile(t, syncProfile)), "--network", network,
		"--env", "VIGIL_NATS_URL=nats://hub:4222", "--env", "VIGIL_WORKLOAD=e2e-outage", "--env", "VIGIL_LOG_LEVEL=warn")
	guard := startContainerWith(t, opts, imgs.hello, "sh", "-c", syncLoop(300))
	time.Sleep(700 * time.Millisecond)
	mustDocker(t, "stop", "--time", "1", hub)
	time.Sleep(1500 * time.Millisecond)
	mustDocker(t, "start", hub)
	if code := waitExit(t, guard); code != 0 {
		t.Fatalf("the guard exited %d:\n%s", code, containerLogs(t, guard))
	}
	sum, lifecycle := streamSyscalls(t, imgs, network)
	if sum != 300 {
		t.Errorf("the stream's syscall events count %d violations, want 300; guard's logs:\n%s", sum, containerLogs(t, guard))
	}
	if got := strings.Join(lifecycle, ","); got != "started,stopped" {
		t.Errorf("lifecycle events %q, want started,stopped", got)
	}
}

// TestKilledGuardInDocker: with the hub down, a guard's 100 violations wait
// in its outbox; the guard is killed (docker kill: SIGKILL), the hub comes
// back, and the same container started again delivers them, each once.
func TestKilledGuardInDocker(t *testing.T) {
	imgs := testImages(t)
	network, hub := busNetwork(t, imgs)
	mustDocker(t, "stop", "--time", "1", hub)
	opts := append(seccompOpts(t, writeProfile(t, syncProfile)), "--network", network,
		"--env", "VIGIL_NATS_URL=nats://hub:4222", "--env", "VIGIL_WORKLOAD=e2e-killed", "--env", "VIGIL_LOG_LEVEL=error",
		"--env", "HOLD=1")
	guard := startContainerWith(t, opts, imgs.hello, "sh", "-c", syncLoop(100))
	waitForLog(t, guard, regexp.MustCompile(`(?m)^done$`))
	time.Sleep(1500 * time.Millisecond) // past the aggregation window: all in the outbox
	mustDocker(t, "kill", "--signal", "KILL", guard)
	waitExit(t, guard)
	mustDocker(t, "start", hub)
	waitForLog(t, hub, regexp.MustCompile(`(?s)listening.*listening`))
	mustDocker(t, "start", guard) // the marker makes the app exit at once
	if code := waitExit(t, guard); code != 0 {
		t.Fatalf("the restarted guard exited %d:\n%s", code, containerLogs(t, guard))
	}
	sum, lifecycle := streamSyscalls(t, imgs, network)
	if sum != 100 {
		t.Errorf("the stream's syscall events count %d violations, want 100; guard's logs:\n%s", sum, containerLogs(t, guard))
	}
	// The killed guard never said it stopped.
	if got := strings.Join(lifecycle, ","); got != "started,started,stopped" {
		t.Errorf("lifecycle events %q, want started,started,stopped", got)
	}
}
