package main_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/natstest"
)

// denyGetpgid is a profile that denies getpgid, which the violate role
// calls.
func denyGetpgid(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deny-getpgid.json")
	if err := os.WriteFile(path, []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lifecycleEvents returns the whats of the lifecycle events in evs, in
// order, with the exit code of a stopped one appended.
func lifecycleWhats(t *testing.T, evs []events.Event) []string {
	t.Helper()
	var whats []string
	for _, e := range evs {
		if e.Kind != events.KindLifecycle {
			continue
		}
		var d events.LifecycleDetails
		if err := e.DetailsAs(&d); err != nil {
			t.Fatal(err)
		}
		w := d.What
		if d.ExitCode != nil {
			w += " " + string(rune('0'+*d.ExitCode))
		}
		if d.What == "started" && (d.Version == "" || d.Features["seccomp_notify"] != "yes" || d.Features["landlock_abi"] == "") {
			t.Errorf("started event %+v: want the version and the kernel features", d)
		}
		whats = append(whats, w)
	}
	return whats
}

// TestRunOutage runs a guarded app that makes 1,000 denied calls over a
// few seconds, and stops the NATS server in the middle of it: once the
// server is back on the same store, the stream holds the app's violations
// with counts adding up to exactly 1,000, each event once, between
// vigil's started and stopped events.
func TestRunOutage(t *testing.T) {
	srv := natstest.Start(t)
	argv, env := app(t, "violate")
	env = append(env, "VIGILTEST_N=1000", "VIGILTEST_EVERY=3ms")
	cmd := vigil(mode{name: "pid1", pid1: true}, append([]string{"run", "--nats", srv.URL(), "--outbox", t.TempDir(),
		"--workload", "outage", "--seccomp-profile", denyGetpgid(t), "--log-level=error", "--"}, argv...)...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	srv.Stop()
	time.Sleep(2 * time.Second)
	srv.Restart()
	if code := exitCode(t, cmd, 60*time.Second); code != 0 || stdout.String() != "done 1000\n" {
		t.Fatalf("exit %d, stdout %q; want 0, \"done 1000\"; stderr:\n%s", code, stdout.String(), stderr.String())
	}
	evs := srv.StreamEvents(natsbus.StreamName)
	natstest.CheckExactlyOnce(t, evs, events.KindSyscall, 1000)
	if got := strings.Join(lifecycleWhats(t, evs), ","); got != "started,stopped 0" {
		t.Errorf("lifecycle events %q, want started,stopped 0", got)
	}
	for _, e := range evs {
		if e.Workload != "outage" {
			t.Fatalf("event of workload %q", e.Workload)
		}
	}
}

// TestRunKilledGuardDeliversLater SIGKILLs vigil while its events wait in
// the outbox (the server is down), then runs vigil again over the same
// outbox: the first guard's events reach the stream, each once.
func TestRunKilledGuardDeliversLater(t *testing.T) {
	srv := natstest.Start(t)
	srv.Stop()
	outbox := t.TempDir()
	argv, env := app(t, "violate")
	env = append(env, "VIGILTEST_N=1000", "VIGILTEST_EVERY=1ms", "VIGILTEST_WAIT=1")
	cmd := vigil(mode{name: "pid1", pid1: true}, append([]string{"run", "--nats", srv.URL(), "--outbox", outbox,
		"--workload", "killed", "--seccomp-profile", denyGetpgid(t), "--log-level=error", "--"}, argv...)...)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "done 1000\n" {
		t.Fatalf("app: %q, %v", line, err)
	}
	// Past the aggregation window: every violation is in the outbox.
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	srv.Restart()
	code, _, stderr := runVigil(t, mode{name: "subreaper"}, nil, "run", "--nats", srv.URL(), "--outbox", outbox,
		"--workload", "killed", "--log-level=error", "--", "true")
	if code != 0 {
		t.Fatalf("second guard: exit %d; stderr:\n%s", code, stderr)
	}
	evs := srv.StreamEvents(natsbus.StreamName)
	natstest.CheckExactlyOnce(t, evs, events.KindSyscall, 1000)
	// The killed guard never said it stopped; the second one did.
	if got := strings.Join(lifecycleWhats(t, evs), ","); got != "started,started,stopped 0" {
		t.Errorf("lifecycle events %q, want started,started,stopped 0", got)
	}
}
