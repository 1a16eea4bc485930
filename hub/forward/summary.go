package forward

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/vigilsec/vigil/events"
)

// details are an event's details as JSON values (numbers kept exact).
type details map[string]any

func detailsOf(e events.Event) details {
	var d details
	if len(e.Details) > 0 {
		dec := json.NewDecoder(bytes.NewReader(e.Details))
		dec.UseNumber()
		_ = dec.Decode(&d) // Decode checked the event: details are an object or absent
	}
	return d
}

// str is the string, or number as text, at key; "" when absent.
func (d details) str(key string) string {
	switch v := d[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

// num is the integer at key.
func (d details) num(key string) (int64, bool) {
	n, ok := d[key].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// done says what vigil did, as a past participle.
func done(a events.Action) string {
	switch a {
	case events.ActionDeny:
		return "denied"
	case events.ActionKill:
		return "killed"
	}
	return "reported"
}

// what says in a few words what happened: "syscall ptrace denied".
func what(e events.Event, d details) string {
	var s string
	switch e.Kind {
	case events.KindSyscall:
		s = "syscall " + d.str("name")
	case events.KindExec:
		s = "exec of " + d.str("path")
	case events.KindFile:
		s = strings.TrimSpace("file " + d.str("path") + " " + d.str("change"))
	case events.KindNetwork:
		s = strings.TrimSpace(d.str("direction") + " " + d.str("syscall") + " " + hostPort(d.str("address"), d.str("port")))
	case events.KindProcess:
		s = "process " + d.str("what")
	case events.KindLifecycle:
		s = strings.TrimSpace("vigil " + d.str("what") + " " + d.str("component"))
	case events.KindDropped:
		return fmt.Sprintf("%d events lost (%s)", e.Count, d.str("reason"))
	default:
		s = string(e.Kind)
	}
	if e.Kind != events.KindLifecycle && e.Kind != events.KindHeartbeat {
		s += " " + done(e.Action)
	}
	if e.Count > 1 {
		s += fmt.Sprintf(" (%d times)", e.Count)
	}
	return s
}

// hostPort joins an address and a port as a dialer would write them.
func hostPort(addr, port string) string {
	switch {
	case port == "" || port == "0" || strings.HasPrefix(addr, "unix:"):
		return addr
	case strings.Contains(addr, ":"):
		return "[" + addr + "]:" + port
	}
	return addr + ":" + port
}

// who says which process: "gdb -p 1 (pid 42, uid 1000)"; "" when none.
func who(p *events.Process) string {
	if p == nil {
		return ""
	}
	cmd := cmdline(p)
	if cmd == "" {
		cmd = "?"
	}
	return fmt.Sprintf("%s (pid %d, uid %d)", cmd, p.PID, p.UID)
}

// procName is the process's name as Falco's proc.name has it: the base
// name of its executable, else of argv[0].
func procName(p *events.Process) string {
	switch {
	case p.Exe != "":
		return path.Base(p.Exe)
	case len(p.Argv) > 0:
		return path.Base(p.Argv[0])
	}
	return ""
}

// cmdline is Falco's proc.cmdline: the name, then the arguments after
// argv[0].
func cmdline(p *events.Process) string {
	parts := []string{procName(p)}
	if len(p.Argv) > 1 {
		parts = append(parts, p.Argv[1:]...)
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}
