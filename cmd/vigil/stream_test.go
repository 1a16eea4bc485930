package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/natstest"
)

// TestRunStreamLimits: the stream vigil run creates has the limits its
// flags or variables give, read back as `nats stream info` shows them.
func TestRunStreamLimits(t *testing.T) {
	tests := []struct {
		name         string
		giveArgs     []string
		giveEnv      []string
		wantMaxAge   time.Duration
		wantMaxBytes int64
	}{
		{name: "defaults", wantMaxAge: 30 * 24 * time.Hour, wantMaxBytes: 10 << 30},
		{name: "flags", giveArgs: []string{"--stream-max-age", "14d", "--stream-max-bytes", "2GiB"},
			wantMaxAge: 14 * 24 * time.Hour, wantMaxBytes: 2 << 30},
		{name: "variables", giveEnv: []string{"VIGIL_STREAM_MAX_AGE=48h", "VIGIL_STREAM_MAX_BYTES=750MB"},
			wantMaxAge: 48 * time.Hour, wantMaxBytes: 750e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.Start(t)
			argv, env := app(t, "dump")
			env = append(append(env, "VIGILTEST_OUT="+filepath.Join(t.TempDir(), "self.json")), tt.giveEnv...)
			args := append([]string{"run", "--nats", srv.URL(), "--outbox", t.TempDir(), "--workload", "limits"}, tt.giveArgs...)
			if code, _, stderr := runVigil(t, mode{name: "subreaper"}, env, append(append(args, "--"), argv...)...); code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			cfg := streamConfig(t, srv)
			if cfg.MaxAge != tt.wantMaxAge || cfg.MaxBytes != tt.wantMaxBytes || cfg.Discard != jetstream.DiscardOld {
				t.Errorf("stream max age %s, max bytes %d, discard %s; want %s, %d, old",
					cfg.MaxAge, cfg.MaxBytes, cfg.Discard, tt.wantMaxAge, tt.wantMaxBytes)
			}
		})
	}
}

func streamConfig(t *testing.T, srv *natstest.Server) jetstream.StreamConfig {
	t.Helper()
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), natsbus.StreamName)
	if err != nil {
		t.Fatalf("stream %s after vigil run: %v", natsbus.StreamName, err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.Config
}

// TestRunBadStreamFlags: a bad limit is vigil's own error, in one line,
// and the app is not started.
func TestRunBadStreamFlags(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  []string
		want     string
	}{
		{name: "negative age", giveArgs: []string{"--stream-max-age", "-1h"}, want: "negative"},
		{name: "age without unit", giveArgs: []string{"--stream-max-age", "30"}, want: "not a duration"},
		{name: "ambiguous unit", giveArgs: []string{"--stream-max-bytes", "10G"}, want: `unknown unit "G"`},
		{name: "negative size", giveArgs: []string{"--stream-max-bytes", "-1"}, want: "negative"},
		{name: "size too small", giveArgs: []string{"--stream-max-bytes", "4096"}, want: "at least 1MiB"},
		{name: "bad variable", giveEnv: []string{"VIGIL_STREAM_MAX_BYTES=lots"}, want: `VIGIL_STREAM_MAX_BYTES="lots": not a size`},
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
