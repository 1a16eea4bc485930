package forward

import (
	"path"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// maxFilterSubjects caps the subjects a consumer filters on; past it the
// consumer takes every event and the filter works in Go alone.
const maxFilterSubjects = 64

// Match reports whether f selects e.
func (f Filter) Match(e events.Event) bool {
	return globs(f.Workloads, e.Workload) &&
		(len(f.Kinds) == 0 || slices.Contains(f.Kinds, e.Kind)) &&
		(f.MinSeverity == "" || rank(e.Severity) >= rank(f.MinSeverity)) &&
		globs(f.Rules, e.Rule) &&
		(len(f.Actions) == 0 || slices.Contains(f.Actions, e.Action))
}

// globs reports whether s matches one of patterns, or patterns is empty.
func globs(patterns []string, s string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// rank orders severities, least urgent first.
func rank(s events.Severity) int { return slices.Index(events.Severities, s) }

// subjects are the subjects the stream can filter f by: workloads that
// are not globs, times kinds. The stream's subjects only narrow; Match
// decides.
func (f Filter) subjects() []string {
	workloads := []string{"*"}
	if len(f.Workloads) > 0 && !slices.ContainsFunc(f.Workloads, isGlob) {
		workloads = f.Workloads
	}
	kinds := []events.Kind{"*"}
	if len(f.Kinds) > 0 {
		kinds = f.Kinds
	}
	if len(workloads)*len(kinds) > maxFilterSubjects {
		return []string{natsbus.FilterSubject("", "")}
	}
	var out []string
	for _, w := range workloads {
		for _, k := range kinds {
			if s := natsbus.FilterSubject(w, k); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func isGlob(s string) bool { return strings.ContainsAny(s, `*?[\`) }
