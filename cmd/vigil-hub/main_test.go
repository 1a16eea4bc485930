package main

import (
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

// startHub starts vigil-hub and waits until it takes connections; it is
// stopped with SIGTERM at cleanup, and must exit 0.
func startHub(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(hubBin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
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

// stream starts the hub on addr and store and returns its JetStream
// context and the events stream, which it must have.
func stream(t *testing.T, addr, store string) (jetstream.JetStream, jetstream.Stream) {
	t.Helper()
	startHub(t, "--listen", addr, "--store", store)
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
		js, st := stream(t, addr, store)
		if cfg := st.CachedInfo().Config; cfg.Storage != jetstream.FileStorage || cfg.Duplicates != natsbus.DuplicateWindow {
			t.Errorf("stream config %+v: want file storage and the duplicate window", cfg)
		}
		if _, err := js.Publish(context.Background(), "vigil.events.w.syscall", []byte(`{}`)); err != nil {
			t.Fatalf("publishing into the stream: %v", err)
		}
	})
	t.Run("restarted", func(t *testing.T) {
		_, st := stream(t, addr, store)
		if n := st.CachedInfo().State.Msgs; n != 1 {
			t.Errorf("%d messages after a restart on the same store, want 1", n)
		}
	})
}

func TestBadInput(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "hub.conf")
	if err := os.WriteFile(conf, []byte("port: 4222\naccounts {\n  bad = \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "nowhere"}, "--listen"},
		{[]string{"--nope"}, "unknown flag"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--config", conf}, "hub.conf:"},
	} {
		out, err := exec.Command(hubBin, tt.args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != exitError || !strings.Contains(string(out), tt.want) || strings.Count(string(out), "\n") != 1 {
			t.Errorf("vigil-hub %q: exit %d, output %q; want %d and one line with %q", tt.args, code, out, exitError, tt.want)
		}
	}
}
