package hub

import (
	"cmp"
	"slices"
	"time"
)

// maxRules is how many rules /api/rules lists, the most frequent first;
// the others are summed in Others.
const maxRules = 100

// rulesAnswer is GET /api/rules's answer.
type rulesAnswer struct {
	Start string       `json:"start"`
	Step  string       `json:"step"`
	Rules []ruleSeries `json:"rules"`
	// Others counts the occurrences of the rules past maxRules.
	Others int64 `json:"others,omitempty"`
}

type ruleSeries struct {
	Rule   string  `json:"rule"`
	Total  int64   `json:"total"`
	Series []point `json:"series"`
}

type point struct {
	T string `json:"t"`
	N int64  `json:"n"`
}

// series counts the occurrences (the events' count) of each rule per
// step over the window that ends with the step now is in, by event time.
func (h *Hub) series(f filter, now time.Time, window, step time.Duration) rulesAnswer {
	n := buckets(window, step)
	end := now.UTC().Truncate(step).Add(step)
	start := end.Add(-time.Duration(n) * step)
	counts := map[string][]int64{}
	totals := map[string]int64{}
	h.view.each(f, func(e *entry) {
		if e.time.Before(start) || !e.time.Before(end) {
			return
		}
		c := counts[e.rule]
		if c == nil {
			c = make([]int64, n)
			counts[e.rule] = c
		}
		c[e.time.Sub(start)/step] += e.count
		totals[e.rule] += e.count
	})
	return rulesAnswer{Start: start.Format(time.RFC3339), Step: step.String(),
		Rules: topRules(counts, totals, start, step), Others: othersTotal(totals)}
}

func ranked(totals map[string]int64) []string {
	rules := make([]string, 0, len(totals))
	for r := range totals {
		rules = append(rules, r)
	}
	slices.SortFunc(rules, func(a, b string) int {
		return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b))
	})
	return rules
}

func topRules(counts map[string][]int64, totals map[string]int64, start time.Time, step time.Duration) []ruleSeries {
	out := []ruleSeries{}
	for _, r := range ranked(totals)[:min(len(totals), maxRules)] {
		s := ruleSeries{Rule: r, Total: totals[r], Series: make([]point, len(counts[r]))}
		for i, n := range counts[r] {
			s.Series[i] = point{T: start.Add(time.Duration(i) * step).Format(time.RFC3339), N: n}
		}
		out = append(out, s)
	}
	return out
}

func othersTotal(totals map[string]int64) int64 {
	var n int64
	for _, r := range ranked(totals)[min(len(totals), maxRules):] {
		n += totals[r]
	}
	return n
}
