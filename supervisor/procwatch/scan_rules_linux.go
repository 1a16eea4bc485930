package procwatch

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/events"
)

// enteredFromOutside is what an outsider's details say when its chain of
// parents leaves the PID namespace.
const enteredFromOutside = "docker exec, kubectl exec or nsenter (its parent is outside the PID namespace)"

// judge applies the per-process rules to p.
func (s *Scanner) judge(p *proc, ps *pass) []Finding {
	t := ps.tree
	var out []Finding
	add := func(rule string, sev events.Severity, key string, d events.ProcessDetails) {
		if p.once(rule + "\x00" + key) {
			out = append(out, Finding{Rule: rule, Severity: sev, Process: t.process(p), Details: d})
		}
	}
	if !t.descends(p.id.pid) {
		d := s.outsider(p, t)
		add(RuleOutsider, events.SeverityHigh, "", d)
		if d.TTY != "" && isShell(p) {
			add(RuleTermShell, events.SeverityCritical, "", d)
		}
	}
	if d, ok := fileless(p.exe); ok {
		add(RuleFileless, events.SeverityCritical, p.exe, d)
	} else if s.drifted(p.exe) {
		add(RuleDrift, events.SeverityHigh, p.exe, events.ProcessDetails{What: "drift"})
	}
	if s.rootUnexpected(p) {
		add(RuleRoot, events.SeverityHigh, "", events.ProcessDetails{What: "root", UIDs: idString(p.uids)})
	}
	if d, inode, ok := s.reverseShell(p, ps); ok {
		add(RuleReverseShell, events.SeverityCritical, strconv.FormatUint(inode, 10), d)
	}
	if d, ok := s.cpuHog(p, ps.now); ok {
		add(RuleCPUHog, events.SeverityMedium, "", d)
	}
	return out
}

func (s *Scanner) outsider(p *proc, t *tree) events.ProcessDetails {
	top, outside := t.entry(p)
	d := events.ProcessDetails{What: "outsider", TTY: ttyName(p.stat.ttyNr), EntryPID: top.id.pid}
	switch {
	case outside && top == p:
		d.Entered = enteredFromOutside
	case outside:
		d.Entered = fmt.Sprintf("below pid %d, entered by %s", top.id.pid, enteredFromOutside)
	default:
		d.Entered = fmt.Sprintf("not started by vigil (pid %d): its ancestry ends at pid %d (%s)", s.cfg.Self, top.id.pid, top.exe)
	}
	return d
}

// fileless tells a deleted or memfd executable by its /proc/PID/exe link.
func fileless(exe string) (events.ProcessDetails, bool) {
	switch {
	case strings.HasPrefix(exe, "/memfd:"):
		return events.ProcessDetails{What: "fileless", Fileless: "memfd"}, true
	case strings.HasSuffix(exe, " (deleted)"):
		return events.ProcessDetails{What: "fileless", Fileless: "deleted", ExeDeleted: true}, true
	}
	return events.ProcessDetails{}, false
}

func (s *Scanner) drifted(exe string) bool {
	if s.cfg.InBaseline == nil || exe == "" {
		return false
	}
	known, ok := s.cfg.InBaseline(exe)
	return ok && !known
}

// rootUnexpected reports a process with uid 0 (real, effective or saved)
// when the app runs as another user. vigil's own re-exec (its child running
// vigil's executable) is root until it drops to the app's user.
func (s *Scanner) rootUnexpected(p *proc) bool {
	if s.cfg.AppUser == nil || *s.cfg.AppUser == 0 || !slices.Contains(p.uids[:3], 0) {
		return false
	}
	if self := s.procs[int32(s.cfg.Self)]; self != nil && p.stat.ppid == self.id.pid && p.exe == self.exe {
		return false
	}
	return true
}

func idString(v ids) string {
	return fmt.Sprintf("%d/%d/%d", v[0], v[1], v[2])
}

// reverseShell finds a connected TCP or UDP socket on fd 0, 1 or 2. Each
// socket is looked at once: its protocol first (a UNIX socket on stdio is
// common and harmless), its peer only for TCP and UDP.
func (s *Scanner) reverseShell(p *proc, ps *pass) (events.ProcessDetails, uint64, bool) {
	var d events.ProcessDetails
	var first uint64
	for fd, link := range p.stdio {
		inode, ok := socketInode(link)
		if !ok || inode == p.stdioChecked[fd] {
			continue
		}
		p.stdioChecked[fd] = inode
		if _, inet := tableOf(s.rd.protocol(p, fd)); !inet {
			continue
		}
		sk, found := ps.sockets()[inode]
		if !found || !sk.connected() {
			continue
		}
		d.FDs = append(d.FDs, fd)
		if first == 0 {
			first = inode
			d = events.ProcessDetails{What: "reverse-shell", FD: &fd, FDs: d.FDs, Protocol: sk.proto,
				LocalAddress: sk.Local.String(), RemoteAddress: sk.Remote.String(), State: tcpStates[sk.State]}
			if sk.proto[0] == 'u' {
				d.State = ""
			}
		}
	}
	return d, first, first != 0
}

// cpuTrack follows one process's CPU use from scan to scan.
type cpuTrack struct {
	last      time.Time
	lastTicks uint64
	hotSince  time.Time // zero when not busy
	hotTicks  uint64
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture vigil is built for.
const clockTicks = 100

// cpuHog records p's CPU use and reports it once it has stayed above the
// threshold for CPUSustain.
func (s *Scanner) cpuHog(p *proc, now time.Time) (events.ProcessDetails, bool) {
	c := &p.cpu
	ticks := p.stat.ticks
	if c.last.IsZero() || ticks < c.lastTicks {
		c.last, c.lastTicks, c.hotSince = now, ticks, time.Time{}
		return events.ProcessDetails{}, false
	}
	busy := rate(ticks-c.lastTicks, now.Sub(c.last)) >= s.cfg.CPUThreshold
	switch {
	case !busy:
		c.hotSince = time.Time{}
	case c.hotSince.IsZero():
		c.hotSince, c.hotTicks = c.last, c.lastTicks
	}
	c.last, c.lastTicks = now, ticks
	held := now.Sub(c.hotSince)
	if !busy || held < s.cfg.CPUSustain || s.cpuAllowed(p) {
		return events.ProcessDetails{}, false
	}
	return events.ProcessDetails{
		What:             "cpu-hog",
		CPUPercent:       round1(100 * rate(ticks-c.hotTicks, held)),
		SustainedSeconds: round1(held.Seconds()),
		Threshold:        round1(100 * s.cfg.CPUThreshold),
	}, true
}

// rate is CPU time over wall time, in cores.
func rate(ticks uint64, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return float64(ticks) / clockTicks / wall.Seconds()
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

func (s *Scanner) cpuAllowed(p *proc) bool {
	var argv0 string
	if len(p.argv) > 0 {
		argv0 = filepath.Base(p.argv[0])
	}
	for _, a := range s.cfg.CPUAllow {
		if strings.Contains(a, "/") {
			if a == p.exe {
				return true
			}
		} else if a == p.stat.comm || a == filepath.Base(p.exe) || a == argv0 {
			return true
		}
	}
	return false
}

// shells are the programs proc.terminal-shell knows as shells.
var shells = []string{"sh", "ash", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish"}

// isShell reports whether p runs a shell, by its exe's base name or its
// argv[0]'s (busybox runs the applet its argv[0] names; "-sh" is a login
// shell).
func isShell(p *proc) bool {
	if slices.Contains(shells, filepath.Base(p.exe)) {
		return true
	}
	return len(p.argv) > 0 && slices.Contains(shells, strings.TrimPrefix(filepath.Base(p.argv[0]), "-"))
}
