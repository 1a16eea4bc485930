package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// request is one request of the test traffic and the status it must get.
type request struct {
	method, path, body string
	wantStatus         int
	wantBody           string // a prefix; empty: not checked
}

// trafficRounds repeats the traffic, so that the learning run also sees what
// the Go runtime does only sometimes (a GC, a new thread, a preemption).
const trafficRounds = 3

// traffic is every endpoint, with its errors.
func traffic() []request {
	big := strings.Repeat("x", 2048) // over the example config's maxItemBytes
	return []request{
		{method: "GET", path: "/healthz", wantStatus: 200, wantBody: "ok"},
		{method: "PUT", path: "/items/alpha", body: "one", wantStatus: 204},
		{method: "PUT", path: "/items/beta", body: "two", wantStatus: 204},
		{method: "PUT", path: "/items/alpha", body: "uno", wantStatus: 204},
		{method: "GET", path: "/items/alpha", wantStatus: 200, wantBody: "uno"},
		{method: "GET", path: "/items", wantStatus: 200, wantBody: `["alpha","beta"]`},
		{method: "GET", path: "/items/missing", wantStatus: 404},
		{method: "GET", path: "/items/..%2fetc", wantStatus: 400},
		{method: "PUT", path: "/items/big", body: big, wantStatus: 413},
		{method: "POST", path: "/items/alpha", wantStatus: 405},
		{method: "GET", path: "/nowhere", wantStatus: 404},
		{method: "DELETE", path: "/items/beta", wantStatus: 204},
		{method: "DELETE", path: "/items/beta", wantStatus: 404},
		{method: "DELETE", path: "/items/alpha", wantStatus: 204},
		{method: "GET", path: "/items", wantStatus: 200, wantBody: `[]`},
	}
}

// runTraffic waits for the server at base to be healthy, then sends the
// traffic trafficRounds times; it reports the first request that did not get
// what it wanted.
func runTraffic(base string) error {
	c := &http.Client{Timeout: 10 * time.Second}
	if err := waitHealthy(c, base, 30*time.Second); err != nil {
		return err
	}
	for range trafficRounds {
		for _, r := range traffic() {
			if err := send(c, base, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func waitHealthy(c *http.Client, base string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := c.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s/healthz: %w", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func send(c *http.Client, base string, r request) error {
	req, err := http.NewRequest(r.method, base+r.path, bytes.NewBufferString(r.body))
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the response: %w", r.method, r.path, err)
	}
	if resp.StatusCode != r.wantStatus || !strings.HasPrefix(string(body), r.wantBody) {
		return fmt.Errorf("%s %s: got %d %q, want %d %q", r.method, r.path, resp.StatusCode, body, r.wantStatus, r.wantBody)
	}
	return nil
}
