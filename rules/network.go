package rules

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// NetworkSection is the app's network policy: which destinations it may
// reach (egress) and which ports it may bind and listen on (ingress).
type NetworkSection struct {
	// Egress and Ingress are nil when not written: everything is allowed
	// that way (the built-in rules still apply).
	Egress, Ingress *NetDirection

	pos positions
}

// NetDirection is the policy of one direction: deny rules first, then
// allow rules; the first match wins, else Default.
type NetDirection struct {
	// Default is the verdict of an attempt no rule matches; "" is
	// VerdictAllow, so that adding vigil never breaks an app.
	Default Verdict
	// Deny rules are tried first, then Allow rules.
	Deny, Allow []NetRule

	pos positions
}

// Protocol is a transport protocol a rule matches.
type Protocol string

// The protocols; a rule without one matches both.
const (
	ProtocolTCP Protocol = "tcp"
	ProtocolUDP Protocol = "udp"
)

// NetRule matches a connection attempt (egress: connect, or a send with
// an address) or a bind (ingress). Every condition that is set must hold;
// within one, any item may match. A rule with no condition matches every
// attempt.
type NetRule struct {
	// Name names the rule in events; "" means
	// network.<direction>.<list>.<index>.
	Name string
	// To (egress) are the destinations, On (ingress) the local addresses:
	// IP addresses, CIDRs, DNS names (egress only: resolved at start, and
	// again when their TTL runs out) and Unix sockets ("unix:/path" with
	// globs, "unix:@name" for the abstract namespace). Empty: any.
	To, On []string
	// Ports are port numbers or inclusive "first-last" ranges; empty: any.
	// They apply to IP addresses, not to Unix sockets.
	Ports []string
	// Protocol is ProtocolTCP or ProtocolUDP; "" matches both.
	Protocol Protocol

	pos positions
}

// Directions, as events and rule names spell them.
const (
	DirectionEgress  = "egress"
	DirectionIngress = "ingress"
)

// EffectiveDefault is the verdict of an attempt no rule matches; d may be
// nil (VerdictAllow).
func (d *NetDirection) EffectiveDefault() Verdict {
	if d == nil || d.Default == "" {
		return VerdictAllow
	}
	return d.Default
}

// RuleName is the rule's name in events: Name, or
// network.<direction>.<list>.<index>.
func (r *NetRule) RuleName(direction, list string, i int) string {
	if r.Name != "" {
		return r.Name
	}
	return "network." + direction + "." + list + "." + strconv.Itoa(i)
}

// NetDefaultRule is the rule an attempt no rule matches is reported under.
func NetDefaultRule(direction string) string { return "network." + direction + ".default" }

// Peers are the rule's addresses: To or On, whichever the direction has.
func (r *NetRule) Peers() []string {
	if len(r.To) > 0 {
		return r.To
	}
	return r.On
}

// Destination is one item of a rule's To or On: exactly one of Prefix
// (an address is a prefix of its full length), Name and Unix is set.
type Destination struct {
	Prefix netip.Prefix
	// Name is a DNS name, lower case, without the final dot.
	Name string
	// Unix is a glob on a Unix socket's path, or "@" and a glob on an
	// abstract name.
	Unix string

	unix glob
}

// MatchesUnix reports whether a Unix socket's name (a path, or "@" and an
// abstract name) matches d's Unix glob.
func (d *Destination) MatchesUnix(name string) bool { return d.Unix != "" && d.unix.match(name) }

// unixScheme starts a Unix socket destination.
const unixScheme = "unix:"

// ParseDestination reads one item of To or On.
func ParseDestination(s string) (Destination, error) {
	if rest, ok := strings.CutPrefix(s, unixScheme); ok {
		if rest == "" || rest == "@" || (!strings.HasPrefix(rest, "/") && !strings.HasPrefix(rest, "@")) {
			return Destination{}, errors.New("want unix:/path or unix:@abstract-name")
		}
		g, err := compileGlob(rest, false)
		if err != nil {
			return Destination{}, err
		}
		return Destination{Unix: rest, unix: g}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Destination{}, fmt.Errorf("want a CIDR such as 10.0.0.0/8 or 2001:db8::/32: %v", err)
		}
		if p.Masked() != p {
			return Destination{}, fmt.Errorf("bits are set past /%d: want %s", p.Bits(), p.Masked())
		}
		return Destination{Prefix: unmapPrefix(p)}, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return Destination{}, errors.New("an address with a zone: want one without %zone")
		}
		a = a.Unmap()
		return Destination{Prefix: netip.PrefixFrom(a, a.BitLen())}, nil
	}
	name, err := dnsName(s)
	if err != nil {
		return Destination{}, err
	}
	return Destination{Name: name}, nil
}

// unmapPrefix makes ::ffff:10.0.0.0/104 the IPv4 prefix it stands for:
// vigil compares unmapped addresses.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if !p.Addr().Is4In6() || p.Bits() < 96 {
		return p
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
}

// dnsName checks a DNS name (RFC 1035 labels; "_" allowed, as in service
// names) and returns it lower case without the final dot.
func dnsName(s string) (string, error) {
	name := strings.ToLower(strings.TrimSuffix(s, "."))
	if name == "" || len(name) > 253 {
		return "", errors.New("want an IP address, a CIDR, a DNS name or unix:PATH")
	}
	if strings.Contains(name, "*") {
		return "", errors.New("a wildcard name cannot be resolved: want the names themselves, or their addresses")
	}
	labels := strings.Split(name, ".")
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return "", errors.New("neither an IP address nor a DNS name (a top-level domain is not a number)")
	}
	for _, label := range labels {
		if !dnsLabel(label) {
			return "", fmt.Errorf("label %q: want 1 to 63 letters, digits, '-' or '_', not starting or ending with '-' (or an IP address, a CIDR or unix:PATH)", label)
		}
	}
	return name, nil
}

func dnsLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// PortRange is an inclusive range of ports.
type PortRange struct{ First, Last uint16 }

// Has reports whether port is in r.
func (r PortRange) Has(port uint16) bool { return port >= r.First && port <= r.Last }

// ParsePortRange reads a port ("443") or a range ("8000-8100").
func ParsePortRange(s string) (PortRange, error) {
	first, last, isRange := strings.Cut(s, "-")
	f, err := strconv.ParseUint(first, 10, 16)
	if err != nil {
		return PortRange{}, errors.New("want a port (0..65535) or a first-last range")
	}
	l := f
	if isRange {
		if l, err = strconv.ParseUint(last, 10, 16); err != nil || l < f {
			return PortRange{}, errors.New("want a port (0..65535) or a first-last range with first <= last")
		}
	}
	return PortRange{uint16(f), uint16(l)}, nil
}
