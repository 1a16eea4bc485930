package forward

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/events"
)

// FalcoSource is the source of every Falco-compatible event vigil sends.
const FalcoSource = "vigil"

// FalcoPriorities maps vigil's severities to Falco's priorities. Falco's
// own rules use Critical for their gravest, so critical stays Critical;
// Emergency and Alert, which Falco's rules keep for the host itself, and
// Debug are never sent.
var FalcoPriorities = map[events.Severity]string{
	events.SeverityInfo:     "Informational",
	events.SeverityLow:      "Notice",
	events.SeverityMedium:   "Warning",
	events.SeverityHigh:     "Error",
	events.SeverityCritical: "Critical",
}

// falcoEvent is Falco's JSON output (json_output: true), as falcosidekick
// takes it on its / endpoint.
type falcoEvent struct {
	Time         string         `json:"time"`
	Rule         string         `json:"rule"`
	Priority     string         `json:"priority"`
	Output       string         `json:"output"`
	OutputFields map[string]any `json:"output_fields"`
	Source       string         `json:"source"`
	Tags         []string       `json:"tags"`
	Hostname     string         `json:"hostname"`
}

func falcoBody(e events.Event, _ []byte) (body, error) {
	b, err := marshal(falco(e))
	return body{data: b}, err
}

func falco(e events.Event) falcoEvent {
	d := detailsOf(e)
	host := e.Container.Hostname
	if host == "" {
		host = e.Workload
	}
	return falcoEvent{
		Time:         e.Time.UTC().Format(time.RFC3339Nano),
		Rule:         e.Rule,
		Priority:     FalcoPriorities[e.Severity],
		Output:       falcoOutput(e, d),
		OutputFields: outputFields(e, d),
		Source:       FalcoSource,
		Tags:         []string{"vigil", "container", string(e.Kind), string(e.Action)},
		Hostname:     host,
	}
}

// falcoOutput is the line Falco's outputs are: the time, the priority,
// then the message and its fields.
func falcoOutput(e events.Event, d details) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s: %s (workload=%s", e.Time.UTC().Format("15:04:05.000000000"), FalcoPriorities[e.Severity], e.Rule, what(e, d), e.Workload)
	if e.Container.ID != "" {
		fmt.Fprintf(&b, " container=%s", e.Container.ID)
	}
	if e.Container.Image != "" {
		fmt.Fprintf(&b, " image=%s", e.Container.Image)
	}
	if p := e.Process; p != nil {
		fmt.Fprintf(&b, " proc=%s pid=%d cmdline=%s uid=%d", procName(p), p.PID, cmdline(p), p.UID)
	}
	fmt.Fprintf(&b, " id=%s)", e.ID)
	return b.String()
}

// outputFields names what Falco has a field for with Falco's name, and
// the rest vigil.*: vigil.details.<key> holds every key of the details.
func outputFields(e events.Event, d details) map[string]any {
	f := map[string]any{
		"evt.time":       e.Time.UnixNano(),
		"container.name": e.Workload,
		"vigil.id":       e.ID,
		"vigil.kind":     string(e.Kind),
		"vigil.severity": string(e.Severity),
		"vigil.action":   string(e.Action),
		"vigil.workload": e.Workload,
		"vigil.count":    e.Count,
	}
	set(f, "container.id", e.Container.ID)
	set(f, "vigil.container.hostname", e.Container.Hostname)
	imageFields(f, e.Container.Image)
	processFields(f, e.Process)
	kindFields(f, e.Kind, d)
	for k, v := range d {
		f["vigil.details."+k] = scalar(v)
	}
	return f
}

// set stores v at key unless it is empty.
func set(f map[string]any, key, v string) {
	if v != "" {
		f[key] = v
	}
}

// imageFields splits "registry/name:tag@sha256:…" as Falco does.
func imageFields(f map[string]any, image string) {
	if image == "" {
		return
	}
	f["container.image"] = image
	repo, digest, _ := strings.Cut(image, "@")
	set(f, "container.image.digest", digest)
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo, f["container.image.tag"] = repo[:i], repo[i+1:]
	}
	f["container.image.repository"] = repo
}

func processFields(f map[string]any, p *events.Process) {
	if p == nil {
		return
	}
	f["proc.pid"], f["proc.ppid"] = p.PID, p.PPID
	f["user.uid"], f["group.gid"] = p.UID, p.GID
	set(f, "proc.name", procName(p))
	set(f, "proc.exepath", p.Exe)
	set(f, "proc.cmdline", cmdline(p))
	if len(p.Argv) > 1 {
		f["proc.args"] = strings.Join(p.Argv[1:], " ")
	}
	if len(p.Ancestry) > 0 {
		parent := p.Ancestry[0]
		set(f, "proc.pexepath", parent.Exe)
		set(f, "proc.pname", procName(&events.Process{Exe: parent.Exe}))
		anc := make([]string, len(p.Ancestry))
		for i, a := range p.Ancestry {
			anc[i] = strconv.Itoa(int(a.PID)) + ":" + a.Exe
		}
		f["vigil.ancestry"] = strings.Join(anc, " ")
	}
}

// kindFields maps the details Falco has fields for.
func kindFields(f map[string]any, k events.Kind, d details) {
	switch k {
	case events.KindSyscall:
		set(f, "evt.type", d.str("name"))
	case events.KindExec:
		f["evt.type"] = "execve"
	case events.KindNetwork:
		set(f, "evt.type", d.str("syscall"))
		networkFields(f, d)
	case events.KindFile:
		set(f, "fd.name", d.str("path"))
	}
	if errno, ok := d.num("errno"); ok {
		f["evt.rawres"] = -errno
	}
}

func networkFields(f map[string]any, d details) {
	addr := d.str("address")
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		f["fd.name"], f["fd.l4proto"] = path, "unix"
		return
	}
	set(f, "fd.sip", addr)
	set(f, "fd.l4proto", d.str("protocol"))
	set(f, "fd.sip.name", d.str("name"))
	if port, ok := d.num("port"); ok {
		f["fd.sport"] = port
	}
}

// scalar keeps strings, numbers and booleans, and writes anything else as
// its JSON text: Falco's output fields are scalars.
func scalar(v any) any {
	switch v.(type) {
	case string, json.Number, bool, nil:
		return v
	}
	b, _ := json.Marshal(v) // decoded from JSON: encodes again
	return string(b)
}
