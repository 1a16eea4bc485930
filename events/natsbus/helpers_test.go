package natsbus

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
)

// natsServer is a real NATS server with JetStream, embedded, that can be
// stopped and started again on the same port and store.
type natsServer struct {
	t    testing.TB
	opts server.Options
	srv  *server.Server
}

func startServer(t testing.TB, configure ...func(*server.Options)) *natsServer {
	t.Helper()
	s := &natsServer{t: t, opts: server.Options{
		Host:      "127.0.0.1",
		Port:      freePort(t),
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoLog:     true,
		NoSigs:    true,
	}}
	for _, c := range configure {
		c(&s.opts)
	}
	s.start()
	t.Cleanup(s.stop)
	return s
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

func (s *natsServer) start() {
	s.t.Helper()
	opts := s.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		s.t.Fatalf("nats server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("nats server not ready after 10s")
	}
	s.srv = srv
}

func (s *natsServer) stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

func (s *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.opts.Port) }

// streamEvents reads every event the stream holds.
func (s *natsServer) streamEvents(opts ...nats.Option) []events.Event {
	s.t.Helper()
	nc, err := nats.Connect(s.url(), opts...)
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
	st, err := js.Stream(ctx, StreamName)
	if err != nil {
		s.t.Fatalf("stream %s: %v", StreamName, err)
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

// violation is a syscall event as the notifier makes them.
func violation(workload string, i int) events.Event {
	e := events.New(events.KindSyscall, "seccomp.default", events.SeverityHigh, events.ActionDeny)
	e.Workload = workload
	e.Process = &events.Process{PID: int32(1000 + i), PPID: 1, Exe: "/bin/app"}
	if err := e.SetDetails(events.SyscallDetails{Name: "ptrace", Nr: 101, Arch: "x86_64", Errno: 1}); err != nil {
		panic(err)
	}
	return e
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkExactlyOnce checks that evs hold each id once and that the counts of
// the kind given add up to want.
func checkExactlyOnce(t testing.TB, evs []events.Event, kind events.Kind, want int64) {
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
