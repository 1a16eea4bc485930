package bench

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/hub"
)

// The hub benchmarks run package hub (what vigil-hub serves) in this
// process, against vigil-hub's NATS server as a process of its own, as
// the bus benchmarks do.

// runBenchHub starts a hub on url and returns its HTTP server; both end
// with b.
func runBenchHub(b *testing.B, url string, maxEvents int) *httptest.Server {
	b.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	h, err := hub.New(hub.Config{Conn: nc, MaxEvents: maxEvents, Auth: hub.Auth{Insecure: true}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	srv := httptest.NewServer(h.Handler())
	b.Cleanup(func() { cancel(); <-done; srv.Close() })
	deadline := time.Now().Add(20 * time.Second)
	for status(srv, "/api/health") != http.StatusOK {
		if time.Now().After(deadline) {
			b.Fatal("hub not ready after 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return srv
}

func status(srv *httptest.Server, path string) int {
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// BenchmarkHubIngest: events/s from the stream into the hub's view.
// hub: 100,000 distinct events published as fast as nats.go can
// (PublishAsync), until the hub holds the last one (its durable consumer
// acknowledges each once it is in the view); nats.go-publish: the same
// publishing alone, until the stream acknowledged every one: the bus's
// own pace, side by side.
func BenchmarkHubIngest(b *testing.B) {
	const n = 100_000
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = benchEvent(i)
	}
	for _, mode := range []string{"hub", "nats.go-publish"} {
		b.Run(mode, func(b *testing.B) {
			var rates []float64
			for b.Loop() {
				url := startHub(b)
				if mode == "nats.go-publish" {
					rates = append(rates, n/asyncPublish(b, url, evs).Seconds())
					continue
				}
				srv := runBenchHub(b, url, n)
				start := time.Now()
				asyncPublish(b, url, evs)
				last := "/api/events/" + evs[n-1].ID
				for status(srv, last) != http.StatusOK {
					if time.Since(start) > 5*time.Minute {
						b.Fatal("the hub does not hold the last event after 5 minutes")
					}
					time.Sleep(time.Millisecond)
				}
				rates = append(rates, n/time.Since(start).Seconds())
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(medianFloat(rates), "events/s")
		})
	}
}

// sseClients is how many dashboards BenchmarkHubSSE serves.
const sseClients = 50

// BenchmarkHubSSE: one event published (nats.go, synchronous JetStream
// publish) until all 50 SSE clients of the hub (real HTTP over
// loopback) have it; p50-ns and p99-ns are those times.
func BenchmarkHubSSE(b *testing.B) {
	url := startHub(b)
	srv := runBenchHub(b, url, 0)
	got := make(chan string, 64*sseClients)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range sseClients {
		openSSE(b, ctx, srv, got)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	publish := func(e events.Event) {
		line, err := events.Encode(e)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := js.Publish(context.Background(), natsbus.Subject("bench", e.Kind), line, jetstream.WithMsgID(e.ID)); err != nil {
			b.Fatal(err)
		}
	}
	waitAll := func(id string) {
		for seen := 0; seen < sseClients; {
			select {
			case got := <-got:
				if got == id {
					seen++
				}
			case <-time.After(time.Minute):
				b.Fatalf("%d of %d clients have event %s after a minute", seen, sseClients, id)
			}
		}
	}
	warm := benchEvent(-1) // every client connected and reading
	publish(warm)
	waitAll(warm.ID)
	var samples []time.Duration
	i := 0
	for b.Loop() {
		e := benchEvent(i)
		i++
		start := time.Now()
		publish(e)
		waitAll(e.ID)
		samples = append(samples, time.Since(start))
	}
	b.ReportMetric(float64(median(samples)), "p50-ns")
	b.ReportMetric(float64(percentile(samples, 99)), "p99-ns")
}

// openSSE connects one client to the hub's stream and sends the id of
// every event it reads to got, until ctx ends.
func openSSE(b *testing.B, ctx context.Context, srv *httptest.Server, got chan<- string) {
	b.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/events/stream", nil)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("stream: status %d", resp.StatusCode)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				got <- id
			}
		}
	}()
}
