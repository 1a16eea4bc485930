package main_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer answers A queries for name on 127.0.0.153:53 (resolv.conf has
// no port) with first, then, from the second A query on, with then; TTL 1
// second. Every other question gets no answer records. It returns how
// many A queries it answered.
func dnsServer(t *testing.T, name string, first, then [4]byte) *atomic.Int32 {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.153:53")
	if err != nil {
		t.Skipf("cannot serve DNS on 127.0.0.153:53: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	var queries atomic.Int32
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			b.EnableCompression()
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if q.Type == dnsmessage.TypeA && q.Name.String() == name {
				addr := first
				if queries.Add(1) > 1 {
					addr = then
				}
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 1}, dnsmessage.AResource{A: addr})
			}
			msg, err := b.Finish()
			if err == nil {
				c.WriteTo(msg, from)
			}
		}
	}()
	return &queries
}

// TestNetworkDNSNames: an egress rule by DNS name allows the addresses
// the name has, as vigil resolved it (through the resolv.conf the app
// sees, here a tiny server the test runs on loopback); when the TTL runs
// out vigil asks again, and the new address is allowed while the old one
// stays allowed for the grace period; any other address is refused.
func TestNetworkDNSNames(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not root: the test serves DNS on port 53 and mounts a resolv.conf")
	}
	port := freePort(t)
	for _, a := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		listen(t, "tcp4", a+":"+port)
	}
	queries := dnsServer(t, "svc.vigil.test.", [4]byte{127, 0, 0, 1}, [4]byte{127, 0, 0, 2})
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 127.0.0.153\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf(`network:
  egress:
    default: deny
    allow:
      - {name: svc, to: [svc.vigil.test], ports: [%s], protocol: tcp}
`, port)
	attempts := []string{
		"connect tcp 127.0.0.1:" + port,
		"connect tcp 127.0.0.2:" + port,
		"sleep 7s", // past the TTL, raised to the 5 s floor
		"connect tcp 127.0.0.2:" + port,
		"connect tcp 127.0.0.1:" + port,
		"connect tcp 127.0.0.3:" + port,
	}
	// The app and vigil see the test's resolv.conf, in a mount namespace
	// of their own.
	wrap := []string{"unshare", "-m", "sh", "-c", "mount --bind " + resolv + " /etc/resolv.conf && exec \"$@\"", "sh"}
	got, evs := netRun(t, modes[1], nil, policy, attempts, wrap...)
	want := []string{"ok", "ECONNREFUSED", "ok", "ok", "ECONNREFUSED"}
	lines := []string{attempts[0], attempts[1], attempts[3], attempts[4], attempts[5]}
	for i := range want {
		if at(got, i) != lines[i]+" -> "+want[i] {
			t.Errorf("attempt %d: got %q, want %q", i, at(got, i), lines[i]+" -> "+want[i])
		}
	}
	if n := queries.Load(); n < 2 {
		t.Errorf("the DNS server answered %d A queries, want at least 2 (at start, and when the TTL ran out)", n)
	}
	counts := map[string]int64{}
	for _, ev := range evs {
		counts[netSummary(t, ev)] += ev.Count
	}
	wantEvents := map[string]int64{
		"network.egress.default deny egress connect tcp 127.0.0.2:" + port + " errno=111": 1,
		"network.egress.default deny egress connect tcp 127.0.0.3:" + port + " errno=111": 1,
	}
	if !mapsEqual(counts, wantEvents) {
		t.Errorf("network events:\n%s\nwant:\n%s", dump(counts), dump(wantEvents))
	}
}
