package events

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	s := NewJSONLines(&buf)
	want := []Event{syscallEvent(t, "ptrace", "/usr/bin/gdb"), fileEvent(t, "/etc/passwd"), heartbeatEvent()}
	for _, e := range want {
		if err := s.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, line := range lines {
		e, err := Decode([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if e.ID != want[i].ID {
			t.Errorf("line %d has id %s, want %s", i+1, e.ID, want[i].ID)
		}
	}
}

func TestJSONLinesConcurrent(t *testing.T) {
	var buf bytes.Buffer
	s := NewJSONLines(&buf)
	const goroutines, each = 16, 200
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				if err := s.Emit(syscallEvent(t, "ptrace", "/usr/bin/gdb")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	n := 0
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		if _, err := Decode(sc.Bytes()); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
	}
	if n != goroutines*each {
		t.Errorf("got %d lines, want %d", n, goroutines*each)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestJSONLinesErrors(t *testing.T) {
	errDisk := errors.New("disk on fire")
	tests := []struct {
		name       string
		giveWriter func() *JSONLines
		giveEvent  Event
		wantIs     error
	}{
		{
			name:       "write error",
			giveWriter: func() *JSONLines { return NewJSONLines(failingWriter{errDisk}) },
			giveEvent:  heartbeatEvent(),
			wantIs:     errDisk,
		},
		{
			name:       "invalid event",
			giveWriter: func() *JSONLines { return NewJSONLines(&bytes.Buffer{}) },
			giveEvent:  Event{Kind: KindExec},
			wantIs:     ErrInvalid,
		},
		{
			name: "closed",
			giveWriter: func() *JSONLines {
				s := NewJSONLines(&bytes.Buffer{})
				s.Close()
				return s
			},
			giveEvent: heartbeatEvent(),
			wantIs:    ErrClosed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.giveWriter()
			if err := s.Emit(tt.giveEvent); !errors.Is(err, tt.wantIs) {
				t.Errorf("Emit() = %v, want %v", err, tt.wantIs)
			}
			if s.Errors() != 1 {
				t.Errorf("Errors() = %d, want 1", s.Errors())
			}
		})
	}
}

func TestJSONLinesCloseFlushes(t *testing.T) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	s := NewJSONLines(w)
	if err := s.Emit(heartbeatEvent()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "}\n") {
		t.Errorf("after Close the writer holds %q, want the event line", buf.String())
	}
}
