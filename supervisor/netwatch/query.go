package netwatch

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

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
