package events

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	before := time.Now()
	e := New(KindExec, "unexpected-exec", SeverityMedium, ActionAlert)
	if e.Schema != SchemaVersion || e.Count != 1 || e.Kind != KindExec {
		t.Errorf("New() = %+v, want schema %s, count 1, kind exec", e, SchemaVersion)
	}
	if e.Time.Location() != time.UTC || e.Time.Before(before.Truncate(time.Millisecond)) {
		t.Errorf("New().Time = %v, want UTC, not before %v", e.Time, before)
	}
	if !validID(e.ID) {
		t.Errorf("New().ID = %q, not a ULID", e.ID)
	}
}

func TestIDsUniqueAndSorted(t *testing.T) {
	const goroutines, each = 8, 2000
	ids := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for range each {
				ids[g] = append(ids[g], NewID())
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool)
	for _, list := range ids {
		if !slices.IsSorted(list) {
			t.Errorf("ids of one goroutine are not sorted")
		}
		for _, id := range list {
			if seen[id] {
				t.Fatalf("id %s generated twice", id)
			}
			seen[id] = true
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		give     func(*Event)
		wantErrs []string // substrings, each must appear
	}{
		{name: "valid", give: func(*Event) {}},
		{name: "schema", give: func(e *Event) { e.Schema = "vigil.dev/event/v0" }, wantErrs: []string{"schema:"}},
		{name: "lower-case id", give: func(e *Event) { e.ID = strings.ToLower(e.ID) }, wantErrs: []string{"id:"}},
		{name: "local time", give: func(e *Event) { e.Time = e.Time.In(time.FixedZone("CET", 3600)) }, wantErrs: []string{"time:"}},
		{name: "zero time", give: func(e *Event) { e.Time = time.Time{} }, wantErrs: []string{"time:"}},
		{name: "kind", give: func(e *Event) { e.Kind = "ptrace" }, wantErrs: []string{`kind: unknown "ptrace"`}},
		{name: "count", give: func(e *Event) { e.Count = 0 }, wantErrs: []string{"count: 0"}},
		{name: "syscall, no process (the kernel named no caller)", give: func(e *Event) { e.Process = nil }},
		{name: "exec, no process", give: func(e *Event) { e.Kind, e.Process = KindExec, nil }, wantErrs: []string{"process: missing"}},
		{name: "process, no process", give: func(e *Event) { e.Kind, e.Process = KindProcess, nil }, wantErrs: []string{"process: missing"}},
		{name: "ancestor pid", give: func(e *Event) { e.Process.Ancestry[0].PID = 0 }, wantErrs: []string{"process.ancestry[0].pid"}},
		{name: "details not an object", give: func(e *Event) { e.Details = []byte(`[1]`) }, wantErrs: []string{"details: not a JSON object"}},
		{name: "syscall args", give: func(e *Event) { e.Details = []byte(`{"name":"x","nr":1,"arch":"x86_64","args":[1],"errno":0}`) }, wantErrs: []string{"details.args"}},
		{
			name: "every problem at once",
			give: func(e *Event) {
				e.Severity, e.Action, e.Rule, e.Workload = "urgent", "block", "", ""
			},
			wantErrs: []string{"severity:", "action:", "rule: empty", "workload: empty"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := syscallEvent(t, "ptrace", "/usr/bin/gdb")
			tt.give(&e)
			err := e.Validate()
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %v, want it to mention %q", err, want)
				}
			}
		})
	}
}

func TestDetails(t *testing.T) {
	e := syscallEvent(t, "ptrace", "/usr/bin/gdb")
	d, err := e.Syscall()
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "ptrace" || d.Args[0] != 16 || d.Decoded["0"] != "PTRACE_ATTACH" || d.Intended != ActionDeny {
		t.Errorf("Syscall() = %+v, want the details set", d)
	}
	if err := e.SetDetails([]int{1}); err == nil {
		t.Error("SetDetails([]int) = nil, want an error: details are objects")
	}
	if _, err := fileEvent(t, "/bin/sh").Syscall(); err == nil {
		t.Error("Syscall() of a file event = nil error, want one")
	}
}
