// Package natstest runs a real NATS server (nats-server, embedded) with
// JetStream for tests, and reads back what vigil published. Only tests
// import it: the guard never links the server.
package natstest

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
)

// Server is a real NATS server with JetStream, embedded, that can be
// stopped and started again on the same port and store.
type Server struct {
	t    testing.TB
	Opts server.Options
	// Srv is the running server, nil while stopped.
	Srv *server.Server
}

// Start starts a server on a free port of 127.0.0.1 with JetStream on a
// temporary store, configured further by configure; it stops at cleanup.
func Start(t testing.TB, configure ...func(*server.Options)) *Server {
	t.Helper()
	s := &Server{t: t, Opts: server.Options{
		Host:      "127.0.0.1",
		Port:      freePort(t),
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoLog:     os.Getenv("NATSTEST_LOG") == "",
		NoSigs:    true,
	}}
	for _, c := range configure {
		c(&s.Opts)
	}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// StartConfig starts a server configured by the nats-server
// configuration file path, on a free port and a temporary store.
func StartConfig(t testing.TB, path string) *Server {
	t.Helper()
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return Start(t, func(o *server.Options) {
		port, store := o.Port, o.StoreDir
		*o = *opts
		o.Host, o.Port, o.StoreDir, o.NoLog, o.NoSigs = "127.0.0.1", port, store, true, true
	})
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Restart starts the server again, on the same port and store.
func (s *Server) Restart() {
	s.t.Helper()
	opts := s.Opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		s.t.Fatalf("nats server: %v", err)
	}
	if !s.Opts.NoLog {
		srv.ConfigureLogger()
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("nats server not ready after 10s")
	}
	s.Srv = srv
}

// Stop shuts the server down; Restart starts it again on the same
// port and store.
func (s *Server) Stop() {
	if s.Srv != nil {
		s.Srv.Shutdown()
		s.Srv.WaitForShutdown()
		s.Srv = nil
	}
}

// URL is the server's client URL.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.Opts.Port) }

// StreamEvents reads every event the stream holds.
func (s *Server) StreamEvents(stream string, opts ...nats.Option) []events.Event {
	s.t.Helper()
	nc, err := nats.Connect(s.URL(), opts...)
	if err != nil {
		s.t.Fatalf("connecting to read the stream: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		s.t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []events.Event
	if info.State.Msgs == 0 {
		return out
	}
	c, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		s.t.Fatal(err)
	}
	for uint64(len(out)) < info.State.Msgs {
		msg, err := c.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			s.t.Fatalf("reading message %d of %d: %v", len(out)+1, info.State.Msgs, err)
		}
		e, err := events.Decode(msg.Data())
		if err != nil {
			s.t.Fatalf("message %d is not an event: %v", len(out)+1, err)
		}
		out = append(out, e)
	}
	return out
}

// WaitFor polls cond until it holds or d passes.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CheckExactlyOnce checks that evs hold each id once and that the counts
// of the events of kind add up to want.
func CheckExactlyOnce(t testing.TB, evs []events.Event, kind events.Kind, want int64) {
	t.Helper()
	seen := map[string]bool{}
	var sum int64
	for _, e := range evs {
		if seen[e.ID] {
			t.Errorf("event %s stored twice", e.ID)
		}
		seen[e.ID] = true
		if e.Kind == kind {
			sum += e.Count
		}
	}
	if sum != want {
		t.Errorf("the %s events' counts add up to %d, want %d", kind, sum, want)
	}
}
