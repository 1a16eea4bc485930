package netwatch

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

func TestParseResolvConf(t *testing.T) {
	tests := []struct {
		name string
		give string
		want resolvConf
	}{
		{
			name: "servers and options",
			give: "nameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.com\noptions ndots:2 timeout:3 attempts:4\n",
			want: resolvConf{servers: dnsPorts("192.0.2.53", "2001:db8::53"), timeout: 3 * time.Second, attempts: 4},
		},
		{
			name: "comments",
			give: "# nameserver 192.0.2.1\n; nameserver 192.0.2.2\nnameserver 192.0.2.3 # the office\nnameserver 192.0.2.4;x\n  # indented\n",
			want: resolvConf{servers: dnsPorts("192.0.2.3", "192.0.2.4")},
		},
		{name: "three at most", give: "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nnameserver 192.0.2.4\n", want: resolvConf{servers: dnsPorts("192.0.2.1", "192.0.2.2", "192.0.2.3")}},
		{name: "not an address", give: "nameserver dns.example\nnameserver\nnameserver 192.0.2.1:5353\nnameserver\t192.0.2.1\n", want: resolvConf{servers: dnsPorts("192.0.2.1")}},
		{name: "zone", give: "nameserver fe80::1%eth0\n", want: resolvConf{servers: dnsPorts("fe80::1%eth0")}},
		{name: "IPv4-mapped", give: "nameserver ::ffff:192.0.2.1\n", want: resolvConf{servers: dnsPorts("192.0.2.1")}},
		{name: "bounds", give: "options timeout:0 attempts:99\n", want: resolvConf{timeout: time.Second, attempts: 5}},
		{name: "long timeout", give: "options timeout:100 attempts:0\n", want: resolvConf{timeout: 30 * time.Second, attempts: 1}},
		{name: "not numbers", give: "options timeout:x attempts:\n", want: resolvConf{}},
		{name: "the last wins", give: "options timeout:1\noptions timeout:2\n", want: resolvConf{timeout: 2 * time.Second}},
		{name: "TCP only", give: "options rotate use-vc\n", want: resolvConf{useVC: true}},
		{name: "keywords only at the start", give: "x nameserver 192.0.2.1\nnameservers 192.0.2.2\n"},
		{name: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseResolvConf(strings.NewReader(tt.give))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseResolvConf = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseTooLongLine(t *testing.T) {
	give := "nameserver 192.0.2.1\n" + strings.Repeat("x", 70_000) + "\n"
	if _, err := parseResolvConf(strings.NewReader(give)); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("parseResolvConf = %v, want an error at line 2", err)
	}
}

func TestResolverConfig(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver 192.0.2.53\noptions timeout:1 attempts:3 use-vc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		giveCfg NamesConfig
		want    resolver
	}{
		{
			name:    "servers given: resolv.conf is not read",
			giveCfg: NamesConfig{Servers: dnsPorts("192.0.2.1"), ResolvConf: dir},
			want:    resolver{servers: dnsPorts("192.0.2.1"), timeout: 2 * time.Second, attempts: 2},
		},
		{name: "from resolv.conf", giveCfg: NamesConfig{ResolvConf: conf}, want: resolver{servers: dnsPorts("192.0.2.53"), timeout: time.Second, attempts: 3, tcpOnly: true}},
		{name: "Timeout first", giveCfg: NamesConfig{ResolvConf: conf, Timeout: 5 * time.Second}, want: resolver{servers: dnsPorts("192.0.2.53"), timeout: 5 * time.Second, attempts: 3, tcpOnly: true}},
		{name: "no resolv.conf", giveCfg: NamesConfig{ResolvConf: filepath.Join(dir, "none")}, want: resolver{servers: dnsPorts("127.0.0.1"), timeout: 2 * time.Second, attempts: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.giveCfg.resolver()
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resolver = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := (NamesConfig{ResolvConf: dir}).resolver(); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("resolver of a directory = %v, want an error naming it", err)
	}
}

func TestParseHosts(t *testing.T) {
	tests := []struct {
		name string
		give string
		want map[string][]netip.Addr
	}{
		{name: "canonical name and aliases", give: "192.0.2.1 a.test b.test\n", want: map[string][]netip.Addr{"a.test": dnsIPs("192.0.2.1"), "b.test": dnsIPs("192.0.2.1")}},
		{name: "every line", give: "192.0.2.1 a.test\n2001:db8::1 a.test\n192.0.2.2\ta.test\n192.0.2.1 a.test\n", want: map[string][]netip.Addr{"a.test": dnsIPs("192.0.2.1", "2001:db8::1", "192.0.2.2")}},
		{name: "case and dot", give: "192.0.2.1 A.Test.\n", want: map[string][]netip.Addr{"a.test": dnsIPs("192.0.2.1")}},
		{name: "comments", give: "# 192.0.2.1 a.test\n192.0.2.2 a.test # b.test\n192.0.2.3#a.test\n", want: map[string][]netip.Addr{"a.test": dnsIPs("192.0.2.2")}},
		{name: "not an address", give: "a.test 192.0.2.1\n192.0.2.300 a.test\n192.0.2.4\n", want: map[string][]netip.Addr{}},
		{name: "zone and mapped", give: "fe80::1%lo a.test\n::ffff:192.0.2.1 b.test\n", want: map[string][]netip.Addr{"a.test": dnsIPs("fe80::1"), "b.test": dnsIPs("192.0.2.1")}},
		{name: "only wanted", give: "192.0.2.1 other.test localhost\n", want: map[string][]netip.Addr{}},
		{name: "Kelvin is no k", give: "192.0.2.1 \u212A.test\n", want: map[string][]netip.Addr{}},
	}
	want := func(name string) bool { return name == "a.test" || name == "b.test" || name == "k.test" }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHosts(strings.NewReader(tt.give), want)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseHosts = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestParseHostsKeepsAtMost64(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		b.WriteString(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}).String() + " a.test\n")
	}
	got, err := parseHosts(strings.NewReader(b.String()), func(string) bool { return true })
	if err != nil || len(got["a.test"]) != maxAddrs {
		t.Errorf("parseHosts kept %d addresses (%v), want %d", len(got["a.test"]), err, maxAddrs)
	}
}

func TestParseAnswer(t *testing.T) {
	q := dnsQuestion("a.test.", dnsmessage.TypeA)
	var many []dnsmessage.Resource
	for i := range 100 {
		many = append(many, dnsRR("a.test.", 60, netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}).String()))
	}
	tests := []struct {
		name      string
		give      dnsmessage.Message
		giveQ     dnsmessage.Question // the query's; default a.test A
		wantAddrs []netip.Addr
		wantTTL   uint32
		wantErr   error  // errors.Is
		wantText  string // or an error saying this
	}{
		{name: "addresses", give: dnsReply(dnsRR("a.test.", 300, "192.0.2.1"), dnsRR("a.test.", 60, "192.0.2.2")), wantAddrs: dnsIPs("192.0.2.1", "192.0.2.2"), wantTTL: 60},
		{name: "duplicates", give: dnsReply(dnsRR("a.test.", 60, "192.0.2.1"), dnsRR("a.test.", 60, "192.0.2.1")), wantAddrs: dnsIPs("192.0.2.1"), wantTTL: 60},
		{name: "case", give: dnsReply(dnsRR("A.TEST.", 60, "192.0.2.1")), wantAddrs: dnsIPs("192.0.2.1"), wantTTL: 60},
		{name: "CNAME chain", give: dnsReply(dnsRR("c.test.", 300, "192.0.2.1"), dnsCNAME("b.test.", 20, "c.test."), dnsCNAME("a.test.", 30, "b.test.")), wantAddrs: dnsIPs("192.0.2.1"), wantTTL: 20},
		{name: "other names", give: dnsReply(dnsRR("c.test.", 60, "192.0.2.9")), wantTTL: 0},
		{name: "other class", give: dnsReply(withClass(dnsRR("a.test.", 60, "192.0.2.1"), dnsmessage.ClassCHAOS))},
		{name: "other family", give: dnsReply(dnsRR("a.test.", 60, "2001:db8::1"))},
		{name: "TTL with the top bit", give: dnsReply(dnsRR("a.test.", 1<<31, "192.0.2.1")), wantAddrs: dnsIPs("192.0.2.1"), wantTTL: 0},
		{name: "IPv4-mapped AAAA", give: asking(dnsReply(dnsRR("a.test.", 60, "::ffff:192.0.2.1")), dnsmessage.TypeAAAA), giveQ: dnsQuestion("a.test.", dnsmessage.TypeAAAA), wantAddrs: dnsIPs("192.0.2.1"), wantTTL: 60},
		{name: "64 at most", give: dnsReply(many...), wantAddrs: dnsIPs(addrsOfRRs(many[:64])...), wantTTL: 60},
		{name: "NXDOMAIN with SOA", give: withSOA(withRCode(dnsReply(), dnsmessage.RCodeNameError), 300, 30), wantTTL: 30},
		{name: "no data, SOA TTL smaller", give: withSOA(dnsReply(), 10, 30), wantTTL: 10},
		{name: "no data without SOA", give: dnsReply(), wantTTL: 0},
		{name: "CNAME to nothing", give: dnsReply(dnsCNAME("a.test.", 30, "b.test.")), wantTTL: 0},
		{name: "CNAME loop", give: dnsReply(dnsCNAME("a.test.", 30, "b.test."), dnsCNAME("b.test.", 30, "a.test.")), wantText: "chain"},
		{name: "SERVFAIL", give: withRCode(dnsReply(), dnsmessage.RCodeServerFailure), wantText: "ServerFailure"},
		{name: "REFUSED", give: withRCode(dnsReply(), dnsmessage.RCodeRefused), wantText: "Refused"},
		{name: "truncated", give: withTC(dnsReply(dnsRR("a.test.", 60, "192.0.2.1"))), wantErr: errTruncated},
		{name: "another id", give: withDNSID(dnsReply(dnsRR("a.test.", 60, "192.0.2.1")), 8), wantErr: errMismatch},
		{name: "not a response", give: asQuery(dnsReply(dnsRR("a.test.", 60, "192.0.2.1"))), wantErr: errMismatch},
		{name: "another question", give: dnsReply(dnsRR("a.test.", 60, "192.0.2.1")), giveQ: dnsQuestion("a.test.", dnsmessage.TypeAAAA), wantErr: errMismatch},
		{name: "no question", give: dnsmessage.Message{Header: dnsmessage.Header{ID: 7, Response: true}}, wantErr: errMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			giveQ := q
			if tt.giveQ != (dnsmessage.Question{}) {
				giveQ = tt.giveQ
			}
			msg, err := tt.give.Pack()
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseAnswer(msg, 7, giveQ)
			switch {
			case tt.wantErr != nil || tt.wantText != "":
				if !(tt.wantErr != nil && errors.Is(err, tt.wantErr) || tt.wantText != "" && err != nil && strings.Contains(err.Error(), tt.wantText)) {
					t.Errorf("parseAnswer = %v, %v; want %v%s", got, err, tt.wantErr, tt.wantText)
				}
			case err != nil || !slices.Equal(got.addrs, tt.wantAddrs) || got.ttl != tt.wantTTL:
				t.Errorf("parseAnswer = %v ttl %d, %v; want %v ttl %d", got.addrs, got.ttl, err, tt.wantAddrs, tt.wantTTL)
			}
		})
	}
}

func TestKeepPrefersTheCurrent(t *testing.T) {
	var answer []netip.Addr
	for i := range 100 {
		answer = append(answer, netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}))
	}
	current := keep(nil, answer[30:])
	if len(current) != maxAddrs || current[0] != answer[30] {
		t.Fatalf("keep of 70 = %d addresses from %v, want %d from %v", len(current), current[0], maxAddrs, answer[30])
	}
	// The server rotates its answer: the addresses kept stay the same.
	if got := keep(current, slices.Concat(answer[50:], answer[:50])); !slices.Equal(got, current) {
		t.Errorf("keep of the rotated answer = %v, want %v", got, current)
	}
}

func TestParseAnswerOfGarbage(t *testing.T) {
	q := dnsQuestion("a.test.", dnsmessage.TypeA)
	for _, give := range [][]byte{nil, {0, 7}, []byte("not a DNS message at all")} {
		if _, err := parseAnswer(give, 7, q); !errors.Is(err, errMismatch) {
			t.Errorf("parseAnswer(%q) = %v, want errMismatch", give, err)
		}
	}
	m := dnsReply(dnsRR("a.test.", 60, "192.0.2.1"))
	msg, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseAnswer(msg[:len(msg)-1], 7, q); err == nil || errors.Is(err, errMismatch) {
		t.Errorf("parseAnswer of a cut answer = %v, want a failure", err)
	}
}

func TestBuildQuery(t *testing.T) {
	q := dnsQuestion("a.test.", dnsmessage.TypeAAAA)
	msg, err := buildQuery(0xbeef, q)
	if err != nil {
		t.Fatal(err)
	}
	if got := int(msg[0])<<8 | int(msg[1]); got != len(msg)-2 {
		t.Errorf("length prefix %d, message %d", got, len(msg)-2)
	}
	var m dnsmessage.Message
	if err := m.Unpack(msg[2:]); err != nil {
		t.Fatal(err)
	}
	if m.ID != 0xbeef || m.Response || !m.RecursionDesired || !slices.Equal(m.Questions, []dnsmessage.Question{q}) {
		t.Errorf("query %+v", m)
	}
	if len(m.Additionals) != 1 || m.Additionals[0].Header.Type != dnsmessage.TypeOPT || m.Additionals[0].Header.Class != ednsSize {
		t.Errorf("no EDNS(0) of %d bytes: %+v", ednsSize, m.Additionals)
	}
}

func dnsQuestion(name string, t dnsmessage.Type) dnsmessage.Question {
	return dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: t, Class: dnsmessage.ClassINET}
}

// reply is an answer to query 7 for a.test A.
func dnsReply(rrs ...dnsmessage.Resource) dnsmessage.Message {
	return dnsmessage.Message{
		Header:    dnsmessage.Header{ID: 7, Response: true, RecursionAvailable: true},
		Questions: []dnsmessage.Question{dnsQuestion("a.test.", dnsmessage.TypeA)},
		Answers:   rrs,
	}
}

func withRCode(m dnsmessage.Message, rc dnsmessage.RCode) dnsmessage.Message { m.RCode = rc; return m }
func withTC(m dnsmessage.Message) dnsmessage.Message                         { m.Truncated = true; return m }
func withDNSID(m dnsmessage.Message, id uint16) dnsmessage.Message           { m.ID = id; return m }
func asQuery(m dnsmessage.Message) dnsmessage.Message                        { m.Response = false; return m }

func withSOA(m dnsmessage.Message, ttl, minTTL uint32) dnsmessage.Message {
	h := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName("test."), Type: dnsmessage.TypeSOA, Class: dnsmessage.ClassINET, TTL: ttl}
	m.Authorities = append(m.Authorities, dnsmessage.Resource{Header: h, Body: &dnsmessage.SOAResource{
		NS: dnsmessage.MustNewName("ns.test."), MBox: dnsmessage.MustNewName("hostmaster.test."), MinTTL: minTTL,
	}})
	return m
}

func asking(m dnsmessage.Message, t dnsmessage.Type) dnsmessage.Message {
	m.Questions = []dnsmessage.Question{dnsQuestion("a.test.", t)}
	return m
}

func withClass(r dnsmessage.Resource, c dnsmessage.Class) dnsmessage.Resource {
	r.Header.Class = c
	return r
}

func dnsRR(name string, ttl uint32, addr string) dnsmessage.Resource {
	a := netip.MustParseAddr(addr)
	h := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: ttl}
	if a.Is4() {
		h.Type = dnsmessage.TypeA
		return dnsmessage.Resource{Header: h, Body: &dnsmessage.AResource{A: a.As4()}}
	}
	h.Type = dnsmessage.TypeAAAA
	return dnsmessage.Resource{Header: h, Body: &dnsmessage.AAAAResource{AAAA: a.As16()}}
}

func dnsCNAME(name string, ttl uint32, target string) dnsmessage.Resource {
	h := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeCNAME, Class: dnsmessage.ClassINET, TTL: ttl}
	return dnsmessage.Resource{Header: h, Body: &dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(target)}}
}

func addrsOfRRs(rrs []dnsmessage.Resource) []string {
	var out []string
	for _, r := range rrs {
		out = append(out, netip.AddrFrom4(r.Body.(*dnsmessage.AResource).A).String())
	}
	return out
}

func dnsIPs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func dnsPorts(ss ...string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range ss {
		out = append(out, netip.AddrPortFrom(netip.MustParseAddr(s), 53))
	}
	return out
}
