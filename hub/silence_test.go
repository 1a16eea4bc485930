package hub

import (
	"net/http"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/natstest"
)

// openGuard is a guard's bus, beating every period.
func openGuard(t *testing.T, url, workload string, period time.Duration) *natsbus.Bus {
	t.Helper()
	b, err := natsbus.Open(natsbus.Config{Conn: natsbus.Conn{URLs: url}, Workload: workload,
		Outbox: t.TempDir(), Heartbeat: period})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func workloadOf(h *Hub, name string) (Workload, bool) {
	for _, w := range h.guards.list() {
		if w.Workload == name {
			return w, true
		}
	}
	return Workload{}, false
}

func silentAlerts(t *testing.T, url string) []events.Event {
	t.Helper()
	var out []events.Event
	for _, e := range streamEvents(t, url) {
		if e.Rule == RuleGuardSilent {
			out = append(out, e)
		}
	}
	return out
}

// waitChecks waits until h has run n more silence checks: what a hub
// would have published by then, it has.
func waitChecks(t *testing.T, h *Hub, n int64) {
	t.Helper()
	from := h.checks.Load()
	natstest.WaitFor(t, hang, "silence checks", func() bool { return h.checks.Load() >= from+n })
}

// TestSilentGuard: a guard that beats every 100 ms, then stops without
// a stopped event, is silent on two hubs, the alert is in the stream
// once, and a restarted hub knows it is silent and alerts no more.
func TestSilentGuard(t *testing.T) {
	url := startNATS(t)
	a := startHub(t, url, Config{Name: "vigil-hub-a"})
	b := startHub(t, url, Config{Name: "vigil-hub-b"})
	guard := openGuard(t, url, "shop", 100*time.Millisecond)
	if err := guard.Emit(startedEvent("shop")); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*runningHub{a, b} {
		natstest.WaitFor(t, hang, "the guard live, its period measured", func() bool {
			w, ok := workloadOf(h.Hub, "shop")
			return ok && w.State == StateLive && w.HeartbeatPeriod > 0 && w.Version != ""
		})
	}
	guard.Close() // stops beating, says nothing
	for _, h := range []*runningHub{a, b} {
		natstest.WaitFor(t, hang, "the guard silent", func() bool {
			w, _ := workloadOf(h.Hub, "shop")
			return w.State == StateSilent && w.Silent
		})
		natstest.WaitFor(t, hang, "the alert read back", func() bool {
			page, _ := h.view.page(filter{rule: RuleGuardSilent}, "", 10)
			return len(page) == 1
		})
	}
	alerts := silentAlerts(t, url)
	if len(alerts) != 1 {
		t.Fatalf("%d silent alerts in the stream, want 1: %+v", len(alerts), alerts)
	}
	if e := alerts[0]; e.Kind != events.KindLifecycle || e.Severity != events.SeverityHigh || e.Workload != "shop" {
		t.Errorf("alert %+v: want a high lifecycle event of shop", e)
	}

	a.stop()
	again := startHub(t, url, Config{Name: "vigil-hub-a"})
	if w, _ := workloadOf(again.Hub, "shop"); w.State != StateSilent {
		t.Errorf("after a restart, shop is %q, want silent (from the stream)", w.State)
	}
	waitChecks(t, again.Hub, 10)
	held := again.view.len()
	newPublisher(t, url).publish(fileEvent("marker"))
	waitHeld(t, again.Hub, held+1)
	if n := len(silentAlerts(t, url)); n != 1 {
		t.Errorf("%d silent alerts after the restart, want still 1", n)
	}
}

// TestStoppedGuard: a guard that says it stopped is not silent.
func TestStoppedGuard(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	guard := openGuard(t, url, "shop", 100*time.Millisecond)
	code := 0
	guard.Emit(startedEvent("shop"))
	natstest.WaitFor(t, hang, "the guard live", func() bool {
		w, _ := workloadOf(h.Hub, "shop")
		return w.State == StateLive && w.LastHeartbeat != nil
	})
	guard.Emit(lifecycleEvent("shop", events.LifecycleDetails{What: "stopped", ExitCode: &code}))
	guard.Close()
	natstest.WaitFor(t, hang, "the guard stopped", func() bool {
		w, _ := workloadOf(h.Hub, "shop")
		return w.State == StateStopped
	})
	waitChecks(t, h.Hub, 10)
	var got struct {
		Workloads []Workload `json:"workloads"`
	}
	if code := apiGet(t, srv, "/api/workloads", &got); code != http.StatusOK || len(got.Workloads) != 1 {
		t.Fatalf("status %d, workloads %+v", code, got.Workloads)
	}
	if w := got.Workloads[0]; w.Silent || w.State != StateStopped {
		t.Errorf("workload %+v, want stopped, not silent", w)
	}
	if n := len(silentAlerts(t, url)); n != 0 {
		t.Errorf("%d silent alerts for a stopped guard", n)
	}
}

// TestSilentID: the alert's id depends only on what the guard sent.
func TestSilentID(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		giveA     [2]string
		giveB     [2]string
		wantEqual bool
	}{
		{name: "same beat", giveA: [2]string{"shop", "01KAQ4Z3M8R6X2W9T5B7C1D0EF"}, giveB: [2]string{"shop", "01KAQ4Z3M8R6X2W9T5B7C1D0EF"}, wantEqual: true},
		{name: "other beat", giveA: [2]string{"shop", "01KAQ4Z3M8R6X2W9T5B7C1D0EF"}, giveB: [2]string{"shop", "01KAQ4Z3M8R6X2W9T5B7C1D0EG"}},
		{name: "other workload", giveA: [2]string{"shop", "01KAQ4Z3M8R6X2W9T5B7C1D0EF"}, giveB: [2]string{"cart", "01KAQ4Z3M8R6X2W9T5B7C1D0EF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := silentID(tt.giveA[0], tt.giveA[1], at), silentID(tt.giveB[0], tt.giveB[1], at)
			if !validID(a) || !validID(b) {
				t.Fatalf("ids %s, %s: not event ids", a, b)
			}
			if (a == b) != tt.wantEqual {
				t.Errorf("ids %s and %s: equal %v, want %v", a, b, a == b, tt.wantEqual)
			}
		})
	}
}
