package events

import (
	"strings"
	"testing"
)

func TestSummaryProcess(t *testing.T) {
	tests := []struct {
		name           string
		givePIDsDiffer bool
		wantPrefix     string
	}{
		{name: "one process", wantPrefix: "pid 42 /usr/bin/gdb  ptrace"},
		{name: "folded from several", givePIDsDiffer: true, wantPrefix: "pid 42 and others /usr/bin/gdb  ptrace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := syscallEvent(t, "ptrace", "/usr/bin/gdb")
			e.Process.PIDsDiffer = tt.givePIDsDiffer
			if got := e.Summary(); !strings.HasPrefix(got, tt.wantPrefix) {
				t.Errorf("Summary() = %q, want it to start with %q", got, tt.wantPrefix)
			}
		})
	}
}
