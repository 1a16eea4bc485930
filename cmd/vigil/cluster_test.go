package main_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/natstest"
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
	cluster := natstest.StartCluster(t, 3)
	js := cluster.JetStream(t)
	argv, env := app(t, "distinct")
	env = append(env, "VIGILTEST_N="+strconv.Itoa(n), "VIGILTEST_EVERY=5ms")
	cmd := vigil(mode{name: "pid1", pid1: true}, append([]string{"run", "--nats", cluster.URLs(), "--outbox", t.TempDir(),
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
	cluster.Kill(t, leader)
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
