package hub

import (
	"sync"
	"time"

	"github.com/vigilsec/vigil/events"
)

// entryOverhead is what an entry costs beside its JSON, for MaxBytes.
const entryOverhead = 256

// entry is one event the hub holds: its JSON as it was on the bus, and
// the fields the API filters on.
type entry struct {
	pos      uint64 // the view's order: 1, 2, … as events enter it
	seq      uint64 // the stream sequence
	id       string
	time     time.Time
	kind     events.Kind
	severity events.Severity
	rule     string
	workload string
	count    int64
	raw      []byte
}

func newEntry(e events.Event, raw []byte, seq uint64) *entry {
	return &entry{seq: seq, id: e.ID, time: e.Time, kind: e.Kind, severity: e.Severity,
		rule: e.Rule, workload: e.Workload, count: e.Count, raw: raw}
}

func (e *entry) size() int64 { return int64(len(e.raw)) + entryOverhead }

// view is the events the hub holds, in the order they came (stream
// order), in a ring bounded by count and bytes: the oldest go first.
type view struct {
	maxN     int
	maxBytes int64

	mu          sync.RWMutex
	ring        []*entry
	first, next uint64 // the positions held: [first, next)
	bytes       int64
	byID        map[string]uint64
}

func newView(maxN int, maxBytes int64) *view {
	return &view{maxN: maxN, maxBytes: maxBytes, ring: make([]*entry, maxN), first: 1, next: 1, byID: map[string]uint64{}}
}

func (v *view) at(pos uint64) *entry { return v.ring[pos%uint64(v.maxN)] }

// add puts e in the view, forgetting the oldest as needed, and reports
// whether it was new (an event the view holds already is not added
// again: a redelivery).
func (v *view) add(e *entry) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, dup := v.byID[e.id]; dup {
		return false
	}
	for v.next > v.first && (v.next-v.first >= uint64(v.maxN) || v.bytes+e.size() > v.maxBytes) {
		v.evict()
	}
	e.pos = v.next
	v.ring[e.pos%uint64(v.maxN)] = e
	v.byID[e.id] = e.pos
	v.bytes += e.size()
	v.next++
	return true
}

func (v *view) evict() {
	old := v.at(v.first)
	delete(v.byID, old.id)
	v.bytes -= old.size()
	v.ring[v.first%uint64(v.maxN)] = nil
	v.first++
}

// len is how many events the view holds.
func (v *view) len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return int(v.next - v.first)
}

// lastSeq is the stream sequence of the newest event held, 0 for none.
func (v *view) lastSeq() uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.next == v.first {
		return 0
	}
	return v.at(v.next - 1).seq
}

func (v *view) get(id string) (*entry, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	pos, ok := v.byID[id]
	if !ok {
		return nil, false
	}
	return v.at(pos), true
}

// page returns up to limit events that match f, newest first, older
// than the event before (all when empty); next is the id to pass as
// before for the following page, empty when there is none. An id the
// view does not hold (forgotten, since older events go first) has no
// older events.
func (v *view) page(f filter, before string, limit int) (out []*entry, next string) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	start := v.next - 1
	if before != "" {
		pos, ok := v.byID[before]
		if !ok {
			return nil, ""
		}
		start = pos - 1
	}
	m := f.matcher()
	for p := start; p >= v.first && p < v.next; p-- {
		e := v.at(p)
		if !m.match(e) {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].id
		}
		out = append(out, e)
	}
	return out, ""
}

// after returns the events that match f and came after the event id
// (all the view holds when it does not hold id), oldest first, and the
// position of the newest event held.
func (v *view) after(id string, f filter) (out []*entry, upTo uint64) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	start := v.first
	if pos, ok := v.byID[id]; ok {
		start = pos + 1
	}
	m := f.matcher()
	for p := start; p < v.next; p++ {
		if e := v.at(p); m.match(e) {
			out = append(out, e)
		}
	}
	return out, v.next - 1
}

// each calls fn with every event held that matches f, oldest first.
func (v *view) each(f filter, fn func(*entry)) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	m := f.matcher()
	for p := v.first; p < v.next; p++ {
		if e := v.at(p); m.match(e) {
			fn(e)
		}
	}
}
