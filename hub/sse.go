package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

const (
	// keepAlive is the period of the SSE comment that keeps proxies from
	// closing an idle stream.
	keepAlive = 15 * time.Second
	// writeWait bounds one write to an SSE client: one that reads
	// nothing for this long is dropped.
	writeWait = 30 * time.Second
	// retryMillis is the reconnection delay the stream asks browsers for.
	retryMillis = "3000"
	// retryAfterFull is the Retry-After, in seconds, of a stream refused
	// because maxClients are open.
	retryAfterFull = "10"
	// replayChunk is how much of a replay is written at once: a replay
	// may be every event held (MaxBytes), which is not to be copied into
	// one buffer per client.
	replayChunk = 256 << 10
)

// stream serves GET /api/events/stream: the events that match the
// filters as they come, after those held after Last-Event-ID, and the
// workloads as they change.
func (h *Hub) stream(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	c := h.broker.subscribe(f)
	if c == nil {
		w.Header().Set("Retry-After", retryAfterFull)
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("%d event streams open, the most the hub serves: try again later", maxClients))
		return
	}
	defer h.broker.unsubscribe(c)
	out := &sseWriter{w: w, rc: http.NewResponseController(w)}
	if err := out.endless(); err != nil {
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	out.raw("retry: " + retryMillis + "\n\n")
	var upTo uint64 // live events up to here were replayed
	if last := r.Header.Get("Last-Event-ID"); last != "" && validID(last) {
		var held []*entry
		held, upTo = h.view.after(last, f)
		if out.replay(held) != nil {
			return
		}
	}
	if out.flush() != nil {
		return
	}
	h.serveLive(r, c, out, upTo)
}

// serveLive writes what the broker sends c until the client goes, is
// dropped, or a write fails.
func (h *Hub) serveLive(r *http.Request, c *client, out *sseWriter, upTo uint64) {
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.ended:
			out.raw(": the hub is stopping\n\n")
			out.flush() //nolint:errcheck // the stream ends anyway
			return
		case <-c.gone:
			out.raw(": dropped: this client fell behind; reconnect with Last-Event-ID to resume\n\n")
			out.flush() //nolint:errcheck // the stream ends anyway
			return
		case <-tick.C:
			out.raw(": keep-alive\n\n")
		case m := <-c.ch:
			out.message(m, upTo)
			for drained := 0; drained < 64 && len(c.ch) > 0; drained++ {
				out.message(<-c.ch, upTo)
			}
		}
		if out.flush() != nil {
			return
		}
	}
}

// sseWriter writes SSE messages, each write bounded by writeWait; after
// an error it writes nothing more.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf bytes.Buffer
	err error
}

func (s *sseWriter) raw(text string) { s.buf.WriteString(text) }

// endless lifts the server's ReadTimeout off the connection: a stream
// reads nothing after its request and lasts as long as the client stays.
func (s *sseWriter) endless() error {
	if err := s.rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("lifting the read deadline of an event stream: %w", err)
	}
	return nil
}

// replay writes held, a replayChunk at a time.
func (s *sseWriter) replay(held []*entry) error {
	for _, e := range held {
		s.event(e.id, e.raw)
		if s.buf.Len() >= replayChunk {
			if err := s.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *sseWriter) message(m message, upTo uint64) {
	if m.pos != 0 && m.pos <= upTo {
		return // replayed already
	}
	if m.kind == "event" {
		s.event(m.id, m.data)
		return
	}
	s.buf.WriteString("event: " + m.kind + "\n")
	s.data(m.data)
}

func (s *sseWriter) event(id string, data []byte) {
	s.buf.WriteString("id: " + id + "\nevent: event\n")
	s.data(data)
}

// data writes one data field per line of b: a line break in b cannot
// end the message early. SSE ends a line at CR, LF or CRLF; JSON allows
// each between tokens (never raw in a string), so an event's lines,
// joined again with LF as EventSource does, are the same JSON value.
func (s *sseWriter) data(b []byte) {
	for len(b) > 0 {
		line, rest := b, []byte(nil)
		if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
			line, rest = b[:i], b[i+1:]
			if b[i] == '\r' && len(rest) > 0 && rest[0] == '\n' {
				rest = rest[1:]
			}
		}
		s.buf.WriteString("data: ")
		s.buf.Write(line)
		s.buf.WriteByte('\n')
		b = rest
	}
	s.buf.WriteByte('\n')
}

func (s *sseWriter) flush() error {
	if s.err != nil {
		return s.err
	}
	if err := s.rc.SetWriteDeadline(time.Now().Add(writeWait)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
		return err
	}
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		s.err = err
		return err
	}
	s.buf.Reset()
	if err := s.rc.Flush(); err != nil {
		s.err = err
	}
	return s.err
}

// workloadMessage is the SSE message of a workload's change.
func workloadMessage(w Workload) message {
	b, err := json.Marshal(w)
	if err != nil {
		b = []byte(`{}`) // a Workload always marshals
	}
	return message{kind: "workload", data: b, workload: w.Workload}
}
