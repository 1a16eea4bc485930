package natsbus

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/natstest"
)

func startServer(t testing.TB) *natstest.Server { return natstest.Start(t) }

func startServerWith(t testing.TB, configure func(*server.Options)) *natstest.Server {
	return natstest.Start(t, configure)
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

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	natstest.WaitFor(t, d, what, cond)
}

func checkExactlyOnce(t testing.TB, evs []events.Event, kind events.Kind, want int64) {
	t.Helper()
	natstest.CheckExactlyOnce(t, evs, kind, want)
}
