package hub

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/vigilsec/vigil/events"
)

// Bounds of the query parameters.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	// maxParamLen bounds a filter's text: more says nothing useful.
	maxParamLen = 1024
	// Defaults and bounds of /api/rules.
	DefaultWindow = time.Hour
	DefaultStep   = time.Minute
	MaxWindow     = 31 * 24 * time.Hour
	MinStep       = time.Second
	MaxBuckets    = 1440
)

// filter selects events: every field set must match.
type filter struct {
	workload string
	kind     events.Kind
	severity events.Severity // at least this severe
	rule     string
	q        string // ASCII case-insensitive, in the event's JSON
}

// parseFilter reads a filter from query parameters workload, kind,
// severity, rule and q.
func parseFilter(v url.Values) (filter, error) {
	f := filter{workload: v.Get("workload"), kind: events.Kind(v.Get("kind")),
		severity: events.Severity(v.Get("severity")), rule: v.Get("rule"), q: v.Get("q")}
	for name, s := range map[string]string{"workload": f.workload, "rule": f.rule, "q": f.q} {
		if len(s) > maxParamLen {
			return filter{}, fmt.Errorf("%s: longer than %d bytes", name, maxParamLen)
		}
	}
	if f.kind != "" && !f.kind.Valid() {
		return filter{}, fmt.Errorf("kind %q: want one of %v", f.kind, events.Kinds)
	}
	if f.severity != "" && !f.severity.Valid() {
		return filter{}, fmt.Errorf("severity %q: want one of %v", f.severity, events.Severities)
	}
	return f, nil
}

// parsePage reads before (an event id) and limit.
func parsePage(v url.Values) (before string, limit int, err error) {
	before, limit = v.Get("before"), DefaultLimit
	if before != "" && !validID(before) {
		return "", 0, fmt.Errorf("before %q: not an event id", before)
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return "", 0, fmt.Errorf("limit %q: want a number from 1 to %d", s, MaxLimit)
		}
		limit = min(n, MaxLimit)
	}
	return before, limit, nil
}

// parseWindow reads window and step (Go durations: 1h, 90s).
func parseWindow(v url.Values) (window, step time.Duration, err error) {
	window, step = DefaultWindow, DefaultStep
	if s := v.Get("window"); s != "" {
		if window, err = time.ParseDuration(s); err != nil || window <= 0 || window > MaxWindow {
			return 0, 0, fmt.Errorf("window %q: want a duration up to %s (1h, 30m)", s, MaxWindow)
		}
	}
	if s := v.Get("step"); s != "" {
		if step, err = time.ParseDuration(s); err != nil || step < MinStep {
			return 0, 0, fmt.Errorf("step %q: want a duration of at least %s (1m, 10s)", s, MinStep)
		}
	}
	if buckets(window, step) > MaxBuckets {
		return 0, 0, fmt.Errorf("window %s in steps of %s: more than %d steps", window, step, MaxBuckets)
	}
	return window, step, nil
}

// buckets is how many steps cover window.
func buckets(window, step time.Duration) int64 {
	return int64((window + step - 1) / step)
}

// validID reports whether s is an event id: an upper-case ULID.
func validID(s string) bool {
	id, err := ulid.ParseStrict(s)
	return err == nil && id.String() == s
}

// matcher is a filter ready to match many events.
type matcher struct {
	f     filter
	rank  int
	q     []byte
	lower []byte // reused
}

func (f filter) matcher() *matcher {
	return &matcher{f: f, rank: severityRank(f.severity), q: asciiLower(nil, []byte(f.q))}
}

func severityRank(s events.Severity) int { return slices.Index(events.Severities, s) }

func (m *matcher) match(e *entry) bool {
	f := m.f
	switch {
	case f.workload != "" && e.workload != f.workload,
		f.kind != "" && e.kind != f.kind,
		f.rule != "" && e.rule != f.rule,
		m.rank > 0 && severityRank(e.severity) < m.rank:
		return false
	case len(m.q) == 0:
		return true
	}
	m.lower = asciiLower(m.lower[:0], e.raw)
	return bytes.Contains(m.lower, m.q)
}

func asciiLower(dst, src []byte) []byte {
	for _, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
