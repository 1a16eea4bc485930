package hub

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// viewOfRules is a hub whose view holds, for each rule i of n, one event
// at now of count counts(i).
func viewOfRules(t testing.TB, now time.Time, n int, counts func(i int) int64) *Hub {
	t.Helper()
	h := &Hub{view: newView(n, 1<<40)}
	for i := range n {
		e := fileEvent("shop")
		e.Rule, e.Time, e.Count = fmt.Sprintf("rule-%05d", i), now, counts(i)
		if !h.view.add(newEntry(e, []byte(mustEncode(t, e)), uint64(i+1))) {
			t.Fatalf("event %d not added", i)
		}
	}
	return h
}

// TestSeriesManyRules: with more rules than maxRules, the answer has the
// maxRules most frequent, the most first, each with its steps, and the
// sum of the others.
func TestSeriesManyRules(t *testing.T) {
	tests := []struct {
		name       string
		giveRules  int
		wantRules  int
		wantFirst  string
		wantLast   string
		wantOthers int64
	}{
		{name: "fewer than the most", giveRules: 10, wantRules: 10, wantFirst: "rule-00009", wantLast: "rule-00000"},
		{name: "exactly the most", giveRules: maxRules, wantRules: maxRules, wantFirst: "rule-00099", wantLast: "rule-00000"},
		// rule i counts i+1: the others are rules 0..49, 1+…+50.
		{name: "more", giveRules: maxRules + 50, wantRules: maxRules, wantFirst: "rule-00149", wantLast: "rule-00050", wantOthers: 50 * 51 / 2},
	}
	now := time.Date(2026, 11, 23, 12, 0, 30, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := viewOfRules(t, now, tt.giveRules, func(i int) int64 { return int64(i + 1) })
			got := h.series(filter{}, now, time.Hour, time.Minute)
			if len(got.Rules) != tt.wantRules || got.Rules[0].Rule != tt.wantFirst || got.Rules[len(got.Rules)-1].Rule != tt.wantLast || got.Others != tt.wantOthers {
				t.Fatalf("%d rules, %s to %s, others %d; want %d, %s to %s, %d", len(got.Rules), got.Rules[0].Rule,
					got.Rules[len(got.Rules)-1].Rule, got.Others, tt.wantRules, tt.wantFirst, tt.wantLast, tt.wantOthers)
			}
			for i, r := range got.Rules {
				var sum int64
				for _, p := range r.Series {
					sum += p.N
				}
				if want := int64(tt.giveRules - i); r.Total != want || sum != want || len(r.Series) != 60 || r.Series[59].N != want {
					t.Errorf("rule %s: total %d, steps sum %d, %d steps, last %d; want %d, 60 steps, all in the last", r.Rule, r.Total, sum, len(r.Series), r.Series[59].N, want)
				}
			}
		})
	}
}

// TestSeriesMemory: the counts per step are for the maxRules listed,
// not for every rule: 10,000 rules over 1,440 steps would be 115 MB of
// counters.
func TestSeriesMemory(t *testing.T) {
	const rules, limit = 10_000, 40 << 20 // the answer itself is some 10 MB
	now := time.Date(2026, 11, 23, 12, 0, 30, 0, time.UTC)
	h := viewOfRules(t, now, rules, func(i int) int64 { return 1 })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := h.series(filter{}, now, 24*time.Hour, time.Minute)
	runtime.ReadMemStats(&after)
	if len(got.Rules) != maxRules || got.Others != rules-maxRules {
		t.Errorf("%d rules, others %d; want %d and %d", len(got.Rules), got.Others, maxRules, rules-maxRules)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > limit {
		t.Errorf("series allocated %d MB for %d rules, want at most %d MB", n>>20, rules, limit>>20)
	}
}
