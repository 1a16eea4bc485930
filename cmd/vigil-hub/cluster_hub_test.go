package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/hub"
	"github.com/vigilsec/vigil/internal/natstest"
)

// TestHubClusterLeaderKilled: a vigil-hub, client (--nats) of a cluster
// of three nats-server processes, shows events published before and
// after the server that leads the stream, and the hub's durable
// consumer, is killed for good (SIGKILL): each exactly once.
func TestHubClusterLeaderKilled(t *testing.T) {
	const n = 200
	cluster := natstest.StartCluster(t, 3)
	urls := cluster.URLs()
	t.Setenv("VIGIL_HUB_AUTH_TOKEN", testToken)
	web := freeAddr(t)
	said := launchHub(t, "--nats", urls, "--http", web, "--stream-wait", "30s", "--stream-max-bytes", "64MiB")
	waitSaid(t, said, "vigil-hub: dashboard on ", time.Now().Add(40*time.Second))
	api := "http://" + web + "/api/events?workload=cluster-hub&limit=1000"

	js := cluster.JetStream(t)
	ids := natstest.PublishUntilAcked(t, js, natsbus.Subject("cluster-hub", events.KindSyscall), natstest.Violations(t, "cluster-hub", n/2))
	waitListed(t, api, ids, 30*time.Second, said)
	leader := sameLeader(t, js, hub.DefaultName)
	if r := consumerReplicas(js, hub.DefaultName); r != 3 {
		t.Fatalf("the hub's durable consumer has %d replicas, want the stream's 3", r)
	}
	cluster.Kill(t, leader)
	t.Logf("killed %s, the leader of the stream and of the hub's consumer, with %d events shown", leader, n/2)
	ids = append(ids, natstest.PublishUntilAcked(t, js, natsbus.Subject("cluster-hub", events.KindSyscall), natstest.Violations(t, "cluster-hub", n/2))...)
	waitListed(t, api, ids, 60*time.Second, said)
}

// sameLeader moves the leadership of the stream's durable consumer
// until the stream's leader leads it too (a hang guard of 30 s), and
// returns that server's name: killing it kills both.
func sameLeader(t *testing.T, js jetstream.JetStream, durable string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		stream, consumer := natstest.StreamLeader(t, js, natsbus.StreamName), consumerLeader(js, durable)
		if stream == consumer {
			return stream
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumer %s is led by %q, the stream by %q, after 30s of step-downs", durable, consumer, stream)
		}
		subject := "$JS.API.CONSUMER.LEADER.STEPDOWN." + natsbus.StreamName + "." + durable
		js.Conn().Request(subject, nil, 2*time.Second) //nolint:errcheck // the loop looks again
		time.Sleep(500 * time.Millisecond)
	}
}

// consumerLeader is the server that leads the durable consumer, "" while
// it cannot be read.
func consumerLeader(js jetstream.JetStream, durable string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, natsbus.StreamName, durable)
	if err != nil || c.CachedInfo().Cluster == nil {
		return ""
	}
	return c.CachedInfo().Cluster.Leader
}

// consumerReplicas is how many servers hold the durable consumer, 0
// while it cannot be read.
func consumerReplicas(js jetstream.JetStream, durable string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, natsbus.StreamName, durable)
	if err != nil || c.CachedInfo().Cluster == nil {
		return 0
	}
	return 1 + len(c.CachedInfo().Cluster.Replicas)
}

// waitListed waits, at most limit (a hang guard), until GET api lists
// each of ids exactly once and nothing else; it fails saying what is
// missing or doubled, and what the hub said.
func waitListed(t *testing.T, api string, ids []string, limit time.Duration, said <-chan string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		missing, doubled, extra := compareListed(listed(t, api), ids)
		if missing == 0 && doubled == 0 && extra == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, /api/events misses %d of the %d events, lists %d twice or more, and %d others; the hub said:\n%s",
				limit, missing, len(ids), doubled, extra, drain(said))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// compareListed counts the ids missing from got, listed more than once,
// and listed but not among ids.
func compareListed(got map[string]int, ids []string) (missing, doubled, extra int) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
		switch got[id] {
		case 0:
			missing++
		case 1:
		default:
			doubled++
		}
	}
	for id := range got {
		if !want[id] {
			extra++
		}
	}
	return missing, doubled, extra
}

// listed is how many times GET api, with the test's token, lists each id.
func listed(t *testing.T, api string) map[string]int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, api, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Events []events.Event }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil {
		t.Fatalf("GET %s with the token: %s", api, resp.Status)
	}
	got := map[string]int{}
	for _, e := range page.Events {
		got[e.ID]++
	}
	return got
}

// drain is what said holds now.
func drain(said <-chan string) string {
	var lines []string
	for {
		select {
		case line, ok := <-said:
			if !ok {
				return strings.Join(lines, "\n")
			}
			lines = append(lines, line)
		default:
			return strings.Join(lines, "\n")
		}
	}
}
