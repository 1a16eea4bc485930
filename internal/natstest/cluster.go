package natstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
)

// Cluster is a JetStream cluster of real nats-server processes (Debian's
// package) on loopback, as users run one: a node can be killed for good.
type Cluster struct {
	Nodes []*Node
}

// Node is one nats-server process of a Cluster.
type Node struct {
	Name, URL string
	// Log is the file its output goes to.
	Log    string
	cmd    *exec.Cmd
	killed bool
}

// StartCluster starts n nats-server processes named n0, n1, …, each on a
// temporary store, clustered with JetStream; they are stopped at
// cleanup. It returns once JetStream can place n replicas, and skips the
// test when nats-server is not installed.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("no nats-server in PATH (Debian: apt-get install nats-server):", err)
	}
	clients, routes := make([]int, n), make([]string, n)
	for i := range n {
		clients[i], routes[i] = freePort(t), "nats-route://127.0.0.1:"+strconv.Itoa(freePort(t))
	}
	c := &Cluster{}
	for i := range n {
		node := startNode(t, bin, i, clients[i], routes)
		c.Nodes = append(c.Nodes, node)
		t.Cleanup(func() { node.stop(t) })
	}
	c.waitPlaceable(t, n)
	return c
}

func startNode(t testing.TB, bin string, i, client int, routes []string) *Node {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "node.conf")
	text := fmt.Sprintf("server_name: n%d\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q, max_file_store: 1G }\n"+
		"cluster { name: vigil, listen: %s, routes: [%s] }\n", i, client, filepath.Join(dir, "js"),
		strings.TrimPrefix(routes[i], "nats-route://"), strings.Join(routes, ", "))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	node := &Node{Name: fmt.Sprintf("n%d", i), URL: fmt.Sprintf("nats://127.0.0.1:%d", client), Log: filepath.Join(dir, "log")}
	log, err := os.Create(node.Log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	node.cmd = exec.Command(bin, "-c", conf)
	node.cmd.Stdout, node.cmd.Stderr = log, log
	node.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := node.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return node
}

// URLs are the nodes' client URLs, comma-separated, as --nats takes them.
func (c *Cluster) URLs() string {
	var urls []string
	for _, n := range c.Nodes {
		urls = append(urls, n.URL)
	}
	return strings.Join(urls, ",")
}

// Kill kills the node called name for good (SIGKILL), and fails the test
// when there is none.
func (c *Cluster) Kill(t testing.TB, name string) {
	t.Helper()
	for _, n := range c.Nodes {
		if n.Name == name {
			n.Kill()
			return
		}
	}
	t.Fatalf("no node %q to kill", name)
}

// Kill kills the node for good.
func (n *Node) Kill() {
	n.killed = true
	n.cmd.Process.Kill()
	n.cmd.Wait()
}

// stop stops a node that was not killed, with SIGTERM.
func (n *Node) stop(t testing.TB) {
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
		t.Errorf("nats-server %s still running 10s after SIGTERM", n.Name)
	}
}

// waitPlaceable waits until the cluster has a JetStream meta leader that
// knows every server: a probe stream of n replicas is created (then
// deleted).
func (c *Cluster) waitPlaceable(t testing.TB, n int) {
	t.Helper()
	js := c.JetStream(t)
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
			t.Fatalf("the NATS cluster cannot place %d replicas after 45s: %v; their logs end:\n%s", n, err, c.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logs is the end of each node's log.
func (c *Cluster) logs() string {
	var logs []string
	for _, n := range c.Nodes {
		b, _ := os.ReadFile(n.Log)
		logs = append(logs, n.Name+": "+string(b[max(0, len(b)-600):]))
	}
	return strings.Join(logs, "\n")
}

// JetStream connects to the cluster for the test, as soon as one server
// listens, and reconnects for ever.
func (c *Cluster) JetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(c.URLs(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.RetryOnFailedConnect(true))
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

// StreamLeader is the name of the server that leads stream, once it has
// one (a hang guard of 20 s).
func StreamLeader(t testing.TB, js jetstream.JetStream, stream string) string {
	t.Helper()
	var leader string
	WaitFor(t, 20*time.Second, "a leader of the stream "+stream, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		st, err := js.Stream(ctx, stream)
		if err == nil && st.CachedInfo().Cluster != nil {
			leader = st.CachedInfo().Cluster.Leader
		}
		return leader != ""
	})
	return leader
}

// Violation is a syscall event of workload as a guard reports a denied
// ptrace: valid, and new each time.
func Violation(t testing.TB, workload string) events.Event {
	t.Helper()
	ev := events.New(events.KindSyscall, "seccomp.denied", events.SeverityHigh, events.ActionDeny)
	ev.Workload = workload
	ev.Process = &events.Process{PID: 7, PPID: 1, Exe: "/app", Argv: []string{"/app"}}
	if err := ev.SetDetails(events.SyscallDetails{Name: "ptrace", Nr: 101, Arch: "x86_64", Errno: 1}); err != nil {
		t.Fatal(err)
	}
	return ev
}

// Violations are n new Violation of workload.
func Violations(t testing.TB, workload string, n int) []events.Event {
	t.Helper()
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = Violation(t, workload)
	}
	return evs
}

// PublishUntilAcked publishes evs to subject as a guard does (Nats-Msg-Id
// the event id), each again until the stream acknowledges it (a hang
// guard of 30 s for all), and returns their ids in order.
func PublishUntilAcked(t testing.TB, js jetstream.JetStream, subject string, evs []events.Event) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	ids := make([]string, len(evs))
	for i, ev := range evs {
		line, err := events.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := js.Publish(ctx, subject, line, jetstream.WithMsgID(ev.ID))
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("publishing event %d of %d: not acknowledged after 30s: %v", i+1, len(evs), err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		ids[i] = ev.ID
	}
	return ids
}
