package events

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzAggregatorKey checks what folds together against what a reader sees:
// two events the Aggregator takes for the same occurrence must have the
// same JSON once id, time, count and pids are left out, and equal hashes;
// two events with the same JSON must fold (unless a string is not UTF-8,
// which JSON cannot show).
func FuzzAggregatorKey(f *testing.F) {
	f.Add("gdb\x00-p\x001", "gdb\x00-p\x001", "/usr/bin/gdb", "/usr/bin/gdb", "/tmp/x", "/tmp/x", uint64(1), uint64(1), int32(42), int32(43), uint32(0), uint32(0))
	f.Add("gdb\x00-p 1", "gdb -p\x001", "/usr/bin/gdb", "/usr/bin/gdb", "/tmp/x", "/tmp/x", uint64(1), uint64(1), int32(42), int32(42), uint32(0), uint32(0))
	f.Add("sh", "sh", "/bin/sh", "/bin/sh", "/etc/shadow", "/etc/gshadow", uint64(16), uint64(16), int32(7), int32(7), uint32(1000), uint32(1000))
	f.Add("sh", "sh", "/bin/sh", "/bin/sh", "/etc/shadow", "/etc/shadow", uint64(16), uint64(5), int32(7), int32(7), uint32(1000), uint32(0))
	seed := maphash.MakeSeed()
	f.Fuzz(func(t *testing.T, argvA, argvB, exeA, exeB, pathA, pathB string, argA, argB uint64, pidA, pidB int32, uidA, uidB uint32) {
		a := fuzzEvent(t, argvA, exeA, pathA, argA, pidA, uidA)
		b := fuzzEvent(t, argvB, exeB, pathB, argB, pidB, uidB)
		same, shownSame := sameOccurrence(a, b), bytes.Equal(shown(t, a), shown(t, b))
		switch {
		case same && !shownSame:
			t.Fatalf("folded together, but a reader tells them apart:\n%s\n%s", shown(t, a), shown(t, b))
		case !same && shownSame && allUTF8(argvA, argvB, exeA, exeB):
			t.Fatalf("not folded, but a reader sees the same:\n%s", shown(t, a))
		case same && hashOf(seed, a) != hashOf(seed, b):
			t.Fatal("the same occurrence hashes to two values")
		}
	})
}

func allUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

func fuzzEvent(t *testing.T, argv, exe, path string, arg uint64, pid int32, uid uint32) Event {
	e := New(KindSyscall, "deny-open", SeverityHigh, ActionDeny)
	e.Workload = "shop-api"
	e.Process = &Process{
		PID: pid, PPID: pid - 1, UID: uid, Exe: exe, Argv: strings.Split(argv, "\x00"),
		Ancestry: []Ancestor{{PID: pid - 1, Exe: "/bin/sh"}},
	}
	err := e.SetDetails(SyscallDetails{
		Name: "openat", Nr: 257, Arch: "x86_64", Args: [6]uint64{arg},
		Decoded: map[string]string{"path": path}, Errno: 13,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// shown is e's JSON without what may differ between the occurrences of
// one call: id, time, count and pids.
func shown(t *testing.T, e Event) []byte {
	e.ID, e.Time, e.Count = "", time.Time{}, 0
	p := *e.Process
	p.PID, p.PPID, p.PIDsDiffer = 0, 0, false
	p.Ancestry = nil
	for _, a := range e.Process.Ancestry {
		p.Ancestry = append(p.Ancestry, Ancestor{Exe: a.Exe})
	}
	e.Process = &p
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAggregatorHashCollision puts events in one hash bucket, as a
// collision would: only the comparison tells the sets apart, and each folds
// on its own.
func TestAggregatorHashCollision(t *testing.T) {
	tests := []struct {
		name      string
		giveOther func(t *testing.T, e Event) Event // from a copy of the decoy
		wantSame  bool
	}{
		{name: "other args", giveOther: func(t *testing.T, e Event) Event {
			d := ptraceDetails()
			d.Args[1] = 7
			return withSyscall(t, e, d)
		}},
		{name: "other argv", giveOther: func(t *testing.T, e Event) Event { e.Process.Argv = []string{"gdb"}; return e }},
		{name: "other exe", giveOther: func(t *testing.T, e Event) Event { e.Process.Exe = "/bin/sh"; return e }},
		{name: "other uid", giveOther: func(t *testing.T, e Event) Event { e.Process.UID = 0; return e }},
		{name: "other ancestor", giveOther: func(t *testing.T, e Event) Event { e.Process.Ancestry[0].Exe = "/bin/sh"; return e }},
		{name: "other container", giveOther: func(t *testing.T, e Event) Event { e.Container.ID = "x"; return e }},
		{name: "no process", giveOther: func(t *testing.T, e Event) Event { e.Process = nil; return e }},
		{name: "other pid", giveOther: func(t *testing.T, e Event) Event { e.Process.PID = 7; return e }, wantSame: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			a := newTestAggregator(t, rec, WithWindow(longWindow))
			x := decoy(t)
			y := tt.giveOther(t, occurrence(x))
			const h = 1 // both in one bucket
			a.mu.Lock()
			a.hold(h, x)
			if a.find(h, y) == nil {
				a.hold(h, y)
			}
			for range 3 {
				for _, e := range []Event{occurrence(x), occurrence(y)} {
					f := a.find(h, e)
					if f == nil {
						t.Fatalf("event %s is in no set", e.ID)
					}
					f.add(e)
				}
			}
			fx, fy, keys := a.find(h, x), a.find(h, y), a.keys
			a.mu.Unlock()
			if same := fx == fy; same != tt.wantSame || keys != map[bool]int{true: 1, false: 2}[tt.wantSame] {
				t.Fatalf("same set: %v with %d sets, want %v", same, keys, tt.wantSame)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			var counts []int64
			for _, e := range rec.snapshot() {
				counts = append(counts, e.Count)
			}
			want := []int64{3, 3}
			if tt.wantSame {
				want = []int64{6}
			}
			if !slices.Equal(counts, want) {
				t.Errorf("summaries with counts %v, want %v", counts, want)
			}
		})
	}
}
