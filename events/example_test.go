package events_test

import (
	"fmt"
	"os"
	"time"

	"github.com/vigilsec/vigil/events"
)

// A producer builds an event with New, adds what it knows and emits it; here
// into the JSON-lines sink vigil uses when no bus is configured, wrapped in
// an aggregator so that a storm becomes one line and a count.
func Example() {
	lines := events.NewJSONLines(os.Stdout)
	sink, err := events.NewAggregator(lines, events.WithWindow(time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	e := events.New(events.KindSyscall, "deny-ptrace", events.SeverityHigh, events.ActionDeny)
	// Fixed so the output below stays the same; New sets both.
	e.ID = "01KAQ4Z3M8R6X2W9T5B7C1D0EF"
	e.Time = time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)
	e.Workload = "shop-api"
	e.Process = &events.Process{PID: 42, PPID: 1, UID: 1000, GID: 1000, Exe: "/usr/bin/gdb"}
	err = e.SetDetails(events.SyscallDetails{
		Name: "ptrace", Nr: 101, Arch: "x86_64", Args: [6]uint64{16, 1},
		Decoded: map[string]string{"0": "PTRACE_ATTACH"}, Errno: 1, Intended: events.ActionDeny,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := sink.Emit(e); err != nil {
		fmt.Println(err)
	}
	if err := sink.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"schema":"vigil.dev/event/v1","id":"01KAQ4Z3M8R6X2W9T5B7C1D0EF","time":"2026-11-23T12:00:00.123456789Z","kind":"syscall","rule":"deny-ptrace","severity":"high","action":"deny","workload":"shop-api","container":{},"process":{"pid":42,"ppid":1,"uid":1000,"gid":1000,"exe":"/usr/bin/gdb"},"details":{"name":"ptrace","nr":101,"arch":"x86_64","args":[16,1,0,0,0,0],"decoded":{"0":"PTRACE_ATTACH"},"errno":1,"intended":"deny"},"count":1}
}

// Subscribers read events with Decode, which rejects what this version does
// not understand.
func ExampleDecode() {
	_, err := events.Decode([]byte(`{"schema":"vigil.dev/event/v2","kind":"exec"}`))
	fmt.Println(err)
	// Output:
	// decoding event: unsupported event schema "vigil.dev/event/v2": this vigil reads vigil.dev/event/v1
}
