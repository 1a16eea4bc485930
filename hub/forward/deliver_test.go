package forward

import (
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/natstest"
)

func TestWebhookGetsEveryEventOnce(t *testing.T) {
	nc := bus(t)
	r := newReceiver(t, nil)
	f := start(t, nc, nil, webhook("siem", TypeWebhook, r))
	evs := syscallEvents(t, "shop-api", 20)
	publish(t, nc, evs...)
	r.waitCount(t, len(evs))
	f.Stop()
	if got, want := r.ids(t), ids(evs); !slices.Equal(got, want) {
		t.Errorf("webhook got %v, want %v in order", got, want)
	}
	h := r.hdrs[0]
	if h.Get("ce-id") != evs[0].ID || h.Get("Content-Type") != "application/json" || h.Get("ce-type") != "dev.vigil.event.syscall" {
		t.Errorf("headers %v: want ce-id %s, ce-type, Content-Type", h, evs[0].ID)
	}
	if s := f.Stats()[0]; s.Delivered != 20 || s.Errors != 0 || s.Retrying != 0 {
		t.Errorf("stats %+v: want 20 delivered, no errors", s)
	}
}

func TestHeadersAreSent(t *testing.T) {
	nc := bus(t)
	r := newReceiver(t, nil)
	fw := webhook("siem", TypeWebhook, r)
	fw.Headers = map[string]string{"Authorization": "Bearer s3cret"}
	start(t, nc, nil, fw)
	publish(t, nc, syscallEvent(t, "shop-api"))
	r.waitCount(t, 1)
	if got := r.hdrs[0].Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization = %q", got)
	}
}

// TestFailingTargetLosesNothing: a target that answers 500 until its
// healthy neighbour got everything then gets every event too.
func TestFailingTargetLosesNothing(t *testing.T) {
	nc := bus(t)
	healthy := newReceiver(t, nil)
	const n = 20
	failing := newReceiver(t, func(int) int {
		if healthy.count() < n {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	var mu sync.Mutex
	var reports []Status
	f := start(t, nc, func(s Status) { mu.Lock(); reports = append(reports, s); mu.Unlock() },
		webhook("healthy", TypeWebhook, healthy), webhook("failing", TypeWebhook, failing))
	evs := syscallEvents(t, "shop-api", n)
	publish(t, nc, evs...)
	healthy.waitCount(t, n)
	failing.waitCount(t, n)
	f.Stop()
	if got, want := healthy.ids(t), ids(evs); !slices.Equal(got, want) {
		t.Errorf("healthy got %v, want %v in order", got, want)
	}
	exactlyOnce(t, failing.ids(t), ids(evs))
	s := f.Stats()[1]
	if s.Delivered != n || s.Errors == 0 || s.Retrying != 0 || s.LastError == "" {
		t.Errorf("failing's stats %+v: want %d delivered, errors, none retrying", s, n)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.ContainsFunc(reports, func(s Status) bool { return s.Forwarder == "failing" && s.Err == nil }) {
		t.Errorf("no recovery reported: %v", reports)
	}
	for _, s := range reports {
		if s.Forwarder == "failing" && s.Err != nil && (s.Permanent || s.RetryIn <= 0) {
			t.Errorf("report %+v: want a retry", s)
		}
	}
}

// TestSlowTargetDoesNotBlock: a target that holds every request until the
// other forwarder delivered everything.
func TestSlowTargetDoesNotBlock(t *testing.T) {
	nc := bus(t)
	fast := newReceiver(t, nil)
	const n = 10
	slow := newReceiver(t, func(int) int {
		for deadline := time.Now().Add(hangGuard); fast.count() < n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				return http.StatusServiceUnavailable // the test fails: the fast target never got all
			}
		}
		return http.StatusOK
	})
	slowFw := webhook("slow", TypeWebhook, slow)
	slowFw.Timeout = 2 * hangGuard
	start(t, nc, nil, slowFw, webhook("fast", TypeWebhook, fast))
	evs := syscallEvents(t, "shop-api", n)
	publish(t, nc, evs...)
	fast.waitCount(t, n)
	slow.waitCount(t, n)
	exactlyOnce(t, slow.ids(t), ids(evs))
}

// TestPermanentFailure: a 400 gives the event up (reported, counted), and
// the forwarder goes on with the next.
func TestPermanentFailure(t *testing.T) {
	nc := bus(t)
	r := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	var permanent atomic.Int32
	f := start(t, nc, func(s Status) {
		if s.Permanent && s.Err != nil {
			permanent.Add(1)
		}
	}, webhook("siem", TypeWebhook, r))
	evs := syscallEvents(t, "shop-api", 3)
	publish(t, nc, evs...)
	r.waitCount(t, 2)
	natstest.WaitFor(t, hangGuard, "stats", func() bool { return f.Stats()[0].Failed == 1 })
	if got, want := r.ids(t), ids(evs[1:]); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if permanent.Load() != 1 {
		t.Errorf("%d permanent failures reported, want 1", permanent.Load())
	}
}

func TestPermanent(t *testing.T) {
	tests := []struct {
		give int
		want bool
	}{
		{give: 400, want: true}, {give: 413, want: true}, {give: 422, want: true},
		{give: 401}, {give: 403}, {give: 404}, {give: 408}, {give: 425}, {give: 429},
		{give: 302}, {give: 500}, {give: 503},
	}
	for _, tt := range tests {
		if got := permanent(tt.give); got != tt.want {
			t.Errorf("permanent(%d) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestFilters(t *testing.T) {
	nc := bus(t)
	r := newReceiver(t, nil)
	fw := webhook("shop", TypeWebhook, r)
	fw.Filter = Filter{Workloads: []string{"shop-*"}, MinSeverity: events.SeverityHigh, Rules: []string{"deny-*"}, Actions: []events.Action{events.ActionDeny}}
	f := start(t, nc, nil, fw)
	want := syscallEvent(t, "shop-api")
	other := syscallEvent(t, "billing")
	low := syscallEvent(t, "shop-api")
	low.Severity = events.SeverityMedium
	alert := syscallEvent(t, "shop-api")
	alert.Action = events.ActionAlert
	rule := syscallEvent(t, "shop-web")
	rule.Rule = "seccomp.default"
	last := syscallEvent(t, "shop-web")
	publish(t, nc, want, other, low, alert, rule, last)
	r.waitCount(t, 2)
	natstest.WaitFor(t, hangGuard, "the filtered events", func() bool { return f.Stats()[0].Filtered == 4 })
	if got := r.ids(t); !slices.Equal(got, []string{want.ID, last.ID}) {
		t.Errorf("got %v, want %s and %s", got, want.ID, last.ID)
	}
}

func TestFilterMatch(t *testing.T) {
	e := events.Event{Workload: "shop-api", Kind: events.KindExec, Severity: events.SeverityMedium, Rule: "exec.drift", Action: events.ActionAlert}
	tests := []struct {
		name string
		give Filter
		want bool
	}{
		{name: "empty", want: true},
		{name: "workload glob", give: Filter{Workloads: []string{"billing", "shop-*"}}, want: true},
		{name: "other workload", give: Filter{Workloads: []string{"billing"}}},
		{name: "kind", give: Filter{Kinds: []events.Kind{events.KindExec}}, want: true},
		{name: "other kind", give: Filter{Kinds: []events.Kind{events.KindFile}}},
		{name: "severity equal", give: Filter{MinSeverity: events.SeverityMedium}, want: true},
		{name: "severity above", give: Filter{MinSeverity: events.SeverityHigh}},
		{name: "rule glob", give: Filter{Rules: []string{"exec.*"}}, want: true},
		{name: "other rule", give: Filter{Rules: []string{"files.*"}}},
		{name: "action", give: Filter{Actions: []events.Action{events.ActionDeny}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.Match(e); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterSubjects(t *testing.T) {
	tests := []struct {
		name string
		give Filter
		want []string
	}{
		{name: "all", want: []string{"vigil.events.*.*"}},
		{name: "kinds", give: Filter{Kinds: []events.Kind{"exec", "file"}}, want: []string{"vigil.events.*.exec", "vigil.events.*.file"}},
		{name: "workloads and kinds", give: Filter{Workloads: []string{"a.b", "c"}, Kinds: []events.Kind{"exec"}}, want: []string{"vigil.events.a_b.exec", "vigil.events.c.exec"}},
		{name: "a glob takes every workload", give: Filter{Workloads: []string{"shop-*", "c"}, Kinds: []events.Kind{"exec"}}, want: []string{"vigil.events.*.exec"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.subjects(); !slices.Equal(got, tt.want) {
				t.Errorf("subjects = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRateLimit: every event arrives, and never more than the burst plus
// what the rate allows since the start: a slow machine only delivers
// later, never sooner, so the bound cannot flake.
func TestRateLimit(t *testing.T) {
	nc := bus(t)
	r := newReceiver(t, nil)
	fw := webhook("slow", TypeWebhook, r)
	const perSecond, burst, n = 10.0, 3, 12
	fw.RateLimit = &RateLimit{PerSecond: perSecond, Burst: burst}
	evs := syscallEvents(t, "shop-api", n)
	begin := time.Now()
	start(t, nc, nil, fw)
	publish(t, nc, evs...)
	r.waitCount(t, n)
	exactlyOnce(t, r.ids(t), ids(evs))
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, at := range r.times {
		if allowed := burst + perSecond*at.Sub(begin).Seconds(); float64(i+1) > allowed+1e-9 {
			t.Errorf("request %d arrived %v after start: more than the %g allowed", i+1, at.Sub(begin), allowed)
		}
	}
}

func TestBucket(t *testing.T) {
	b := newBucket(&RateLimit{PerSecond: 0.001, Burst: 3})
	if got := b.available(); got != 3 {
		t.Fatalf("a new bucket has %d tokens, want its burst 3", got)
	}
	for range 3 {
		if err := b.take(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.available(); got != 0 {
		t.Errorf("%d tokens left after the burst, want 0", got)
	}
}

func TestRetryDelay(t *testing.T) {
	r := Retry{Initial: time.Second, Max: 5 * time.Second}
	for n, want := range []time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 40: 5 * time.Second} {
		if want != 0 {
			if got := r.delay(n); got != want {
				t.Errorf("delay(%d) = %v, want %v", n, got, want)
			}
		}
	}
}

// TestRestart: forwarders stopped, events published, forwarders started
// again: the rest arrives, each event once.
func TestRestart(t *testing.T) {
	nc := bus(t)
	r := newReceiver(t, nil)
	fw := webhook("siem", TypeWebhook, r)
	f := start(t, nc, nil, fw)
	first, second := syscallEvents(t, "shop-api", 5), syscallEvents(t, "shop-api", 5)
	publish(t, nc, first...)
	r.waitCount(t, 5)
	f.Stop()
	publish(t, nc, second...)
	start(t, nc, nil, fw)
	r.waitCount(t, 10)
	time.Sleep(200 * time.Millisecond) // a duplicate would come now
	if got, want := r.ids(t), append(ids(first), ids(second)...); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestStartWithoutStream(t *testing.T) {
	nc := bus(t)
	if err := jsDeleteStream(t, nc); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(t.Context(), nc, &Config{Forwarders: []Forwarder{{Name: "x", Type: TypeWebhook, URL: "http://127.0.0.1:1"}}}, nil); err == nil {
		t.Error("Start without the stream: no error")
	}
}

// TestUnsendableEventsDoNotWedge: events whose workload holds a control
// character (events.Validate accepts one) fill more than the forwarder
// holds unacknowledged; the valid events after them still arrive, and
// the others, if sent, carry an encoded ce-source.
func TestUnsendableEventsDoNotWedge(t *testing.T) {
	nc := bus(t)
	r := newReceiver(t, nil)
	start(t, nc, nil, webhook("siem", TypeWebhook, r))
	bad := syscallEvents(t, "w\u0001x", maxAckPending+4)
	good := syscallEvents(t, "shop-api", 2)
	publish(t, nc, append(bad, good...)...)
	natstest.WaitFor(t, hangGuard, "the valid events", func() bool {
		got := r.ids(t)
		return slices.Contains(got, good[0].ID) && slices.Contains(got, good[1].ID)
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range r.hdrs {
		if src := h.Get("ce-source"); src != "/vigil/shop-api" && src != "/vigil/w%01x" {
			t.Errorf("ce-source %q: want /vigil/shop-api or /vigil/w%%01x", src)
		}
	}
}

// TestRequestNeverLeft: a header the HTTP client would refuse gives the
// event up, without a request; a retry could never send it.
func TestRequestNeverLeft(t *testing.T) {
	tests := []struct {
		name          string
		giveHeaders   map[string]string
		wantPermanent bool
		wantCalls     int
	}{
		{name: "valid", giveHeaders: map[string]string{"ce-source": "/vigil/w%01x"}, wantCalls: 1},
		{name: "control character", giveHeaders: map[string]string{"ce-source": "/vigil/w\x01x"}, wantPermanent: true},
		{name: "line break", giveHeaders: map[string]string{"ce-source": "a\r\nX-Evil: 1"}, wantPermanent: true},
		{name: "bad name", giveHeaders: map[string]string{"ce source": "x"}, wantPermanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t, nil)
			tg := newTarget(webhook("siem", TypeWebhook, r))
			tg.encode = func(events.Event, []byte) (body, error) {
				return body{data: []byte("{}"), headers: tt.giveHeaders}, nil
			}
			err := tg.send(t.Context(), syscallEvent(t, "shop-api"), nil)
			var se *sendError
			if gotPermanent := errors.As(err, &se) && se.permanent; gotPermanent != tt.wantPermanent {
				t.Errorf("send = %v: permanent %v, want %v", err, gotPermanent, tt.wantPermanent)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.calls != tt.wantCalls {
				t.Errorf("%d requests reached the target, want %d", r.calls, tt.wantCalls)
			}
		})
	}
}
