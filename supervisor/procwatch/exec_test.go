package procwatch

import (
	"slices"
	"syscall"
	"testing"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/rules"
)

// TestExecsPack: each pack match is one exec event with the pack rule's
// name and severity; a deny match refuses the execution.
func TestExecsPack(t *testing.T) {
	alert := rules.PackMatch{Name: "proc.a", Severity: rules.SeverityHigh, Action: rules.VerdictAlert}
	deny := rules.PackMatch{Name: "proc.d", Severity: rules.SeverityCritical, Action: rules.VerdictDeny}
	tests := []struct {
		name      string
		giveMatch []rules.PackMatch
		wantErrno syscall.Errno
		want      []string // rule severity action
	}{
		{name: "none"},
		{name: "alert", giveMatch: []rules.PackMatch{alert}, want: []string{"proc.a high alert"}},
		{name: "deny", giveMatch: []rules.PackMatch{alert, deny}, wantErrno: syscall.EACCES,
			want: []string{"proc.a high deny", "proc.d critical deny"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen *rules.ExecCall
			x := NewExecs(ExecConfig{Drift: rules.DriftOff, Pack: func(c *rules.ExecCall) []rules.PackMatch { seen = c; return tt.giveMatch }})
			e := &Exec{Path: "/bin/sh", Argv: []string{"sh"}, Exists: true, TTY: true,
				Caller: &events.Process{PID: 2, Argv: []string{"busybox", "env"}}, ParentExe: "/bin/busybox", ParentArgv0: "busybox"}
			v := x.Decide(e)
			if v.Errno != tt.wantErrno {
				t.Errorf("errno %v, want %v", v.Errno, tt.wantErrno)
			}
			if seen == nil || !seen.TTY || !slices.Equal(seen.ParentArgv, e.Caller.Argv) {
				t.Errorf("the pack was given %+v: want the caller's argv and the terminal", seen)
			}
			var got []string
			for _, ev := range x.Report(e, v) {
				got = append(got, ev.Rule+" "+string(ev.Severity)+" "+string(ev.Action))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("events %v, want %v", got, tt.want)
			}
		})
	}
}
