package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events/natsbus"
)

// launchHub starts vigil-hub with args and returns every line it says;
// it is stopped with SIGTERM at cleanup, and must exit 0.
func launchHub(t *testing.T, args ...string) <-chan string {
	t.Helper()
	cmd, said := startKillableHub(t, args)
	t.Cleanup(func() { // before startKillableHub's
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("vigil-hub %q on SIGTERM: %v, want exit 0", args, err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Errorf("vigil-hub %q still running 20s after SIGTERM", args)
		}
	})
	return said
}

// waitSaid waits until a line of said starts with prefix, and returns it.
func waitSaid(t *testing.T, said <-chan string, prefix string, deadline time.Time) string {
	t.Helper()
	var seen []string
	for {
		select {
		case line, ok := <-said:
			if !ok {
				t.Fatalf("vigil-hub exited without saying %q:\n%s", prefix, strings.Join(seen, "\n"))
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
			seen = append(seen, line)
		case <-time.After(time.Until(deadline)):
			t.Fatalf("vigil-hub did not say %q in time:\n%s", prefix, strings.Join(seen, "\n"))
		}
	}
}

// TestHubCluster: three vigil-hub processes, each a node (--cluster,
// --routes, --name), form a cluster and make the stream with 3 replicas,
// on their three servers; a fourth hub with --nats is a client of it, and
// finds the stream as it is.
func TestHubCluster(t *testing.T) {
	const n = 3
	var clients, routes [n]string
	for i := range n {
		clients[i], routes[i] = freeAddr(t), freeAddr(t)
	}
	deadline := time.Now().Add(50 * time.Second) // a hang guard, not a measurement
	var said [n]<-chan string
	for i := range n { // all at once: each waits for the others' JetStream
		var others []string
		for j := range n {
			if j != i {
				others = append(others, "nats-route://"+routes[j])
			}
		}
		said[i] = launchHub(t, "--listen", clients[i], "--store", t.TempDir(), "--cluster", routes[i],
			"--routes", strings.Join(others, ","), "--name", fmt.Sprintf("hub-%d", i), "--stream-wait", "45s")
	}
	for i := range n {
		line := waitSaid(t, said[i], "vigil-hub: listening on ", deadline)
		if want := fmt.Sprintf("node hub-%d of cluster vigil", i); !strings.Contains(line, want) || !strings.Contains(line, "replicas 3") {
			t.Errorf("hub %d said %q; want %q and replicas 3", i, line, want)
		}
	}
	info := clusterStream(t, "nats://"+clients[0])
	if info.Config.Replicas != 3 || info.Cluster == nil || info.Cluster.Name != "vigil" || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream replicas %d, cluster %+v; want 3 in cluster vigil: a leader and 2 replicas", info.Config.Replicas, info.Cluster)
	}
	t.Run("client of the cluster", func(t *testing.T) {
		urls := "nats://" + clients[1] + ",nats://" + clients[2]
		line := waitSaid(t, launchHub(t, "--nats", urls), "vigil-hub: ", time.Now().Add(20*time.Second))
		if !strings.HasPrefix(line, "vigil-hub: connected to nats://") || !strings.Contains(line, "(cluster vigil)") || !strings.Contains(line, "replicas 3") {
			t.Errorf("the --nats hub said %q; want it connected to the cluster, stream of 3 replicas", line)
		}
	})
}

// clusterStream publishes an event into the stream at url (acknowledged:
// the stream takes events) and returns its info.
func clusterStream(t *testing.T, url string) *jetstream.StreamInfo {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.Publish(ctx, "vigil.events.w.syscall", []byte(`{}`), jetstream.WithMsgID("one")); err != nil {
		t.Fatalf("publishing into the cluster's stream: %v", err)
	}
	st, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestHubClusterWaitsThenSays: a node whose cluster never forms (its
// routes lead nowhere) gives up after --stream-wait, saying why, exit 125.
func TestHubClusterWaitsThenSays(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, hubBin, "--listen", freeAddr(t), "--store", t.TempDir(), "--cluster", freeAddr(t),
		"--routes", "nats-route://"+freeAddr(t)+",nats-route://"+freeAddr(t), "--name", "alone", "--stream-wait", "3s")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, _ := cmd.CombinedOutput()
	last := lastLine(string(out))
	if cmd.ProcessState.ExitCode() != exitError || !strings.HasPrefix(last, "vigil-hub: creating the stream VIGIL_EVENTS") ||
		!strings.Contains(last, "not ready after --stream-wait 3s") {
		t.Errorf("exit %d, last line %q; want %d and the stream not ready after --stream-wait 3s", cmd.ProcessState.ExitCode(), last, exitError)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestBadClusterFlags: a bad cluster, replicas or --nats flag is one line
// and exit 125, before any server starts.
func TestBadClusterFlags(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  []string
		// giveBare: the args alone, without a free --listen and a
		// temporary --store.
		giveBare bool
		want     string
	}{
		{name: "routes without cluster", giveArgs: []string{"--routes", "nats-route://127.0.0.1:6222"}, want: "--routes: needs --cluster"},
		{name: "name without cluster", giveArgs: []string{"--name", "a"}, want: "--name: needs --cluster"},
		{name: "route not a URL", giveArgs: []string{"--cluster", "127.0.0.1:0", "--routes", "127.0.0.1:6222"}, want: `--routes: "127.0.0.1:6222": want nats-route://HOST:PORT`},
		{name: "route without port", giveArgs: []string{"--cluster", "127.0.0.1:0", "--routes", "nats-route://a"}, want: "want nats-route://HOST:PORT"},
		{name: "bad cluster address", giveArgs: []string{"--cluster", "nowhere"}, want: `--cluster "nowhere"`},
		{name: "replicas too many", giveArgs: []string{"--nats-replicas", "6"}, want: `"--nats-replicas" flag: 1 to 5, or auto`},
		{name: "replicas variable", giveEnv: []string{"VIGIL_HUB_NATS_REPLICAS=0"}, want: `VIGIL_HUB_NATS_REPLICAS="0"`},
		{name: "no wait", giveArgs: []string{"--stream-wait", "0s"}, want: "--stream-wait 0s: must be positive"},
		{name: "nats with embedded flags", giveArgs: []string{"--nats", "nats://127.0.0.1:1", "--cluster", "127.0.0.1:0"},
			want: "--listen, --store, --cluster: the embedded server's, not with --nats"},
		{name: "nats variable with listen", giveEnv: []string{"VIGIL_HUB_NATS_URL=nats://127.0.0.1:1"},
			want: "--listen, --store: the embedded server's, not with --nats"},
		{name: "nats with two secrets", giveArgs: []string{"--nats", "nats://127.0.0.1:1", "--nats-token", "t", "--nats-user", "u"},
			giveBare: true, want: "more than one way to authenticate"},
		{name: "nats creds missing", giveArgs: []string{"--nats", "nats://127.0.0.1:1", "--nats-creds", "/nonexistent.creds"},
			giveBare: true, want: "--nats-creds"},
		{name: "replicas with config", giveArgs: []string{"--config", "/dev/null", "--nats-replicas", "3"}, want: "with --config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			args := tt.giveArgs
			if !tt.giveBare {
				args = append([]string{"--listen", freeAddr(t), "--store", t.TempDir()}, args...)
			}
			cmd := exec.CommandContext(ctx, hubBin, args...)
			cmd.Env = append(os.Environ(), tt.giveEnv...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != exitError || !strings.Contains(string(out), tt.want) || strings.Count(string(out), "\n") != 1 {
				t.Errorf("vigil-hub %q %q: exit %d, output %q; want %d and one line with %q", tt.giveEnv, args, code, out, exitError, tt.want)
			}
		})
	}
}

// TestReplicasOnASingleServer: asked for 3 replicas, a hub that is no
// node of a cluster says it cannot, exit 125; under auto it has 1.
func TestReplicasOnASingleServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, hubBin, "--listen", freeAddr(t), "--store", t.TempDir(), "--nats-replicas", "3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, _ := cmd.CombinedOutput()
	if last := lastLine(string(out)); cmd.ProcessState.ExitCode() != exitError || !strings.Contains(last, "with 3 replicas") ||
		!strings.Contains(last, "not supported in non-clustered mode") {
		t.Errorf("exit %d, last line %q; want %d and replicas refused", cmd.ProcessState.ExitCode(), last, exitError)
	}
	addr := freeAddr(t)
	_, st := stream(t, addr, t.TempDir(), nil)
	if r := st.CachedInfo().Config.Replicas; r != 1 {
		t.Errorf("auto replicas on a single server: %d, want 1", r)
	}
}
