package main_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

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
		if d.What == "started" && (d.Version == "" || d.Features["seccomp_notify"] != "yes" || d.Features["landlock_abi"] == "" || d.Features["app_isolation"] == "") {
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

// tail starts vigil tail with args and returns its output lines; it is
// killed at cleanup.
func tail(t *testing.T, args ...string) <-chan string {
	t.Helper()
	cmd := vigil(mode{name: "subreaper"}, append([]string{"tail"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if code := exitCode(t, cmd, 10*time.Second); code != 0 {
			t.Errorf("vigil tail exited %d on SIGTERM, want 0", code)
		}
	})
	return lines(out)
}

// next returns the next line of ch, failing after a while.
func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case l, ok := <-ch:
		if !ok {
			t.Fatal("vigil tail ended")
		}
		return l
	case <-time.After(15 * time.Second):
		t.Fatal("no line from vigil tail in 15s")
	}
	return ""
}

func TestTail(t *testing.T) {
	srv := natstest.Start(t)
	argv, env := app(t, "violate")
	env = append(env, "VIGILTEST_N=3", "VIGILTEST_EVERY=1ms")
	run := func(workload string) {
		code, stdout, stderr := runVigil(t, mode{name: "pid1", pid1: true}, env, append([]string{"run", "--nats", srv.URL(),
			"--outbox", t.TempDir(), "--workload", workload, "--seccomp-profile", denyGetpgid(t), "--log-level=error", "--"}, argv...)...)
		if code != 0 || stdout != "done 3\n" {
			t.Fatalf("exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
		}
	}
	run("shop")
	// The stream's past, one workload, one kind, as JSON.
	all := tail(t, "--nats", srv.URL(), "--all", "--json", "--workload", "shop", "--kind", "syscall")
	var sum int64
	for sum < 3 {
		e, err := events.Decode([]byte(next(t, all)))
		if err != nil {
			t.Fatalf("vigil tail --json printed a line that is not an event: %v", err)
		}
		if e.Kind != events.KindSyscall || e.Workload != "shop" {
			t.Fatalf("event %s of %s: the filters let it through", e.Kind, e.Workload)
		}
		sum += e.Count
	}
	// New events only, high and above, human-readable: the lifecycle
	// events (info) are left out, and another workload's show.
	live := tail(t, "--nats", srv.URL(), "--severity", "high")
	time.Sleep(500 * time.Millisecond) // the consumer is in place
	run("billing")
	line := next(t, live)
	for _, want := range []string{"billing", "high", "seccomp.profile.0", "getpgid", "errno 1", "deny"} {
		if !strings.Contains(line, want) {
			t.Errorf("tail line %q: no %q", line, want)
		}
	}
}

func TestTailBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--all", "--since", "1h"},
		{"--kind", "nope"},
		{"--severity", "urgent"},
		{"--heartbeats", "--all"},
	} {
		code, _, stderr := runVigil(t, mode{name: "subreaper"}, nil, append([]string{"tail"}, args...)...)
		if code != 125 || !strings.HasPrefix(stderr, "vigil: tail: ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("vigil tail %q: exit %d, stderr %q; want 125 and one line", args, code, stderr)
		}
	}
}

// TestStorm: an app makes denied calls in a tight loop for 10 s. It keeps
// being served, vigil's memory stays bounded, and the counts on the bus
// add up to exactly the calls the app saw denied.
func TestStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10 s storm; not in -short")
	}
	srv := natstest.Start(t)
	argv, env := app(t, "storm")
	env = append(env, "VIGILTEST_FOR=10s")
	cmd := vigil(mode{name: "pid1", pid1: true}, append([]string{"run", "--nats", srv.URL(), "--outbox", t.TempDir(),
		"--workload", "storm", "--seccomp-profile", denyGetpgid(t), "--log-level=error", "--"}, argv...)...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var peak int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			kib, ok := vmRSS(cmd.Process.Pid)
			if !ok {
				return
			}
			peak = max(peak, kib)
			time.Sleep(100 * time.Millisecond)
		}
	}()
	code := exitCode(t, cmd, 60*time.Second)
	<-done
	var denied, calls int64
	if _, err := fmt.Sscan(stdout.String(), &denied, &calls); code != 0 || err != nil {
		t.Fatalf("exit %d, stdout %q; stderr:\n%s", code, stdout.String(), stderr.String())
	}
	t.Logf("storm: %d calls denied in 10 s (%.0f/s); vigil's peak RSS %.1f MB", denied, float64(denied)/10, float64(peak)*1024/1e6)
	if denied != calls || denied < 10000 {
		t.Errorf("%d of %d calls denied: want every call denied, and served (at least 10,000 in 10 s)", denied, calls)
	}
	switch {
	case peak == 0:
		t.Error("vigil's RSS was never measured")
	case buildRace:
		t.Logf("race build: its memory is the race detector's, not judged")
	case peak > 40*1024:
		t.Errorf("vigil's peak RSS %d KiB during the storm: want it under 40 MiB", peak)
	}
	evs := srv.StreamEvents(natsbus.StreamName)
	natstest.CheckExactlyOnce(t, evs, events.KindSyscall, denied)
	t.Logf("storm: %d events in the stream", len(evs))
	if n := len(evs); n > 100 {
		t.Errorf("%d events in the stream for one storm: the aggregation should fold it into a few per second", n)
	}
}

// vmRSS reads a process's resident memory in KiB.
func vmRSS(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int
			fmt.Sscan(rest, &kib)
			return kib, kib > 0
		}
	}
	return 0, false
}

// TestHeartbeatGapWhenGuardDies: a subscriber of a guard's heartbeats sees
// them every period, and none after the guard is killed.
func TestHeartbeatGapWhenGuardDies(t *testing.T) {
	srv := natstest.Start(t)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("vigil.heartbeat.beating")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	cmd := vigil(mode{name: "pid1", pid1: true}, "run", "--nats", srv.URL(), "--outbox", t.TempDir(),
		"--workload", "beating", "--heartbeat", "100ms", "--log-level=error", "--", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("heartbeat %d: %v", i+1, err)
		}
		if e, err := events.Decode(m.Data); err != nil || e.Kind != events.KindHeartbeat || e.Workload != "beating" {
			t.Fatalf("heartbeat %d: %v, %s", i+1, err, m.Data)
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	time.Sleep(150 * time.Millisecond) // one already on its way
	for {
		if _, err := sub.NextMsg(time.Millisecond); err != nil {
			break
		}
	}
	if m, err := sub.NextMsg(time.Second); err == nil {
		t.Fatalf("a heartbeat 10 periods after the guard was killed: %s", m.Data)
	}
}

// TestTailHeartbeats: vigil tail --heartbeats prints a guard's heartbeats,
// then says it went silent once it is killed.
func TestTailHeartbeats(t *testing.T) {
	srv := natstest.Start(t)
	watch := tail(t, "--nats", srv.URL(), "--heartbeats", "--workload", "hb")
	time.Sleep(300 * time.Millisecond) // subscribed
	cmd := vigil(mode{name: "pid1", pid1: true}, "run", "--nats", srv.URL(), "--outbox", t.TempDir(),
		"--workload", "hb", "--heartbeat", "100ms", "--log-level=error", "--", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if line := next(t, watch); !strings.Contains(line, "hb") || !strings.Contains(line, "vigil.heartbeat") || !strings.Contains(line, "published") {
			t.Fatalf("heartbeat line %q", line)
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for {
		line := next(t, watch)
		if strings.Contains(line, "SILENT") {
			if !strings.Contains(line, "hb") {
				t.Errorf("silence line %q does not name the workload", line)
			}
			return
		}
		if !strings.Contains(line, "vigil.heartbeat") {
			t.Fatalf("line %q: neither a heartbeat nor the silence", line)
		}
	}
}
