package hub

import (
	"net/url"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// FuzzQuery: the query parsers never panic, and what they accept is in
// bounds.
func FuzzQuery(f *testing.F) {
	f.Add("workload=shop&kind=file&severity=high&rule=r&q=x&before=01KAQ4Z3M8R6X2W9T5B7C1D0EF&limit=5&window=1h&step=1m")
	f.Add("limit=-1&window=0s&step=1ns")
	f.Add("kind=%ff&severity=&limit=99999999999999999999")
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		if flt, err := parseFilter(v); err == nil {
			if flt.kind != "" && !flt.kind.Valid() || flt.severity != "" && !flt.severity.Valid() {
				t.Fatalf("accepted filter %+v", flt)
			}
			flt.matcher().match(newEntry(fileEventForFuzz(), []byte(`{"a":"B"}`), 1))
		}
		if before, limit, err := parsePage(v); err == nil && (limit < 1 || limit > MaxLimit || before != "" && !validID(before)) {
			t.Fatalf("accepted before %q limit %d", before, limit)
		}
		if window, step, err := parseWindow(v); err == nil && (step < MinStep || window <= 0 || buckets(window, step) > MaxBuckets) {
			t.Fatalf("accepted window %s step %s", window, step)
		}
	})
}

func fileEventForFuzz() events.Event { return fileEvent("shop") }

// TestViewBounds checks the ring: bounded by count and bytes, oldest
// out first, a redelivery not added twice.
func TestViewBounds(t *testing.T) {
	tests := []struct {
		name      string
		giveMax   int
		giveBytes int64
		giveN     int
		giveSize  int
		wantLen   int
	}{
		{name: "under both", giveMax: 10, giveBytes: 1 << 20, giveN: 5, giveSize: 100, wantLen: 5},
		{name: "by count", giveMax: 10, giveBytes: 1 << 20, giveN: 25, giveSize: 100, wantLen: 10},
		{name: "by bytes", giveMax: 100, giveBytes: 10 * (1000 + entryOverhead), giveN: 25, giveSize: 1000, wantLen: 10},
		{name: "one larger than the bytes", giveMax: 10, giveBytes: 100, giveN: 3, giveSize: 1000, wantLen: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newView(tt.giveMax, tt.giveBytes)
			var ids []string
			for i := range tt.giveN {
				e := fileEvent("shop")
				en := newEntry(e, make([]byte, tt.giveSize), uint64(i+1))
				if !v.add(en) || v.add(newEntry(e, nil, uint64(i+1))) {
					t.Fatal("add: a new event refused, or a redelivery added")
				}
				ids = append(ids, e.ID)
			}
			if v.len() != tt.wantLen || len(v.byID) != tt.wantLen {
				t.Fatalf("holds %d (%d ids), want %d", v.len(), len(v.byID), tt.wantLen)
			}
			var got []string
			v.each(filter{}, func(e *entry) { got = append(got, e.id) })
			for i, id := range ids[len(ids)-tt.wantLen:] {
				if got[i] != id {
					t.Fatalf("held %v, want the newest %d", got, tt.wantLen)
				}
			}
		})
	}
}
