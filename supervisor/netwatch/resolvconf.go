package netwatch

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// glibc's bounds (resolv.h: MAXNS, RES_MAXRETRANS, RES_MAXRETRY).
const (
	maxServers  = 3
	maxTimeout  = 30 * time.Second
	maxAttempts = 5
)

// resolvConf is what vigil takes from resolv.conf(5): which servers to ask
// and how.
type resolvConf struct {
	servers  []netip.AddrPort
	timeout  time.Duration // 0: not set
	attempts int           // 0: not set
	useVC    bool          // options use-vc: TCP only
}

// readResolvConf reads path; a missing file is an empty one, as for libc.
func readResolvConf(path string) (resolvConf, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return resolvConf{}, nil
	}
	if err != nil {
		return resolvConf{}, fmt.Errorf("reading resolver configuration: %w", err)
	}
	defer f.Close()
	rc, err := parseResolvConf(f)
	if err != nil {
		return resolvConf{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return rc, nil
}

// parseResolvConf reads nameserver and options lines as glibc does: a
// comment starts at '#' or ';', a server that is not an IP address is
// skipped, and so is every one after the third.
func parseResolvConf(r io.Reader) (resolvConf, error) {
	var rc resolvConf
	err := eachLine(r, "#;", func(fields []string) {
		switch fields[0] {
		case "nameserver":
			rc.addServer(fields[1:])
		case "options":
			rc.setOptions(fields[1:])
		}
	})
	return rc, err
}

func (rc *resolvConf) addServer(args []string) {
	if len(args) == 0 || len(rc.servers) == maxServers {
		return
	}
	if addr, err := netip.ParseAddr(args[0]); err == nil {
		rc.servers = append(rc.servers, netip.AddrPortFrom(addr.Unmap(), 53))
	}
}

func (rc *resolvConf) setOptions(opts []string) {
	for _, opt := range opts {
		key, value, _ := strings.Cut(opt, ":")
		switch key {
		case "timeout":
			if n, ok := optionNumber(value, int(maxTimeout/time.Second)); ok {
				rc.timeout = time.Duration(n) * time.Second
			}
		case "attempts":
			if n, ok := optionNumber(value, maxAttempts); ok {
				rc.attempts = n
			}
		case "use-vc", "usevc", "tcp":
			rc.useVC = true
		}
	}
}

// optionNumber is value bounded to [1, most]: glibc makes a timeout of 0
// one second; an attempts of 0 would never ask.
func optionNumber(value string, most int) (int, bool) {
	n, err := strconv.Atoi(value)
	if err != nil {
		return 0, false
	}
	return min(max(n, 1), most), true
}

// eachLine calls fn with the fields of every line of r that has any, the
// comment (from any byte of comment on) cut off.
func eachLine(r io.Reader, comment string, fn func(fields []string)) error {
	s := bufio.NewScanner(r)
	line := 0
	for s.Scan() {
		line++
		text := s.Text()
		if i := strings.IndexAny(text, comment); i >= 0 {
			text = text[:i]
		}
		if fields := strings.Fields(text); len(fields) > 0 {
			fn(fields)
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}

// resolver asks DNS servers as resolv.conf says to.
type resolver struct {
	servers  []netip.AddrPort
	timeout  time.Duration // of each try
	attempts int           // tries of each server
	tcpOnly  bool
}

func (c NamesConfig) resolver() (resolver, error) {
	r := resolver{servers: c.Servers, timeout: c.Timeout, attempts: defaultAttempts}
	if len(r.servers) == 0 {
		rc, err := readResolvConf(c.ResolvConf)
		if err != nil {
			return resolver{}, err
		}
		r.servers, r.tcpOnly = rc.servers, rc.useVC
		r.timeout = cmp.Or(r.timeout, rc.timeout)
		r.attempts = cmp.Or(rc.attempts, defaultAttempts)
	}
	if len(r.servers) == 0 {
		r.servers = []netip.AddrPort{netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 53)}
	}
	r.timeout = cmp.Or(r.timeout, defaultTimeout)
	return r, nil
}

// result is what the servers said of a name.
type result struct {
	name    string
	answers [2]answer // A, AAAA
	errs    [2]error
}

var families = [2]dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA}

// resolve asks for both families of name at the same time.
func (r resolver) resolve(ctx context.Context, name string) result {
	res := result{name: name}
	var wg sync.WaitGroup
	for i, t := range families {
		wg.Go(func() { res.answers[i], res.errs[i] = r.query(ctx, name, t) })
	}
	wg.Wait()
	return res
}

// query asks each server in turn, attempts times over, until one answers.
func (r resolver) query(ctx context.Context, name string, t dnsmessage.Type) (answer, error) {
	qname, err := dnsmessage.NewName(name + ".")
	if err != nil {
		return answer{}, fmt.Errorf("bug: a name that passed validation: %w", err)
	}
	q := dnsmessage.Question{Name: qname, Type: t, Class: dnsmessage.ClassINET}
	var errs []error
	for range r.attempts {
		errs = errs[:0]
		for _, server := range r.servers {
			a, err := r.exchange(ctx, server, q)
			if err == nil {
				return a, nil
			}
			if ctx.Err() != nil {
				return answer{}, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", server, err))
		}
	}
	return answer{}, fmt.Errorf("%s: %w", typeName(t), errors.Join(errs...))
}

func typeName(t dnsmessage.Type) string {
	return strings.TrimPrefix(t.String(), "Type")
}

// exchange asks server over UDP, and over TCP if the answer is truncated.
func (r resolver) exchange(ctx context.Context, server netip.AddrPort, q dnsmessage.Question) (answer, error) {
	if !r.tcpOnly {
		a, err := r.ask(ctx, server, q, askUDP)
		if !errors.Is(err, errTruncated) {
			return a, err
		}
	}
	return r.ask(ctx, server, q, askTCP)
}

type transport func(ctx context.Context, server netip.AddrPort, query []byte, id uint16, q dnsmessage.Question) (answer, error)

// ask sends one query over transport and waits for its answer.
func (r resolver) ask(ctx context.Context, server netip.AddrPort, q dnsmessage.Question, over transport) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	id := queryID()
	query, err := buildQuery(id, q)
	if err != nil {
		return answer{}, err
	}
	return over(ctx, server, query, id, q)
}

const (
	ednsSize    = 1232    // the UDP answer size offered (DNS flag day 2020)
	maxResponse = 1 << 16 // more than any DNS message: TCP's length is 16 bits
	maxChain    = 16      // CNAMEs followed within an answer
)

var (
	errMismatch  = errors.New("not an answer to the query")
	errTruncated = errors.New("truncated answer")
	longAgo      = time.Unix(1, 0)
)

// queryID is a random query id (crypto/rand does not fail).
func queryID() uint16 {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint16(b[:])
}

// buildQuery returns the query for q, with the two bytes of its length in
// front, as TCP wants it.
func buildQuery(id uint16, q dnsmessage.Question) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 2, 2+512), dnsmessage.Header{ID: id, RecursionDesired: true})
	var opt dnsmessage.ResourceHeader
	err := errors.Join(b.StartQuestions(), b.Question(q), b.StartAdditionals(),
		opt.SetEDNS0(ednsSize, dnsmessage.RCodeSuccess, false))
	if err == nil {
		err = b.OPTResource(opt, dnsmessage.OPTResource{})
	}
	msg, ferr := b.Finish()
	if err := errors.Join(err, ferr); err != nil {
		return nil, fmt.Errorf("bug: building a query: %w", err)
	}
	binary.BigEndian.PutUint16(msg, uint16(len(msg)-2))
	return msg, nil
}

// askUDP sends query to server from a connected socket: its port is the
// kernel's random pick, and the kernel drops datagrams from any other
// address or port. Datagrams that do not answer the query are ignored.
func askUDP(ctx context.Context, server netip.AddrPort, query []byte, id uint16, q dnsmessage.Question) (answer, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(server))
	if err != nil {
		return answer{}, err
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { _ = c.SetDeadline(longAgo) })()
	if _, err := c.Write(query[2:]); err != nil {
		return answer{}, err
	}
	buf := make([]byte, maxResponse)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return answer{}, err
		}
		if a, err := parseAnswer(buf[:n], id, q); !errors.Is(err, errMismatch) {
			return a, err
		}
	}
}

func askTCP(ctx context.Context, server netip.AddrPort, query []byte, id uint16, q dnsmessage.Question) (answer, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", server.String())
	if err != nil {
		return answer{}, err
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { _ = c.SetDeadline(longAgo) })()
	if _, err := c.Write(query); err != nil {
		return answer{}, err
	}
	var length [2]byte
	if _, err := io.ReadFull(c, length[:]); err != nil {
		return answer{}, err
	}
	msg := make([]byte, binary.BigEndian.Uint16(length[:]))
	if _, err := io.ReadFull(c, msg); err != nil {
		return answer{}, err
	}
	a, err := parseAnswer(msg, id, q)
	if errors.Is(err, errTruncated) {
		return answer{}, errors.New("truncated answer over TCP")
	}
	return a, err
}

// answer is what an answer to a query for one family says.
type answer struct {
	addrs []netip.Addr // at most maxAddrs, unmapped, unique
	ttl   uint32       // seconds
}

// parseAnswer returns what msg, the answer to the query id for q, says:
// errMismatch if it is not one, errTruncated if it is truncated.
func parseAnswer(msg []byte, id uint16, q dnsmessage.Question) (answer, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || !answers(&p, h, id, q) {
		return answer{}, errMismatch
	}
	if h.Truncated {
		return answer{}, errTruncated
	}
	if h.RCode != dnsmessage.RCodeSuccess && h.RCode != dnsmessage.RCodeNameError {
		return answer{}, fmt.Errorf("server answered %s", strings.TrimPrefix(h.RCode.String(), "RCode"))
	}
	rrs, err := p.AllAnswers()
	if err != nil {
		return answer{}, fmt.Errorf("malformed answer: %w", err)
	}
	a, err := addrsOf(rrs, q)
	if err != nil || len(a.addrs) > 0 {
		return a, err
	}
	neg, err := negativeTTL(&p)
	if err != nil {
		return answer{}, fmt.Errorf("malformed answer: %w", err)
	}
	a.ttl = min(a.ttl, neg)
	return a, nil
}

// answers reports whether h, and the questions p holds, answer the query.
func answers(p *dnsmessage.Parser, h dnsmessage.Header, id uint16, q dnsmessage.Question) bool {
	if !h.Response || h.ID != id || h.OpCode != 0 {
		return false
	}
	qs, err := p.AllQuestions()
	return err == nil && len(qs) == 1 && qs[0].Type == q.Type && qs[0].Class == q.Class && sameName(qs[0].Name, q.Name)
}

// addrsOf returns the addresses of the family q asks for that rrs give the
// name of q, or the end of its CNAME chain.
func addrsOf(rrs []dnsmessage.Resource, q dnsmessage.Question) (answer, error) {
	name, ttl, err := followCNAMEs(rrs, q.Name)
	if err != nil {
		return answer{}, err
	}
	a := answer{ttl: ttl}
	for _, rr := range rrs {
		addr, ok := addrOf(rr, q.Type)
		if !ok || !sameName(rr.Header.Name, name) || slices.Contains(a.addrs, addr) {
			continue
		}
		if len(a.addrs) == maxAddrs {
			break
		}
		a.addrs = append(a.addrs, addr)
		a.ttl = min(a.ttl, ttlOf(rr.Header.TTL))
	}
	return a, nil
}

// followCNAMEs returns the end of name's CNAME chain in rrs and the
// smallest TTL along it (the largest if there is none).
func followCNAMEs(rrs []dnsmessage.Resource, name dnsmessage.Name) (dnsmessage.Name, uint32, error) {
	ttl := uint32(1<<32 - 1)
	for range maxChain {
		rr, ok := cnameOf(rrs, name)
		if !ok {
			return name, ttl, nil
		}
		name, ttl = rr.Body.(*dnsmessage.CNAMEResource).CNAME, min(ttl, ttlOf(rr.Header.TTL))
	}
	if _, ok := cnameOf(rrs, name); ok {
		return name, 0, fmt.Errorf("a chain of more than %d CNAMEs", maxChain)
	}
	return name, ttl, nil
}

func cnameOf(rrs []dnsmessage.Resource, name dnsmessage.Name) (dnsmessage.Resource, bool) {
	for _, rr := range rrs {
		if _, ok := rr.Body.(*dnsmessage.CNAMEResource); ok && rr.Header.Class == dnsmessage.ClassINET && sameName(rr.Header.Name, name) {
			return rr, true
		}
	}
	return dnsmessage.Resource{}, false
}

func addrOf(rr dnsmessage.Resource, t dnsmessage.Type) (netip.Addr, bool) {
	if rr.Header.Class != dnsmessage.ClassINET {
		return netip.Addr{}, false
	}
	switch b := rr.Body.(type) {
	case *dnsmessage.AResource:
		return netip.AddrFrom4(b.A), t == dnsmessage.TypeA
	case *dnsmessage.AAAAResource:
		return netip.AddrFrom16(b.AAAA).Unmap(), t == dnsmessage.TypeAAAA
	}
	return netip.Addr{}, false
}

// negativeTTL is how long an answer without addresses holds (RFC 2308):
// from the SOA record of the authority section; 0 without one.
func negativeTTL(p *dnsmessage.Parser) (uint32, error) {
	rrs, err := p.AllAuthorities()
	if err != nil {
		return 0, err
	}
	for _, rr := range rrs {
		if soa, ok := rr.Body.(*dnsmessage.SOAResource); ok {
			return min(ttlOf(rr.Header.TTL), ttlOf(soa.MinTTL)), nil
		}
	}
	return 0, nil
}

// ttlOf is a TTL as RFC 2181 says to read it: with its top bit set, 0.
func ttlOf(ttl uint32) uint32 {
	if ttl >= 1<<31 {
		return 0
	}
	return ttl
}

// sameName compares DNS names as DNS does: A-Z and a-z alike, nothing else.
func sameName(a, b dnsmessage.Name) bool {
	if a.Length != b.Length {
		return false
	}
	for i := range a.Length {
		if lowerByte(a.Data[i]) != lowerByte(b.Data[i]) {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
