package netwatch

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// refresher is the refresh goroutine's: the state of every name.
type refresher struct {
	cfg     NamesConfig
	res     resolver
	order   []string // the names, sorted
	names   map[string]*nameState
	snap    *atomic.Pointer[snapshot]
	results chan result
	asking  int           // names being asked
	pending int           // names neither answered nor failed yet
	ready   chan struct{} // closed when pending is 0
	wg      sync.WaitGroup
}

type nameState struct {
	fixed    bool // from the hosts file: never asked
	answered bool // answered or failed once
	asking   bool
	last     [2][]netip.Addr          // of the last answer of each family
	current  []netip.Addr             // replaced, never modified: snapshots share it
	leaving  map[netip.Addr]time.Time // dropped out of the answers: counts until
	next     time.Time                // when to ask again
	backoff  time.Duration            // the last wait after a failure
}

func newRefresher(cfg NamesConfig, names []string, snap *atomic.Pointer[snapshot]) (*refresher, error) {
	res, err := cfg.resolver()
	hosts, herr := readHosts(cfg.Hosts, names)
	if err := errors.Join(err, herr); err != nil {
		return nil, err
	}
	r := &refresher{cfg: cfg, res: res, order: names, names: make(map[string]*nameState, len(names)),
		snap: snap, results: make(chan result), ready: make(chan struct{})}
	for _, name := range names {
		st := &nameState{leaving: make(map[netip.Addr]time.Time)}
		if addrs := hosts[name]; len(addrs) > 0 {
			st.fixed, st.answered, st.current = true, true, keep(nil, addrs)
		} else {
			r.pending++
		}
		r.names[name] = st
	}
	if r.pending == 0 {
		close(r.ready)
	}
	r.publish()
	return r, nil
}

func (r *refresher) run(ctx context.Context) {
	defer r.wg.Wait()
	for _, name := range r.order {
		if r.names[name].fixed {
			r.onChange(name, r.names[name].current)
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		r.launch(ctx, time.Now())
		timer.Reset(r.untilNext(time.Now()))
		select {
		case <-ctx.Done():
			return
		case res := <-r.results:
			if ctx.Err() != nil {
				return // Close: its failures are not the name's
			}
			r.apply(res, time.Now())
		case <-timer.C:
			r.expire(time.Now())
		}
	}
}

// launch asks for the names that are due, up to maxAsking at a time.
func (r *refresher) launch(ctx context.Context, now time.Time) {
	for _, name := range r.order {
		st := r.names[name]
		if r.asking == maxAsking {
			return
		}
		if st.fixed || st.asking || st.next.After(now) {
			continue
		}
		st.asking = true
		r.asking++
		r.wg.Go(func() {
			res := r.res.resolve(ctx, name)
			select {
			case r.results <- res:
			case <-ctx.Done():
			}
		})
	}
}

// untilNext is the wait until a name is due or an address's grace ends.
func (r *refresher) untilNext(now time.Time) time.Duration {
	next := now.Add(r.cfg.MaxTTL)
	earlier := func(t time.Time) {
		if t.Before(next) {
			next = t
		}
	}
	for _, st := range r.names {
		if !st.fixed && !st.asking && r.asking < maxAsking {
			earlier(st.next)
		}
		for _, until := range st.leaving {
			earlier(until)
		}
	}
	return next.Sub(now)
}

func (r *refresher) apply(res result, now time.Time) {
	st := r.names[res.name]
	st.asking = false
	r.asking--
	ttl, err := st.take(res)
	st.schedule(now, r.clampTTL(ttl), err)
	if st.update(now, r.cfg.Grace) {
		r.publish()
		r.onChange(res.name, st.current)
	}
	if err != nil && r.cfg.OnError != nil {
		r.cfg.OnError(res.name, err)
	}
	if !st.answered {
		st.answered = true
		if r.pending--; r.pending == 0 {
			close(r.ready)
		}
	}
}

// take keeps the addresses of each family that was answered, and returns
// the shortest TTL of those answers and the failures of the others.
func (st *nameState) take(res result) (uint32, error) {
	ttl := uint32(1<<32 - 1)
	var errs []error
	for i, err := range res.errs {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st.last[i] = res.answers[i].addrs
		ttl = min(ttl, res.answers[i].ttl)
	}
	if len(errs) > 0 {
		return ttl, fmt.Errorf("resolving %s: %w", res.name, errors.Join(errs...))
	}
	return ttl, nil
}

func (r *refresher) clampTTL(ttl uint32) time.Duration {
	return min(max(time.Duration(ttl)*time.Second, r.cfg.MinTTL), r.cfg.MaxTTL)
}

func (st *nameState) schedule(now time.Time, ttl time.Duration, err error) {
	if err != nil {
		st.backoff = min(max(2*st.backoff, firstBackoff), maxBackoff)
		st.next = now.Add(st.backoff)
		return
	}
	st.backoff = 0
	st.next = now.Add(ttl)
}

// update makes the last answers the name's addresses; those that dropped
// out stay for grace. It reports whether the addresses changed.
func (st *nameState) update(now time.Time, grace time.Duration) bool {
	next := keep(st.current, slices.Concat(st.last[0], st.last[1]))
	if slices.Equal(next, st.current) {
		return false
	}
	for _, a := range st.current {
		if !slices.Contains(next, a) {
			st.leaving[a] = now.Add(grace)
		}
	}
	for _, a := range next {
		delete(st.leaving, a)
	}
	for len(st.leaving) > maxAddrs {
		delete(st.leaving, soonest(st.leaving))
	}
	st.current = next
	return true
}

// keep returns the addresses of answer, sorted, without duplicates, at
// most maxAddrs: those of prev first.
func keep(prev, answer []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range answer {
		if slices.Contains(prev, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, a := range answer {
		if len(out) < maxAddrs && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// soonest is the address whose grace ends first.
func soonest(leaving map[netip.Addr]time.Time) netip.Addr {
	var first netip.Addr
	for a, until := range leaving {
		if !first.IsValid() || until.Before(leaving[first]) {
			first = a
		}
	}
	return first
}

// expire forgets the addresses whose grace has ended.
func (r *refresher) expire(now time.Time) {
	changed := false
	for _, st := range r.names {
		for a, until := range st.leaving {
			if !until.After(now) {
				delete(st.leaving, a)
				changed = true
			}
		}
	}
	if changed {
		r.publish()
	}
}

func (r *refresher) publish() {
	s := &snapshot{byAddr: make(map[netip.Addr][]string), byName: make(map[string][]netip.Addr)}
	for _, name := range r.order {
		st := r.names[name]
		if len(st.current) > 0 {
			s.byName[name] = st.current
		}
		for _, a := range st.current {
			s.byAddr[a] = append(s.byAddr[a], name)
		}
		for a := range st.leaving {
			s.byAddr[a] = append(s.byAddr[a], name)
		}
	}
	r.snap.Store(s)
}

func (r *refresher) onChange(name string, addrs []netip.Addr) {
	if r.cfg.OnChange != nil {
		r.cfg.OnChange(name, slices.Clone(addrs))
	}
}
