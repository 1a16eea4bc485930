package hub

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/natstest"
)

// testToken is the token of the hubs under test.
const testToken = "test-token-0123456789abcdef"

// hang bounds every wait of the tests: a guard against hangs, not a
// timing assertion.
const hang = 20 * time.Second

// startNATS starts an embedded NATS server with JetStream on a random
// port and a temporary store, with the stream, and returns its URL.
func startNATS(t testing.TB) string {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready after 10s")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc := connect(t, srv.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), natsbus.StreamConfig(natsbus.StreamLimits{MaxBytes: 256 << 20})); err != nil {
		t.Fatalf("creating the stream: %v", err)
	}
	return srv.ClientURL()
}

func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// runningHub is a Hub whose Run goes on until stop.
type runningHub struct {
	*Hub
	stop func()
}

// startHub makes a hub on url with cfg (the test token when cfg has no
// auth) and runs it until stop or the test's end; it waits until the hub
// is ready.
func startHub(t testing.TB, url string, cfg Config) *runningHub {
	t.Helper()
	if cfg.Conn == nil {
		cfg.Conn = connect(t, url)
	}
	if len(cfg.Auth.Tokens) == 0 && len(cfg.Auth.Users) == 0 && !cfg.Auth.Insecure {
		cfg.Auth.Tokens = []string{testToken}
	}
	var mu sync.Mutex
	var reports []string
	told := cfg.Report // the test's own, told too
	cfg.Report = func(err error) {
		mu.Lock()
		reports = append(reports, err.Error())
		mu.Unlock()
		if told != nil {
			told(err)
		}
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	natstest.WaitFor(t, hang, "hub ready", h.ready.Load)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(reports) > 0 {
			t.Logf("hub reports: %s", strings.Join(reports, "; "))
		}
	})
	return &runningHub{Hub: h, stop: stop}
}

// publisher publishes events as a guard does: on their subject, the
// event id as Nats-Msg-Id.
type publisher struct {
	t  testing.TB
	js jetstream.JetStream
}

func newPublisher(t testing.TB, url string) *publisher {
	t.Helper()
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	return &publisher{t: t, js: js}
}

func (p *publisher) publish(evs ...events.Event) {
	p.t.Helper()
	for _, e := range evs {
		line, err := events.Encode(e)
		if err != nil {
			p.t.Fatal(err)
		}
		if _, err := p.js.PublishMsg(context.Background(), eventMsg(e, line)); err != nil {
			p.t.Fatalf("publishing %s: %v", e.ID, err)
		}
	}
}

// syscallEvent is a syscall event as the notifier makes them.
func syscallEvent(workload, rule string, sev events.Severity, exe string) events.Event {
	e := events.New(events.KindSyscall, rule, sev, events.ActionDeny)
	e.Workload, e.Container = workload, events.Container{Hostname: workload + "-host"}
	e.Process = &events.Process{PID: 42, PPID: 1, Exe: exe}
	if err := e.SetDetails(events.SyscallDetails{Name: "ptrace", Nr: 101, Arch: "x86_64", Errno: 1}); err != nil {
		panic(err)
	}
	return e
}

func fileEvent(workload string) events.Event {
	e := events.New(events.KindFile, "files.baseline", events.SeverityMedium, events.ActionAlert)
	e.Workload = workload
	if err := e.SetDetails(events.FileDetails{Path: "/etc/passwd", Op: "write", Change: "content"}); err != nil {
		panic(err)
	}
	return e
}

func lifecycleEvent(workload string, d events.LifecycleDetails) events.Event {
	e := events.New(events.KindLifecycle, "vigil.lifecycle", events.SeverityInfo, events.ActionAlert)
	e.Workload, e.Container = workload, events.Container{Hostname: workload + "-host"}
	if err := e.SetDetails(d); err != nil {
		panic(err)
	}
	return e
}

func startedEvent(workload string) events.Event {
	return lifecycleEvent(workload, events.LifecycleDetails{What: "started", Version: "v0.9.0",
		PolicyDigest: "sha256:" + strings.Repeat("ab", 32),
		Features:     map[string]string{"seccomp_notify": "yes", "landlock_abi": "7", "exec_enforcement": "landlock"}})
}

// apiGet GETs path from srv with the test token and decodes the JSON
// answer into v; it returns the status.
func apiGet(t testing.TB, srv *httptest.Server, path string, v any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return resp.StatusCode
}

// eventsPage is GET /api/events's answer.
type eventsPage struct {
	Events []json.RawMessage `json:"events"`
	Next   string            `json:"next"`
}

func (p eventsPage) ids(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, raw := range p.Events {
		e, err := events.Decode(raw)
		if err != nil {
			t.Fatalf("an event of the API: %v", err)
		}
		out = append(out, e.ID)
	}
	return out
}

// waitHeld waits until h holds n events.
func waitHeld(t testing.TB, h *Hub, n int) {
	t.Helper()
	natstest.WaitFor(t, hang, "events in the view", func() bool { return h.view.len() >= n })
}

// streamEvents reads every event the stream holds.
func streamEvents(t testing.TB, url string) []events.Event {
	t.Helper()
	nc := connect(t, url)
	var out []events.Event
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs == 0 {
		return nil
	}
	c, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for uint64(len(out)) < info.State.Msgs {
		msg, err := c.Next(jetstream.FetchMaxWait(hang))
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		e, err := events.Decode(msg.Data())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func contextWithCancel(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithCancel(r.Context())
}

// serve serves h's handler until the test's end (after its streams).
func serve(t testing.TB, h *Hub) *httptest.Server {
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	natstest.WaitFor(t, hang, what, cond)
}
