package main_test

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/natstest"
)

// TestClusterTailLeaderKilled: vigil tail --all --json, following a
// stream of 3 replicas on three nats-server processes, prints every
// event, once, in order, before and after the server that leads the
// stream is killed for good. Its ordered consumer (R1) may live there or
// not, and its connection may be there or not (the log says where the
// consumer was); both have hung it on nats-server 2.9.10.
func TestClusterTailLeaderKilled(t *testing.T) {
	const n = 200
	cluster := natstest.StartCluster(t, 3)
	urls := cluster.URLs()
	js := cluster.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := natsbus.CreateStream(ctx, js, natsbus.StreamLimits{MaxBytes: 64 << 20, Replicas: 3}); err != nil {
		t.Fatalf("creating the stream: %v", err)
	}
	printed, stderr := startTail(t, urls)
	ids := natstest.PublishUntilAcked(t, js, natsbus.Subject("cluster-tail", events.KindSyscall), natstest.Violations(t, "cluster-tail", n/2))
	waitPrinted(t, printed, ids, 30*time.Second, stderr)
	info := streamInfo(js)
	if info == nil || info.Cluster == nil {
		t.Fatal("no stream info")
	}
	t.Logf("killing the stream's leader %s; its consumers: %s", info.Cluster.Leader, consumersWhere(js))
	cluster.Kill(t, info.Cluster.Leader)
	after := natstest.PublishUntilAcked(t, js, natsbus.Subject("cluster-tail", events.KindSyscall), natstest.Violations(t, "cluster-tail", n/2))
	waitPrinted(t, printed, after, 60*time.Second, stderr)
}

// startTail starts vigil tail --all --json on urls and returns the ids
// of the events it prints, in order, and its stderr; it is killed at
// cleanup.
func startTail(t *testing.T, urls string) (<-chan string, func() string) {
	t.Helper()
	cmd := vigil(mode{name: "subreaper"}, "tail", "--nats", urls, "--all", "--json")
	stderr := logFile(t)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	printed := make(chan string, 4096)
	go readIDs(out, printed)
	return printed, func() string { return said(stderr) }
}

// readIDs sends the id of each event line of out to printed, and "!"
// followed by the line for a line that is not an event.
func readIDs(out io.Reader, printed chan<- string) {
	defer close(printed)
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		e, err := events.Decode(sc.Bytes())
		if err != nil {
			printed <- "!" + sc.Text()
			continue
		}
		printed <- e.ID
	}
}

// waitPrinted waits, at most limit (a hang guard), for the next lines
// tail prints to be ids, in that order, and nothing else.
func waitPrinted(t *testing.T, printed <-chan string, ids []string, limit time.Duration, stderr func() string) {
	t.Helper()
	deadline := time.After(limit)
	for i, want := range ids {
		select {
		case got, ok := <-printed:
			if !ok {
				t.Fatalf("vigil tail exited after %d of %d events; it said:\n%s", i, len(ids), stderr())
			}
			if got != want {
				t.Fatalf("vigil tail printed %q as event %d of %d, want %s", got, i+1, len(ids), want)
			}
		case <-deadline:
			t.Fatalf("vigil tail printed %d of %d events in %s; it said:\n%s", i, len(ids), limit, stderr())
		}
	}
}

// consumersWhere names the stream's consumers and the servers that lead
// them, for the log.
func consumersWhere(js jetstream.JetStream) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return err.Error()
	}
	var where []string
	list := st.ListConsumers(ctx)
	for info := range list.Info() {
		if info.Cluster != nil {
			where = append(where, info.Name+" on "+info.Cluster.Leader)
		}
	}
	if err := list.Err(); err != nil {
		where = append(where, err.Error())
	}
	return strings.Join(where, ", ")
}
