package events

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// JSONLines is a Sink that writes each event as one line of JSON to an
// io.Writer: stderr when no bus is configured, so `docker logs` shows the
// events next to vigil's own log lines.
//
// Writes are serialized, so lines never interleave; Emit blocks only as
// long as one write to w does.
type JSONLines struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
	errors atomic.Uint64
}

var _ Sink = (*JSONLines)(nil)

// NewJSONLines returns a JSONLines sink writing to w. Close flushes w if it
// has a Flush method (a *bufio.Writer) but never closes it.
func NewJSONLines(w io.Writer) *JSONLines {
	return &JSONLines{w: w}
}

var _ ValidatedSink = (*JSONLines)(nil)

// Emit validates, encodes and writes e. An invalid event or a failed write
// is returned and counted in Errors.
func (s *JSONLines) Emit(e Event) error { return s.write(e, Encode) }

// EmitValidated is Emit for an event the caller has validated.
func (s *JSONLines) EmitValidated(e Event) error { return s.write(e, EncodeValid) }

func (s *JSONLines) write(e Event, encode func(Event) ([]byte, error)) error {
	line, err := encode(e)
	if err != nil {
		s.errors.Add(1)
		return err
	}
	line = append(line, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.errors.Add(1)
		return ErrClosed
	}
	if _, err := s.w.Write(line); err != nil {
		s.errors.Add(1)
		return fmt.Errorf("writing event %s: %w", e.ID, err)
	}
	return nil
}

// Errors returns how many events Emit failed to write, for any reason.
func (s *JSONLines) Errors() uint64 { return s.errors.Load() }

// Close flushes the writer if it buffers; later Emits return ErrClosed.
func (s *JSONLines) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if f, ok := s.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return fmt.Errorf("flushing events: %w", err)
		}
	}
	return nil
}
