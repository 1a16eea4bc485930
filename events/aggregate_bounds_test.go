package events

import (
	"strings"
	"testing"
)

// TestAggregatorBoundsDistinctArgs: a storm of distinct arguments makes one
// set per distinct call; a window holds no more than its bounds, and every
// call past them is delivered on its own: none is lost, and the counts of
// each call add up.
func TestAggregatorBoundsDistinctArgs(t *testing.T) {
	tests := []struct {
		name         string
		giveOpts     []AggregatorOption
		giveDistinct int // distinct calls, each emitted twice
		giveArgv     int // bytes of the process's argv
		// wantHeld is how many sets the window holds, given the size of one
		// held event.
		wantHeld func(size int) int
	}{
		{
			name: "under the bounds", giveDistinct: 100,
			wantHeld: func(int) int { return 100 },
		},
		{
			name: "past max keys", giveOpts: []AggregatorOption{WithMaxKeys(100)}, giveDistinct: 1000,
			wantHeld: func(int) int { return 100 },
		},
		{
			name: "past max bytes", giveOpts: []AggregatorOption{WithMaxBytes(64 << 10)}, giveDistinct: 1000,
			wantHeld: func(size int) int { return 64 << 10 / size },
		},
		{
			name: "past the default max keys", giveDistinct: DefaultMaxKeys + 500,
			wantHeld: func(int) int { return DefaultMaxKeys },
		},
		{
			name: "large argv past the default max bytes", giveDistinct: 1000, giveArgv: 64 << 10,
			wantHeld: func(size int) int { return DefaultMaxBytes / size },
		},
		{
			name: "one call larger than max bytes", giveOpts: []AggregatorOption{WithMaxBytes(4096)}, giveDistinct: 3, giveArgv: 8192,
			wantHeld: func(int) int { return 0 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := decoy(t)
			if tt.giveArgv > 0 {
				base.Process.Argv = []string{"/usr/bin/gdb", strings.Repeat("x", tt.giveArgv)}
			}
			calls := make([]Event, tt.giveDistinct)
			for i := range calls {
				d := ptraceDetails()
				d.Args[1] = uint64(1_000_000 + i) // same width: every event has the same size
				calls[i] = withSyscall(t, occurrence(base), d)
			}
			rec := &recorder{}
			a := newTestAggregator(t, rec, append([]AggregatorOption{WithWindow(longWindow)}, tt.giveOpts...)...)
			for range 2 {
				for _, e := range calls {
					if err := a.Emit(occurrence(e)); err != nil {
						t.Fatal(err)
					}
				}
			}
			held := tt.wantHeld(heldSize(calls[0]))
			a.mu.Lock()
			keys, bytes := a.keys, a.bytes
			a.mu.Unlock()
			if keys != held || keys > a.cfg.maxKeys || bytes > a.cfg.maxBytes {
				t.Errorf("the window holds %d sets in %d bytes, want %d within %d sets and %d bytes", keys, bytes, held, a.cfg.maxKeys, a.cfg.maxBytes)
			}
			if got, want := len(rec.snapshot()), 2*tt.giveDistinct-held; got != want {
				t.Errorf("before the window ends the next sink got %d events, want %d", got, want)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			counts := make(map[uint64]int64)
			for _, e := range rec.snapshot() {
				d, err := e.Syscall()
				if err != nil {
					t.Fatal(err)
				}
				counts[d.Args[1]] += e.Count
			}
			for i := range calls {
				if n := counts[uint64(1_000_000+i)]; n != 2 {
					t.Fatalf("call %d was delivered with counts adding up to %d, want 2", i, n)
				}
			}
			if len(counts) != len(calls) {
				t.Errorf("%d distinct calls delivered, want %d", len(counts), len(calls))
			}
		})
	}
}
