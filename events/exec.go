package events

import (
	"encoding/json"
	"fmt"
	"slices"
)

// ExecDetails are the details of an exec event: the program about to run.
// The event's process is the caller, as it was before the exec (its exe
// and argv are the old program's).
type ExecDetails struct {
	// Path is the file executed, absolute, symlinks resolved; for a file
	// that has no path (a memfd), what /proc shows ("/memfd:name (deleted)").
	Path string `json:"path"`
	// Requested is the path as the caller gave it, when it differs from
	// Path (relative, through a symlink, "/proc/self/fd/3", "fd 3" for
	// execveat with an empty path).
	Requested string `json:"requested,omitempty"`
	// Argv is the new program's argv, argv[0] included.
	Argv []string `json:"argv"`
	// Cwd is the caller's working directory.
	Cwd string `json:"cwd,omitempty"`
	// Baseline is what the build-time baseline says of Path: "unchanged",
	// "changed" (content, mode or type), "absent" (not in it), or
	// "unknown" (no baseline, or the file could not be read).
	Baseline string `json:"baseline"`
	// Fileless is set when the file has no lasting path: "memfd",
	// "deleted", or "fd" (run through a file descriptor).
	Fileless string `json:"fileless,omitempty"`
	// Loaded is the file the dynamic loader was asked to run, when the
	// program is the loader (ld.so /tmp/x).
	Loaded string `json:"loaded,omitempty"`
	// Intended is the action the rule asks for when it differs from the
	// event's action (a rule that asks for deny where the kernel could not
	// refuse).
	Intended Action `json:"intended,omitempty"`
	// Errno is what the caller got, 0 when the exec went on.
	Errno int `json:"errno"`
}

// Exec returns the details of an exec event.
func (e Event) Exec() (ExecDetails, error) {
	var d ExecDetails
	if e.Kind != KindExec {
		return d, fmt.Errorf("reading exec details: event kind is %q", e.Kind)
	}
	return d, e.DetailsAs(&d)
}

// The values of ExecDetails.Baseline and Fileless.
var (
	execBaselines = []string{"unchanged", "changed", "absent", "unknown"}
	execFileless  = []string{"", "memfd", "deleted", "fd"}
)

// execWire tells a missing member from an empty one.
type execWire struct {
	ExecDetails
	Argv  *[]string `json:"argv"`
	Errno *int      `json:"errno"`
}

func validateExec(raw json.RawMessage, add addFunc) {
	var d execWire
	if err := json.Unmarshal(raw, &d); err != nil {
		add("details", "exec: %v", err)
		return
	}
	if d.Path == "" {
		add("details.path", "empty")
	}
	if d.Argv == nil {
		add("details.argv", "missing")
	}
	if !slices.Contains(execBaselines, d.Baseline) {
		add("details.baseline", "%q, want one of %v", d.Baseline, execBaselines)
	}
	if !slices.Contains(execFileless, d.Fileless) {
		add("details.fileless", "unknown %q", d.Fileless)
	}
	if d.Intended != "" && !d.Intended.Valid() {
		add("details.intended", "unknown %q", d.Intended)
	}
	if d.Errno == nil || *d.Errno < 0 || *d.Errno > 4095 {
		add("details.errno", "missing or out of 0..4095")
	}
}
