package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// A cluster of real nats-server processes, as cmd/vigil's cluster tests
// have (a test package cannot import another's helpers).

// natsNode is one nats-server process of a test cluster.
type natsNode struct {
	name, url string
	cmd       *exec.Cmd
	killed    bool
}

// startNATSCluster starts n nats-server processes (Debian's package) on
// loopback, clustered with JetStream, each on a temporary store; they are
// stopped at cleanup. It returns once JetStream can place n replicas.
func startNATSCluster(t *testing.T, n int) []*natsNode {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("no nats-server in PATH (Debian: apt-get install nats-server):", err)
	}
	clients, routes := make([]string, n), make([]string, n)
	for i := range n {
		clients[i], routes[i] = freeAddr(t), "nats-route://"+freeAddr(t)
	}
	nodes := make([]*natsNode, n)
	for i := range n {
		dir := t.TempDir()
		conf := filepath.Join(dir, "node.conf")
		text := fmt.Sprintf("server_name: n%d\nlisten: %s\njetstream { store_dir: %q, max_file_store: 1G }\n"+
			"cluster { name: vigil, listen: %s, routes: [%s] }\n", i, clients[i], filepath.Join(dir, "js"),
			strings.TrimPrefix(routes[i], "nats-route://"), strings.Join(routes, ", "))
		writeFile(t, conf, text)
		log, err := os.Create(filepath.Join(dir, "log"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { log.Close() })
		cmd := exec.Command(bin, "-c", conf)
		cmd.Stdout, cmd.Stderr = log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		nodes[i] = &natsNode{name: fmt.Sprintf("n%d", i), url: "nats://" + clients[i], cmd: cmd}
		t.Cleanup(func() { nodes[i].stop(t) })
	}
	waitPlaceable(t, clusterURLs(nodes), n)
	return nodes
}

// stop stops a node that was not killed, with SIGTERM.
func (n *natsNode) stop(t *testing.T) {
	if n.killed {
		return
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		n.cmd.Process.Kill()
		t.Errorf("nats-server %s still running 10s after SIGTERM", n.name)
	}
}

// kill kills the node for good (SIGKILL).
func (n *natsNode) kill() {
	n.killed = true
	n.cmd.Process.Kill()
	n.cmd.Wait()
}

// killNamed kills the node called name, and fails when there is none.
func killNamed(t *testing.T, nodes []*natsNode, name string) {
	t.Helper()
	for _, n := range nodes {
		if n.name == name {
			n.kill()
			return
		}
	}
	t.Fatalf("no node %q to kill", name)
}

func clusterURLs(nodes []*natsNode) string {
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.url)
	}
	return strings.Join(urls, ",")
}

// waitPlaceable waits until the cluster has a JetStream meta leader that
// knows every server: a probe stream of n replicas is created (then
// deleted).
func waitPlaceable(t *testing.T, urls string, n int) {
	t.Helper()
	js := clusterJetStream(t, urls)
	deadline := time.Now().Add(45 * time.Second) // a hang guard
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PROBE", Subjects: []string{"probe"},
			Storage: jetstream.MemoryStorage, Replicas: n})
		if err == nil {
			err = js.DeleteStream(ctx, "PROBE")
		}
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the NATS cluster cannot place %d replicas after 45s: %v", n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// clusterJetStream connects to urls for the test, as soon as one server
// listens, and reconnects forever.
func clusterJetStream(t *testing.T, urls string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// streamLeader is the name of the server that leads the events stream,
// once the stream has one (a hang guard of 20 s).
func streamLeader(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := js.Stream(ctx, natsbus.StreamName)
		if err == nil && st.CachedInfo().Cluster != nil && st.CachedInfo().Cluster.Leader != "" {
			cancel()
			return st.CachedInfo().Cluster.Leader
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("the stream %s has no leader after 20s: %v", natsbus.StreamName, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// publishEvents publishes n new events of workload as a guard does
// (subject by workload and kind, Nats-Msg-Id the event id), each again
// until the stream acknowledges it (a hang guard of 30 s for all), and
// returns their ids.
func publishEvents(t *testing.T, js jetstream.JetStream, workload string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	ids := make([]string, n)
	for i := range n {
		ev := events.New(events.KindSyscall, "seccomp.denied", events.SeverityHigh, events.ActionDeny)
		ev.Workload = workload
		ev.Process = &events.Process{PID: 7, PPID: 1, Exe: "/app", Argv: []string{"/app"}}
		if err := ev.SetDetails(events.SyscallDetails{Name: "ptrace", Nr: 101, Arch: "x86_64", Errno: 1}); err != nil {
			t.Fatal(err)
		}
		line, err := events.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := js.Publish(ctx, natsbus.Subject(ev.Workload, ev.Kind), line, jetstream.WithMsgID(ev.ID))
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("publishing event %d of %d: not acknowledged after 30s: %v", i+1, n, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		ids[i] = ev.ID
	}
	return ids
}
