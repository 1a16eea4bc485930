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
// It reads the view twice: for each rule's total, then for the steps of
// the maxRules most frequent alone, which bounds its memory by maxRules
// series however many rules there are.
func (h *Hub) series(f filter, now time.Time, window, step time.Duration) rulesAnswer {
	n := buckets(window, step)
	end := now.UTC().Truncate(step).Add(step)
	start := end.Add(-time.Duration(n) * step)
	in := func(e *entry) bool { return !e.time.Before(start) && e.time.Before(end) }
	totals := map[string]int64{}
	h.view.each(f, func(e *entry) {
		if in(e) {
			totals[e.rule] += e.count
		}
	})
	top := ranked(totals)[:min(len(totals), maxRules)]
	counts := make(map[string][]int64, len(top))
	for _, r := range top {
		counts[r] = make([]int64, n)
	}
	var others int64
	h.view.each(f, func(e *entry) {
		if !in(e) {
			return
		}
		if c, ok := counts[e.rule]; ok {
			c[e.time.Sub(start)/step] += e.count
		} else {
			others += e.count
		}
	})
	return rulesAnswer{Start: start.Format(time.RFC3339), Step: step.String(), Rules: topRules(counts, start, step), Others: others}
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

// topRules are the series of counts, the most frequent first. A rule's
// total is the sum of its steps, so that the two agree when events came
// or went between the readings of series.
func topRules(counts map[string][]int64, start time.Time, step time.Duration) []ruleSeries {
	totals := make(map[string]int64, len(counts))
	for r, c := range counts {
		for _, n := range c {
			totals[r] += n
		}
	}
	out := []ruleSeries{}
	for _, r := range ranked(totals) {
		s := ruleSeries{Rule: r, Total: totals[r], Series: make([]point, len(counts[r]))}
		for i, n := range counts[r] {
			s.Series[i] = point{T: start.Add(time.Duration(i) * step).Format(time.RFC3339), N: n}
		}
		out = append(out, s)
	}
	return out
}
