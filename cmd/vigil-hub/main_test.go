package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events/natsbus"
)

var hubBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-hub-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hubBin = filepath.Join(dir, "vigil-hub")
	build := exec.Command("go", "build", "-o", hubBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building vigil-hub: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startHub starts vigil-hub with env added to its environment, and
// returns what it says after it listens; it is stopped with SIGTERM at
// cleanup, and must exit 0.
func startHub(t *testing.T, env []string, args ...string) <-chan string {
	t.Helper()
	cmd := exec.Command(hubBin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The hub says it listens once the stream is made or updated.
	sc := bufio.NewScanner(stderr)
	var said []string
	started := false
	for !started && sc.Scan() {
		started = strings.HasPrefix(sc.Text(), "vigil-hub: listening on ")
		said = append(said, sc.Text())
	}
	if !started {
		cmd.Wait()
		t.Fatalf("vigil-hub %q did not start:\n%s", args, strings.Join(said, "\n"))
	}
	rest := make(chan string, 64)
	go func() {
		defer close(rest)
		for sc.Scan() {
			select {
			case rest <- sc.Text():
			default: // nobody reads it
			}
		}
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("vigil-hub on SIGTERM: %v, want exit 0", err)
		}
	}
	t.Cleanup(stop)
	return rest
}

func connect(t *testing.T, addr string) *nats.Conn {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		nc, err := nats.Connect("nats://" + addr)
		if err == nil {
			t.Cleanup(nc.Close)
			return nc
		}
		if time.Now().After(deadline) {
			t.Fatalf("vigil-hub not reachable at %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stream starts the hub on addr and store, with env and the flags args
// besides, and returns its JetStream context and the events stream, which
// it must have.
func stream(t *testing.T, addr, store string, env []string, args ...string) (jetstream.JetStream, jetstream.Stream) {
	t.Helper()
	startHub(t, env, append([]string{"--listen", addr, "--store", store}, args...)...)
	js, err := jetstream.New(connect(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatalf("stream %s: %v", natsbus.StreamName, err)
	}
	return js, st
}

// TestStreamReadyAndKept: the hub creates the stream, so that a guard with
// publish rights alone can publish, and what it stored survives a restart
// on the same store.
func TestStreamReadyAndKept(t *testing.T) {
	addr, store := freeAddr(t), t.TempDir()
	t.Run("first", func(t *testing.T) {
		js, st := stream(t, addr, store, nil)
		if cfg := st.CachedInfo().Config; cfg.Storage != jetstream.FileStorage || cfg.Duplicates != natsbus.DuplicateWindow {
			t.Errorf("stream config %+v: want file storage and the duplicate window", cfg)
		}
		if _, err := js.Publish(context.Background(), "vigil.events.w.syscall", []byte(`{}`)); err != nil {
			t.Fatalf("publishing into the stream: %v", err)
		}
	})
	t.Run("restarted", func(t *testing.T) {
		_, st := stream(t, addr, store, nil)
		if n := st.CachedInfo().State.Msgs; n != 1 {
			t.Errorf("%d messages after a restart on the same store, want 1", n)
		}
	})
}

// TestStreamLimits: the hub bounds its stream as its flags or variables
// say (read back as the nats CLI does, with the stream's info), and
// applies new limits to the stream it already has, events kept.
func TestStreamLimits(t *testing.T) {
	addr, store := freeAddr(t), t.TempDir()
	tests := []struct {
		name         string
		giveArgs     []string
		giveEnv      []string
		wantMaxAge   time.Duration
		wantMaxBytes int64
		wantMsgs     uint64
	}{
		{name: "defaults", wantMaxAge: 30 * 24 * time.Hour, wantMaxBytes: 10 << 30},
		{name: "flags update the stream", giveArgs: []string{"--stream-max-age", "7d", "--stream-max-bytes", "500MB"},
			wantMaxAge: 7 * 24 * time.Hour, wantMaxBytes: 500e6, wantMsgs: 1},
		{name: "variables", giveEnv: []string{"VIGIL_HUB_STREAM_MAX_AGE=90m", "VIGIL_HUB_STREAM_MAX_BYTES=2GiB"},
			wantMaxAge: 90 * time.Minute, wantMaxBytes: 2 << 30, wantMsgs: 2},
		{name: "flag wins over variable", giveArgs: []string{"--stream-max-bytes", "1GiB"}, giveEnv: []string{"VIGIL_HUB_STREAM_MAX_BYTES=2GiB"},
			wantMaxAge: 30 * 24 * time.Hour, wantMaxBytes: 1 << 30, wantMsgs: 3},
		{name: "no limit", giveArgs: []string{"--stream-max-age", "0", "--stream-max-bytes", "0"},
			wantMaxAge: 0, wantMaxBytes: -1, wantMsgs: 4},
		// As a stream made by an older hub, without limits, gets them.
		{name: "bounded again", wantMaxAge: 30 * 24 * time.Hour, wantMaxBytes: 10 << 30, wantMsgs: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js, st := stream(t, addr, store, tt.giveEnv, tt.giveArgs...)
			info, err := st.Info(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			cfg := info.Config
			if cfg.MaxAge != tt.wantMaxAge || cfg.MaxBytes != tt.wantMaxBytes || cfg.Discard != jetstream.DiscardOld || info.State.Msgs != tt.wantMsgs {
				t.Errorf("stream max age %s, max bytes %d, discard %s, %d messages; want %s, %d, old, %d",
					cfg.MaxAge, cfg.MaxBytes, cfg.Discard, info.State.Msgs, tt.wantMaxAge, tt.wantMaxBytes, tt.wantMsgs)
			}
			if _, err := js.Publish(context.Background(), "vigil.events.w.syscall", []byte(`{}`)); err != nil {
				t.Fatalf("publishing into the stream: %v", err)
			}
		})
	}
}

// TestFullStreamKeepsAcknowledging: publishing three times the hub's cap,
// every event is acknowledged and the oldest are discarded. The store's
// own limit (the cap and a quarter) never refuses one.
func TestFullStreamKeepsAcknowledging(t *testing.T) {
	const n, size = 3000, 1000
	addr := freeAddr(t)
	js, st := stream(t, addr, t.TempDir(), nil, "--stream-max-bytes", "1MiB")
	payload := []byte(strings.Repeat("x", size))
	ctx := context.Background()
	for i := range n {
		if _, err := js.Publish(ctx, "vigil.events.w.syscall", payload, jetstream.WithMsgID(fmt.Sprint(i))); err != nil {
			t.Fatalf("publishing event %d of %d: %v", i+1, n, err)
		}
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := info.State
	t.Logf("%d events of %d bytes published, the stream holds %d (%d..%d), %d bytes", n, size, s.Msgs, s.FirstSeq, s.LastSeq, s.Bytes)
	if s.LastSeq != n || s.FirstSeq <= 1 || s.Bytes > 1<<20 {
		t.Errorf("stream state %+v: want the last events up to %d, the oldest discarded, at most 1MiB", s, n)
	}
}

// TestWarnsOfSmallDisk: a cap larger than the store's disk does not bound
// the disk; the hub says so when it starts.
func TestWarnsOfSmallDisk(t *testing.T) {
	addr := freeAddr(t)
	said := startHub(t, nil, "--listen", addr, "--store", t.TempDir(), "--stream-max-bytes", "1PiB")
	connect(t, addr)
	select {
	case line := <-said:
		if !strings.HasPrefix(line, "vigil-hub: warning: ") || !strings.Contains(line, "the disk fills before the stream's 1PiB cap") {
			t.Errorf("after listening, vigil-hub said %q; want the warning", line)
		}
	case <-time.After(20 * time.Second):
		t.Error("no warning from vigil-hub")
	}
}

func TestBadInput(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "hub.conf")
	if err := os.WriteFile(conf, []byte("port: 4222\naccounts {\n  bad = \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		env  []string
		want string
	}{
		{args: []string{"--listen", "nowhere"}, want: "--listen"},
		{args: []string{"--nope"}, want: "unknown flag"},
		{args: []string{"extra"}, want: "unexpected argument"},
		{args: []string{"--config", conf}, want: "hub.conf:"},
		{args: []string{"--stream-max-age", "-1h"}, want: `"--stream-max-age" flag: negative`},
		{args: []string{"--stream-max-age", "30"}, want: "not a duration"},
		{args: []string{"--stream-max-age", "10s"}, want: "at least 1m"},
		{args: []string{"--stream-max-bytes", "10G"}, want: `unknown unit "G"`},
		{args: []string{"--stream-max-bytes", "-5MB"}, want: `"--stream-max-bytes" flag: negative`},
		{args: []string{"--stream-max-bytes", "lots"}, want: "not a size"},
		{args: []string{"--stream-max-bytes", "1000"}, want: "at least 1MiB"},
		{env: []string{"VIGIL_HUB_STREAM_MAX_BYTES=1TB/2"}, want: "VIGIL_HUB_STREAM_MAX_BYTES"},
		{args: []string{"--config", conf, "--stream-max-age", "7d"}, want: "with --config"},
		{args: []string{"--config", conf}, env: []string{"VIGIL_HUB_STREAM_MAX_BYTES=1GiB"}, want: "with --config"},
	} {
		// A hub that takes a bad value runs: stopped, it fails the test.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		// On a free port and a temporary store, should it start.
		args := append([]string{"--listen", freeAddr(t), "--store", t.TempDir()}, tt.args...)
		cmd := exec.CommandContext(ctx, hubBin, args...)
		cmd.Env = append(os.Environ(), tt.env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		out, err := cmd.CombinedOutput()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != exitError || !strings.Contains(string(out), tt.want) || strings.Count(string(out), "\n") != 1 {
			t.Errorf("vigil-hub %q %q: exit %d, output %q; want %d and one line with %q", tt.env, tt.args, code, out, exitError, tt.want)
		}
	}
}
