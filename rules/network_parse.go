package rules

import "go.yaml.in/yaml/v3"

func (d *decoder) network(dst **NetworkSection) field {
	return func(n *yaml.Node) bool {
		s := &NetworkSection{}
		d.mapping(n, "egress or ingress", &s.pos, map[string]field{
			"egress":  d.netDirection(&s.Egress, "to"),
			"ingress": d.netDirection(&s.Ingress, "on"),
		})
		*dst = s
		return n.Kind == yaml.MappingNode
	}
}

// netDirection decodes one direction; peers is the key of its rules'
// addresses: to (egress) or on (ingress).
func (d *decoder) netDirection(dst **NetDirection, peers string) field {
	return func(n *yaml.Node) bool {
		s := &NetDirection{}
		d.mapping(n, "default, deny or allow", &s.pos, map[string]field{
			"default": d.str((*string)(&s.Default)),
			"deny":    d.netRules(&s.Deny, peers),
			"allow":   d.netRules(&s.Allow, peers),
		})
		*dst = s
		return n.Kind == yaml.MappingNode
	}
}

func (d *decoder) netRules(dst *[]NetRule, peers string) field {
	return func(n *yaml.Node) bool {
		return d.list(n, maxRules, func(_ int, e *yaml.Node) bool {
			var r NetRule
			list := &r.To
			if peers == "on" {
				list = &r.On
			}
			d.mapping(e, "name, "+peers+", ports or protocol", &r.pos, map[string]field{
				"name":     d.str(&r.Name),
				peers:      d.strs(list, &r.pos, peers),
				"ports":    d.ports(&r.Ports, &r.pos, "ports"),
				"protocol": d.str((*string)(&r.Protocol)),
			})
			*dst = append(*dst, r)
			return e.Kind == yaml.MappingNode
		})
	}
}

// ports decodes a list of ports, each a number (443) or a string
// ("8000-8100", a range), kept as text: Validate checks them.
func (d *decoder) ports(dst *[]string, pos *positions, key string) field {
	return d.numbersOrRanges(dst, pos, key, "a port or a first-last range")
}
