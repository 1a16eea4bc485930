package procwatch

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/vigilsec/vigil/events"
)

// The rules of the scan: the rule names of its process events. Users filter
// and alert on them; they do not change.
const (
	RuleOutsider     = "proc.outsider"         // not a descendant of vigil (docker exec)
	RuleTermShell    = "proc.terminal-shell"   // an outsider that is a shell on a terminal (docker exec -it sh)
	RuleFileless     = "proc.fileless-running" // executable deleted or a memfd
	RuleDrift        = "proc.drift-running"    // executable outside the baseline
	RuleRoot         = "proc.root"             // uid 0 while the policy's user is not root
	RuleListener     = "proc.listener"         // a new listening TCP or UDP socket
	RuleReverseShell = "proc.reverse-shell"    // stdin, stdout or stderr is a connected socket
	RuleCPUHog       = "proc.cpu-hog"          // sustained CPU above the threshold
)

// The defaults of ScanConfig.
const (
	DefaultInterval     = time.Second
	DefaultCPUThreshold = 0.9
	DefaultCPUSustain   = 5 * time.Second
)

// ScanConfig configures a Scanner. The zero value of each field means its
// default.
type ScanConfig struct {
	// Interval is the time between two scans (default 1 s).
	Interval time.Duration
	// Self is vigil's pid, the root of the processes it started: any
	// other process is an outsider (default os.Getpid()).
	Self int
	// AppUser is the uid the policy runs the app as; nil when the policy
	// sets none, and then no process is reported for running as root.
	AppUser *uint32
	// InBaseline says whether an executable's path is in the build-time
	// baseline (known); ok is false when the baseline cannot tell (not
	// loaded). Nil: no baseline, no drift findings.
	InBaseline func(path string) (known bool, ok bool)
	// CPUThreshold is the CPU use, as a fraction of one core, above which
	// a process counts as busy (default 0.9).
	CPUThreshold float64
	// CPUSustain is how long a process must stay busy to be reported
	// (default 5 s).
	CPUSustain time.Duration
	// DescendantsOnly judges only vigil's descendants, and reports no
	// outsider: for a vigil that does not own its PID namespace (on a
	// host, as a child subreaper), where every other process is someone
	// else's.
	DescendantsOnly bool
	// Declared says whether the network policy declares a listener (its
	// protocol, "tcp" or "udp", and local address): such a listener is not
	// reported. Nil: every new listener is.
	Declared func(proto string, local netip.AddrPort) bool
	// CPUAllow lists the programs allowed to be busy: a name without a
	// slash matches the process's name (comm), its executable's base name
	// or its argv[0]'s; a path matches its executable.
	CPUAllow []string
}

// withDefaults returns c with its zero fields set to their defaults.
func (c ScanConfig) withDefaults() ScanConfig {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Self == 0 {
		c.Self = os.Getpid()
	}
	if c.CPUThreshold == 0 {
		c.CPUThreshold = DefaultCPUThreshold
	}
	if c.CPUSustain == 0 {
		c.CPUSustain = DefaultCPUSustain
	}
	return c
}

// Validate reports every problem of c at once.
func (c ScanConfig) Validate() error {
	var errs []error
	if c.Interval < 0 {
		errs = append(errs, fmt.Errorf("scan interval %v: negative", c.Interval))
	}
	if c.Interval > 0 && c.Interval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("scan interval %v: below 10ms, the scan would own a core", c.Interval))
	}
	if c.Self < 0 {
		errs = append(errs, fmt.Errorf("scan self pid %d: negative", c.Self))
	}
	if c.CPUThreshold < 0 {
		errs = append(errs, fmt.Errorf("cpu threshold %v: negative", c.CPUThreshold))
	}
	if c.CPUSustain < 0 {
		errs = append(errs, fmt.Errorf("cpu sustain %v: negative", c.CPUSustain))
	}
	for i, name := range c.CPUAllow {
		if name == "" {
			errs = append(errs, fmt.Errorf("cpu allow list entry %d: empty", i))
		}
	}
	return errors.Join(errs...)
}

// Finding is one thing the scan found about one process: the makings of a
// process event (kind process, action alert).
type Finding struct {
	Rule     string
	Severity events.Severity
	Process  events.Process
	Details  events.ProcessDetails
}

// Event returns f as a process event with action alert. The caller sets the
// workload and the container.
func (f Finding) Event() (events.Event, error) {
	e := events.New(events.KindProcess, f.Rule, f.Severity, events.ActionAlert)
	p := f.Process
	e.Process = &p
	if err := e.SetDetails(f.Details); err != nil {
		return events.Event{}, err
	}
	return e, nil
}
