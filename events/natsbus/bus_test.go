package natsbus

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
)

func openBus(t testing.TB, cfg Config) *Bus {
	t.Helper()
	if cfg.Workload == "" {
		cfg.Workload = "w1"
	}
	if cfg.Outbox == "" {
		cfg.Outbox = t.TempDir()
	}
	b, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestPublishWithCloudEventsHeaders(t *testing.T) {
	srv := startServer(t)
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL()}, Workload: "shop.api"})
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("vigil.events.>")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush() // the server has the subscription before the guard publishes
	e := violation("shop.api", 1)
	if err := b.Emit(e); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no event on the bus: %v", err)
	}
	if want := "vigil.events.shop_api.syscall"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	for h, want := range map[string]string{
		"Nats-Msg-Id":    e.ID,
		"ce-id":          e.ID,
		"ce-specversion": "1.0",
		"ce-type":        "dev.vigil.event.syscall",
		"ce-source":      "/vigil/shop_api",
		"ce-time":        e.Time.Format(time.RFC3339Nano),
		"content-type":   "application/json",
	} {
		if got := m.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	got, err := events.Decode(m.Data)
	if err != nil || got.ID != e.ID {
		t.Fatalf("payload: %v, id %q; want event %s", err, got.ID, e.ID)
	}
	waitFor(t, 10*time.Second, "the event acknowledged", func() bool { return b.pending() == 0 })
}

// TestOutage stops the server while 1,000 violations are emitted over a
// few seconds and starts it again on the same store: the stream then holds
// each event once, and their counts add up to 1,000.
func TestOutage(t *testing.T) {
	srv := startServer(t)
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL()}})
	emitted := make(chan error, 1)
	go func() {
		for i := range 1000 {
			if err := b.Emit(violation("w1", i)); err != nil {
				emitted <- err
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		emitted <- nil
	}()
	time.Sleep(500 * time.Millisecond)
	srv.Stop()
	time.Sleep(1500 * time.Millisecond)
	if b.pending() == 0 {
		t.Fatal("nothing waits in the outbox while the server is down")
	}
	srv.Restart()
	if err := <-emitted; err != nil {
		t.Fatalf("Emit: %v", err)
	}
	waitFor(t, 30*time.Second, "every event acknowledged after the restart", func() bool { return b.pending() == 0 })
	checkExactlyOnce(t, srv.StreamEvents(StreamName), events.KindSyscall, 1000)
}

// TestFailedAcksAreReplayedWithoutDuplicates stops the server, and cuts
// the guard's connection, while thousands of events are in flight: some
// were stored and their acknowledgements lost, some never arrived. Every
// one is published again with its id, and the stream keeps one of each.
func TestFailedAcksAreReplayedWithoutDuplicates(t *testing.T) {
	srv := startServer(t)
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL()}})
	const n = 20000
	for i := range n {
		if err := b.Emit(violation("w1", i)); err != nil {
			t.Fatal(err)
		}
		switch i {
		case n / 4:
			srv.Stop()
			srv.Restart()
		case n / 2:
			if nc := b.nc.Load(); nc != nil {
				srv.Srv.DisconnectClientByID(clientID(t, nc))
			}
		}
	}
	waitFor(t, 60*time.Second, "every event acknowledged", func() bool { return b.pending() == 0 })
	checkExactlyOnce(t, srv.StreamEvents(StreamName), events.KindSyscall, n)
}

// TestKilledGuardRestartsOverItsOutbox kills (SIGKILL) a guard process
// while it publishes and starts another over the same outbox: the stream
// holds every event exactly once.
func TestKilledGuardRestartsOverItsOutbox(t *testing.T) {
	srv := startServer(t)
	outbox := t.TempDir()
	const n = 3000
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperGuard$")
	cmd.Env = append(os.Environ(), "NATSBUS_HELPER_URL="+srv.URL(), "NATSBUS_HELPER_OUTBOX="+outbox,
		"NATSBUS_HELPER_EVENTS="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	ready, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := ready.Read(buf); err != nil || string(buf) != "ready" {
		t.Fatalf("helper: %q, %v", buf, err)
	}
	// Everything emitted; part of it acknowledged, the rest on its way.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stored := len(srv.StreamEvents(StreamName))
	t.Logf("the killed guard got %d of %d events stored", stored, n)
	if stored == n {
		t.Log("all stored before the kill: the restart has nothing to replay, but must not duplicate")
	}
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL()}, Outbox: outbox})
	waitFor(t, 30*time.Second, "the outbox replayed", func() bool { return b.pending() == 0 })
	checkExactlyOnce(t, srv.StreamEvents(StreamName), events.KindSyscall, n)
}

// TestHelperGuard is the guard TestKilledGuardRestartsOverItsOutbox kills.
func TestHelperGuard(t *testing.T) {
	url := os.Getenv("NATSBUS_HELPER_URL")
	if url == "" {
		t.Skip("helper process of TestKilledGuardRestartsOverItsOutbox")
	}
	n, _ := strconv.Atoi(os.Getenv("NATSBUS_HELPER_EVENTS"))
	b, err := Open(Config{Conn: Conn{URLs: url}, Workload: "w1", Outbox: os.Getenv("NATSBUS_HELPER_OUTBOX")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := b.Emit(violation("w1", i)); err != nil {
			t.Fatal(err)
		}
	}
	os.Stdout.WriteString("ready")
	time.Sleep(time.Minute) // killed before this ends
}

// TestServerDownAtStart starts the guard with no server: events wait in the
// outbox, survive a clean stop, and a later guard delivers them.
func TestServerDownAtStart(t *testing.T) {
	srv := startServer(t)
	srv.Stop()
	outbox := t.TempDir()
	b, err := Open(Config{Conn: Conn{URLs: srv.URL()}, Workload: "w1", Outbox: outbox, FlushTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := b.Emit(violation("w1", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "the connection error in the stats", func() bool { return b.Stats().LastPublishError != "" })
	if st := b.Stats(); st.OutboxRecords != 100 || !strings.Contains(st.LastPublishError, "no servers available") {
		t.Errorf("stats with the server down = %+v, want no servers available and 100 events waiting", st)
	}
	if err := b.Close(); err == nil {
		t.Error("Close with 100 events undelivered reported nothing")
	}
	srv.Restart()
	b2 := openBus(t, Config{Conn: Conn{URLs: srv.URL()}, Outbox: outbox})
	waitFor(t, 30*time.Second, "the outbox delivered", func() bool { return b2.pending() == 0 })
	checkExactlyOnce(t, srv.StreamEvents(StreamName), events.KindSyscall, 100)
}

// TestFullOutboxDropsLeastSevereFirst fills a small outbox with the server
// down: low-severity events are refused first, critical ones still fit,
// and once delivered, the dropped event accounts for every refused one.
func TestFullOutboxDropsLeastSevereFirst(t *testing.T) {
	srv := startServer(t)
	srv.Stop()
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL()}, OutboxBytes: 256 << 10})
	low := func(i int) events.Event {
		e := violation("w1", i)
		e.Severity, e.Rule = events.SeverityLow, "noisy"
		return e
	}
	var keptLow, lostLow int64
	for i := range 2000 {
		err := b.Emit(low(i))
		switch {
		case err == nil:
			keptLow++
		case errors.Is(err, events.ErrDropped):
			lostLow++
		default:
			t.Fatal(err)
		}
	}
	if lostLow == 0 {
		t.Fatalf("2,000 events into a 256 KiB outbox: none dropped")
	}
	var keptCrit int64
	for i := range 20 {
		e := violation("w1", i)
		e.Severity = events.SeverityCritical
		if err := b.Emit(e); err != nil {
			t.Fatalf("critical event %d refused while low ones fill the outbox: %v", i, err)
		}
		keptCrit++
	}
	srv.Restart()
	waitFor(t, 30*time.Second, "the outbox delivered, the dropped event included", func() bool {
		b.mu.Lock()
		reported := len(b.drops) == 0
		b.mu.Unlock()
		return reported && b.pending() == 0
	})
	evs := srv.StreamEvents(StreamName)
	checkExactlyOnce(t, evs, events.KindSyscall, keptLow+keptCrit)
	var reported int64
	for _, e := range evs {
		if e.Kind != events.KindDropped {
			continue
		}
		var d events.DroppedDetails
		if err := e.DetailsAs(&d); err != nil {
			t.Fatal(err)
		}
		for _, g := range d.Lost {
			if g.Rule != "noisy" || g.Severity != events.SeverityLow {
				t.Errorf("dropped group %+v: only the low events were refused", g)
			}
			reported += g.Count
		}
	}
	if reported != lostLow {
		t.Errorf("dropped events report %d lost, %d were refused", reported, lostLow)
	}
}

func TestHeartbeatsStopWithTheGuard(t *testing.T) {
	srv := startServer(t)
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL()}, Heartbeat: 50 * time.Millisecond})
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("vigil.heartbeat.w1")
	if err != nil {
		t.Fatal(err)
	}
	b.Emit(violation("w1", 0))
	// Heartbeats come every 50 ms; one soon says the event was published.
	var last events.HeartbeatDetails
	for beats := 0; last.Published[events.KindSyscall] != 1; beats++ {
		if beats == 100 {
			t.Fatalf("100 heartbeats and none counts the event published; the last: %+v", last)
		}
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("heartbeat: %v", err)
		}
		e, err := events.Decode(m.Data)
		if err != nil || e.Kind != events.KindHeartbeat {
			t.Fatalf("heartbeat %q: %v", m.Data, err)
		}
		if err := e.DetailsAs(&last); err != nil {
			t.Fatal(err)
		}
	}
	if last.OutboxRecords != 0 || last.Dropped != 0 {
		t.Errorf("heartbeat counters %+v, want nothing waiting or dropped", last)
	}
	b.Close()
	time.Sleep(100 * time.Millisecond) // what was already on its way
	for {
		if _, err := sub.NextMsg(time.Millisecond); err != nil {
			break
		}
	}
	if m, err := sub.NextMsg(500 * time.Millisecond); err == nil {
		t.Fatalf("a heartbeat 10 periods after the guard stopped: %s", m.Data)
	}
}

func clientID(t testing.TB, nc *nats.Conn) uint64 {
	t.Helper()
	id, err := nc.GetClientID()
	if err != nil {
		return 0 // reconnecting: nothing to cut
	}
	return id
}

// TestTooLargeIsDroppedAndReported: an event over the stream's message
// size is refused at Emit and accounted for by a dropped event.
func TestTooLargeIsDroppedAndReported(t *testing.T) {
	srv := startServer(t)
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL()}})
	e := violation("w1", 0)
	e.Process.Argv = []string{strings.Repeat("A", MaxEventBytes)}
	if err := b.Emit(e); !errors.Is(err, events.ErrDropped) {
		t.Fatalf("Emit of a %d-byte argv = %v, want ErrDropped", MaxEventBytes, err)
	}
	waitFor(t, 10*time.Second, "the dropped event delivered", func() bool { return b.pending() == 0 })
	evs := srv.StreamEvents(StreamName)
	if len(evs) != 1 || evs[0].Kind != events.KindDropped || evs[0].Count != 1 {
		t.Fatalf("stream = %+v, want one dropped event of count 1", evs)
	}
	var d events.DroppedDetails
	if err := evs[0].DetailsAs(&d); err != nil || d.Reason != "too large" || len(d.Lost) != 1 || d.Lost[0].Rule != e.Rule || d.Bytes <= MaxEventBytes {
		t.Errorf("dropped details %+v, %v: want too large, one group of rule %s, the size", d, err, e.Rule)
	}
}

// TestRefusedEventDoesNotBlockTheOutbox: a pre-created stream with a
// smaller message limit refuses an event for good; it is dropped and
// reported, and the events after it are delivered.
func TestRefusedEventDoesNotBlockTheOutbox(t *testing.T) {
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
	cfg := StreamConfig(StreamLimits{})
	cfg.MaxMsgSize = 2048
	if _, err := js.CreateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL()}})
	big := violation("w1", 1)
	big.Process.Argv = []string{strings.Repeat("A", 4096)}
	for _, e := range []events.Event{violation("w1", 0), big, violation("w1", 2)} {
		if err := b.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "the outbox drained past the refused event", func() bool { return b.pending() == 0 })
	evs := srv.StreamEvents(StreamName)
	var syscalls, dropped int64
	for _, e := range evs {
		switch e.Kind {
		case events.KindSyscall:
			syscalls += e.Count
		case events.KindDropped:
			var d events.DroppedDetails
			if err := e.DetailsAs(&d); err != nil || d.Reason != "too large" {
				t.Errorf("dropped event %+v: %v", d, err)
			}
			dropped += e.Count
		}
	}
	if syscalls != 2 || dropped != 1 {
		t.Errorf("stream: %d syscall events, %d dropped; want 2 and 1", syscalls, dropped)
	}
}

// TestCloseRightAfterOpenDelivers: a short-lived app's guard closes the
// bus before its first connection is made; the events still go out.
func TestCloseRightAfterOpenDelivers(t *testing.T) {
	srv := startServer(t)
	for i := range 5 {
		b, err := Open(Config{Conn: Conn{URLs: srv.URL()}, Workload: "w1", Outbox: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Emit(violation("w1", i)); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("run %d: Close: %v", i, err)
		}
	}
	checkExactlyOnce(t, srv.StreamEvents(StreamName), events.KindSyscall, 5)
}
