package filewatch

import (
	"fmt"
	"strings"
	"time"
)

// DefaultRescan is how often a Watcher compares every file with the
// baseline, for what inotify cannot see (a change made before the watch
// was set up, a lost event, a watch limit reached).
const DefaultRescan = 10 * time.Minute

// ChangeKind says how an entry differs from the baseline.
type ChangeKind string

// The kinds of change, in the order Compare reports those of one path.
const (
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
	// TypeChanged: a file became a directory, a symlink... the other
	// kinds are then not reported for it.
	TypeChanged ChangeKind = "type"
	Content     ChangeKind = "content"
	ModeChanged ChangeKind = "mode"
	Owner       ChangeKind = "owner"
	// Target: a symlink's target, or a device's numbers.
	Target ChangeKind = "target"
	// SensitiveOpened: a sensitive file was opened, to read it or write it
	// (WatchOptions.Sensitive).
	SensitiveOpened ChangeKind = "opened"
	// Tampered: one of vigil's own files (its policy, profile, baseline,
	// credentials, outbox) was changed by another process
	// (WatchOptions.Own).
	Tampered ChangeKind = "tampered"
)

// Change is one difference between the baseline and the file system.
type Change struct {
	Kind ChangeKind `json:"change"`
	Path string     `json:"path"`
	// Expected and Actual describe the baseline's and the file system's
	// value: "sha256:… (N bytes)" for content, "0755" for mode,
	// "uid:gid" for owner; empty for added and removed.
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// SetID is set when the change gives a file a setuid or setgid bit it
	// did not have (a mode change, or a file added with one).
	SetID bool `json:"-"`
}

func (c Change) String() string {
	if c.Expected == "" && c.Actual == "" {
		return fmt.Sprintf("%-8s %s", c.Kind, c.Path)
	}
	return fmt.Sprintf("%-8s %s: %s, was %s", c.Kind, c.Path, c.Actual, c.Expected)
}

// Compare returns every difference between want (the baseline) and got
// (a scan), both sorted by path, in path order.
func Compare(want, got []Entry) []Change {
	var out []Change
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && want[i].Path < got[j].Path:
			out = append(out, Change{Kind: Removed, Path: want[i].Path})
			i++
		case i == len(want) || got[j].Path < want[i].Path:
			out = append(out, Change{Kind: Added, Path: got[j].Path, SetID: got[j].Mode&setIDBits != 0})
			j++
		default:
			out = append(out, compareEntry(&want[i], &got[j])...)
			i, j = i+1, j+1
		}
	}
	return out
}

func compareEntry(w, g *Entry) []Change {
	if w.Type != g.Type {
		return []Change{{Kind: TypeChanged, Path: w.Path, Expected: w.Type.String(), Actual: g.Type.String()}}
	}
	var out []Change
	if w.SHA256 != g.SHA256 || w.Size != g.Size {
		out = append(out, Change{Kind: Content, Path: w.Path, Expected: content(w), Actual: content(g)})
	}
	if w.Mode != g.Mode {
		out = append(out, Change{Kind: ModeChanged, Path: w.Path, Expected: fmt.Sprintf("%04o", w.Mode),
			Actual: fmt.Sprintf("%04o", g.Mode), SetID: g.Mode&^w.Mode&setIDBits != 0})
	}
	if w.UID != g.UID || w.GID != g.GID {
		out = append(out, Change{Kind: Owner, Path: w.Path, Expected: fmt.Sprintf("%d:%d", w.UID, w.GID), Actual: fmt.Sprintf("%d:%d", g.UID, g.GID)})
	}
	if w.Target != g.Target {
		out = append(out, Change{Kind: Target, Path: w.Path, Expected: w.Target, Actual: g.Target})
	}
	return out
}

// setIDBits are setuid and setgid.
const setIDBits = 0o6000

func content(e *Entry) string {
	return fmt.Sprintf("sha256:%s (%d bytes)", e.SHA256, e.Size)
}

// IsUnder reports whether path is dir or below it.
func IsUnder(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// Within returns the entries of es under one of roots (or at one), and es
// itself when roots is empty.
func Within(es []Entry, roots []string) []Entry {
	if len(roots) == 0 {
		return es
	}
	var out []Entry
	for _, e := range es {
		for _, r := range roots {
			if IsUnder(e.Path, r) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
