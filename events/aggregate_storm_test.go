package events

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// burst is the size of the decoy storms.
const burst = 10_000

// occurrence returns a new occurrence of e: another id and time, and its own
// copy of the process, as the notify loop makes one per call.
func occurrence(e Event) Event {
	e.Time = time.Now().UTC()
	e.ID = newID(e.Time)
	if e.Process != nil {
		p := *e.Process
		p.Argv = slices.Clone(p.Argv)
		p.Ancestry = slices.Clone(p.Ancestry)
		e.Process = &p
	}
	return e
}

// decoy is a denied ptrace(PTRACE_ATTACH, 1) by gdb, the harmless call an
// attacker repeats.
func decoy(t *testing.T) Event { return syscallEvent(t, "ptrace", "/usr/bin/gdb") }

// withSyscall returns e with other syscall details.
func withSyscall(t *testing.T, e Event, d SyscallDetails) Event {
	t.Helper()
	if err := e.SetDetails(d); err != nil {
		t.Fatal(err)
	}
	return e
}

// ptraceDetails are decoy's details, for cases to change one thing.
func ptraceDetails() SyscallDetails {
	return SyscallDetails{
		Name: "ptrace", Nr: 101, Arch: "x86_64", Args: [6]uint64{16, 1, 0, 0, 0, 0},
		Decoded: map[string]string{"0": "PTRACE_ATTACH"}, Errno: 1, Intended: ActionDeny,
	}
}

func withFile(t *testing.T, d FileDetails) Event {
	t.Helper()
	e := fileEvent(t, d.Path)
	if err := e.SetDetails(d); err != nil {
		t.Fatal(err)
	}
	return e
}

func shadowRead() FileDetails {
	return FileDetails{Path: "/etc/shadow", Op: "open", Change: "opened", By: "pid 42 /bin/cat"}
}

// TestAggregatorDecoyBurst hides one call in a burst of 10,000 identical
// ones: a call that differs in anything the event shows is delivered on its
// own, with its own details, and the burst still folds with exact counts,
// its summary showing the first folded call.
func TestAggregatorDecoyBurst(t *testing.T) {
	tests := []struct {
		name string
		// giveBurst is the repeated event; giveOdd, made from a copy of
		// it, is emitted in the middle of the burst.
		giveBurst func(t *testing.T) Event
		giveOdd   func(t *testing.T, e Event) Event
		// wantAlone: the odd one is its own event; else it folds into the
		// burst's summary.
		wantAlone      bool
		wantPIDsDiffer bool // of the summary
	}{
		{
			name:      "ptrace of another pid",
			giveBurst: decoy,
			giveOdd: func(t *testing.T, e Event) Event {
				d := ptraceDetails()
				d.Args[1] = 4242
				return withSyscall(t, e, d)
			},
			wantAlone: true,
		},
		{
			name:      "ptrace with another request, decoded",
			giveBurst: decoy,
			giveOdd: func(t *testing.T, e Event) Event {
				d := ptraceDetails()
				d.Args[0], d.Decoded["0"] = 5, "PTRACE_POKEDATA"
				return withSyscall(t, e, d)
			},
			wantAlone: true,
		},
		{
			name: "mount with other flags",
			giveBurst: func(t *testing.T) Event {
				return withSyscall(t, decoy(t), SyscallDetails{
					Name: "mount", Nr: 165, Arch: "x86_64", Args: [6]uint64{0x1000, 0x2000, 0x3000, 0x1, 0, 0},
					Decoded: map[string]string{"flags": "MS_RDONLY"}, Errno: 1,
				})
			},
			giveOdd: func(t *testing.T, e Event) Event {
				return withSyscall(t, e, SyscallDetails{
					Name: "mount", Nr: 165, Arch: "x86_64", Args: [6]uint64{0x1000, 0x2000, 0x3000, 0x1000, 0, 0},
					Decoded: map[string]string{"flags": "MS_BIND"}, Errno: 1,
				})
			},
			wantAlone: true,
		},
		{
			name: "unshare with other flags, raw only",
			giveBurst: func(t *testing.T) Event {
				return withSyscall(t, decoy(t), SyscallDetails{Name: "unshare", Nr: 272, Arch: "x86_64", Args: [6]uint64{0x20000}, Errno: 1})
			},
			giveOdd: func(t *testing.T, e Event) Event {
				return withSyscall(t, e, SyscallDetails{Name: "unshare", Nr: 272, Arch: "x86_64", Args: [6]uint64{0x10000000}, Errno: 1})
			},
			wantAlone: true,
		},
		{
			name: "openat of another path, same registers",
			giveBurst: func(t *testing.T) Event {
				return withSyscall(t, decoy(t), SyscallDetails{
					Name: "openat", Nr: 257, Arch: "x86_64", Args: [6]uint64{0xffffff9c, 0xc000012000, 0x241},
					Decoded: map[string]string{"path": "/tmp/x"}, Errno: 13,
				})
			},
			giveOdd: func(t *testing.T, e Event) Event {
				return withSyscall(t, e, SyscallDetails{
					Name: "openat", Nr: 257, Arch: "x86_64", Args: [6]uint64{0xffffff9c, 0xc000012000, 0x241},
					Decoded: map[string]string{"path": "/etc/ld.so.preload"}, Errno: 13,
				})
			},
			wantAlone: true,
		},
		{
			name:      "another errno",
			giveBurst: decoy,
			giveOdd: func(t *testing.T, e Event) Event {
				d := ptraceDetails()
				d.Errno = 0
				return withSyscall(t, e, d)
			},
			wantAlone: true,
		},
		{
			name:      "another argv",
			giveBurst: decoy,
			giveOdd: func(t *testing.T, e Event) Event {
				e.Process.Argv = []string{"/usr/bin/gdb", "-p", "1", "-ex", "call system(\"sh\")"}
				return e
			},
			wantAlone: true,
		},
		{
			name:      "argv split differently",
			giveBurst: decoy,
			giveOdd: func(t *testing.T, e Event) Event {
				e.Process.Argv = []string{"/usr/bin/gdb", "-p 1"}
				return e
			},
			wantAlone: true,
		},
		{
			name:      "another uid",
			giveBurst: decoy,
			giveOdd:   func(t *testing.T, e Event) Event { e.Process.UID = 0; return e },
			wantAlone: true,
		},
		{
			name:      "another gid",
			giveBurst: decoy,
			giveOdd:   func(t *testing.T, e Event) Event { e.Process.GID = 0; return e },
			wantAlone: true,
		},
		{
			name:      "another ancestry",
			giveBurst: decoy,
			giveOdd: func(t *testing.T, e Event) Event {
				e.Process.Ancestry = append([]Ancestor{{PID: 7, Exe: "/bin/sh"}}, e.Process.Ancestry...)
				return e
			},
			wantAlone: true,
		},
		{
			name:      "another severity",
			giveBurst: decoy,
			giveOdd:   func(t *testing.T, e Event) Event { e.Severity = SeverityCritical; return e },
			wantAlone: true,
		},
		{
			name:      "another rule",
			giveBurst: decoy,
			giveOdd:   func(t *testing.T, e Event) Event { e.Rule = "seccomp.default"; return e },
			wantAlone: true,
		},
		{
			name:      "file: another path",
			giveBurst: func(t *testing.T) Event { return withFile(t, shadowRead()) },
			giveOdd: func(t *testing.T, e Event) Event {
				d := shadowRead()
				d.Path = "/etc/gshadow"
				return withDetailsOf(t, e, d)
			},
			wantAlone: true,
		},
		{
			name:      "file: another op and change",
			giveBurst: func(t *testing.T) Event { return withFile(t, shadowRead()) },
			giveOdd: func(t *testing.T, e Event) Event {
				d := shadowRead()
				d.Op, d.Change = "write", "content"
				return withDetailsOf(t, e, d)
			},
			wantAlone: true,
		},
		{
			name: "file: another content",
			giveBurst: func(t *testing.T) Event {
				return withFile(t, FileDetails{Path: "/bin/ls", Op: "write", Change: "content", Expected: "sha256:aa (10 bytes)", Actual: "sha256:bb (10 bytes)"})
			},
			giveOdd: func(t *testing.T, e Event) Event {
				return withDetailsOf(t, e, FileDetails{Path: "/bin/ls", Op: "write", Change: "content", Expected: "sha256:aa (10 bytes)", Actual: "sha256:cc (10 bytes)"})
			},
			wantAlone: true,
		},
		{
			name:      "file: changed by another process",
			giveBurst: func(t *testing.T) Event { return withFile(t, shadowRead()) },
			giveOdd: func(t *testing.T, e Event) Event {
				d := shadowRead()
				d.By = "pid 43 /bin/sh"
				return withDetailsOf(t, e, d)
			},
			wantAlone: true,
		},
		{
			name:      "fork storm: another pid folds, and the summary says so",
			giveBurst: decoy,
			giveOdd: func(t *testing.T, e Event) Event {
				e.Process.PID, e.Process.PPID, e.Process.Ancestry[0].PID = 4343, 4242, 4242
				return e
			},
			wantPIDsDiffer: true,
		},
		{
			name:      "the same call again folds",
			giveBurst: decoy,
			giveOdd:   func(t *testing.T, e Event) Event { return e },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.giveBurst(t)
			odd := tt.giveOdd(t, occurrence(base))
			rec := &recorder{}
			a := newTestAggregator(t, rec, WithWindow(longWindow))
			var sent []Event
			for i := range burst {
				if i == burst/2 {
					sent = append(sent, odd)
				}
				sent = append(sent, occurrence(base))
			}
			for _, e := range sent {
				if err := a.Emit(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			got := rec.snapshot()
			if total := rec.total(); total != int64(len(sent)) {
				t.Errorf("counts add up to %d, want %d", total, len(sent))
			}
			want := []Event{sent[0]} // the first passes at once, unchanged
			if tt.wantAlone {
				want = append(want, odd)
			}
			sum := sent[1] // the first folded, as it came
			sum.Count = int64(len(sent) - len(want))
			want = append(want, sum)
			if len(got) != len(want) {
				t.Fatalf("next sink got %d events %v, want %d %v", len(got), summarize(got), len(want), summarize(want))
			}
			for i := range want {
				checkSame(t, got[i], want[i])
			}
			if p := got[len(got)-1].Process; p != nil && p.PIDsDiffer != tt.wantPIDsDiffer {
				t.Errorf("summary's process.pids_differ = %v, want %v", p.PIDsDiffer, tt.wantPIDsDiffer)
			}
		})
	}
}

func withDetailsOf(t *testing.T, e Event, d any) Event {
	t.Helper()
	if err := e.SetDetails(d); err != nil {
		t.Fatal(err)
	}
	return e
}

// checkSame reports how got differs from want in id, count, pids and
// details.
func checkSame(t *testing.T, got, want Event) {
	t.Helper()
	if got.ID != want.ID || !got.Time.Equal(want.Time) || got.Count != want.Count {
		t.Errorf("got event %s×%d at %v, want %s×%d at %v", got.ID, got.Count, got.Time, want.ID, want.Count, want.Time)
	}
	if !bytes.Equal(got.Details, want.Details) {
		t.Errorf("event %s has details %s, want %s", got.ID, got.Details, want.Details)
	}
	if gp, wp := got.Process, want.Process; (gp == nil) != (wp == nil) || gp != nil && (!sameProcess(gp, wp) || !samePIDs(gp, wp)) {
		t.Errorf("event %s has process %+v, want %+v", got.ID, gp, wp)
	}
}

// TestAggregatorSummaryIsFirstFolded: the summary is the first folded
// occurrence, id, time, process and details, not a later one.
func TestAggregatorSummaryIsFirstFolded(t *testing.T) {
	tests := []struct {
		name     string
		giveN    int  // occurrences of the same call
		givePIDs bool // each from its own process
	}{
		{name: "one process", giveN: 5},
		{name: "a process each", giveN: 5, givePIDs: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			a := newTestAggregator(t, rec, WithWindow(longWindow))
			base := decoy(t)
			var sent []Event
			for i := range tt.giveN {
				e := occurrence(base)
				if tt.givePIDs {
					e.Process.PID = int32(100 + i)
				}
				sent = append(sent, e)
				if err := a.Emit(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			got := rec.snapshot()
			sum := sent[1]
			sum.Count = int64(tt.giveN - 1)
			if len(got) != 2 {
				t.Fatalf("got %v, want the first event then a summary", summarize(got))
			}
			checkSame(t, got[0], sent[0])
			checkSame(t, got[1], sum)
			if got[1].Process.PIDsDiffer != tt.givePIDs {
				t.Errorf("summary's process.pids_differ = %v, want %v", got[1].Process.PIDsDiffer, tt.givePIDs)
			}
			if sent[1].Process.PIDsDiffer {
				t.Error("the summary changed the emitted event's process")
			}
		})
	}
}
