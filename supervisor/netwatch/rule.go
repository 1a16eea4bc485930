package netwatch

import (
	"net/netip"
	"slices"

	"github.com/vigilsec/vigil/rules"
)

// rule is a compiled rules.NetRule.
type rule struct {
	name     string
	prefixes []netip.Prefix
	names    []string
	unix     []rules.Destination
	ports    []rules.PortRange
	proto    rules.Protocol
	// any: no condition at all, every attempt matches (Unix ones too).
	any bool
}

func compileRules(rs []rules.NetRule, direction, list string) ([]rule, error) {
	out := make([]rule, 0, len(rs))
	for i := range rs {
		r, err := compileRule(&rs[i], direction, list, i)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func compileRule(nr *rules.NetRule, direction, list string, i int) (rule, error) {
	r := rule{name: nr.RuleName(direction, list, i), proto: nr.Protocol}
	for _, s := range nr.Peers() {
		d, err := rules.ParseDestination(s)
		if err != nil {
			return r, errBug("destination "+s, err)
		}
		switch {
		case d.Unix != "":
			r.unix = append(r.unix, d)
		case d.Name != "":
			r.names = append(r.names, d.Name)
		default:
			r.prefixes = append(r.prefixes, d.Prefix)
		}
	}
	for _, s := range nr.Ports {
		pr, err := rules.ParsePortRange(s)
		if err != nil {
			return r, errBug("port "+s, err)
		}
		r.ports = append(r.ports, pr)
	}
	r.any = len(nr.Peers())+len(r.ports) == 0 && r.proto == ""
	return r, nil
}

// ip reports whether the rule can match an IP attempt: it has an IP peer,
// or no peer at all.
func (r *rule) ip() bool { return len(r.unix) == 0 || len(r.prefixes)+len(r.names) > 0 }

// matches reports whether a matches r, and the DNS name it matched through.
func (r *rule) matches(names Resolved, a Attempt) (string, bool) {
	if r.any {
		return "", true
	}
	if a.Proto == ProtoUnix {
		return "", slices.ContainsFunc(r.unix, func(d rules.Destination) bool { return d.MatchesUnix(a.Unix) })
	}
	if !r.ip() || !r.protoMatches(a.Proto) || !r.portMatches(a.Addr.Port()) {
		return "", false
	}
	if len(r.prefixes)+len(r.names) == 0 {
		return "", true // ports or protocol alone
	}
	addr := a.Addr.Addr().Unmap()
	if slices.ContainsFunc(r.prefixes, func(p netip.Prefix) bool { return p.Contains(addr) }) {
		return "", true
	}
	if names == nil {
		return "", false
	}
	for _, n := range r.names {
		if names.Has(n, addr) {
			return n, true
		}
	}
	return "", false
}

func (r *rule) protoMatches(p Proto) bool {
	switch r.proto {
	case rules.ProtocolTCP:
		return p == ProtoTCP
	case rules.ProtocolUDP:
		return p == ProtoUDP
	}
	return true
}

func (r *rule) portMatches(port uint16) bool {
	return len(r.ports) == 0 || slices.ContainsFunc(r.ports, func(pr rules.PortRange) bool { return pr.Has(port) })
}

// namesAddr reports whether one of r's prefixes names addr specifically:
// not a catch-all such as 0.0.0.0/0.
func (r *rule) namesAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	return slices.ContainsFunc(r.prefixes, func(p netip.Prefix) bool { return p.Bits() > 0 && p.Contains(addr) })
}
