package events

import (
	"encoding/json"
	"fmt"
	"slices"
)

// ProcessDetails are the details of a process event: what the /proc scan
// found about the event's process. Fields that do not apply to What are
// left out.
type ProcessDetails struct {
	// What the scan found: "outsider" (not started by vigil: docker exec,
	// kubectl exec, nsenter), "fileless" (its executable is deleted or a
	// memfd), "drift" (its executable is not in the baseline), "root" (it
	// runs as uid 0 while the policy's user is not root), "listener" (a
	// new listening socket), "reverse-shell" (its stdin, stdout or stderr
	// is a connected network socket), "cpu-hog" (sustained CPU use).
	What string `json:"what"`
	// TTY is the process's controlling terminal ("/dev/pts/0"), empty for
	// none. Set for outsiders, where it tells docker exec -t from a
	// script.
	TTY string `json:"tty,omitempty"`
	// Entered says how an outsider got in, e.g. "docker exec, kubectl
	// exec or nsenter (its parent is outside the PID namespace)".
	Entered string `json:"entered,omitempty"`
	// EntryPID is the outsider through which this one entered: itself, or
	// the ancestor whose parent is outside the PID namespace.
	EntryPID int32 `json:"entry_pid,omitempty"`
	// Fileless is "memfd" or "deleted" (fileless); ExeDeleted is set when
	// the executable's file was removed after it started.
	Fileless   string `json:"fileless,omitempty"`
	ExeDeleted bool   `json:"exe_deleted,omitempty"`
	// UIDs are the real, effective and saved uids ("0/0/0"), for root.
	UIDs string `json:"uids,omitempty"`
	// Protocol is "tcp", "tcp6", "udp" or "udp6" (listener, reverse-shell).
	Protocol string `json:"protocol,omitempty"`
	// ListenAddress and ListenPort are where a listener listens
	// ("0.0.0.0", "::1").
	ListenAddress string `json:"listen_address,omitempty"`
	ListenPort    int    `json:"listen_port,omitempty"`
	// FD is the descriptor that is a socket (reverse-shell: 0, 1 or 2;
	// the lowest one); FDs lists all of 0, 1 and 2 that are.
	FD  *int  `json:"fd,omitempty"`
	FDs []int `json:"fds,omitempty"`
	// LocalAddress and RemoteAddress are the two ends of a reverse
	// shell's socket, "host:port" ("[::1]:4444" for IPv6).
	LocalAddress  string `json:"local_address,omitempty"`
	RemoteAddress string `json:"remote_address,omitempty"`
	// State is the TCP state of the socket ("established"), for
	// reverse-shell.
	State string `json:"state,omitempty"`
	// CPUPercent is the process's CPU use over the sustained window, in
	// percent of one core (above 100 for several threads); and
	// SustainedSeconds how long it stayed above the threshold.
	CPUPercent       float64 `json:"cpu_percent,omitempty"`
	SustainedSeconds float64 `json:"sustained_seconds,omitempty"`
	// Threshold is the CPU threshold, in percent of one core (cpu-hog).
	Threshold float64 `json:"threshold_percent,omitempty"`
}

// ProcessDetails returns the details of a process event.
func (e Event) ProcessDetails() (ProcessDetails, error) {
	var d ProcessDetails
	if e.Kind != KindProcess {
		return d, fmt.Errorf("reading process details: event kind is %q", e.Kind)
	}
	return d, e.DetailsAs(&d)
}

// processWhats are the values of ProcessDetails.What.
var processWhats = []string{"outsider", "fileless", "drift", "root", "listener", "reverse-shell", "cpu-hog"}

func validateProcessDetails(raw json.RawMessage, add addFunc) {
	var d ProcessDetails
	if err := json.Unmarshal(raw, &d); err != nil {
		add("details", "process: %v", err)
		return
	}
	if !slices.Contains(processWhats, d.What) {
		add("details.what", "%q, want one of %v", d.What, processWhats)
	}
	if d.ListenPort < 0 || d.ListenPort > 65535 {
		add("details.listen_port", "%d, want 0..65535", d.ListenPort)
	}
}
