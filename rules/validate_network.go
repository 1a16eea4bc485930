package rules

import (
	"fmt"
	"slices"
)

// protocols are the values of a network rule's protocol.
var protocols = []Protocol{ProtocolTCP, ProtocolUDP}

func (s *NetworkSection) check(c *checker) {
	if s.Egress != nil {
		s.Egress.check(c, DirectionEgress)
	}
	if s.Ingress != nil {
		s.Ingress.check(c, DirectionIngress)
	}
}

func (s *NetDirection) check(c *checker, direction string) {
	if (s.Default != "" || s.pos.has("default")) && !s.pos.failed["default"] && !slices.Contains(verdicts, s.Default) {
		c.add(s.pos.of("default"), "unknown default %q: want %s", s.Default, oneOf(verdicts))
	}
	seen := map[string]bool{}
	lists := []struct {
		name  string
		rules []NetRule
	}{{"deny", s.Deny}, {"allow", s.Allow}}
	for _, l := range lists {
		for i := range l.rules {
			if l.rules[i].Name == "" {
				seen[l.rules[i].RuleName(direction, l.name, i)] = true
			}
		}
	}
	for _, l := range lists {
		for i := range l.rules {
			r := &l.rules[i]
			r.check(c, direction)
			if r.Name != "" && seen[r.Name] {
				c.add(r.pos.of("name"), "rule name %q is used twice: events could not tell the rules apart", r.Name)
			}
			seen[r.Name] = true
		}
	}
}

func (r *NetRule) check(c *checker, direction string) {
	c.ruleName(r.pos, r.Name)
	key := "to"
	if direction == DirectionIngress {
		key = "on"
	}
	for k, n := range map[string]int{key: len(r.Peers()), "ports": len(r.Ports)} {
		if n == 0 && r.pos.has(k) && !r.pos.failed[k] {
			c.add(r.pos.of(k), "empty %s: want at least one item, or no %s key", k, k)
		}
	}
	if (r.Protocol != "" || r.pos.has("protocol")) && !r.pos.failed["protocol"] && !slices.Contains(protocols, r.Protocol) {
		c.add(r.pos.of("protocol"), "unknown protocol %q: want %s", r.Protocol, oneOf(protocols))
	}
	unix := false
	for i, p := range r.Peers() {
		at := r.pos.of(fmt.Sprintf("%s.%d", key, i))
		d, err := ParseDestination(p)
		switch {
		case err != nil:
			c.add(at, "%s %q: %v", key, p, err)
		case d.Name != "" && direction == DirectionIngress:
			c.add(at, "on %q: a DNS name names no local address: want an IP address, a CIDR or unix:PATH", p)
		}
		unix = unix || d.Unix != ""
	}
	if unix && (len(r.Ports) > 0 || r.Protocol != "") {
		c.add(r.pos.of(""), "ports and protocol do not apply to Unix sockets: put the unix: %s in a rule of their own", key)
	}
	for i, p := range r.Ports {
		pr, err := ParsePortRange(p)
		at := r.pos.of(fmt.Sprintf("ports.%d", i))
		switch {
		case err != nil:
			c.add(at, "port %q: %v", p, err)
		case pr.First == 0 && direction == DirectionEgress:
			c.add(at, "port %q: no connection goes to port 0: want 1..65535", p)
		}
	}
}
