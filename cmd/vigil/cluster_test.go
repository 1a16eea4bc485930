package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// The "distinct" role is played here, before TestMain: it belongs to
// this file's test alone.
func init() {
	if os.Getenv("VIGILTEST_ROLE") == "distinct" {
		os.Exit(distinctViolations())
	}
}

// distinctPIDBase is the first pid the distinct role asks getpgid about.
const distinctPIDBase = 100000

// distinctViolations calls getpgid(distinctPIDBase+i) for i below
// VIGILTEST_N, VIGILTEST_EVERY apart: each call differs in its argument,
// so the storm aggregation folds none. It prints "done N" (the calls
// denied), then waits for SIGTERM.
func distinctViolations() int {
	n, _ := strconv.Atoi(os.Getenv("VIGILTEST_N"))
	every, _ := time.ParseDuration(os.Getenv("VIGILTEST_EVERY"))
	denied := 0
	for i := range n {
		if _, err := syscall.Getpgid(distinctPIDBase + i); err == syscall.EPERM {
			denied++
		}
		time.Sleep(every)
	}
	fmt.Printf("done %d\n", denied)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	<-sigs
	return 0
}

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
	routes := make([]string, n)
	clients := make([]string, n)
	for i := range n {
		clients[i] = freePort(t)
		routes[i] = "nats-route://127.0.0.1:" + freePort(t)
	}
	nodes := make([]*natsNode, n)
	for i := range n {
		dir := t.TempDir()
		conf := filepath.Join(dir, "node.conf")
		route, _ := strings.CutPrefix(routes[i], "nats-route://")
		text := fmt.Sprintf("server_name: n%d\nlisten: 127.0.0.1:%s\njetstream { store_dir: %q, max_file_store: 1G }\n"+
			"cluster { name: vigil, listen: %s, routes: [%s] }\n", i, clients[i], filepath.Join(dir, "js"), route, strings.Join(routes, ", "))
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := logFile(t)
		cmd := exec.Command(bin, "-c", conf)
		cmd.Stdout, cmd.Stderr = log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		nodes[i] = &natsNode{name: fmt.Sprintf("n%d", i), url: "nats://127.0.0.1:" + clients[i], cmd: cmd}
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

// kill kills the node for good.
func (n *natsNode) kill() {
	n.killed = true
	n.cmd.Process.Kill()
	n.cmd.Wait()
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
	js := jetStream(t, urls)
	var err error
	placed := eventually(45*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "PROBE", Subjects: []string{"probe"},
			Storage: jetstream.MemoryStorage, Replicas: n}); err != nil {
			return false
		}
		err = js.DeleteStream(ctx, "PROBE")
		return err == nil
	})
	if !placed {
		t.Fatalf("the NATS cluster cannot place %d replicas after 45s: %v", n, err)
	}
}

// jetStream connects to urls for the test, as soon as one server listens,
// and reconnects forever.
func jetStream(t *testing.T, urls string) jetstream.JetStream {
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

// streamInfo is the events stream's info, or nil while it cannot be read.
func streamInfo(js jetstream.JetStream) *jetstream.StreamInfo {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return nil
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil
	}
	return info
}

// TestClusterLeaderKilled: a guard publishes a burst of 600 distinct
// violations to a 3-node JetStream cluster; mid-burst the server that
// leads the stream is killed for good (SIGKILL). Every event is in the
// stream exactly once, and the stream, created by the guard under auto
// replicas, has 3.
func TestClusterLeaderKilled(t *testing.T) {
	const n = 600
	nodes := startNATSCluster(t, 3)
	js := jetStream(t, clusterURLs(nodes))
	argv, env := app(t, "distinct")
	env = append(env, "VIGILTEST_N="+strconv.Itoa(n), "VIGILTEST_EVERY=5ms")
	cmd := vigil(mode{name: "pid1", pid1: true}, append([]string{"run", "--nats", clusterURLs(nodes), "--outbox", t.TempDir(),
		"--workload", "cluster", "--seccomp-profile", denyGetpgid(t), "--stream-max-bytes", "64MiB", "--log-level=warn", "--"}, argv...)...)
	cmd.Env = append(cmd.Env, env...)
	stderr := logFile(t)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	// Mid-burst: a third of the events stored.
	var info *jetstream.StreamInfo
	if !eventually(20*time.Second, func() bool { info = streamInfo(js); return info != nil && info.State.Msgs >= n/3 }) {
		t.Fatalf("fewer than %d events stored after 20s; vigil said:\n%s", n/3, said(stderr))
	}
	leader := info.Cluster.Leader
	for _, node := range nodes {
		if node.name == leader {
			node.kill()
		}
	}
	t.Logf("killed the stream's leader %s with %d of %d events stored", leader, info.State.Msgs, n)
	// Every violation and the started event, then the guard stops.
	if !eventually(25*time.Second, func() bool { info = streamInfo(js); return info != nil && info.State.Msgs >= n+1 }) {
		t.Fatalf("the stream holds %v after the leader's death, want %d events and started; vigil said:\n%s", info, n, said(stderr))
	}
	cmd.Process.Signal(syscall.SIGTERM)
	stopped = true
	if code := exitCode(t, cmd, 20*time.Second); code != 0 {
		t.Fatalf("vigil exit %d on SIGTERM, want 0; it said:\n%s", code, said(stderr))
	}
	checkDistinctOnce(t, readEvents(t, js), n)
	if info := streamInfo(js); info == nil || info.Config.Replicas != 3 || info.Cluster.Leader == leader {
		t.Errorf("stream info %+v: want 3 replicas, a new leader", info)
	}
}

// logFile is a file for a process's output, said by said.
func logFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func said(f *os.File) string {
	b, _ := os.ReadFile(f.Name())
	return string(b)
}

// readEvents reads every event the stream holds, one by one from its
// leader (a consumer might be placed on the dead server).
func readEvents(t *testing.T, js jetstream.JetStream) []events.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Event
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("reading event %d of %d..%d: %v", seq, info.State.FirstSeq, info.State.LastSeq, err)
		}
		e, err := events.Decode(msg.Data)
		if err != nil {
			t.Fatalf("message %d is not an event: %v", seq, err)
		}
		out = append(out, e)
	}
	return out
}

// checkDistinctOnce checks that evs hold each event id once, and each of
// the n distinct violations once, not folded.
func checkDistinctOnce(t *testing.T, evs []events.Event, n int) {
	t.Helper()
	ids, pids := map[string]bool{}, map[uint64]int{}
	for _, e := range evs {
		if ids[e.ID] {
			t.Errorf("event %s stored twice", e.ID)
		}
		ids[e.ID] = true
		if e.Kind != events.KindSyscall {
			continue
		}
		var d events.SyscallDetails
		if err := e.DetailsAs(&d); err != nil {
			t.Fatal(err)
		}
		if e.Count != 1 || d.Name != "getpgid" {
			t.Errorf("syscall event %s: %s, count %d; want getpgid, count 1", e.ID, d.Name, e.Count)
		}
		pids[d.Args[0]]++
	}
	for i := range n {
		if got := pids[uint64(distinctPIDBase+i)]; got != 1 {
			t.Errorf("getpgid(%d) stored %d times, want once", distinctPIDBase+i, got)
		}
	}
	if len(pids) != n {
		t.Errorf("%d distinct violations stored, want %d", len(pids), n)
	}
}

// TestRunBadReplicas: bad replicas are vigil's own error, in one line, and
// the app is not started.
func TestRunBadReplicas(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  []string
		want     string
	}{
		{name: "zero", giveArgs: []string{"--nats-replicas", "0"}, want: `"--nats-replicas" flag: 1 to 5, or auto`},
		{name: "too many", giveArgs: []string{"--nats-replicas", "6"}, want: "1 to 5, or auto"},
		{name: "bad variable", giveEnv: []string{"VIGIL_NATS_REPLICAS=three"}, want: `VIGIL_NATS_REPLICAS="three": 1 to 5, or auto`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "self.json")
			argv, env := app(t, "dump")
			env = append(append(env, "VIGILTEST_OUT="+out), tt.giveEnv...)
			args := append([]string{"run", "--nats", "nats://127.0.0.1:1", "--outbox", t.TempDir()}, tt.giveArgs...)
			code, _, stderr := runVigil(t, mode{name: "subreaper"}, env, append(append(args, "--"), argv...)...)
			if code != 125 || !strings.HasPrefix(stderr, "vigil: run: ") || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 125 and one line with %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("the app was started")
			}
		})
	}
}

// TestCheckStream: vigil check --stream prints the nats CLI command of
// the stream vigil run would create with the same flags and variables.
func TestCheckStream(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  []string
		wantOut  string
	}{
		{name: "defaults", wantOut: "nats stream add VIGIL_EVENTS --subjects 'vigil.events.>' --description 'vigil security events' " +
			"--storage file --retention limits --discard old --max-age 30d --max-bytes 10GiB --max-msg-size 65536 --dupe-window 24h --replicas 3 --defaults\n" +
			"# --replicas 1 on a single server, or on a cluster of fewer than 3 JetStream servers\n"},
		{name: "flags", giveArgs: []string{"--nats-replicas", "5", "--stream-max-age", "7d"},
			wantOut: "--max-age 7d --max-bytes 10GiB --max-msg-size 65536 --dupe-window 24h --replicas 5 --defaults\n"},
		{name: "variables", giveEnv: []string{"VIGIL_NATS_REPLICAS=1", "VIGIL_STREAM_MAX_BYTES=0"},
			wantOut: "--max-bytes -1 --max-msg-size 65536 --dupe-window 24h --replicas 1 --defaults\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runVigil(t, mode{name: "subreaper"}, tt.giveEnv, append([]string{"check", "--stream"}, tt.giveArgs...)...)
			if code != 0 || !strings.HasSuffix(stdout, tt.wantOut) || stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0 and an end of %q", code, stdout, stderr, tt.wantOut)
			}
		})
	}
}
