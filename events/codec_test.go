package events

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// validJSON is a syscall event as vigil writes it.
const validJSON = `{"schema":"vigil.dev/event/v1","id":"01KAQ4Z3M8R6X2W9T5B7C1D0EF","time":"2026-11-23T12:00:00.123456789Z",` +
	`"kind":"syscall","rule":"deny-ptrace","severity":"high","action":"deny","workload":"shop-api",` +
	`"container":{"id":"4f1c2a9e8b7d","image":"registry.example.com/shop-api:1.4.2","hostname":"shop-api-7d9f"},` +
	`"process":{"pid":42,"ppid":1,"uid":1000,"gid":1000,"exe":"/usr/bin/gdb","argv":["gdb","-p","1"],"ancestry":[{"pid":1,"exe":"/usr/local/bin/vigil"}]},` +
	`"details":{"name":"ptrace","nr":101,"arch":"x86_64","args":[16,1,0,0,0,0],"decoded":{"0":"PTRACE_ATTACH"},"errno":1,"intended":"deny"},` +
	`"count":1}`

// edit returns validJSON with old replaced by new, failing if old is absent
// so that a case cannot silently test the valid event.
func edit(t testing.TB, old, new string) string {
	t.Helper()
	if !strings.Contains(validJSON, old) {
		t.Fatalf("edit: %q not in the valid event", old)
	}
	return strings.Replace(validJSON, old, new, 1)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantErr string // substring; empty for success
		wantIs  error
	}{
		{name: "valid", give: validJSON},
		{name: "unknown key ignored", give: edit(t, `"count":1`, `"count":1,"new_field":{"x":1}`)},
		{name: "newer schema", give: edit(t, `event/v1"`, `event/v2"`), wantErr: `unsupported event schema "vigil.dev/event/v2"`, wantIs: ErrUnsupportedSchema},
		{name: "no schema", give: `{"kind":"exec"}`, wantErr: "no schema field"},
		{name: "unknown kind", give: edit(t, `"kind":"syscall"`, `"kind":"ebpf"`), wantErr: `kind: unknown "ebpf"`, wantIs: ErrInvalid},
		{name: "unknown severity", give: edit(t, `"severity":"high"`, `"severity":"severe"`), wantErr: "severity:", wantIs: ErrInvalid},
		{name: "unknown action", give: edit(t, `"action":"deny"`, `"action":"block"`), wantErr: "action:", wantIs: ErrInvalid},
		{name: "count 0", give: edit(t, `"count":1`, `"count":0`), wantErr: "count: 0", wantIs: ErrInvalid},
		{name: "no count", give: edit(t, `,"count":1`, ``), wantErr: "count: 0", wantIs: ErrInvalid},
		{name: "key case", give: edit(t, `"kind"`, `"Kind"`), wantErr: `key "Kind"`, wantIs: ErrInvalid},
		{name: "null container", give: edit(t, `"container":{`, `"container":null,"x":{`), wantErr: `key "container": null`},
		{name: "trailing data", give: validJSON + `{}`, wantErr: "invalid character"},
		{name: "not an object", give: `[1]`, wantErr: "cannot unmarshal"},
		{name: "offset time", give: edit(t, `789Z"`, `789+01:00"`), wantErr: "time:"},
		{name: "wrong type", give: edit(t, `"pid":42`, `"pid":"42"`), wantErr: "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Decode([]byte(tt.give))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode() = %v, want nil", err)
				}
				if e.Kind != KindSyscall || e.Process.Exe != "/usr/bin/gdb" {
					t.Errorf("Decode() = %+v, want the syscall event", e)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Decode() = %v, want an error with %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Decode() = %v, want errors.Is %v", err, tt.wantIs)
			}
		})
	}
}

func TestEncodeDecode(t *testing.T) {
	e := syscallEvent(t, "ptrace", "/usr/bin/<gdb>")
	b, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `\u003c`) || strings.HasSuffix(string(b), "\n") {
		t.Errorf("Encode() = %s, want no HTML escapes and no newline", b)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Errorf("Decode(Encode(e)) = %+v, want %+v", got, e)
	}
	if _, err := Encode(Event{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Encode(Event{}) = %v, want ErrInvalid", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(validJSON))
	f.Add([]byte(edit(f, `"count":1`, `"count":7,"extra":[1,2]`)))
	f.Add([]byte(edit(f, `"argv":["gdb","-p","1"],`, `"argv":[],`)))
	f.Add([]byte(edit(f, `"details":{"name"`, `"details": { "name"`)))
	f.Add([]byte(`{"schema":"vigil.dev/event/v1","id":"01KAQ4Z3M8R6X2W9T5B7C1D0EF","time":"2026-11-23T12:00:00Z","kind":"heartbeat","rule":"vigil.heartbeat","severity":"info","action":"alert","workload":"w","container":{},"count":1}`))
	f.Add([]byte(`{"schema":"vigil.dev/event/v2"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		if err != nil {
			return
		}
		b2, err := Encode(e)
		if err != nil {
			t.Fatalf("Encode of an accepted event: %v\ninput: %s", err, b)
		}
		e2, err := Decode(b2)
		if err != nil {
			t.Fatalf("Decode of a re-encoded event: %v\nencoded: %s", err, b2)
		}
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("round trip changed the event:\n got %+v\nwant %+v", e2, e)
		}
	})
}
