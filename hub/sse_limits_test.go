package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// scanSSELines splits a stream into lines as an EventSource does: at
// CRLF, CR or LF.
func scanSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	i := bytes.IndexAny(data, "\r\n")
	switch {
	case i < 0 && atEOF && len(data) > 0:
		return len(data), data, nil
	case i < 0:
		return 0, nil, nil
	case data[i] == '\n':
		return i + 1, data[:i], nil
	case i+1 < len(data):
		if data[i+1] == '\n' {
			return i + 2, data[:i], nil
		}
		return i + 1, data[:i], nil
	case atEOF:
		return i + 1, data[:i], nil
	}
	return 0, nil, nil // a CR at the end: an LF may follow
}

// TestStreamLineBreaks: an event whose JSON has CR, LF or CRLF between
// its tokens (valid JSON white space) reaches an EventSource whole,
// which splits lines at each of them.
func TestStreamLineBreaks(t *testing.T) {
	tests := []struct {
		name      string
		giveBreak string
	}{
		{name: "CR", giveBreak: "\r"},
		{name: "LF", giveBreak: "\n"},
		{name: "CRLF", giveBreak: "\r\n"},
		{name: "LF CR", giveBreak: "\n\r"},
	}
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	ms := openStream(t, srv, "/api/events/stream", "")
	waitFor(t, "a client", func() bool { return h.broker.count() == 1 })
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := syscallEvent("w1", "deny-ptrace", events.SeverityHigh, "/usr/bin/gdb")
			line := mustEncode(t, e)
			raw := strings.ReplaceAll(line, `,"`, ","+tt.giveBreak+`"`)
			if _, err := js.Publish(context.Background(), natsbus.Subject(e.Workload, e.Kind), []byte(raw)); err != nil {
				t.Fatal(err)
			}
			m := nextEvent(t, ms)
			got, err := events.Decode([]byte(m.data))
			if err != nil || got.ID != e.ID {
				t.Fatalf("the stream's event %q: %v, want event %s", m.data, err, e.ID)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(m.data)); err != nil || compact.String() != line {
				t.Errorf("the stream's event, compacted: %s (%v), want %s", compact.String(), err, line)
			}
		})
	}
}

// TestStreamOutlivesReadTimeout: a server's ReadTimeout, which bounds
// the reading of requests, does not end an event stream, which reads
// nothing after its request; over HTTP/1.1 and HTTP/2 (vigil-hub's over
// TLS). It guards vigil-hub's ReadTimeout of 30 s, not the stream's own
// clearing of its read deadline: net/http of Go 1.26 already clears it
// once it reads a request's body, so this passes without that too.
func TestStreamOutlivesReadTimeout(t *testing.T) {
	const readTimeout = 100 * time.Millisecond
	tests := []struct {
		name      string
		giveHTTP2 bool
	}{
		{name: "HTTP/1.1"},
		{name: "HTTP/2", giveHTTP2: true},
	}
	url := startNATS(t)
	h := startHub(t, url, Config{})
	pub := newPublisher(t, url)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(h.Handler())
			srv.Config.ReadTimeout = readTimeout
			if tt.giveHTTP2 {
				srv.EnableHTTP2 = true
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			ms := openStream(t, srv, "/api/events/stream", "")
			waitFor(t, "a client", func() bool { return h.broker.count() == 1 })
			time.Sleep(10 * readTimeout) // past the read deadline: not a timing assertion
			e := fileEvent("w1")
			pub.publish(e)
			if m := nextEvent(t, ms); m.id != e.ID {
				t.Errorf("event %s, want %s", m.id, e.ID)
			}
			srv.CloseClientConnections()
			waitFor(t, "no client", func() bool { return h.broker.count() == 0 })
		})
	}
}

// writeRecorder is an http.ResponseWriter that keeps the size of each
// write.
type writeRecorder struct {
	header http.Header
	mu     sync.Mutex
	writes []int
	ids    int // "id: " fields written
}

func (w *writeRecorder) Header() http.Header { return w.header }
func (w *writeRecorder) WriteHeader(int)     {}
func (w *writeRecorder) Flush()              {}

func (w *writeRecorder) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, len(b))
	w.ids += bytes.Count(b, []byte("\nid: ")) + bytes.Count(b[:min(len(b), 4)], []byte("id: "))
	return len(b), nil
}

func (w *writeRecorder) seen() (ids int, writes []int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ids, append([]int(nil), w.writes...)
}

// TestReplayInChunks: a Last-Event-ID the hub does not hold replays every
// event held, and the stream writes them a replayChunk at a time, not
// all at once from one buffer.
func TestReplayInChunks(t *testing.T) {
	const n = 400
	url := startNATS(t)
	h := startHub(t, url, Config{})
	pub := newPublisher(t, url)
	var size int
	for range n {
		e := syscallEvent("w1", "deny-ptrace", events.SeverityHigh, "/usr/bin/"+strings.Repeat("x", 2000))
		size = max(size, len(mustEncode(t, e)))
		pub.publish(e)
	}
	waitHeld(t, h.Hub, n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/events/stream", nil)
	req.Header.Set("Last-Event-ID", ulid.Make().String())
	w := &writeRecorder{header: http.Header{}}
	done := make(chan struct{})
	go func() { defer close(done); h.stream(w, req) }()
	waitFor(t, "the replay", func() bool { ids, _ := w.seen(); return ids >= n })
	cancel()
	<-done
	_, writes := w.seen()
	limit := replayChunk + size + 1024 // a chunk, the event that passed it, its SSE fields
	for i, got := range writes {
		if got > limit {
			t.Errorf("write %d of the replay: %d bytes, want at most %d", i, got, limit)
		}
	}
}

// TestStreamsBounded: past maxClients streams, the next is refused with
// 503 and Retry-After, until one ends.
func TestStreamsBounded(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	var held []*client
	for range maxClients {
		c := h.broker.subscribe(filter{})
		if c == nil {
			t.Fatalf("subscription %d of %d refused", len(held)+1, maxClients)
		}
		held = append(held, c)
	}
	resp := streamGet(t, srv)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("stream %d: %s, Retry-After %q; want 503 and a Retry-After", maxClients+1, resp.Status, resp.Header.Get("Retry-After"))
	}
	h.broker.unsubscribe(held[0])
	resp = streamGet(t, srv)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a stream once one ended: %s, want 200", resp.Status)
	}
}

func streamGet(t *testing.T, srv *httptest.Server) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
