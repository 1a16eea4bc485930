package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// The bus benchmarks publish to vigil-hub running as a process of its own
// (the NATS server the guards would use, with its file store on the
// machine's disk), over loopback. Each compares vigil's bus (disk outbox,
// asynchronous publish, acknowledgements) with what a user would write
// with nats.go alone.

// hubOnce builds cmd/vigil-hub at most once.
var hubOnce = sync.OnceValues(func() (string, error) {
	return buildStatic("./cmd/vigil-hub", "vigil-hub")
})

// startHub starts vigil-hub on a free port with a fresh store and returns
// its URL; it is stopped when tb ends.
func startHub(tb testing.TB) string {
	tb.Helper()
	url, stop, err := runHub(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	return url
}

// runHub starts vigil-hub with its store in dir and waits until its
// stream is ready; stop ends it.
func runHub(dir string) (url string, stop func(), err error) {
	bin, err := hubOnce()
	if err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--listen", addr, "--store", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	url = "nats://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		nc, err := nats.Connect(url)
		if err == nil {
			// Ready when the stream is: the hub creates it after listening.
			js, _ := jetstream.New(nc)
			_, serr := js.Stream(context.Background(), natsbus.StreamName)
			nc.Close()
			if serr == nil {
				return url, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("vigil-hub at %s not ready: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sharedHub is one hub for the launchers that publish (vigil-nats), for
// the whole test binary; TestMain stops it.
var sharedHub struct {
	once      sync.Once
	url, dir  string
	stop      func()
	err       error
	outboxDir string
}

// natsArgs are vigil run's flags that publish to the shared hub, with an
// outbox of their own, followed by the "--" that ends vigil's flags.
func natsArgs(tb testing.TB) []string {
	tb.Helper()
	h := &sharedHub
	h.once.Do(func() {
		if h.dir, h.err = os.MkdirTemp("", "vigil-bench-hub-"); h.err != nil {
			return
		}
		h.outboxDir = h.dir + "/outbox"
		h.url, h.stop, h.err = runHub(h.dir + "/store")
	})
	if h.err != nil {
		tb.Fatal(h.err)
	}
	return []string{"--nats", h.url, "--outbox", h.outboxDir, "--workload", "bench", "--"}
}

// stopSharedHub ends the shared hub, if it was started.
func stopSharedHub() {
	if sharedHub.stop != nil {
		sharedHub.stop()
	}
	if sharedHub.dir != "" {
		os.RemoveAll(sharedHub.dir)
	}
}

// benchEvent is a syscall event like the notifier's, about 600 bytes.
func benchEvent(i int) events.Event {
	e := events.New(events.KindSyscall, "seccomp.default", events.SeverityHigh, events.ActionDeny)
	e.Workload, e.Container = "bench", events.Container{Hostname: "bench-7d9f"}
	e.Process = &events.Process{PID: int32(1000 + i%30000), PPID: 1, UID: 1000, GID: 1000, Exe: "/usr/bin/app",
		Argv: []string{"app", "--serve", ":8080"}, Ancestry: []events.Ancestor{{PID: 1, Exe: "/usr/local/bin/vigil"}}}
	if err := e.SetDetails(events.SyscallDetails{Name: "ptrace", Nr: 101, Arch: "x86_64", Errno: 1,
		Decoded: map[string]string{"0": "PTRACE_ATTACH"}, Intended: events.ActionDeny}); err != nil {
		panic(err)
	}
	return e
}

func openBenchBus(tb testing.TB, url, outbox string) *natsbus.Bus {
	tb.Helper()
	b, err := natsbus.Open(natsbus.Config{Conn: natsbus.Conn{URLs: url}, Workload: "bench", Outbox: outbox, Heartbeat: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// waitAcked waits until the bus's heartbeat counters say n syscall events
// were acknowledged.
func waitAcked(tb testing.TB, b *natsbus.Bus, n int64) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for b.Stats().Published[events.KindSyscall] < n {
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d events acknowledged after 5 minutes", b.Stats().Published[events.KindSyscall], n)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkBusLatency: one event at a time, from Emit (vigil) or Publish
// (nats.go, synchronous JetStream publish) until an ordered consumer (what
// vigil tail uses) receives it from the stream. p50-ns and p99-ns are the
// latencies.
func BenchmarkBusLatency(b *testing.B) {
	for _, mode := range []string{"vigil", "nats.go-sync"} {
		b.Run(mode, func(b *testing.B) {
			url := startHub(b)
			got := make(chan string, 1)
			sub, err := nats.Connect(url)
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go natsbus.Follow(ctx, sub, natsbus.FollowOptions{}, func(e events.Event) error { //nolint:errcheck // ends with ctx
				got <- e.ID
				return nil
			}, nil)
			time.Sleep(200 * time.Millisecond) // the consumer in place
			publish := publisher(b, mode, url)
			var samples []time.Duration
			i := 0
			for b.Loop() {
				e := benchEvent(i)
				i++
				start := time.Now()
				publish(e)
				for id := <-got; id != e.ID; id = <-got {
				}
				samples = append(samples, time.Since(start))
			}
			b.ReportMetric(float64(median(samples)), "p50-ns")
			b.ReportMetric(float64(percentile(samples, 99)), "p99-ns")
		})
	}
}

// publisher returns how mode publishes one event.
func publisher(b *testing.B, mode, url string) func(events.Event) {
	b.Helper()
	switch mode {
	case "vigil":
		bus := openBenchBus(b, url, b.TempDir())
		b.Cleanup(func() { bus.Close() })
		return func(e events.Event) {
			if err := bus.Emit(e); err != nil {
				b.Fatal(err)
			}
		}
	default:
		nc, err := nats.Connect(url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			b.Fatal(err)
		}
		return func(e events.Event) {
			line, err := events.Encode(e)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := js.Publish(context.Background(), natsbus.Subject("bench", e.Kind), line, jetstream.WithMsgID(e.ID)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkBusThroughput: events/s from one guard into the stream, until
// every one is acknowledged. vigil: Emit (encode, outbox, then
// asynchronous publish); nats.go-async: encode and PublishAsync with the
// event id, no outbox (what a guard that dies would lose).
func BenchmarkBusThroughput(b *testing.B) {
	const n = 100_000
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = benchEvent(i)
	}
	for _, mode := range []string{"vigil", "nats.go-async"} {
		b.Run(mode, func(b *testing.B) {
			var rates []float64
			for b.Loop() {
				url := startHub(b)
				start := time.Now()
				switch mode {
				case "vigil":
					bus := openBenchBus(b, url, b.TempDir())
					for _, e := range evs {
						if err := bus.Emit(e); err != nil {
							b.Fatal(err)
						}
					}
					waitAcked(b, bus, n)
					rates = append(rates, n/time.Since(start).Seconds())
					bus.Close()
				default:
					rates = append(rates, n/asyncPublish(b, url, evs).Seconds())
				}
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(medianFloat(rates), "events/s")
		})
	}
}

// asyncPublish publishes evs with nats.go's PublishAsync and returns the
// time until all are acknowledged.
func asyncPublish(b *testing.B, url string, evs []events.Event) time.Duration {
	b.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(natsbus.DefaultMaxInflight))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for _, e := range evs {
		line, err := events.Encode(e) // as Emit does: a publisher must encode too
		if err != nil {
			b.Fatal(err)
		}
		if _, err := js.PublishAsync(natsbus.Subject("bench", e.Kind), line, jetstream.WithMsgID(e.ID)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(5 * time.Minute):
		b.Fatal("not all acknowledged after 5 minutes")
	}
	return time.Since(start)
}

// BenchmarkOutboxReplay: a guard fills its outbox with the server away
// (50,000 events, 34 MB, half the default cap), and the next guard over
// that outbox delivers them: events/s from its start to the last
// acknowledgement.
func BenchmarkOutboxReplay(b *testing.B) {
	const n = 50_000
	var rates []float64
	for b.Loop() {
		outbox := b.TempDir()
		down, err := natsbus.Open(natsbus.Config{Conn: natsbus.Conn{URLs: "nats://127.0.0.1:1"}, Workload: "bench",
			Outbox: outbox, Heartbeat: -1, FlushTimeout: time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := down.Emit(benchEvent(i)); err != nil {
				b.Fatal(err)
			}
		}
		down.Close() //nolint:errcheck // reports the n events left for the next guard
		url := startHub(b)
		start := time.Now()
		bus := openBenchBus(b, url, outbox)
		waitAcked(b, bus, n)
		rates = append(rates, n/time.Since(start).Seconds())
		bus.Close()
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(medianFloat(rates), "events/s")
}

func medianFloat(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}
