package events

import (
	"encoding/json"
	"sync"
	"testing"
)

// syscallEvent returns a valid syscall event, as the notify loop would emit.
func syscallEvent(t testing.TB, name, exe string) Event {
	t.Helper()
	e := New(KindSyscall, "deny-ptrace", SeverityHigh, ActionDeny)
	e.Workload = "shop-api"
	e.Container = Container{ID: "4f1c2a9e8b7d", Image: "registry.example.com/shop-api:1.4.2", Hostname: "shop-api-7d9f"}
	e.Process = &Process{
		PID: 42, PPID: 1, UID: 1000, GID: 1000, Exe: exe,
		Argv:     []string{exe, "-p", "1"},
		Ancestry: []Ancestor{{PID: 1, Exe: "/usr/local/bin/vigil"}},
	}
	err := e.SetDetails(SyscallDetails{
		Name: name, Nr: 101, Arch: "x86_64", Args: [6]uint64{16, 1, 0, 0, 0, 0},
		Decoded: map[string]string{"0": "PTRACE_ATTACH"}, Errno: 1, Intended: ActionDeny,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// fileEvent returns a valid file event for path.
func fileEvent(t testing.TB, path string) Event {
	t.Helper()
	e := New(KindFile, "drift-bin", SeverityCritical, ActionAlert)
	e.Workload = "shop-api"
	if err := e.SetDetails(FileDetails{Path: path, Op: "write"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// netEvent returns a valid network event: a denied connect.
func netEvent(t testing.TB, addr string, port int) Event {
	t.Helper()
	e := New(KindNetwork, "network.egress.default", SeverityMedium, ActionDeny)
	e.Workload = "shop-api"
	e.Process = &Process{PID: 7, Exe: "/usr/bin/curl", Argv: []string{"curl", addr}}
	if err := e.SetDetails(NetworkDetails{Direction: "egress", Syscall: "connect", Protocol: "tcp", Address: addr, Port: port, Errno: 111}); err != nil {
		t.Fatal(err)
	}
	return e
}

// heartbeatEvent returns a valid heartbeat, a kind never aggregated.
func heartbeatEvent() Event {
	e := New(KindHeartbeat, "vigil.heartbeat", SeverityInfo, ActionAlert)
	e.Workload = "shop-api"
	return e
}

func lifecycleEvent(t *testing.T, d LifecycleDetails) Event {
	t.Helper()
	return withDetails(t, New(KindLifecycle, "vigil.lifecycle", SeverityInfo, ActionAlert), d)
}

func droppedEvent(t *testing.T, d DroppedDetails) Event {
	t.Helper()
	return withDetails(t, New(KindDropped, "vigil.dropped", SeverityHigh, ActionAlert), d)
}

func heartbeatWith(t *testing.T, d HeartbeatDetails) Event {
	t.Helper()
	return withDetails(t, heartbeatEvent(), d)
}

// withDetails sets d as e's details, bypassing nothing: invalid details
// are for the tests to find.
func withDetails(t *testing.T, e Event, d any) Event {
	t.Helper()
	e.Workload = "shop-api"
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	e.Details = b
	return e
}

// recorder is a Sink that keeps what it receives and signals each event.
type recorder struct {
	mu     sync.Mutex
	events []Event
	closed bool
	err    error      // returned by Emit when set
	got    chan Event // when set, each received event is sent here
}

func (r *recorder) Emit(e Event) error {
	r.mu.Lock()
	if r.err != nil {
		r.mu.Unlock()
		return r.err
	}
	r.events = append(r.events, e)
	r.mu.Unlock()
	if r.got != nil {
		r.got <- e
	}
	return nil
}

func (r *recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}

// total returns the sum of the counts received.
func (r *recorder) total() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for _, e := range r.events {
		n += e.Count
	}
	return n
}

func (r *recorder) snapshot() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}
