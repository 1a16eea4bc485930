package netwatch

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// FuzzParseResolvConf: no resolv.conf makes the parser panic, and what it
// takes stays within glibc's bounds.
func FuzzParseResolvConf(f *testing.F) {
	for _, seed := range []string{
		"nameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.com\noptions ndots:2 timeout:3 attempts:4\n",
		"# comment\n; comment\nnameserver fe80::1%eth0 # link-local\noptions timeout:0 attempts:99 use-vc\n",
		"nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nnameserver 192.0.2.4\n",
		"nameserver\noptions timeout: attempts:x\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rc, err := parseResolvConf(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(rc.servers) > maxServers {
			t.Errorf("%d servers", len(rc.servers))
		}
		for _, s := range rc.servers {
			if !s.Addr().IsValid() || s.Addr().Is4In6() || s.Port() != 53 {
				t.Errorf("server %v", s)
			}
		}
		if rc.timeout != 0 && (rc.timeout < time.Second || rc.timeout > maxTimeout) {
			t.Errorf("timeout %s", rc.timeout)
		}
		if rc.attempts != 0 && (rc.attempts < 1 || rc.attempts > maxAttempts) {
			t.Errorf("attempts %d", rc.attempts)
		}
	})
}

// FuzzParseHosts: no hosts file makes the parser panic, and it gives only
// the names asked for, each at most maxAddrs addresses as Lookup has them.
func FuzzParseHosts(f *testing.F) {
	for _, seed := range []string{
		"127.0.0.1 localhost\n::1 localhost ip6-localhost\n192.0.2.1 a.test b.test # web\n",
		"fe80::1%lo A.Test.\n::ffff:192.0.2.1 b.test\n192.0.2.300 a.test\n#192.0.2.2 a.test\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := func(name string) bool { return name == "a.test" || name == "b.test" || name == "localhost" }
		hosts, err := parseHosts(bytes.NewReader(data), want)
		if err != nil {
			return
		}
		for name, addrs := range hosts {
			if !want(name) || len(addrs) == 0 || len(addrs) > maxAddrs {
				t.Errorf("%q: %d addresses", name, len(addrs))
			}
			for i, a := range addrs {
				if a != addrKey(a) || slices.Contains(addrs[:i], a) {
					t.Errorf("%q: address %v", name, a)
				}
			}
		}
	})
}

// FuzzParseAnswer feeds arbitrary bytes as a server's answer to a.test A
// (or AAAA): no answer makes the parser panic, an accepted one gives at
// most maxAddrs unique unmapped addresses of the family asked for, and a
// failure is errMismatch, errTruncated or a failure that says what.
func FuzzParseAnswer(f *testing.F) {
	for _, m := range []dnsmessage.Message{
		dnsReply(dnsRR("a.test.", 300, "192.0.2.1"), dnsRR("a.test.", 60, "192.0.2.2")),
		dnsReply(dnsRR("c.test.", 300, "192.0.2.1"), dnsCNAME("b.test.", 20, "c.test."), dnsCNAME("a.test.", 30, "b.test.")),
		asking(dnsReply(dnsRR("a.test.", 60, "2001:db8::1"), dnsRR("a.test.", 60, "::ffff:192.0.2.1")), dnsmessage.TypeAAAA),
		withSOA(withRCode(dnsReply(), dnsmessage.RCodeNameError), 300, 30),
		dnsReply(dnsCNAME("a.test.", 30, "b.test."), dnsCNAME("b.test.", 30, "a.test.")),
		withTC(dnsReply(dnsRR("a.test.", 60, "192.0.2.1"))),
		withRCode(dnsReply(), dnsmessage.RCodeServerFailure),
	} {
		msg, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg, m.Questions[0].Type == dnsmessage.TypeAAAA)
	}
	f.Fuzz(func(t *testing.T, data []byte, six bool) {
		q := dnsQuestion("a.test.", dnsmessage.TypeA)
		if six {
			q.Type = dnsmessage.TypeAAAA
		}
		a, err := parseAnswer(data, 7, q)
		if err != nil {
			if !errors.Is(err, errMismatch) && !errors.Is(err, errTruncated) && !strings.Contains(err.Error(), " ") {
				t.Errorf("a failure that does not say what: %v", err)
			}
			return
		}
		if len(a.addrs) > maxAddrs {
			t.Errorf("%d addresses", len(a.addrs))
		}
		for i, addr := range a.addrs {
			if !addr.IsValid() || addr != addrKey(addr) || slices.Contains(a.addrs[:i], addr) {
				t.Errorf("address %v", addr)
			}
			if !six && !addr.Is4() {
				t.Errorf("an IPv6 address %v for A", addr)
			}
		}
		if a.ttl >= 1<<31 && len(a.addrs) > 0 {
			t.Errorf("TTL %d", a.ttl)
		}
	})
}
