package forward

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/natstest"
)

// hangGuard bounds every wait of these tests.
const hangGuard = 15 * time.Second

// bus starts a real NATS server with the stream a guard would create and
// returns a connection to it.
func bus(t *testing.T) *nats.Conn {
	t.Helper()
	srv := natstest.Start(t)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	if _, err := js.CreateStream(ctx, natsbus.StreamConfig(natsbus.StreamLimits{})); err != nil {
		t.Fatalf("creating the stream: %v", err)
	}
	return nc
}

// publish publishes e as a guard does: on its subject, its id as
// Nats-Msg-Id.
func publish(t *testing.T, nc *nats.Conn, evs ...events.Event) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		b, err := events.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		_, err = js.PublishMsg(ctx, &nats.Msg{
			Subject: natsbus.Subject(e.Workload, e.Kind),
			Data:    b,
			Header:  nats.Header{jetstream.MsgIDHeader: {e.ID}},
		})
		cancel()
		if err != nil {
			t.Fatalf("publishing %s: %v", e.ID, err)
		}
	}
}

// syscallEvent is a denied ptrace, as the notify loop reports one.
func syscallEvent(t testing.TB, workload string) events.Event {
	t.Helper()
	e := events.New(events.KindSyscall, "deny-ptrace", events.SeverityHigh, events.ActionDeny)
	e.Workload = workload
	e.Container = events.Container{ID: "4f1c2a9e8b7d", Image: "registry.example.com/shop-api:1.4.2", Hostname: "shop-api-7d9f"}
	e.Process = &events.Process{
		PID: 42, PPID: 1, UID: 1000, GID: 1000, Exe: "/usr/bin/gdb",
		Argv:     []string{"gdb", "-p", "1"},
		Ancestry: []events.Ancestor{{PID: 1, Exe: "/usr/local/bin/vigil"}},
	}
	err := e.SetDetails(events.SyscallDetails{
		Name: "ptrace", Nr: 101, Arch: "x86_64", Args: [6]uint64{16, 1},
		Decoded: map[string]string{"0": "PTRACE_ATTACH"}, Errno: 1, Intended: events.ActionDeny,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// syscallEvents are n events of workload.
func syscallEvents(t testing.TB, workload string, n int) []events.Event {
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = syscallEvent(t, workload)
	}
	return evs
}

func ids(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// receiver is a real HTTP server that records what it accepts.
type receiver struct {
	*httptest.Server
	mu sync.Mutex
	// bodies are the accepted requests' bodies, times their arrival.
	bodies [][]byte
	times  []time.Time
	// hdrs are the accepted requests' headers.
	hdrs []http.Header
	// answer, when set, decides the status before the body is kept (2xx
	// keeps it).
	answer func(n int) int
	calls  int
}

func newReceiver(t *testing.T, answer func(calls int) int) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.calls++
	n, answer := r.calls, r.answer
	r.mu.Unlock()
	status := http.StatusOK
	if answer != nil {
		status = answer(n)
	}
	if status/100 == 2 {
		r.mu.Lock()
		r.bodies, r.times, r.hdrs = append(r.bodies, b), append(r.times, time.Now()), append(r.hdrs, req.Header.Clone())
		r.mu.Unlock()
	}
	w.WriteHeader(status)
}

// count is how many requests were accepted.
func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// ids are the event ids of the accepted webhook requests, in order.
func (r *receiver) ids(t *testing.T) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.bodies))
	for i, b := range r.bodies {
		var e struct{ ID string }
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		out[i] = e.ID
	}
	return out
}

// waitCount waits until r accepted n requests.
func (r *receiver) waitCount(t *testing.T, n int) {
	t.Helper()
	natstest.WaitFor(t, hangGuard, "waiting for requests", func() bool { return r.count() >= n })
}

// webhook is a forwarder of typ to r with short retries.
func webhook(name string, typ Type, r *receiver) Forwarder {
	return Forwarder{
		Name: name, Type: typ, URL: r.URL, Timeout: 5 * time.Second,
		Retry: Retry{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond},
	}
}

// start starts fws and stops them at cleanup.
func start(t *testing.T, nc *nats.Conn, report func(Status), fws ...Forwarder) *Forwarders {
	t.Helper()
	f, err := Start(context.Background(), nc, &Config{Forwarders: fws}, report)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	return f
}

// exactlyOnce checks that got holds each of want exactly once.
func exactlyOnce(t *testing.T, got, want []string) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Errorf("got %d ids, want each of %d once:\ngot  %v\nwant %v", len(got), len(want), g, w)
	}
}

func jsDeleteStream(t *testing.T, nc *nats.Conn) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	return js.DeleteStream(t.Context(), natsbus.StreamName)
}
