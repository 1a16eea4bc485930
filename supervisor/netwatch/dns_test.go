package netwatch_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/vigilsec/vigil/supervisor/netwatch"
)

// The tests wait for what the refresh goroutine does up to this long, and
// never assert how long it took: the machine is noisy.
const patience = 20 * time.Second

var (
	forged4 = netip.MustParseAddr("198.51.100.66")
	forged6 = netip.MustParseAddr("2001:db8::66")
)

// fault is how the test server misbehaves.
type fault int

const (
	faultNone        fault = iota
	faultSilent            // no answer, UDP or TCP
	faultServfail          // SERVFAIL
	faultMalformed         // an answer cut short in its answer section
	faultTruncate          // over UDP the first record only, with TC set
	faultWrongID           // over UDP a forged answer first: another id
	faultWrongName         // ... another question
	faultWrongSource       // ... from another port
)

// dnsServer is a DNS server on 127.0.0.1, UDP and TCP on one random port,
// whose answers the test sets.
type dnsServer struct {
	udp   *net.UDPConn
	tcp   *net.TCPListener
	spoof *net.UDPConn // another port, for faultWrongSource
	wg    sync.WaitGroup

	mu     sync.Mutex
	zone   map[string][]dnsmessage.Resource // by lower-case absolute name
	fault  fault
	asked  map[string]int // queries by "udp NAME" and "tcp NAME"
	forged int
}

func newDNSServer(t *testing.T) *dnsServer {
	s := &dnsServer{zone: make(map[string][]dnsmessage.Resource), asked: make(map[string]int)}
	s.listen(t)
	s.wg.Go(s.serveUDP)
	s.wg.Go(s.serveTCP)
	t.Cleanup(func() {
		s.udp.Close()
		s.tcp.Close()
		s.spoof.Close()
		s.wg.Wait()
	})
	return s
}

func (s *dnsServer) listen(t *testing.T) {
	loopback := net.IPv4(127, 0, 0, 1)
	spoof, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback})
	if err != nil {
		t.Fatal(err)
	}
	s.spoof = spoof
	for range 20 {
		udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback})
		if err != nil {
			t.Fatal(err)
		}
		tcp, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: loopback, Port: udp.LocalAddr().(*net.UDPAddr).Port})
		if err == nil {
			s.udp, s.tcp = udp, tcp
			return
		}
		udp.Close()
	}
	t.Fatal("no port free for both UDP and TCP on 127.0.0.1")
}

func (s *dnsServer) addr() netip.AddrPort { return s.udp.LocalAddr().(*net.UDPAddr).AddrPort() }

func (s *dnsServer) serveUDP() {
	buf := make([]byte, 1<<16)
	for {
		n, from, err := s.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		forged, reply, f := s.answer(buf[:n], "udp")
		if forged != nil {
			via := s.udp
			if f == faultWrongSource {
				via = s.spoof
			}
			_, _ = via.WriteToUDPAddrPort(forged, from)
			time.Sleep(20 * time.Millisecond) // the forged answer is there first
		}
		if reply != nil {
			_, _ = s.udp.WriteToUDPAddrPort(reply, from)
		}
	}
}

func (s *dnsServer) serveTCP() {
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() { s.serveConn(c) })
	}
}

func (s *dnsServer) serveConn(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(patience))
	var length [2]byte
	if _, err := c.Read(length[:]); err != nil {
		return
	}
	query := make([]byte, int(length[0])<<8|int(length[1]))
	if _, err := c.Read(query); err != nil {
		return
	}
	if _, reply, _ := s.answer(query, "tcp"); reply != nil {
		_, _ = c.Write(append([]byte{byte(len(reply) >> 8), byte(len(reply))}, reply...))
	} else {
		_, _ = c.Read(length[:]) // silent: until the client gives up
	}
}

// answer returns the answer to query over network, and a forged one to
// send first.
func (s *dnsServer) answer(query []byte, network string) (forged, reply []byte, f fault) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, nil, 0
	}
	q, err := p.Question()
	if err != nil {
		return nil, nil, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked[network+" "+strings.ToLower(q.Name.String())]++
	rcode, rrs := s.lookup(q)
	switch {
	case s.fault == faultSilent:
		return nil, nil, s.fault
	case s.fault == faultServfail:
		return nil, pack(h.ID, q, dnsmessage.RCodeServerFailure, nil, false), s.fault
	case s.fault == faultMalformed:
		full := pack(h.ID, q, dnsmessage.RCodeSuccess, []dnsmessage.Resource{addrRR(q.Name.String(), 60, "192.0.2.200")}, false)
		return nil, full[:len(full)-2], s.fault
	case s.fault == faultTruncate && network == "udp":
		return nil, pack(h.ID, q, rcode, rrs[:min(1, len(rrs))], true), s.fault
	case s.fault >= faultWrongID && network == "udp":
		s.forged++
		return s.forge(h.ID, q), pack(h.ID, q, rcode, rrs, false), s.fault
	}
	return nil, pack(h.ID, q, rcode, rrs, false), s.fault
}

// lookup returns the zone's records for q: its CNAMEs and those of q's
// type; NXDOMAIN for a name the zone does not have.
func (s *dnsServer) lookup(q dnsmessage.Question) (dnsmessage.RCode, []dnsmessage.Resource) {
	rrs, ok := s.zone[strings.ToLower(q.Name.String())]
	if !ok {
		return dnsmessage.RCodeNameError, nil
	}
	var out []dnsmessage.Resource
	for _, rr := range rrs {
		if rr.Header.Type == q.Type || rr.Header.Type == dnsmessage.TypeCNAME {
			out = append(out, rr)
		}
	}
	return dnsmessage.RCodeSuccess, out
}

// forge is an answer for q's name with the forged address, to id or, for
// faultWrongID and faultWrongName, not quite.
func (s *dnsServer) forge(id uint16, q dnsmessage.Question) []byte {
	addr := forged4
	if q.Type == dnsmessage.TypeAAAA {
		addr = forged6
	}
	rr := addrRR(q.Name.String(), 60, addr.String())
	switch s.fault {
	case faultWrongID:
		id++
	case faultWrongName:
		q.Name = dnsmessage.MustNewName("forged.test.")
	}
	return pack(id, q, dnsmessage.RCodeSuccess, []dnsmessage.Resource{rr}, false)
}

func pack(id uint16, q dnsmessage.Question, rcode dnsmessage.RCode, rrs []dnsmessage.Resource, truncated bool) []byte {
	m := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: id, Response: true, RecursionAvailable: true, RCode: rcode, Truncated: truncated},
		Questions: []dnsmessage.Question{q},
		Answers:   rrs,
	}
	b, err := m.Pack()
	if err != nil {
		panic("test zone: " + err.Error())
	}
	return b
}

func addrRR(name string, ttl uint32, addr string) dnsmessage.Resource {
	a := netip.MustParseAddr(addr)
	h := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: ttl}
	if a.Is4() {
		h.Type = dnsmessage.TypeA
		return dnsmessage.Resource{Header: h, Body: &dnsmessage.AResource{A: a.As4()}}
	}
	h.Type = dnsmessage.TypeAAAA
	return dnsmessage.Resource{Header: h, Body: &dnsmessage.AAAAResource{AAAA: a.As16()}}
}

func cnameRR(name string, ttl uint32, target string) dnsmessage.Resource {
	h := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeCNAME, Class: dnsmessage.ClassINET, TTL: ttl}
	return dnsmessage.Resource{Header: h, Body: &dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(target)}}
}

// set makes the zone answer name (absolute) with rrs; none: NXDOMAIN.
func (s *dnsServer) set(name string, rrs ...dnsmessage.Resource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rrs == nil {
		delete(s.zone, name)
		return
	}
	s.zone[name] = rrs
}

// setAddrs makes the zone answer name with addrs, A and AAAA.
func (s *dnsServer) setAddrs(name string, ttl uint32, addrs ...string) {
	rrs := []dnsmessage.Resource{}
	for _, a := range addrs {
		rrs = append(rrs, addrRR(name, ttl, a))
	}
	s.set(name, rrs...)
}

func (s *dnsServer) setFault(f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

func (s *dnsServer) queries(network, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked[network+" "+name]
}

func (s *dnsServer) forgedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.forged
}

// config asks s only, with a hosts file that does not exist.
func config(t *testing.T, s *dnsServer, names ...string) netwatch.NamesConfig {
	return netwatch.NamesConfig{
		Names:   names,
		Servers: []netip.AddrPort{s.addr()},
		Hosts:   filepath.Join(t.TempDir(), "no-hosts"),
		Timeout: 300 * time.Millisecond,
	}
}

func start(t *testing.T, cfg netwatch.NamesConfig) *netwatch.Names {
	t.Helper()
	n, err := netwatch.NewNames(cfg)
	if err != nil {
		t.Fatal(err)
	}
	startNames(t, n)
	return n
}

func startNames(t *testing.T, n *netwatch.Names) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(patience); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", patience, what)
		}
	}
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// errorsSeen counts OnError calls.
type errorsSeen struct {
	n    atomic.Int32
	last atomic.Value
}

func (e *errorsSeen) on(name string, err error) {
	e.last.Store(name + ": " + err.Error())
	e.n.Add(1)
}

func ExampleNames() {
	dir, err := os.MkdirTemp("", "vigil-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, []byte("203.0.113.7 api.example.com\n"), 0o644); err != nil {
		panic(err)
	}
	names, err := netwatch.NewNames(netwatch.NamesConfig{
		Names: []string{"API.example.com."},
		Hosts: hosts, // api.example.com is there: no server is asked
	})
	if err != nil {
		panic(err)
	}
	if err := names.Start(context.Background()); err != nil {
		panic(err)
	}
	defer names.Close()
	fmt.Println(names.Lookup(netip.MustParseAddr("203.0.113.7")), names.Has("api.example.com", netip.MustParseAddr("203.0.113.8")))
	// Output: [api.example.com] false
}

func TestNamesStart(t *testing.T) {
	s := newDNSServer(t)
	s.setAddrs("a.test.", 60, "192.0.2.1", "192.0.2.2")
	s.setAddrs("b.test.", 60, "192.0.2.2", "2001:db8::b")
	s.setAddrs("v6.test.", 60, "2001:db8::6")
	var errs errorsSeen
	cfg := config(t, s, "a.test", "B.Test.", "v6.test", "missing.test")
	cfg.OnError = errs.on
	n := start(t, cfg)

	for _, tt := range []struct {
		give string
		want []netip.Addr
	}{
		{give: "a.test", want: addrs("192.0.2.1", "192.0.2.2")},
		{give: "b.test", want: addrs("192.0.2.2", "2001:db8::b")},
		{give: "B.TEST.", want: addrs("192.0.2.2", "2001:db8::b")},
		{give: "v6.test", want: addrs("2001:db8::6")},
		{give: "missing.test"},
		{give: "unknown.test"},
	} {
		if got := n.Addrs(tt.give); !slices.Equal(got, tt.want) {
			t.Errorf("Addrs(%s) = %v, want %v", tt.give, got, tt.want)
		}
	}
	for _, tt := range []struct {
		give string
		want []string
	}{
		{give: "192.0.2.2", want: []string{"a.test", "b.test"}},
		{give: "::ffff:192.0.2.1", want: []string{"a.test"}},
		{give: "2001:db8::6", want: []string{"v6.test"}},
		{give: "192.0.2.99"},
	} {
		if got := n.Lookup(netip.MustParseAddr(tt.give)); !slices.Equal(got, tt.want) {
			t.Errorf("Lookup(%s) = %q, want %q", tt.give, got, tt.want)
		}
	}
	if !n.Has("A.test.", netip.MustParseAddr("192.0.2.1")) || n.Has("a.test", netip.MustParseAddr("2001:db8::b")) {
		t.Error("Has does not agree with the answers")
	}
	if errs.n.Load() != 0 {
		t.Errorf("OnError was called (an answer without addresses is no failure): %v", errs.last.Load())
	}
}

func TestNamesReresolveWhenTTLRunsOut(t *testing.T) {
	s := newDNSServer(t)
	s.setAddrs("a.test.", 1, "192.0.2.1")
	cfg := config(t, s, "a.test")
	cfg.MinTTL = time.Second
	n := start(t, cfg)
	if got := n.Addrs("a.test"); !slices.Equal(got, addrs("192.0.2.1")) {
		t.Fatalf("Addrs = %v at start", got)
	}
	s.setAddrs("a.test.", 1, "192.0.2.7")
	waitFor(t, "the new address", func() bool { return slices.Equal(n.Addrs("a.test"), addrs("192.0.2.7")) })
}

func TestNamesGrace(t *testing.T) {
	s := newDNSServer(t)
	s.setAddrs("a.test.", 1, "192.0.2.1")
	cfg := config(t, s, "a.test")
	cfg.MinTTL, cfg.Grace = time.Second, time.Second
	old, replaced := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.7")
	var n *netwatch.Names
	keptAtChange := make(chan bool, 1)
	cfg.OnChange = func(name string, addrs []netip.Addr) {
		if slices.Equal(addrs, []netip.Addr{replaced}) {
			// The refresh goroutine is here: what Lookup sees is what the
			// change published, grace not yet run out.
			select {
			case keptAtChange <- slices.Equal(n.Lookup(old), []string{"a.test"}) && n.Has("a.test", replaced):
			default:
			}
		}
	}
	n, err := netwatch.NewNames(cfg)
	if err != nil {
		t.Fatal(err)
	}
	startNames(t, n)
	s.setAddrs("a.test.", 1, replaced.String())
	select {
	case kept := <-keptAtChange:
		if !kept {
			t.Error("the dropped address was let go at once")
		}
	case <-time.After(patience):
		t.Fatal("the answer did not change")
	}
	waitFor(t, "the end of the grace", func() bool { return n.Lookup(old) == nil && !n.Has("a.test", old) })
	if !slices.Equal(n.Lookup(replaced), []string{"a.test"}) {
		t.Errorf("Lookup(%s) = %q after the grace", replaced, n.Lookup(replaced))
	}
}

func TestNamesAnswerWithoutAddressKeepsNothing(t *testing.T) {
	tests := []struct {
		name      string
		giveAfter []dnsmessage.Resource
		want      []netip.Addr
	}{
		{name: "NXDOMAIN"},
		{name: "no A", giveAfter: []dnsmessage.Resource{addrRR("a.test.", 1, "2001:db8::1")}, want: addrs("2001:db8::1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDNSServer(t)
			s.setAddrs("a.test.", 1, "192.0.2.1", "2001:db8::1")
			var errs errorsSeen
			cfg := config(t, s, "a.test")
			cfg.MinTTL, cfg.Grace, cfg.OnError = time.Second, 100*time.Millisecond, errs.on
			n := start(t, cfg)
			s.set("a.test.", tt.giveAfter...)
			waitFor(t, "192.0.2.1 to go", func() bool { return n.Lookup(netip.MustParseAddr("192.0.2.1")) == nil })
			if got := n.Addrs("a.test"); !slices.Equal(got, tt.want) {
				t.Errorf("Addrs = %v, want %v", got, tt.want)
			}
			if errs.n.Load() != 0 {
				t.Errorf("OnError: %v", errs.last.Load())
			}
		})
	}
}

func TestNamesCNAMEChain(t *testing.T) {
	s := newDNSServer(t)
	chain := func(addr string) []dnsmessage.Resource {
		return []dnsmessage.Resource{ // out of order: the chain is followed, not read down
			addrRR("host.test.", 3600, addr),
			cnameRR("edge.test.", 3600, "host.test."),
			addrRR("other.test.", 3600, "192.0.2.66"),
			cnameRR("www.test.", 1, "edge.test."),
			addrRR("host.test.", 3600, "2001:db8::10"),
		}
	}
	s.set("www.test.", chain("192.0.2.10")...)
	cfg := config(t, s, "www.test")
	cfg.MinTTL = time.Second
	n := start(t, cfg)
	if got, want := n.Addrs("www.test"), addrs("192.0.2.10", "2001:db8::10"); !slices.Equal(got, want) {
		t.Errorf("Addrs = %v, want %v", got, want)
	}
	if got := n.Lookup(netip.MustParseAddr("192.0.2.66")); got != nil {
		t.Errorf("a record off the chain counted: Lookup = %q", got)
	}
	// The CNAME's TTL of 1 s is the chain's: asked again long before 3600 s.
	s.set("www.test.", chain("192.0.2.11")...)
	waitFor(t, "the chain's new address", func() bool { return n.Has("www.test", netip.MustParseAddr("192.0.2.11")) })
}

func TestNamesTruncatedAnswerOverTCP(t *testing.T) {
	s := newDNSServer(t)
	s.setAddrs("a.test.", 60, "192.0.2.1", "192.0.2.2", "192.0.2.3")
	s.setFault(faultTruncate)
	n := start(t, config(t, s, "a.test"))
	if got, want := n.Addrs("a.test"), addrs("192.0.2.1", "192.0.2.2", "192.0.2.3"); !slices.Equal(got, want) {
		t.Errorf("Addrs = %v, want %v", got, want)
	}
	if s.queries("tcp", "a.test.") == 0 {
		t.Error("no query over TCP")
	}
}

func TestNamesServerFailure(t *testing.T) {
	for _, tt := range []struct {
		name      string
		giveFault fault
	}{
		{name: "no answer", giveFault: faultSilent},
		{name: "SERVFAIL", giveFault: faultServfail},
		{name: "malformed", giveFault: faultMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newDNSServer(t)
			s.setAddrs("a.test.", 1, "192.0.2.1")
			failed := make(chan struct{}, 1)
			cfg := config(t, s, "a.test")
			cfg.MinTTL, cfg.Timeout = time.Second, 200*time.Millisecond
			cfg.OnError = func(string, error) {
				select {
				case failed <- struct{}{}:
				default:
				}
			}
			n := start(t, cfg)
			s.setFault(tt.giveFault)
			s.setAddrs("a.test.", 1, "192.0.2.2")
			select {
			case <-failed:
			case <-time.After(patience):
				t.Fatal("OnError was not called")
			}
			if got := n.Addrs("a.test"); !slices.Equal(got, addrs("192.0.2.1")) {
				t.Errorf("Addrs = %v after the failure, want the last known", got)
			}
			s.setFault(faultNone)
			waitFor(t, "the recovered server's answer", func() bool { return slices.Equal(n.Addrs("a.test"), addrs("192.0.2.2")) })
		})
	}
}

func TestNamesFailingAtStart(t *testing.T) {
	s := newDNSServer(t)
	s.setAddrs("a.test.", 60, "192.0.2.1")
	s.setFault(faultSilent)
	var errs errorsSeen
	cfg := config(t, s, "a.test")
	cfg.Timeout, cfg.OnError = 200*time.Millisecond, errs.on
	n := start(t, cfg)
	if got := n.Addrs("a.test"); got != nil {
		t.Errorf("Addrs = %v from a server that does not answer", got)
	}
	if errs.n.Load() == 0 {
		t.Error("Start returned before the name failed, or OnError was not called")
	}
	s.setFault(faultNone)
	waitFor(t, "the retry", func() bool { return slices.Equal(n.Addrs("a.test"), addrs("192.0.2.1")) })
}

func TestNamesHosts(t *testing.T) {
	s := newDNSServer(t)
	s.setAddrs("fromhosts.test.", 60, "192.0.2.99")
	s.setAddrs("dns.test.", 60, "192.0.2.1")
	cfg := config(t, s, "fromhosts.test", "alias.test", "dns.test")
	cfg.Hosts = filepath.Join(t.TempDir(), "hosts")
	hosts := "# vigil test\n192.0.2.50\tfromhosts.test alias.test # web\n2001:db8::50 FromHosts.test.\n192.0.2.51 other.test\n"
	if err := os.WriteFile(cfg.Hosts, []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	n := start(t, cfg)
	for _, tt := range []struct {
		give string
		want []netip.Addr
	}{
		{give: "fromhosts.test", want: addrs("192.0.2.50", "2001:db8::50")},
		{give: "alias.test", want: addrs("192.0.2.50")},
		{give: "dns.test", want: addrs("192.0.2.1")},
	} {
		if got := n.Addrs(tt.give); !slices.Equal(got, tt.want) {
			t.Errorf("Addrs(%s) = %v, want %v", tt.give, got, tt.want)
		}
	}
	if got := n.Lookup(netip.MustParseAddr("192.0.2.50")); !slices.Equal(got, []string{"alias.test", "fromhosts.test"}) {
		t.Errorf("Lookup(192.0.2.50) = %q", got)
	}
	for _, name := range []string{"fromhosts.test.", "alias.test."} {
		if q := s.queries("udp", name) + s.queries("tcp", name); q != 0 {
			t.Errorf("%s is in the hosts file but was asked %d times", name, q)
		}
	}
}

func TestNamesIgnoreForgedAnswers(t *testing.T) {
	for _, tt := range []struct {
		name      string
		giveFault fault
	}{
		{name: "another id", giveFault: faultWrongID},
		{name: "another question", giveFault: faultWrongName},
		{name: "another port", giveFault: faultWrongSource},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newDNSServer(t)
			s.setAddrs("a.test.", 60, "192.0.2.1", "2001:db8::1")
			s.setFault(tt.giveFault)
			n := start(t, config(t, s, "a.test"))
			if s.forgedCount() == 0 {
				t.Fatal("the server forged nothing")
			}
			if got, want := n.Addrs("a.test"), addrs("192.0.2.1", "2001:db8::1"); !slices.Equal(got, want) {
				t.Errorf("Addrs = %v, want %v", got, want)
			}
			if n.Lookup(forged4) != nil || n.Lookup(forged6) != nil {
				t.Error("a forged address was taken")
			}
		})
	}
}

func TestNamesKeepAtMost64Addresses(t *testing.T) {
	s := newDNSServer(t)
	var many []string
	for i := range 100 {
		many = append(many, netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}).String(), "2001:db8::"+strconv.Itoa(i+1))
	}
	s.setAddrs("many.test.", 60, many...)
	n := start(t, config(t, s, "many.test"))
	if got := len(n.Addrs("many.test")); got != 64 {
		t.Errorf("%d addresses kept of 200, want 64", got)
	}
}

func TestNamesCloseLeavesNoGoroutine(t *testing.T) {
	s := newDNSServer(t)
	s.setAddrs("a.test.", 1, "192.0.2.1")
	before := runtime.NumGoroutine()
	cfg := config(t, s, "a.test")
	cfg.MinTTL, cfg.Timeout = time.Second, patience // a query under way must not hold Close up
	n, err := netwatch.NewNames(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.setFault(faultSilent)
	asked := s.queries("udp", "a.test.")
	waitFor(t, "a query under way", func() bool { return s.queries("udp", "a.test.") > asked })
	closed := make(chan struct{})
	go func() { n.Close(); n.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(patience):
		t.Fatal("Close did not return")
	}
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
	if got := n.Addrs("a.test"); !slices.Equal(got, addrs("192.0.2.1")) {
		t.Errorf("Addrs = %v after Close, want the last known", got)
	}
}

func TestNamesStartErrors(t *testing.T) {
	s := newDNSServer(t)
	dir := t.TempDir()
	t.Run("hosts unreadable", func(t *testing.T) {
		cfg := config(t, s, "a.test")
		cfg.Hosts = dir // a directory
		n, err := netwatch.NewNames(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if err := n.Start(context.Background()); err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("Start = %v, want an error naming %s", err, dir)
		}
	})
	t.Run("twice", func(t *testing.T) {
		n := start(t, config(t, s))
		if err := n.Start(context.Background()); err == nil {
			t.Error("a second Start succeeded")
		}
	})
	t.Run("after Close", func(t *testing.T) {
		n, err := netwatch.NewNames(config(t, s))
		if err != nil {
			t.Fatal(err)
		}
		n.Close()
		if err := n.Start(context.Background()); err == nil {
			t.Error("Start after Close succeeded")
		}
	})
}

func TestNewNamesRejects(t *testing.T) {
	long := strings.Repeat("a", 64)
	var tooMany []string
	for i := range 257 {
		tooMany = append(tooMany, "n"+strconv.Itoa(i)+".test")
	}
	tests := []struct {
		name     string
		giveCfg  netwatch.NamesConfig
		wantErrs []string
	}{
		{name: "empty label", giveCfg: netwatch.NamesConfig{Names: []string{"a..test"}}, wantErrs: []string{`"a..test"`, "empty label"}},
		{name: "empty", giveCfg: netwatch.NamesConfig{Names: []string{""}}, wantErrs: []string{"empty label"}},
		{name: "wildcard", giveCfg: netwatch.NamesConfig{Names: []string{"*.example.com"}}, wantErrs: []string{"wildcard"}},
		{name: "address", giveCfg: netwatch.NamesConfig{Names: []string{"203.0.113.7"}}, wantErrs: []string{"IP address"}},
		{name: "IPv6 address", giveCfg: netwatch.NamesConfig{Names: []string{"2001:db8::1"}}, wantErrs: []string{"IP address"}},
		{name: "numeric end", giveCfg: netwatch.NamesConfig{Names: []string{"10.1"}}, wantErrs: []string{"all digits"}},
		{name: "not ASCII", giveCfg: netwatch.NamesConfig{Names: []string{"bücher.example"}}, wantErrs: []string{"xn--"}},
		{name: "space", giveCfg: netwatch.NamesConfig{Names: []string{"a b.test"}}, wantErrs: []string{"letters, digits"}},
		{name: "hyphen", giveCfg: netwatch.NamesConfig{Names: []string{"-a.test"}}, wantErrs: []string{"begins or ends"}},
		{name: "long label", giveCfg: netwatch.NamesConfig{Names: []string{long + ".test"}}, wantErrs: []string{"63"}},
		{name: "long name", giveCfg: netwatch.NamesConfig{Names: []string{strings.Repeat("abc.", 64) + "test"}}, wantErrs: []string{"253"}},
		{name: "too many", giveCfg: netwatch.NamesConfig{Names: tooMany}, wantErrs: []string{"257 DNS names, at most 256"}},
		{name: "server", giveCfg: netwatch.NamesConfig{Servers: []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr("192.0.2.53"), 0)}}, wantErrs: []string{"a port"}},
		{name: "TTLs", giveCfg: netwatch.NamesConfig{MinTTL: time.Hour, MaxTTL: time.Minute}, wantErrs: []string{"above the maximum"}},
		{name: "negative", giveCfg: netwatch.NamesConfig{Grace: -time.Second}, wantErrs: []string{"grace -1s: negative"}},
		{name: "all at once", giveCfg: netwatch.NamesConfig{Names: []string{"ok.test", "*", "a..b"}, Grace: -1}, wantErrs: []string{"wildcard", "empty label", "negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := netwatch.NewNames(tt.giveCfg)
			for _, want := range tt.wantErrs {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("NewNames = %v, want an error saying %q", err, want)
				}
			}
		})
	}
	for _, give := range []string{"API.Example.COM.", "_service.example.com", "localhost", "xn--bcher-kva.example", "1a.test"} {
		if _, err := netwatch.NewNames(netwatch.NamesConfig{Names: []string{give}}); err != nil {
			t.Errorf("NewNames(%q): %v", give, err)
		}
	}
}
