package bench

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
)

// The network concern's benchmarks: what a held connect costs the app.
const (
	// egressRules is the size of the egress policy of vigil-egress50;
	// its last rule is the one that allows the benchmark's server.
	egressRules = 50
	// httpRequests are the requests of one BenchmarkHTTPNewConn op, each
	// on a new connection.
	httpRequests = 2000
	// netFilterEnv makes bench/netclient put connect under a notifying
	// filter and send its listener on fd 3 (split-notify).
	netFilterEnv = "VIGIL_BENCH_NET_FILTER"
	// answerDrain bounds the wait for the split-notify listener to see
	// that the client is gone.
	answerDrain = 5 * time.Second
)

// netclientOnce builds bench/netclient, the benchmarks' client, at most
// once per test binary.
var netclientOnce = sync.OnceValues(func() (string, error) {
	return buildStatic("./bench/netclient", "netclient")
})

func netclientBinary(tb testing.TB) string {
	tb.Helper()
	path, err := netclientOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// netLauncher is one way to start the client of the network benchmarks.
type netLauncher struct {
	execLauncher
	// notify: no init, but the client's connects are notified to this
	// process, which answers CONTINUE at once (split-notify).
	notify bool
}

// paired: the launcher's runs are paired with bare ones.
func (l netLauncher) paired() bool { return l.prefix != nil || l.notify }

// run runs the client (argv) under l and returns the two numbers it printed.
func (l netLauncher) run(b *testing.B, client []string) (time.Duration, time.Duration) {
	if l.notify {
		return notifiedNetclient(b, client)
	}
	return netclient(b, l.argv(b, client...))
}

// netLaunchers are compared side by side, in this order; policy is the
// egress policy of vigil-egress50 (see egressPolicy).
func netLaunchers(policy string) []netLauncher {
	return []netLauncher{
		{execLauncher: execLauncher{name: "bare"}},
		{execLauncher: execLauncher{name: "tini", prefix: func(tb testing.TB) []string {
			return []string{installed("tini", "apt-get install tini")(tb), "--"}
		}}},
		// The floor of any init that holds connects: the notification's
		// round trip alone, answered by a Go loop as vigil's.
		{execLauncher: execLauncher{name: "split-notify"}, notify: true},
		// No policy: the built-in rules hold every connect all the same.
		{execLauncher: execLauncher{name: "vigil", prefix: vigilPrefix("run", "--")}},
		{execLauncher: execLauncher{name: "vigil-egress50", prefix: vigilPrefix("run", "--policy", policy, "--")}},
	}
}

// egressPolicy writes a policy whose egress section denies by default and
// allows egressRules rules, the last of them port on 127.0.0.1: every
// connect to it is judged against all of them.
func egressPolicy(tb testing.TB, port int) string {
	tb.Helper()
	var s strings.Builder
	s.WriteString("apiVersion: vigil.dev/v1\nkind: Policy\nnetwork:\n  egress:\n    default: deny\n    allow:\n")
	for i := 1; i < egressRules; i++ {
		fmt.Fprintf(&s, "      - {name: r%d, to: [10.%d.0.0/16], ports: [443, %d], protocol: tcp}\n", i, i, 8000+i)
	}
	fmt.Fprintf(&s, "      - {name: local, to: [127.0.0.1], ports: [%d], protocol: tcp}\n", port)
	path := filepath.Join(tb.TempDir(), "egress50.yaml")
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// listen listens on a free loopback port, closed at cleanup.
func listen(tb testing.TB) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listening on loopback: %v", err)
	}
	tb.Cleanup(func() { ln.Close() })
	return ln
}

// acceptAndClose accepts and closes every connection to ln until it is
// closed, so that its backlog never fills.
func acceptAndClose(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// checkPolicyHolds makes sure that policy is in force: under it, a connect
// to a listening loopback port it does not name must be refused.
func checkPolicyHolds(b *testing.B, policy string) {
	b.Helper()
	other := listen(b)
	go acceptAndClose(other)
	argv := vigilPrefix("run", "--policy", policy, "--")(b)
	argv = append(argv, netclientBinary(b), "connect", other.Addr().String(), "1")
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "connection refused") {
		b.Fatalf("%q: %v, want connection refused: the policy is not in force\n%s", argv, err, out)
	}
}

// pairs counts the pairs of the network benchmarks, to alternate which of
// the two runs first.
var pairs int

// paired runs init(), then bare(), or the other way round every other
// time, and returns what each returned.
func paired[T any](init, bare func() T) (T, T) {
	pairs++
	if pairs%2 == 0 {
		t0 := bare()
		return init(), t0
	}
	t := init()
	return t, bare()
}

// BenchmarkConnect measures one blocking connect and close of a new TCP
// socket to a listener of this process on loopback, timed by
// bench/netclient: b.N of them after 200 untimed, started bare and under
// each init, so that the init's start-up is not in the number. p50-us and
// p99-us are the child's percentiles; each init's child is paired with a
// bare one (in alternating order), and added-us is the difference of their
// p50s: the cost of one held connect. split-notify takes vigil out: this
// process answers the client's notified connects at once, the floor of
// any init that holds them.
func BenchmarkConnect(b *testing.B) {
	ln := listen(b)
	go acceptAndClose(ln)
	policy := egressPolicy(b, port(ln))
	checkPolicyHolds(b, policy)
	for _, l := range netLaunchers(policy) {
		b.Run(l.name, func(b *testing.B) {
			client := []string{netclientBinary(b), "connect", ln.Addr().String(), strconv.Itoa(b.N)}
			if !l.paired() {
				p50, p99 := netclient(b, client)
				b.ReportMetric(us(p50), "p50-us")
				b.ReportMetric(us(p99), "p99-us")
				return
			}
			run := func() [2]time.Duration { p50, p99 := l.run(b, client); return [2]time.Duration{p50, p99} }
			bare := func() [2]time.Duration { p50, p99 := netclient(b, client); return [2]time.Duration{p50, p99} }
			t, t0 := paired(run, bare)
			b.ReportMetric(us(t[0]), "p50-us")
			b.ReportMetric(us(t[1]), "p99-us")
			b.ReportMetric(us(t0[0]), "bare-p50-us")
			b.ReportMetric(us(t[0]-t0[0]), "added-us")
		})
	}
}

// notifiedNetclient runs bench/netclient with argv under a filter that
// notifies its connects to this process, which answers each with CONTINUE
// as soon as it has read it, as vigil's notify loop waits (a blocking
// SECCOMP_IOCTL_NOTIF_RECV, SYNC_WAKE_UP set), and returns the two
// numbers it printed.
func notifiedNetclient(b *testing.B, argv []string) (time.Duration, time.Duration) {
	b.Helper()
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(pair[0]), "ours"), os.NewFile(uintptr(pair[1]), "theirs")
	defer ours.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), netFilterEnv+"=1")
	cmd.ExtraFiles = []*os.File{theirs}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	theirs.Close()
	listener, err := linux.RecvFd(int(ours.Fd()))
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		b.Fatalf("receiving the client's seccomp listener: %v\n%s", err, stderr.String())
	}
	defer syscall.Close(listener)
	if err := linux.SetSyncWakeUp(listener); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		b.Skipf("kernel without SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6+), where vigil's loop polls: %v", err)
	}
	answered := make(chan error, 1)
	go func() { answered <- answerAll(listener) }()
	if err := cmd.Wait(); err != nil {
		b.Fatalf("%q under a notifying filter: %v\n%s", argv, err, stderr.String())
	}
	select {
	case err := <-answered:
		if err != nil {
			b.Fatal(err)
		}
	case <-time.After(answerDrain):
		b.Fatalf("the listener did not hang up %v after the client exited", answerDrain)
	}
	x, y, err := parseExecChild(stdout.String())
	if err != nil {
		b.Fatalf("%q: %v\n%s", argv, err, stderr.String())
	}
	return x, y
}

// answerAll answers every notification of listener with CONTINUE until no
// task is left under its filter, as vigil's notify loop does on 6.6+.
func answerAll(listener int) error {
	for {
		var req linux.SeccompNotif
		if err := linux.NotifRecv(listener, &req); errors.Is(err, unix.ENOENT) {
			if linux.HungUp(listener) {
				return nil
			}
			continue // interrupted: the task asks again
		} else if err != nil {
			return err
		}
		resp := linux.SeccompNotifResp{ID: req.ID, Flags: linux.SeccompContinue}
		if err := linux.NotifSend(listener, &resp); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
}

// netclient runs bench/netclient with argv and returns the two numbers it
// printed.
func netclient(b *testing.B, argv []string) (time.Duration, time.Duration) {
	b.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%q: %v\n%s", argv, err, stderr.String())
	}
	x, y, err := parseExecChild(string(out))
	if err != nil {
		b.Fatalf("%q: %v\n%s", argv, err, stderr.String())
	}
	return x, y
}

// BenchmarkHTTPNewConn measures a Go net/http client (bench/netclient)
// that makes 2,000 GETs (one op), each on a new connection (keep-alive
// off), to an HTTP server of this process on loopback, started bare and
// under each init. The client times its requests, so the init's start-up
// is not in the number. Each op of an init is paired with an untimed
// bare op, in alternating order; req/s and bare-req/s are the medians of
// the ops' rates, fewer-% the median of the pairs' 100*(1 - rate/bare).
// split-notify is BenchmarkConnect's: the notification alone.
func BenchmarkHTTPNewConn(b *testing.B) {
	ln := listen(b)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	policy := egressPolicy(b, port(ln))
	checkPolicyHolds(b, policy)
	client := []string{netclientBinary(b), "http", "http://" + ln.Addr().String() + "/", strconv.Itoa(httpRequests)}
	for _, l := range netLaunchers(policy) {
		b.Run(l.name, func(b *testing.B) {
			rate := func(l netLauncher) float64 {
				wall, _ := l.run(b, client)
				return httpRequests / wall.Seconds()
			}
			bare := netLauncher{execLauncher: execLauncher{name: "bare"}}
			rate(l) // warm-up
			var rates, base, fewer []float64
			for b.Loop() {
				if !l.paired() {
					rates = append(rates, rate(l))
					continue
				}
				r, r0 := paired(func() float64 { return rate(l) }, func() float64 {
					b.StopTimer()
					defer b.StartTimer()
					return rate(bare)
				})
				rates, base = append(rates, r), append(base, r0)
				fewer = append(fewer, 100*(1-r/r0))
			}
			b.ReportMetric(medianFloat(rates), "req/s")
			if l.paired() {
				b.ReportMetric(medianFloat(base), "bare-req/s")
				b.ReportMetric(medianFloat(fewer), "fewer-%")
			}
		})
	}
}
