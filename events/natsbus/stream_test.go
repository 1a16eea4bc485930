package natsbus

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/natstest"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    int64
		wantErr string
	}{
		{name: "bytes", give: "1048576", want: 1 << 20},
		{name: "IEC", give: "10GiB", want: 10 << 30},
		{name: "SI", give: "500MB", want: 500e6},
		{name: "fraction", give: "1.5GiB", want: 3 << 29},
		{name: "case and space", give: " 2 mib ", want: 2 << 20},
		{name: "zero", give: "0", want: 0},
		{name: "bare letter", give: "10G", wantErr: `unknown unit "G"`},
		{name: "unknown unit", give: "10 parsecs", wantErr: "unknown unit"},
		{name: "negative", give: "-1GiB", wantErr: "negative"},
		{name: "no number", give: "GiB", wantErr: "not a size"},
		{name: "empty", give: "", wantErr: "not a size"},
		{name: "too large", give: "9000000TiB", wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSize(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSize(%q) = %d, %v; want an error with %q", tt.give, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSize(%q) = %d, %v; want %d", tt.give, got, err, tt.want)
			}
		})
	}
}

func TestParseAge(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    time.Duration
		wantErr string
	}{
		{name: "days", give: "30d", want: 30 * 24 * time.Hour},
		{name: "Go duration", give: "90m", want: 90 * time.Minute},
		{name: "zero", give: "0", want: 0},
		{name: "negative", give: "-1h", wantErr: "negative"},
		{name: "negative days", give: "-2d", wantErr: "negative"},
		{name: "no unit", give: "30", wantErr: "not a duration"},
		{name: "days overflow", give: "1e300d", wantErr: "not a number of days"},
		{name: "nonsense", give: "soon", wantErr: "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAge(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseAge(%q) = %s, %v; want an error with %q", tt.give, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAge(%q) = %s, %v; want %s", tt.give, got, err, tt.want)
			}
		})
	}
}

// TestStreamFlags: the flags say their defaults as they are read back, 0
// is no limit, and a limit under the minimum is refused.
func TestStreamFlags(t *testing.T) {
	tests := []struct {
		name              string
		giveAge, giveSize string
		wantLimits        StreamLimits
		wantString        string
		wantErr           string
	}{
		{name: "defaults", wantLimits: StreamLimits{}, wantString: "max age 30d, max bytes 10GiB"},
		{name: "set", giveAge: "7d", giveSize: "500MB", wantLimits: StreamLimits{MaxAge: 7 * 24 * time.Hour, MaxBytes: 500e6},
			wantString: "max age 7d, max bytes 500MB"},
		{name: "none", giveAge: "0", giveSize: "0", wantLimits: StreamLimits{MaxAge: -1, MaxBytes: -1},
			wantString: "max age none, max bytes none"},
		{name: "age too short", giveAge: "10s", wantErr: "at least 1m"},
		{name: "size too small", giveSize: "64KiB", wantErr: "at least 1MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l StreamLimits
			age, size := AgeFlag{&l}, SizeFlag{&l}
			if age.String() != "30d" || size.String() != "10GiB" {
				t.Errorf("defaults shown as %q and %q, want 30d and 10GiB", age, size)
			}
			var err error
			if tt.giveAge != "" {
				err = age.Set(tt.giveAge)
			}
			if tt.giveSize != "" && err == nil {
				err = size.Set(tt.giveSize)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || l != tt.wantLimits || l.String() != tt.wantString {
				t.Errorf("limits %+v (%s), %v; want %+v (%s)", l, l, err, tt.wantLimits, tt.wantString)
			}
		})
	}
}

func TestStreamLimitsValidate(t *testing.T) {
	err := StreamLimits{MaxAge: time.Second, MaxBytes: 1000}.Validate()
	if err == nil || !strings.Contains(err.Error(), "max age 1s") || !strings.Contains(err.Error(), "max bytes 1kB") {
		t.Errorf("Validate: %v; want both limits named", err)
	}
	if _, err := Open(Config{Conn: Conn{URLs: "nats://127.0.0.1:1"}, Workload: "w", Outbox: t.TempDir(),
		Stream: StreamLimits{MaxBytes: 10}}); err == nil {
		t.Error("Open took a stream of 10 bytes")
	}
}

// streamInfo waits for the stream to exist and returns its info as the
// server has it (what `nats stream info` shows).
func streamInfo(t *testing.T, srv *natstest.Server) *jetstream.StreamInfo {
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
	var info *jetstream.StreamInfo
	waitFor(t, 20*time.Second, "the stream", func() bool {
		st, err := js.Stream(context.Background(), StreamName)
		if err != nil {
			return false
		}
		info, err = st.Info(context.Background())
		return err == nil
	})
	return info
}

// TestGuardCreatesBoundedStream: the stream a guard creates has its
// limits, discards old events, and keeps the duplicate window.
func TestGuardCreatesBoundedStream(t *testing.T) {
	tests := []struct {
		name          string
		giveLimits    StreamLimits
		wantMaxAge    time.Duration
		wantMaxBytes  int64
		wantDuplicate time.Duration
	}{
		{name: "defaults", wantMaxAge: 30 * 24 * time.Hour, wantMaxBytes: 10 << 30, wantDuplicate: 24 * time.Hour},
		{name: "set", giveLimits: StreamLimits{MaxAge: 72 * time.Hour, MaxBytes: 200 << 20},
			wantMaxAge: 72 * time.Hour, wantMaxBytes: 200 << 20, wantDuplicate: 24 * time.Hour},
		{name: "age under the duplicate window", giveLimits: StreamLimits{MaxAge: time.Hour},
			wantMaxAge: time.Hour, wantMaxBytes: 10 << 30, wantDuplicate: time.Hour},
		{name: "none", giveLimits: StreamLimits{MaxAge: -1, MaxBytes: -1},
			wantMaxAge: 0, wantMaxBytes: -1, wantDuplicate: 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			openBus(t, Config{Conn: Conn{URLs: srv.URL()}, Stream: tt.giveLimits})
			cfg := streamInfo(t, srv).Config
			if cfg.MaxAge != tt.wantMaxAge || cfg.MaxBytes != tt.wantMaxBytes || cfg.Duplicates != tt.wantDuplicate ||
				cfg.Discard != jetstream.DiscardOld || cfg.Retention != jetstream.LimitsPolicy || cfg.MaxMsgSize != maxMsgSize {
				t.Errorf("stream max age %s, max bytes %d, duplicates %s, discard %s, retention %s, max message %d;\n"+
					"want %s, %d, %s, old, limits, %d", cfg.MaxAge, cfg.MaxBytes, cfg.Duplicates, cfg.Discard, cfg.Retention,
					cfg.MaxMsgSize, tt.wantMaxAge, tt.wantMaxBytes, tt.wantDuplicate, maxMsgSize)
			}
		})
	}
}

// TestFullStreamKeepsAcknowledging: a guard publishes three times what
// its stream may hold. Every event is acknowledged (the outbox drains,
// nothing is dropped), the newest are all there and the oldest are gone.
func TestFullStreamKeepsAcknowledging(t *testing.T) {
	const n = 3000
	srv := startServer(t)
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL()}, Stream: StreamLimits{MaxBytes: MinStreamMaxBytes}})
	for i := range n {
		if err := b.Emit(violation("w1", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 60*time.Second, "every event acknowledged", func() bool { return b.pending() == 0 })
	b.mu.Lock()
	dropped, lastErr := b.dropped, b.lastErr
	b.mu.Unlock()
	if dropped != 0 || lastErr != "" {
		t.Errorf("%d events dropped, last error %q; want none", dropped, lastErr)
	}
	st := streamInfo(t, srv).State
	t.Logf("%d events published, the stream holds %d (%d..%d), %d bytes", n, st.Msgs, st.FirstSeq, st.LastSeq, st.Bytes)
	if st.LastSeq != n || st.FirstSeq <= 1 || st.Msgs != st.LastSeq-st.FirstSeq+1 || st.Bytes > MinStreamMaxBytes {
		t.Errorf("stream state %+v: want the last %d events stored, the oldest discarded, at most %d bytes", st, n, MinStreamMaxBytes)
	}
	evs := srv.StreamEvents(StreamName)
	if last := evs[len(evs)-1]; last.Process == nil || last.Process.PID != 1000+n-1 {
		t.Errorf("the last event stored is %+v, want the last published (pid %d)", last.Process, 1000+n-1)
	}
	for _, e := range evs {
		if e.Kind != events.KindSyscall {
			t.Fatalf("a %s event in the stream: %+v", e.Kind, e)
		}
	}
}

// observed returns a logger and what it logged at warn and above.
func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.WarnLevel)
	return zap.New(core), logs
}

// TestExistingStreamUsedAsIs: a stream made without limits (by an older
// vigil, or by hand) is left as it is, and the guard warns that it has
// none.
func TestExistingStreamUsedAsIs(t *testing.T) {
	srv := startServer(t)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), StreamConfig(StreamLimits{MaxAge: -1, MaxBytes: -1})); err != nil {
		t.Fatal(err)
	}
	log, logs := observed()
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL(), Log: log}})
	if err := b.Emit(violation("w1", 0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the event acknowledged", func() bool { return b.pending() == 0 })
	if cfg := streamInfo(t, srv).Config; cfg.MaxAge != 0 || cfg.MaxBytes != -1 {
		t.Errorf("the guard changed the existing stream: max age %s, max bytes %d", cfg.MaxAge, cfg.MaxBytes)
	}
	waitFor(t, 10*time.Second, "the warning", func() bool {
		return logs.FilterMessageSnippet("no age or size limit").Len() == 1
	})
}

// TestStreamTooLargeForServer: a server whose store cannot hold the
// stream's cap refuses to create it; the guard says why and what to do.
func TestStreamTooLargeForServer(t *testing.T) {
	srv := startServerWith(t, func(o *server.Options) { o.JetStreamMaxStore = 64 << 20 })
	log, logs := observed()
	openBus(t, Config{Conn: Conn{URLs: srv.URL(), Log: log}})
	waitFor(t, 20*time.Second, "the warning", func() bool {
		return logs.FilterMessageSnippet("--stream-max-bytes").Len() == 1
	})
}
