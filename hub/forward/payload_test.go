package forward

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
)

// falcoKeys are the top-level keys of falcosidekick's types.FalcoPayload
// (checked against falcosecurity/falcosidekick, types/types.go) with the
// JSON type each must have. uuid, also in it, is falcosidekick's own: it
// sets it on receipt.
var falcoKeys = map[string]string{
	"time":          "string",
	"rule":          "string",
	"priority":      "string",
	"output":        "string",
	"output_fields": "object",
	"source":        "string",
	"tags":          "array",
	"hostname":      "string",
}

// falcoPriorities are falcosidekick's priorities (types/priority.go).
var falcoPriorities = []string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

func TestFalcoPayload(t *testing.T) {
	e := syscallEvent(t, "shop-api")
	b, err := falcoBody(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.data, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range falcoKeys {
		if typ := jsonType(got[k]); typ != want {
			t.Errorf("%s is a %s, want a %s", k, typ, want)
		}
	}
	for k := range got {
		if _, ok := falcoKeys[k]; !ok {
			t.Errorf("unknown top-level key %q", k)
		}
	}
	if ts, err := time.Parse(time.RFC3339Nano, got["time"].(string)); err != nil || !ts.Equal(e.Time) {
		t.Errorf("time %v: want %v in RFC 3339 (%v)", got["time"], e.Time, err)
	}
	if got["priority"] != "Error" || got["rule"] != "deny-ptrace" || got["source"] != "vigil" || got["hostname"] != "shop-api-7d9f" {
		t.Errorf("priority, rule, source, hostname = %v, %v, %v, %v", got["priority"], got["rule"], got["source"], got["hostname"])
	}
	if out := got["output"].(string); !strings.HasPrefix(out, e.Time.Format("15:04:05.000000000")+": Error deny-ptrace: syscall ptrace denied") {
		t.Errorf("output %q: want Falco's time and priority first", out)
	}
	wantFields := map[string]any{
		"container.id": "4f1c2a9e8b7d", "container.name": "shop-api",
		"container.image": "registry.example.com/shop-api:1.4.2", "container.image.repository": "registry.example.com/shop-api", "container.image.tag": "1.4.2",
		"proc.pid": 42.0, "proc.ppid": 1.0, "proc.name": "gdb", "proc.exepath": "/usr/bin/gdb", "proc.cmdline": "gdb -p 1", "proc.args": "-p 1",
		"proc.pname": "vigil", "proc.pexepath": "/usr/local/bin/vigil",
		"user.uid": 1000.0, "group.gid": 1000.0, "evt.type": "ptrace", "evt.rawres": -1.0, "evt.time": float64(e.Time.UnixNano()),
		"vigil.id": e.ID, "vigil.kind": "syscall", "vigil.severity": "high", "vigil.action": "deny", "vigil.count": 1.0,
		"vigil.details.name": "ptrace", "vigil.details.decoded": `{"0":"PTRACE_ATTACH"}`,
	}
	fields := got["output_fields"].(map[string]any)
	for k, want := range wantFields {
		if fields[k] != want {
			t.Errorf("output_fields[%q] = %#v, want %#v", k, fields[k], want)
		}
	}
	for k, v := range fields {
		if typ := jsonType(v); typ == "array" || typ == "object" || typ == "null" {
			t.Errorf("output_fields[%q] is a %s: Falco's are scalars", k, typ)
		}
	}
	tags := got["tags"].([]any)
	if !slices.Contains(tags, any("syscall")) || !slices.Contains(tags, any("container")) {
		t.Errorf("tags %v: want the kind and container", tags)
	}
}

func TestFalcoPriorities(t *testing.T) {
	for _, s := range events.Severities {
		if p := FalcoPriorities[s]; !slices.Contains(falcoPriorities, p) {
			t.Errorf("severity %s: priority %q is not Falco's", s, p)
		}
	}
	if len(FalcoPriorities) != len(events.Severities) {
		t.Errorf("priorities for %v", slices.Collect(maps.Keys(FalcoPriorities)))
	}
}

func TestFalcoNetworkFields(t *testing.T) {
	e := events.New(events.KindNetwork, "network.egress.default", events.SeverityMedium, events.ActionDeny)
	e.Workload = "shop-api"
	e.Process = &events.Process{PID: 7, Exe: "/usr/bin/curl", Argv: []string{"curl", "10.0.0.1"}}
	if err := e.SetDetails(events.NetworkDetails{Direction: "egress", Syscall: "connect", Protocol: "tcp", Address: "10.0.0.1", Port: 443, Errno: 111}); err != nil {
		t.Fatal(err)
	}
	f := falco(e).OutputFields
	for k, want := range map[string]any{"fd.sip": "10.0.0.1", "fd.sport": int64(443), "fd.l4proto": "tcp", "evt.type": "connect", "evt.rawres": int64(-111)} {
		if f[k] != want {
			t.Errorf("%s = %#v, want %#v", k, f[k], want)
		}
	}
	if got := falco(e).Output; !strings.Contains(got, "egress connect 10.0.0.1:443 denied") {
		t.Errorf("output %q", got)
	}
}

func TestImageFields(t *testing.T) {
	tests := []struct {
		give              string
		wantRepo, wantTag string
		wantDigest        string
	}{
		{give: "nginx", wantRepo: "nginx"},
		{give: "localhost:5000/app:1.2", wantRepo: "localhost:5000/app", wantTag: "1.2"},
		{give: "localhost:5000/app", wantRepo: "localhost:5000/app"},
		{give: "app:1@sha256:abc", wantRepo: "app", wantTag: "1", wantDigest: "sha256:abc"},
	}
	for _, tt := range tests {
		f := map[string]any{}
		imageFields(f, tt.give)
		if f["container.image.repository"] != tt.wantRepo || (tt.wantTag != "") != (f["container.image.tag"] != nil) || tt.wantTag != "" && f["container.image.tag"] != tt.wantTag || tt.wantDigest != "" && f["container.image.digest"] != tt.wantDigest {
			t.Errorf("imageFields(%q) = %v", tt.give, f)
		}
	}
}

func TestSlackPayload(t *testing.T) {
	e := syscallEvent(t, "shop<api>")
	b, err := slackBody(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Errorf("keys %v: want text only", slices.Collect(maps.Keys(got)))
	}
	text, _ := got["text"].(string)
	for _, want := range []string{"*HIGH*", "`deny-ptrace`", "*shop&lt;api&gt;*", "syscall ptrace denied", "gdb -p 1 (pid 42, uid 1000)", e.ID} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q: no %q", text, want)
		}
	}
	if strings.Contains(text, "\n") {
		t.Errorf("text %q: want one line", text)
	}
}

// TestTargetsEndToEnd: each type's request, through a real consumer.
func TestTargetsEndToEnd(t *testing.T) {
	nc := bus(t)
	slack, falcoR := newReceiver(t, nil), newReceiver(t, nil)
	start(t, nc, nil, webhook("chat", TypeSlack, slack), webhook("sidekick", TypeFalco, falcoR))
	e := syscallEvent(t, "shop-api")
	publish(t, nc, e)
	slack.waitCount(t, 1)
	falcoR.waitCount(t, 1)
	var s slackMessage
	if err := json.Unmarshal(slack.bodies[0], &s); err != nil || !strings.Contains(s.Text, e.ID) {
		t.Errorf("slack got %s (%v)", slack.bodies[0], err)
	}
	var f falcoEvent
	if err := json.Unmarshal(falcoR.bodies[0], &f); err != nil || f.Rule != e.Rule || f.OutputFields["vigil.id"] != e.ID {
		t.Errorf("falco got %s (%v)", falcoR.bodies[0], err)
	}
}

func TestWhat(t *testing.T) {
	e := syscallEvent(t, "shop-api")
	e.Count = 3
	want := "syscall ptrace denied (3 times) by gdb -p 1 (pid 42, uid 1000)"
	if got := what(e, detailsOf(e)) + " by " + who(e.Process); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWebhookSource(t *testing.T) {
	tests := []struct {
		name, giveWorkload, want string
	}{
		{name: "plain", giveWorkload: "shop-api", want: "/vigil/shop-api"},
		{name: "control character", giveWorkload: "w\u0001x", want: "/vigil/w%01x"},
		{name: "line break", giveWorkload: "a\r\nX-Evil: 1", want: "/vigil/a__X-Evil:_1"},
		{name: "slash", giveWorkload: "ns/pod", want: "/vigil/ns%2Fpod"},
		{name: "dot as on the bus", giveWorkload: "a.b", want: "/vigil/a_b"},
		{name: "not ASCII", giveWorkload: "café", want: "/vigil/caf%C3%A9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := webhookBody(events.Event{Workload: tt.giveWorkload}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.headers["ce-source"]; got != tt.want {
				t.Errorf("ce-source = %q, want %q", got, tt.want)
			}
		})
	}
}
