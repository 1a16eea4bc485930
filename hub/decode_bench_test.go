package hub

import (
	"testing"

	"github.com/vigilsec/vigil/events"
)

// BenchmarkDecode: the hub's decoding of one syscall event, what its
// ingest does for most events.
func BenchmarkDecode(b *testing.B) {
	e := syscallEvent("bench", "seccomp.default", events.SeverityHigh, "/usr/bin/app")
	e.Process.Argv = []string{"app", "--serve", ":8080"}
	e.Process.Ancestry = []events.Ancestor{{PID: 1, Exe: "/usr/local/bin/vigil"}}
	raw, err := events.Encode(e)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}
