package main

import (
	"bufio"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/hub"
	"github.com/vigilsec/vigil/internal/natstest"
)

// TestHubKilledOnCluster: a vigil-hub, client of a cluster of three
// nats-server processes, killed with SIGKILL and started again, loses
// nothing (its durable consumer resumes: the events published while it was
// down are listed, each once) and does not alert again (the guard it
// found silent before has one hub.guard-silent in the stream).
func TestHubKilledOnCluster(t *testing.T) {
	cluster := natstest.StartCluster(t, 3)
	urls := cluster.URLs()
	t.Setenv("VIGIL_HUB_AUTH_TOKEN", testToken)
	web := freeAddr(t)
	args := []string{"--nats", urls, "--http", web, "--stream-wait", "30s", "--stream-max-bytes", "64MiB"}
	eventsAPI := "http://" + web + "/api/events?workload=restart-events&limit=1000"
	alerts := "http://" + web + "/api/events?workload=restart-guard&rule=" + hub.RuleGuardSilent

	first, said := startKillableHub(t, args)
	waitSaid(t, said, "vigil-hub: dashboard on ", time.Now().Add(40*time.Second))
	js := cluster.JetStream(t)
	beat(t, js.Conn(), "restart-guard", 5, 200*time.Millisecond) // then silence
	ids := natstest.PublishUntilAcked(t, js, natsbus.Subject("restart-events", events.KindSyscall), natstest.Violations(t, "restart-events", 50))
	waitListed(t, eventsAPI, ids, 30*time.Second, said)
	waitCount(t, alerts, 1, 30*time.Second)

	first.Process.Kill()
	first.Wait()
	ids = append(ids, natstest.PublishUntilAcked(t, js, natsbus.Subject("restart-events", events.KindSyscall), natstest.Violations(t, "restart-events", 50))...)

	_, said = startKillableHub(t, args)
	waitSaid(t, said, "vigil-hub: dashboard on ", time.Now().Add(40*time.Second))
	waitListed(t, eventsAPI, ids, 60*time.Second, said)
	// The alert from before is in the view again: at once, or, when the
	// killed hub's last acknowledgement was lost with it, once the
	// durable consumer delivers it again (after its AckWait of 30 s on a
	// server without consumer resets, as Debian's 2.9). Then a negative
	// check: the restarted hub has had 5 s (50 of its silence checks) to
	// alert again.
	waitCount(t, alerts, 1, 60*time.Second)
	time.Sleep(5 * time.Second)
	if got := len(listed(t, alerts)); got != 1 {
		t.Errorf("%d %s events for the silent guard after the restart, want the one from before", got, hub.RuleGuardSilent)
	}
}

// startKillableHub starts vigil-hub with args, and returns it and what it
// says; it is killed at cleanup if still running.
func startKillableHub(t *testing.T, args []string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(hubBin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	said := make(chan string, 1024)
	go func() {
		defer close(said)
		for sc := bufio.NewScanner(stderr); sc.Scan(); {
			select {
			case said <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, said
}

// beat publishes n heartbeats of workload, every period, as a guard does.
func beat(t *testing.T, nc *nats.Conn, workload string, n int, period time.Duration) {
	t.Helper()
	start := time.Now()
	for i := range n {
		ev := events.New(events.KindHeartbeat, "vigil.heartbeat", events.SeverityInfo, events.ActionAlert)
		ev.Workload = workload
		if err := ev.SetDetails(events.HeartbeatDetails{UptimeSeconds: int64(time.Since(start).Seconds()), Published: map[events.Kind]int64{}}); err != nil {
			t.Fatal(err)
		}
		line, err := events.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Publish(natsbus.HeartbeatSubject(workload), line); err != nil {
			t.Fatal(err)
		}
		if i < n-1 {
			time.Sleep(period)
		}
	}
}

// waitCount waits, at most limit (a hang guard), until GET api lists n
// events.
func waitCount(t *testing.T, api string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for len(listed(t, api)) != n {
		if time.Now().After(deadline) {
			t.Fatalf("GET %s lists %d events after %s, want %d", api, len(listed(t, api)), limit, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
