package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/natstest"
)

// sseMessage is one message read from the stream.
type sseMessage struct {
	id, event, data string
}

// openStream connects to the SSE stream at path with the test token
// (and lastID as Last-Event-ID when set) and returns its messages; the
// connection ends with the test.
func openStream(t *testing.T, srv *httptest.Server, path, lastID string) <-chan sseMessage {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseMessage, 100_000)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		sc.Split(scanSSELines)
		var m sseMessage
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m.event != "" {
					m.data = strings.Join(data, "\n")
					out <- m
				}
				m, data = sseMessage{}, nil
			case strings.HasPrefix(line, "id: "):
				m.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[6:])
			}
		}
	}()
	return out
}

// nextEvent returns the next event message of ms, skipping the others.
func nextEvent(t *testing.T, ms <-chan sseMessage) sseMessage {
	t.Helper()
	return nextOf(t, ms, "event")
}

func nextOf(t *testing.T, ms <-chan sseMessage, kind string) sseMessage {
	t.Helper()
	deadline := time.After(hang)
	for {
		select {
		case m, ok := <-ms:
			if !ok {
				t.Fatalf("stream ended before a %s message", kind)
			}
			if m.event == kind {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s message after %v", kind, hang)
		}
	}
}

// TestStream checks that a client of the stream gets new events, as on
// the bus, with their id, and only those its filters select.
func TestStream(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	all := openStream(t, srv, "/api/events/stream", "")
	files := openStream(t, srv, "/api/events/stream?kind=file&workload=shop", "")
	natstest.WaitFor(t, hang, "two clients", func() bool { return h.broker.count() == 2 })
	pub := newPublisher(t, url)
	sys, file := syscallEvent("shop", "deny-ptrace", events.SeverityHigh, "/usr/bin/gdb"), fileEvent("shop")
	pub.publish(sys, file)
	for _, want := range []events.Event{sys, file} {
		m := nextEvent(t, all)
		line, _ := events.Encode(want)
		if m.id != want.ID || m.data != string(line) {
			t.Errorf("message id %s data %s, want %s %s", m.id, m.data, want.ID, line)
		}
	}
	if m := nextEvent(t, files); m.id != file.ID {
		t.Errorf("filtered stream: %s, want the file event %s", m.id, file.ID)
	}
}

// TestStreamWorkloads checks the workload messages: a guard that
// starts, then stops.
func TestStreamWorkloads(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	ms := openStream(t, srv, "/api/events/stream", "")
	natstest.WaitFor(t, hang, "a client", func() bool { return h.broker.count() == 1 })
	code := 0
	newPublisher(t, url).publish(startedEvent("shop"), lifecycleEvent("shop", events.LifecycleDetails{What: "stopped", ExitCode: &code}))
	for _, want := range []string{StateLive, StateStopped} {
		var w Workload
		if err := json.Unmarshal([]byte(nextOf(t, ms, "workload").data), &w); err != nil {
			t.Fatal(err)
		}
		if w.Workload != "shop" || w.State != want {
			t.Errorf("workload %+v, want shop %s", w, want)
		}
	}
}

// TestStreamResume checks Last-Event-ID: a client that reconnects gets
// what the hub holds after that id, then what comes, each once.
func TestStreamResume(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	pub := newPublisher(t, url)
	var evs []events.Event
	for range 4 {
		evs = append(evs, fileEvent("shop"))
	}
	pub.publish(evs[:3]...)
	waitHeld(t, h.Hub, 3)
	tests := []struct {
		name     string
		giveLast string
		wantIDs  []string
	}{
		{name: "after the first", giveLast: evs[0].ID, wantIDs: []string{evs[1].ID, evs[2].ID}},
		{name: "after the last", giveLast: evs[2].ID, wantIDs: nil},
		{name: "an id no longer held: all", giveLast: "00000000000000000000000000", wantIDs: []string{evs[0].ID, evs[1].ID, evs[2].ID}},
	}
	streams := make([]<-chan sseMessage, len(tests))
	for i, tt := range tests {
		streams[i] = openStream(t, srv, "/api/events/stream", tt.giveLast)
	}
	natstest.WaitFor(t, hang, "the clients", func() bool { return h.broker.count() == len(tests) })
	pub.publish(evs[3])
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, want := range append(tt.wantIDs, evs[3].ID) {
				if m := nextEvent(t, streams[i]); m.id != want {
					t.Errorf("event %s, want %s", m.id, want)
				}
			}
		})
	}
}

// TestSlowClient checks that a client that reads nothing blocks neither
// ingest nor another client: it is dropped.
func TestSlowClient(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	// A client that sends its request and never reads.
	slow, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "GET /api/events/stream HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer %s\r\n\r\n", testToken)
	natstest.WaitFor(t, hang, "the slow client", func() bool { return h.broker.count() == 1 })
	fast := openStream(t, srv, "/api/events/stream", "")
	natstest.WaitFor(t, hang, "the fast client", func() bool { return h.broker.count() == 2 })
	// Enough to fill the slow client's buffer and its socket's: 5,000
	// events of 4 KiB.
	const n = 5000
	big := strings.Repeat("x", 4096)
	pub := newPublisher(t, url)
	var last events.Event
	for i := range n {
		last = fileEvent("shop")
		last.Process = &events.Process{PID: int32(i + 1), Argv: []string{"app", big}}
		pub.publish(last)
	}
	waitHeld(t, h.Hub, n)
	for m := nextEvent(t, fast); m.id != last.ID; m = nextEvent(t, fast) {
	}
	natstest.WaitFor(t, hang, "the slow client dropped", func() bool { return h.broker.count() == 1 })
}

// TestBrokerNeverWaits checks the fan-out alone: a full client is
// dropped, the others still get every message.
func TestBrokerNeverWaits(t *testing.T) {
	b := newBroker()
	stuck, live := b.subscribe(filter{}), b.subscribe(filter{})
	got := 0
	for i := range clientBuffer + 10 {
		b.send(message{kind: "workload", workload: "w", data: []byte(fmt.Sprint(i))})
		<-live.ch
		got++
	}
	select {
	case <-stuck.gone:
	default:
		t.Error("a client that reads nothing was not dropped")
	}
	if b.count() != 1 || got != clientBuffer+10 {
		t.Errorf("%d clients left, %d messages to the live one; want 1 and %d", b.count(), got, clientBuffer+10)
	}
}
