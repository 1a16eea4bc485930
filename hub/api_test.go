package hub

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// TestEventsAPI publishes a mix of events and checks each filter, the
// order and the paging of GET /api/events.
func TestEventsAPI(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	evs := []events.Event{
		syscallEvent("shop", "deny-ptrace", events.SeverityHigh, "/usr/bin/gdb"),
		syscallEvent("shop", "seccomp.default", events.SeverityLow, "/usr/bin/strace"),
		fileEvent("shop"),
		syscallEvent("cart", "deny-ptrace", events.SeverityCritical, "/opt/NeedleTool"),
		fileEvent("cart"),
		syscallEvent("cart", "seccomp.default", events.SeverityInfo, "/bin/sh"),
	}
	newPublisher(t, url).publish(evs...)
	waitHeld(t, h.Hub, len(evs))
	ids := func(idx ...int) []string { // newest first
		var out []string
		for _, i := range slices.Backward(idx) {
			out = append(out, evs[i].ID)
		}
		return out
	}
	tests := []struct {
		name    string
		give    string
		wantIDs []string
	}{
		{name: "all", give: "", wantIDs: ids(0, 1, 2, 3, 4, 5)},
		{name: "workload", give: "workload=cart", wantIDs: ids(3, 4, 5)},
		{name: "kind", give: "kind=file", wantIDs: ids(2, 4)},
		{name: "severity at least high", give: "severity=high", wantIDs: ids(0, 3)},
		{name: "severity at least low", give: "severity=low", wantIDs: ids(0, 1, 2, 3, 4)},
		{name: "rule", give: "rule=deny-ptrace", wantIDs: ids(0, 3)},
		{name: "free text, any case", give: "q=needletool", wantIDs: ids(3)},
		{name: "free text in details", give: "q=%2Fetc%2Fpasswd", wantIDs: ids(2, 4)},
		{name: "combined", give: "workload=shop&kind=syscall&severity=medium", wantIDs: ids(0)},
		{name: "before", give: "before=" + evs[3].ID, wantIDs: ids(0, 1, 2)},
		{name: "before the oldest", give: "before=" + evs[0].ID, wantIDs: nil},
		{name: "before an unknown id", give: "before=" + events.NewID(), wantIDs: nil},
		{name: "nothing matches", give: "q=no-such-thing", wantIDs: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var page eventsPage
			if code := apiGet(t, srv, "/api/events?"+tt.give, &page); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			if got := page.ids(t); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("ids %v, want %v", got, tt.wantIDs)
			}
			if page.Next != "" {
				t.Errorf("next %q on the only page", page.Next)
			}
		})
	}
}

// TestEventsPaging follows next through pages of two.
func TestEventsPaging(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	var want []string
	pub := newPublisher(t, url)
	for range 7 {
		e := fileEvent("shop")
		pub.publish(e)
		want = append([]string{e.ID}, want...)
	}
	waitHeld(t, h.Hub, len(want))
	var got []string
	pages := 0
	for next := ""; ; pages++ {
		var page eventsPage
		path := "/api/events?limit=2"
		if next != "" {
			path += "&before=" + next
		}
		if code := apiGet(t, srv, path, &page); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		got = append(got, page.ids(t)...)
		if next = page.Next; next == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged ids %v, want %v", got, want)
	}
	if pages != 3 {
		t.Errorf("%d pages after the first, want 3 (7 events by 2)", pages)
	}
}

// TestEventByID checks GET /api/events/{id}: the event as on the bus,
// byte for byte, and 404 for an unknown one.
func TestEventByID(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	e := syscallEvent("shop", "deny-ptrace", events.SeverityHigh, "/usr/bin/gdb")
	newPublisher(t, url).publish(e)
	waitHeld(t, h.Hub, 1)
	want, _ := events.Encode(e)
	tests := []struct {
		name     string
		giveID   string
		wantCode int
		wantBody []byte
	}{
		{name: "known", giveID: e.ID, wantCode: http.StatusOK, wantBody: append(want, '\n')},
		{name: "unknown", giveID: events.NewID(), wantCode: http.StatusNotFound},
		{name: "not an id", giveID: "nope", wantCode: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/events/"+tt.giveID, nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, body)
			}
			if tt.wantBody != nil && !bytes.Equal(body, tt.wantBody) {
				t.Errorf("body\n%s\nwant\n%s", body, tt.wantBody)
			}
		})
	}
}

// TestBadQueries checks that bad parameters are a 400 with a reason.
func TestBadQueries(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	tests := []struct {
		name     string
		givePath string
		wantCode int
	}{
		{name: "unknown kind", givePath: "/api/events?kind=bogus", wantCode: http.StatusBadRequest},
		{name: "unknown severity", givePath: "/api/events?severity=urgent", wantCode: http.StatusBadRequest},
		{name: "limit zero", givePath: "/api/events?limit=0", wantCode: http.StatusBadRequest},
		{name: "limit not a number", givePath: "/api/events?limit=ten", wantCode: http.StatusBadRequest},
		{name: "limit over the max is clamped", givePath: "/api/events?limit=5000", wantCode: http.StatusOK},
		{name: "before not an id", givePath: "/api/events?before=xyz", wantCode: http.StatusBadRequest},
		{name: "stream, unknown kind", givePath: "/api/events/stream?kind=bogus", wantCode: http.StatusBadRequest},
		{name: "rules, bad window", givePath: "/api/rules?window=forever", wantCode: http.StatusBadRequest},
		{name: "rules, too many steps", givePath: "/api/rules?window=24h&step=1s", wantCode: http.StatusBadRequest},
		{name: "unknown API", givePath: "/api/nothing", wantCode: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := apiGet(t, srv, tt.givePath, nil); code != tt.wantCode {
				t.Errorf("status %d, want %d", code, tt.wantCode)
			}
		})
	}
}

// TestRulesAPI checks the counts per rule, weighted by count.
func TestRulesAPI(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	storm := syscallEvent("shop", "deny-ptrace", events.SeverityHigh, "/usr/bin/gdb")
	storm.Count = 499
	one := syscallEvent("shop", "deny-ptrace", events.SeverityHigh, "/usr/bin/gdb")
	other := fileEvent("shop")
	newPublisher(t, url).publish(storm, one, other)
	waitHeld(t, h.Hub, 3)
	var got rulesAnswer
	if code := apiGet(t, srv, "/api/rules?window=10m&step=1m", &got); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	want := map[string]int64{"deny-ptrace": 500, "files.baseline": 1}
	if len(got.Rules) != len(want) {
		t.Fatalf("rules %+v, want %v", got.Rules, want)
	}
	for _, r := range got.Rules {
		var sum int64
		for _, p := range r.Series {
			sum += p.N
		}
		if r.Total != want[r.Rule] || sum != r.Total || len(r.Series) != 10 {
			t.Errorf("rule %s: total %d, series sum %d over %d steps; want %d over 10", r.Rule, r.Total, sum, len(r.Series), want[r.Rule])
		}
	}
	if got.Rules[0].Rule != "deny-ptrace" {
		t.Errorf("first rule %s, want the most frequent", got.Rules[0].Rule)
	}
}

// TestWorkloadsAPI checks what a started event and events tell of a
// guard.
func TestWorkloadsAPI(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	srv := serve(t, h.Hub)
	code := 3
	newPublisher(t, url).publish(startedEvent("shop"), fileEvent("shop"), fileEvent("cart"),
		lifecycleEvent("cart", events.LifecycleDetails{What: "stopped", ExitCode: &code}))
	waitHeld(t, h.Hub, 4)
	var got struct {
		Workloads []Workload `json:"workloads"`
	}
	if code := apiGet(t, srv, "/api/workloads", &got); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if len(got.Workloads) != 2 {
		t.Fatalf("workloads %+v, want cart and shop", got.Workloads)
	}
	cart, shop := got.Workloads[0], got.Workloads[1]
	if cart.State != StateStopped || cart.ExitCode == nil || *cart.ExitCode != 3 || cart.Silent {
		t.Errorf("cart %+v, want stopped with exit code 3", cart)
	}
	if shop.State != StateLive || shop.Version != "v0.9.0" || shop.Features["landlock_abi"] != "7" ||
		shop.PolicyDigest == "" || shop.Events[events.KindFile] != 1 || shop.Events[events.KindLifecycle] != 1 {
		t.Errorf("shop %+v, want live, its version, features, digest and counts", shop)
	}
}
