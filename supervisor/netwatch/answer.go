package netwatch

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

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
