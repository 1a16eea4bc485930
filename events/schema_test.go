package events

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const schemaURL = "https://vigil.dev/schemas/event/v1.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatalf("parsing the schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		t.Fatalf("compiling the schema: %v", err)
	}
	return sch
}

// TestSchema checks each event against the schema and against Decode: both
// must agree on whether it is valid.
func TestSchema(t *testing.T) {
	sch := compileSchema(t)
	encode := func(e Event) string {
		b, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	proc := New(KindProcess, "proc.outsider", SeverityHigh, ActionAlert)
	proc.Workload = "shop-api"
	proc.Process = &Process{PID: 90, PPID: 0, Exe: "/bin/sh", Argv: []string{"sh"}}
	if err := proc.SetDetails(ProcessDetails{What: "outsider", TTY: "/dev/pts/0", Entered: "docker exec"}); err != nil {
		t.Fatal(err)
	}
	exec := New(KindExec, "unexpected-exec", SeverityMedium, ActionAlert)
	exec.Workload = "shop-api"
	exec.Process = &Process{PID: 77, PPID: 42, Exe: "/bin/sh", Argv: []string{"sh", "-c", "curl x | sh"}}
	if err := exec.SetDetails(ExecDetails{Path: "/usr/bin/curl", Argv: []string{"curl", "x"}, Baseline: "absent"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		give      string
		wantValid bool
	}{
		{name: "syscall, golden", give: validJSON, wantValid: true},
		{name: "syscall, encoded", give: encode(syscallEvent(t, "ptrace", "/usr/bin/gdb")), wantValid: true},
		{name: "file", give: encode(fileEvent(t, "/usr/bin/ls")), wantValid: true},
		{name: "exec", give: encode(exec), wantValid: true},
		{name: "process", give: encode(proc), wantValid: true},
		{name: "process, unknown what", give: strings.Replace(encode(proc), `"what":"outsider"`, `"what":"intruder"`, 1)},
		{name: "exec, unknown baseline status", give: strings.Replace(encode(exec), `"absent"`, `"gone"`, 1)},
		{name: "heartbeat", give: encode(heartbeatEvent()), wantValid: true},
		{name: "unknown key", give: edit(t, `"count":1`, `"count":1,"added_later":true`), wantValid: true},
		{name: "newer schema", give: edit(t, `event/v1"`, `event/v2"`)},
		{name: "unknown kind", give: edit(t, `"kind":"syscall"`, `"kind":"ebpf"`)},
		{name: "unknown severity", give: edit(t, `"severity":"high"`, `"severity":"severe"`)},
		{name: "unknown action", give: edit(t, `"action":"deny"`, `"action":"block"`)},
		{name: "count 0", give: edit(t, `"count":1`, `"count":0`)},
		{name: "no count", give: edit(t, `,"count":1`, ``)},
		{name: "lower-case id", give: edit(t, `"id":"01KAQ4Z3M8R6X2W9T5B7C1D0EF"`, `"id":"01kaq4z3m8r6x2w9t5b7c1d0ef"`)},
		{name: "short id", give: edit(t, `"id":"01KAQ4Z3M8R6X2W9T5B7C1D0EF"`, `"id":"01KAQ4Z3M8"`)},
		{name: "offset time", give: edit(t, `789Z"`, `789+01:00"`)},
		{name: "not a time", give: edit(t, `"2026-11-23T12:00:00.123456789Z"`, `"yesterday"`)},
		{name: "empty rule", give: edit(t, `"rule":"deny-ptrace"`, `"rule":""`)},
		{name: "exec without process", give: func() string { e := exec; e.Process = nil; return marshal(t, e) }()},
		{name: "process without process", give: func() string { e := proc; e.Process = nil; return marshal(t, e) }()},
		{name: "syscall without process (the kernel named no caller)", wantValid: true, give: edit(t, `"process":{"pid":42,"ppid":1,"uid":1000,"gid":1000,"exe":"/usr/bin/gdb","argv":["gdb","-p","1"],"ancestry":[{"pid":1,"exe":"/usr/local/bin/vigil"}]},`, ``)},
		{name: "pid 0", give: edit(t, `"pid":42`, `"pid":0`)},
		{name: "negative uid", give: edit(t, `"uid":1000`, `"uid":-1`)},
		{name: "five args", give: edit(t, `[16,1,0,0,0,0]`, `[16,1,0,0,0]`)},
		{name: "syscall without errno", give: edit(t, `,"errno":1`, ``)},
		{name: "bad intended", give: edit(t, `"intended":"deny"`, `"intended":"maybe"`)},
		{name: "details not an object", give: edit(t, `"details":{"name":"ptrace","nr":101,"arch":"x86_64","args":[16,1,0,0,0,0],"decoded":{"0":"PTRACE_ATTACH"},"errno":1,"intended":"deny"}`, `"details":"ptrace"`)},
		{name: "lifecycle started", give: marshal(t, lifecycleEvent(t, LifecycleDetails{What: "started", Version: "1.0",
			PolicyDigest: "sha256:" + strings.Repeat("ab", 32), Features: map[string]string{"landlock_abi": "7"}})), wantValid: true},
		{name: "lifecycle stopped", give: marshal(t, lifecycleEvent(t, LifecycleDetails{What: "stopped", ExitCode: new(3)})), wantValid: true},
		{name: "lifecycle without what", give: marshal(t, lifecycleEvent(t, LifecycleDetails{Version: "1.0"}))},
		{name: "lifecycle bad digest", give: marshal(t, lifecycleEvent(t, LifecycleDetails{What: "started", PolicyDigest: "md5:00"}))},
		{name: "lifecycle without details", give: `{"schema":"vigil.dev/event/v1","id":"01KAQ4Z3M8R6X2W9T5B7C1D0EF","time":"2026-11-23T12:00:00Z","kind":"lifecycle","rule":"vigil.lifecycle","severity":"info","action":"alert","workload":"w","container":{},"count":1}`},
		{name: "dropped", give: marshal(t, droppedEvent(t, DroppedDetails{Reason: "outbox full",
			Lost: []DroppedGroup{{Kind: KindSyscall, Severity: SeverityLow, Rule: "noisy", Count: 9}}})), wantValid: true},
		{name: "dropped, lost count 0", give: marshal(t, droppedEvent(t, DroppedDetails{Reason: "outbox full",
			Lost: []DroppedGroup{{Kind: KindSyscall, Severity: SeverityLow, Rule: "noisy"}}}))},
		{name: "dropped without reason", give: marshal(t, droppedEvent(t, DroppedDetails{Bytes: 10}))},
		{name: "heartbeat with counters", give: marshal(t, heartbeatWith(t, HeartbeatDetails{UptimeSeconds: 10,
			Published: map[Kind]int64{KindSyscall: 4}, LastPublishError: "nats: timeout", LastPublishErrorTime: "2026-11-23T12:00:00Z"})), wantValid: true},
		{name: "heartbeat, negative counter", give: marshal(t, heartbeatWith(t, HeartbeatDetails{Dropped: -1, Published: map[Kind]int64{}}))},
		{name: "file without path", give: `{"schema":"vigil.dev/event/v1","id":"01KAQ4Z3M8R6X2W9T5B7C1D0EF","time":"2026-11-23T12:00:00Z","kind":"file","rule":"drift","severity":"high","action":"alert","workload":"w","container":{},"details":{"op":"write"},"count":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(tt.give)))
			if err != nil {
				t.Fatal(err)
			}
			schemaErr := sch.Validate(inst)
			if gotValid := schemaErr == nil; gotValid != tt.wantValid {
				t.Errorf("schema valid = %v (%v), want %v\nevent: %s", gotValid, schemaErr, tt.wantValid, tt.give)
			}
			_, decodeErr := Decode([]byte(tt.give))
			if gotValid := decodeErr == nil; gotValid != tt.wantValid {
				t.Errorf("Decode valid = %v (%v), want %v", gotValid, decodeErr, tt.wantValid)
			}
		})
	}
}

// marshal encodes e without validating it, as a buggy producer could.
func marshal(t *testing.T, e Event) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDocsExample keeps the example in docs/events.md a valid event.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no ```json block in docs/events.md")
	}
	if _, err := Decode([]byte(example)); err != nil {
		t.Errorf("the example in docs/events.md: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(example))
	if err != nil {
		t.Fatal(err)
	}
	if err := compileSchema(t).Validate(inst); err != nil {
		t.Errorf("the example in docs/events.md: %v", err)
	}
}
