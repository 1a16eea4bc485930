package hub

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// shapeBase is a syscall event of workload w1 as a guard encodes it,
// and baseProcess its process.
func shapeBase(t *testing.T) (raw, baseProcess string) {
	t.Helper()
	e := syscallEvent("w1", "deny-ptrace", events.SeverityHigh, "/usr/bin/gdb")
	b, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	baseProcess = `"process":{"pid":42,"ppid":1,"uid":0,"gid":0,"exe":"/usr/bin/gdb"}`
	if !strings.Contains(string(b), baseProcess) {
		t.Fatalf("the base event has not the process %s: %s", baseProcess, b)
	}
	return string(b), baseProcess
}

// withProcess is raw with its process's members after pid, ppid, uid and
// gid replaced by rest.
func withProcess(raw, baseProcess, rest string) string {
	return strings.Replace(raw, baseProcess, `"process":{"pid":42,"ppid":1,"uid":0,"gid":0`+rest+`}`, 1)
}

// TestDecodeShape: the hub refuses events that would read otherwise to a
// reader that takes keys as spelled (the dashboard, a webhook), or whose
// process or details are not of the schema's JSON types, and takes those
// a guard sends, whatever the JSON white space.
func TestDecodeShape(t *testing.T) {
	raw, proc := shapeBase(t)
	replace := func(old, new string) string { return strings.Replace(raw, old, new, 1) }
	tests := []struct {
		name    string
		give    string
		wantErr string // "" for an event taken
	}{
		{name: "as a guard sends it", give: raw},
		{name: "bare CR and CRLF as space", give: replace(`{"schema"`, "{\r\"schema\"\r\n")},
		{name: "unknown key, null", give: replace(`{"schema"`, `{"x_extra":null,"X_EXTRA":[],"schema"`)},
		{name: "file event, no process", give: mustEncode(t, fileEvent("w1"))},
		{name: "lifecycle event", give: mustEncode(t, startedEvent("w1"))},
		{name: "argv and ancestry", give: withProcess(raw, proc, `,"exe":"/bin/sh","argv":["sh","-c"],"ancestry":[{"pid":1,"exe":"/init"}],"pids_differ":true`)},

		{name: "key in another case", give: replace(`"workload":"w1"`, `"workload":"prod-db","Workload":"w1"`), wantErr: `"Workload": keys are case-sensitive`},
		{name: "key repeated", give: replace(`"workload":"w1"`, `"workload":"prod-db","workload":"w1"`), wantErr: `"workload": repeated`},
		{name: "key escaped in another case", give: replace(`"workload":"w1"`, `"workload":"prod-db","\u0057orkload":"w1"`), wantErr: "case-sensitive"},
		{name: "key with a Kelvin sign", give: replace(`"kind":"syscall"`, `"kind":"syscall","\u212aind":"file"`), wantErr: "case-sensitive"},
		{name: "lifecycle key repeated", give: strings.Replace(mustEncode(t, startedEvent("w1")), `"workload":"w1"`, `"workload":"w1","workload":"w2"`, 1), wantErr: "repeated"},
		{name: "container key in another case", give: replace(`"hostname":"w1-host"`, `"hostname":"a","Hostname":"w1-host"`), wantErr: `container: key "Hostname"`},
		{name: "container not strings", give: replace(`"hostname":"w1-host"`, `"hostname":1`), wantErr: "cannot unmarshal number"},
		{name: "container null", give: replace(`"container":{"hostname":"w1-host"}`, `"container":null`), wantErr: `key "container": null`},

		{name: "argv of objects", give: withProcess(raw, proc, `,"argv":[{"toString":1}]`), wantErr: `process: argv: [0]: {"toString":1}, want a string`},
		{name: "argv of null", give: withProcess(raw, proc, `,"argv":[null]`), wantErr: "process: argv: [0]: null, want a string"},
		{name: "argv not an array", give: withProcess(raw, proc, `,"argv":"sh"`), wantErr: "process: argv: not a JSON array"},
		{name: "argv null", give: withProcess(raw, proc, `,"argv":null`), wantErr: `process: key "argv": null`},
		{name: "ancestry of null", give: withProcess(raw, proc, `,"ancestry":[null]`), wantErr: "process: ancestry: [0]: ancestor: not a JSON object"},
		{name: "ancestry of strings", give: withProcess(raw, proc, `,"ancestry":["init"]`), wantErr: "ancestor: not a JSON object"},
		{name: "ancestor pid a string", give: withProcess(raw, proc, `,"ancestry":[{"pid":"1"}]`), wantErr: `ancestor: pid: "1", want an integer`},
		{name: "ancestor pid 0", give: withProcess(raw, proc, `,"ancestry":[{"pid":0}]`), wantErr: "ancestor: pid: 0, want an integer from 1"},
		{name: "ancestor key in another case", give: withProcess(raw, proc, `,"ancestry":[{"pid":1,"EXE":"/x"}]`), wantErr: `ancestor: key "EXE"`},
		{name: "exe not a string", give: withProcess(raw, proc, `,"exe":["/bin/sh"]`), wantErr: `process: exe: ["/bin/sh"], want a string`},
		{name: "pids_differ not a bool", give: withProcess(raw, proc, `,"pids_differ":1`), wantErr: "process: pids_differ: 1, want true or false"},
		{name: "pid a fraction", give: strings.Replace(raw, `"pid":42`, `"pid":4.2`, 1), wantErr: "process: pid: 4.2, want an integer"},
		{name: "uid too large", give: strings.Replace(raw, `"uid":0`, `"uid":4294967296`, 1), wantErr: "process: uid: 4294967296"},
		{name: "process key in another case", give: strings.Replace(raw, `"pid":42`, `"pid":42,"PID":7`, 1), wantErr: `process: key "PID"`},
		{name: "process an array", give: replace(proc, `"process":[]`), wantErr: "process: not a JSON object"},
		{name: "process null", give: replace(proc, `"process":null`), wantErr: `key "process": null`},
		{name: "syscall, process missing (the kernel named no caller)", give: replace(proc+",", "")},
		{name: "exec, process missing", give: strings.Replace(replace(proc+",", ""), `"kind":"syscall"`, `"kind":"exec"`, 1), wantErr: "process: missing"},
		{name: "details a string", give: replace(`"details":{`, `"details":"x","x":{`), wantErr: "details: not a JSON object"},
		{name: "details null", give: replace(`"details":{`, `"details":null,"x":{`), wantErr: `key "details": null`},
		{name: "details missing", give: replace(`"details":{`, `"x":{`), wantErr: "details: missing"},
		{name: "data after the object", give: raw + ` {}`, wantErr: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode([]byte(tt.give))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("decode: %v, want the event taken\n%s", err, tt.give)
			case tt.wantErr != "" && err == nil:
				t.Errorf("decode took\n%s\nwant an error with %q", tt.give, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("decode: %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func mustEncode(t testing.TB, e events.Event) string {
	t.Helper()
	b, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzDecodeShape: decode never panics, and what it takes has keys as
// spelled: one workload, the one it indexed.
func FuzzDecodeShape(f *testing.F) {
	e := syscallEvent("w1", "deny-ptrace", events.SeverityHigh, "/usr/bin/gdb")
	raw, _ := events.Encode(e)
	f.Add(raw)
	f.Add([]byte(strings.Replace(string(raw), `"workload":"w1"`, `"workload":"prod-db","Workload":"w1"`, 1)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		decode(raw) //nolint:errcheck // not to panic is the test
	})
}

// TestMalformedEventsReported: events published on the bus that read
// otherwise to the dashboard, or whose process it cannot show, are not
// held, and are reported; the security review's event of prod-db that
// said it was w1's is one.
func TestMalformedEventsReported(t *testing.T) {
	url := startNATS(t)
	var mu sync.Mutex
	var reports []string
	h := startHub(t, url, Config{Report: func(err error) { mu.Lock(); reports = append(reports, err.Error()); mu.Unlock() }})
	srv := serve(t, h.Hub)
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	raw, proc := shapeBase(t)
	bad := map[string]string{
		"workload twice": strings.Replace(raw, `"workload":"w1"`, `"workload":"prod-db","Workload":"w1"`, 1),
		"argv objects":   withProcess(raw, proc, `,"argv":[{"toString":1}]`),
		"ancestry null":  withProcess(raw, proc, `,"ancestry":[null]`),
	}
	for name, msg := range bad {
		// Each a new id: the stream takes one message per id.
		msg = strings.Replace(msg, mustID(t, raw), events.New(events.KindSyscall, "x", events.SeverityHigh, events.ActionDeny).ID, 1)
		if _, err := js.Publish(context.Background(), natsbus.Subject("w1", events.KindSyscall), []byte(msg)); err != nil {
			t.Fatalf("publishing %s: %v", name, err)
		}
	}
	good := syscallEvent("w1", "deny-ptrace", events.SeverityHigh, "/usr/bin/gdb")
	newPublisher(t, url).publish(good)
	waitHeld(t, h.Hub, 1)
	var page eventsPage
	if code := apiGet(t, srv, "/api/events?workload=w1", &page); code != 200 {
		t.Fatalf("GET /api/events: %d", code)
	}
	if ids := page.ids(t); len(ids) != 1 || ids[0] != good.ID {
		t.Errorf("events of w1: %v, want only %s", ids, good.ID)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != len(bad) {
		t.Errorf("reports: %q, want %d, one per malformed event", reports, len(bad))
	}
}

func mustID(t *testing.T, raw string) string {
	t.Helper()
	e, err := events.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}
