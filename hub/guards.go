package hub

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// beatThrottle is the least time between two workload messages of one
// guard that say only that it beat or counted an event.
const beatThrottle = 5 * time.Second

// guards tracks every workload seen, bounded: past max, the one heard of
// least recently is forgotten.
type guards struct {
	max     int
	silence time.Duration

	mu sync.Mutex
	m  map[string]*guard
}

func newGuards(max int, silence time.Duration) *guards {
	return &guards{max: max, silence: silence, m: map[string]*guard{}}
}

// get returns the guard of workload, made when new.
func (gs *guards) get(workload string) *guard {
	g := gs.m[workload]
	if g == nil {
		if len(gs.m) >= gs.max {
			gs.forgetOldest()
		}
		g = newGuard(workload)
		gs.m[workload] = g
	}
	return g
}

func (gs *guards) forgetOldest() {
	var oldest *guard
	for _, g := range gs.m {
		if oldest == nil || g.seenAt.Before(oldest.seenAt) {
			oldest = g
		}
	}
	delete(gs.m, oldest.w.Workload)
}

// update applies fn to the guard of workload, and returns its workload
// when a message should say so: at once when fn says the state changed
// (or the guard is new), else at most every beatThrottle.
func (gs *guards) update(workload string, now time.Time, fn func(*guard) bool) (Workload, bool) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	_, known := gs.m[workload]
	g := gs.get(workload)
	changed := fn(g) || !known
	if !changed && now.Sub(g.sentAt) < beatThrottle {
		return Workload{}, false
	}
	g.sentAt = now
	return g.w.clone(), true
}

func (gs *guards) event(e events.Event, now time.Time) (Workload, bool) {
	return gs.update(e.Workload, now, func(g *guard) bool { return g.event(e, now) })
}

func (gs *guards) beat(e events.Event, now time.Time) (Workload, bool) {
	return gs.update(e.Workload, now, func(g *guard) bool { return g.beat(e, now) })
}

// list is every workload, by name.
func (gs *guards) list() []Workload {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	out := make([]Workload, 0, len(gs.m))
	for _, g := range gs.m {
		out = append(out, g.w.clone())
	}
	slices.SortFunc(out, func(a, b Workload) int { return strings.Compare(a.Workload, b.Workload) })
	return out
}

// grace restarts the wait for every live guard's heartbeat from now:
// while the hub was cut off from the bus, it heard none.
func (gs *guards) grace(now time.Time) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	for _, g := range gs.m {
		g.liveSince = now
	}
}

// check marks silent every live guard that sent no heartbeat for its
// silence, and returns the workloads that became silent and the alerts
// to publish (new ones, and those not published yet).
func (gs *guards) check(now time.Time) (changed []Workload, alerts []events.Event, errs []error) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	for _, g := range gs.m {
		if g.w.State == StateSilent && g.alert != nil {
			alerts = append(alerts, *g.alert)
			continue
		}
		after := silence(gs.silence, g)
		if g.w.State != StateLive || now.Sub(latest(g.beatAt, g.liveSince)) <= after {
			continue
		}
		e, err := silentAlert(g, after)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		g.w.State, g.w.Silent, g.w.SilentSince, g.alert = StateSilent, true, timePtr(e.Time), &e
		g.sentAt = now
		changed, alerts = append(changed, g.w.clone()), append(alerts, e)
	}
	return changed, alerts, errs
}

// published says that the alert id of workload is in the stream.
func (gs *guards) published(workload, id string) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if g := gs.m[workload]; g != nil && g.alert != nil && g.alert.ID == id {
		g.alert = nil
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// fromSubject reports whether an event's workload is the one its
// subject names: a guard allowed to publish only its own subjects
// cannot speak for another.
func fromSubject(subject, prefix string, e events.Event) bool {
	rest, ok := strings.CutPrefix(subject, prefix+".")
	if !ok {
		return false
	}
	w, _, _ := strings.Cut(rest, ".")
	return w == natsbus.Token(e.Workload)
}
