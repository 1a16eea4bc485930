package events

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Summary is a one-line human-readable form of e's process and details,
// as vigil tail prints them after the time, workload, severity and rule.
func (e Event) Summary() string {
	var parts []string
	if p := e.Process; p != nil {
		pid := fmt.Sprintf("pid %d", p.PID)
		if p.PIDsDiffer {
			pid += " and others" // folded from several processes
		}
		parts = append(parts, pid+" "+p.Exe)
	}
	parts = append(parts, e.detailSummary())
	if e.Count > 1 && e.Kind != KindDropped {
		parts = append(parts, fmt.Sprintf("(x%d)", e.Count))
	}
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), "  ")
}

func (e Event) detailSummary() string {
	switch e.Kind {
	case KindSyscall:
		var d SyscallDetails
		if e.DetailsAs(&d) != nil {
			break
		}
		s := d.Name
		for _, k := range slices.Sorted(maps.Keys(d.Decoded)) {
			s += " " + k + "=" + d.Decoded[k]
		}
		if d.Errno != 0 {
			s += " errno " + strconv.Itoa(d.Errno)
		}
		return s + " " + string(e.Action)
	case KindExec:
		var d ExecDetails
		if e.DetailsAs(&d) != nil {
			break
		}
		s := "exec " + d.Path
		if len(d.Argv) > 0 {
			s += " " + strconv.Quote(strings.Join(d.Argv, " "))
		}
		if d.Fileless != "" {
			s += " fileless " + d.Fileless
		}
		if d.Loaded != "" {
			s += " loads " + d.Loaded
		}
		if d.Baseline != "unknown" && d.Baseline != "" {
			s += " baseline " + d.Baseline
		}
		if d.Errno != 0 {
			s += " errno " + strconv.Itoa(d.Errno)
		}
		return s + " " + string(e.Action)
	case KindNetwork:
		var d NetworkDetails
		if e.DetailsAs(&d) != nil {
			break
		}
		s := fmt.Sprintf("%s %s %s", d.Direction, d.Syscall, d.Address)
		if d.Port != 0 {
			s = fmt.Sprintf("%s %s %s", d.Direction, d.Syscall, netJoin(d.Address, d.Port))
		}
		return s + " " + string(e.Action)
	case KindProcess:
		var d ProcessDetails
		if e.DetailsAs(&d) != nil {
			break
		}
		s := d.What
		switch {
		case d.Entered != "":
			s += " " + d.Entered
		case d.RemoteAddress != "":
			s += " " + d.LocalAddress + " -> " + d.RemoteAddress
		case d.ListenPort != 0:
			s += fmt.Sprintf(" %s %s:%d", d.Protocol, d.ListenAddress, d.ListenPort)
		case d.CPUPercent != 0:
			s += fmt.Sprintf(" %.0f%% for %.0fs", d.CPUPercent, d.SustainedSeconds)
		case d.Fileless != "":
			s += " " + d.Fileless
		}
		if d.TTY != "" {
			s += " tty " + d.TTY
		}
		return s
	case KindFile:
		var d FileDetails
		if e.DetailsAs(&d) != nil {
			break
		}
		s := strings.TrimSpace(d.Change + " " + d.Op + " " + d.Path)
		if d.Expected != "" || d.Actual != "" {
			s += fmt.Sprintf(" (%s -> %s)", d.Expected, d.Actual)
		}
		if d.By != "" {
			s += " by " + d.By
		}
		return s
	case KindLifecycle:
		var d LifecycleDetails
		if e.DetailsAs(&d) != nil {
			break
		}
		s := strings.TrimSpace(d.What + " " + d.Component + " " + d.Path)
		if d.Version != "" {
			s += " vigil " + d.Version
		}
		if d.ExitCode != nil {
			s += " exit " + strconv.Itoa(*d.ExitCode)
		}
		if d.Error != "" {
			s += ": " + d.Error
		}
		return s
	case KindHeartbeat:
		var d HeartbeatDetails
		if e.DetailsAs(&d) != nil {
			break
		}
		var published int64
		for _, n := range d.Published {
			published += n
		}
		s := fmt.Sprintf("up %ds, %d published, %d waiting in the outbox, %d dropped", d.UptimeSeconds, published, d.OutboxRecords, d.Dropped)
		if d.LastPublishError != "" {
			s += "; last error " + d.LastPublishErrorTime + ": " + d.LastPublishError
		}
		return s
	case KindDropped:
		var d DroppedDetails
		if e.DetailsAs(&d) != nil {
			break
		}
		s := fmt.Sprintf("%d events lost: %s", e.Count, d.Reason)
		for _, g := range d.Lost {
			s += fmt.Sprintf("; %d %s %s %s", g.Count, g.Severity, g.Kind, g.Rule)
		}
		return s
	}
	return string(e.Details)
}

// netJoin is host:port, [host]:port for IPv6.
func netJoin(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}
