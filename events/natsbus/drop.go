package natsbus

import (
	"cmp"
	"slices"

	"github.com/vigilsec/vigil/events"
)

// dropKey is what a dropped event counts lost events by.
type dropKey struct {
	kind     events.Kind
	severity events.Severity
	rule     string
}

// share is the fraction of the outbox an event of each severity may fill:
// as the outbox fills up (a long outage, a storm), the least severe events
// are refused first, and the last tenth is kept for critical events and
// the dropped events that account for the others.
var share = map[events.Severity]float64{
	events.SeverityInfo:     0.5,
	events.SeverityLow:      0.6,
	events.SeverityMedium:   0.75,
	events.SeverityHigh:     0.9,
	events.SeverityCritical: 1,
}

// admit reports whether an event of severity sev and size n fits.
func (b *Bus) admit(sev events.Severity, n int) bool {
	used, limit := b.box.Usage()
	return float64(used+int64(n)+16) <= share[sev]*float64(limit)
}

// countDrop counts e as lost; the next event admitted, or Close, reports
// the count in a dropped event.
func (b *Bus) countDrop(e events.Event, why string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drops[dropKey{e.Kind, e.Severity, e.Rule}] += e.Count
	b.dropWhy = why
	b.dropped += e.Count
}

// flushDrops appends a dropped event for the events counted as lost, when
// there is room for it.
func (b *Bus) flushDrops() {
	b.dropMu.Lock()
	defer b.dropMu.Unlock()
	b.mu.Lock()
	if len(b.drops) == 0 {
		b.mu.Unlock()
		return
	}
	groups := make([]events.DroppedGroup, 0, len(b.drops))
	var total int64
	for k, n := range b.drops {
		groups = append(groups, events.DroppedGroup{Kind: k.kind, Severity: k.severity, Rule: k.rule, Count: n})
		total += n
	}
	why := b.dropWhy
	b.mu.Unlock()
	slices.SortFunc(groups, func(x, y events.DroppedGroup) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Rule, y.Rule),
			cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Severity, y.Severity))
	})
	if !b.appendDropped(why, groups, total, 0) {
		return // still no room: counted on, reported later
	}
	b.mu.Lock()
	for _, g := range groups {
		k := dropKey{g.Kind, g.Severity, g.Rule}
		if b.drops[k] -= g.Count; b.drops[k] <= 0 {
			delete(b.drops, k)
		}
	}
	b.mu.Unlock()
}

// emitDropped reports events lost for a reason of their own (damage,
// size) at once, and counts them.
func (b *Bus) emitDropped(why string, groups []events.DroppedGroup, count, bytes int64) {
	b.mu.Lock()
	b.dropped += count
	b.mu.Unlock()
	if !b.appendDropped(why, groups, count, bytes) {
		b.log.Error("the outbox is full: a dropped event is lost too")
	}
}

// appendDropped appends one dropped event, in the share kept for them.
func (b *Bus) appendDropped(why string, groups []events.DroppedGroup, count, bytes int64) bool {
	ev := events.New(events.KindDropped, "vigil.dropped", events.SeverityHigh, events.ActionAlert)
	ev.Workload, ev.Container, ev.Count = b.cfg.Workload, b.cfg.Container, max(count, 1)
	if err := ev.SetDetails(events.DroppedDetails{Reason: why, Lost: groups, Bytes: bytes}); err != nil {
		return false
	}
	line, err := events.Encode(ev)
	if err != nil || !b.admit(events.SeverityCritical, len(line)) {
		return false
	}
	if _, err := b.box.Append(recordHead(ev), line); err != nil {
		return false
	}
	b.poke()
	return true
}

// group is the dropped-event group of e.
func group(e events.Event) events.DroppedGroup {
	return events.DroppedGroup{Kind: e.Kind, Severity: e.Severity, Rule: e.Rule, Count: e.Count}
}
