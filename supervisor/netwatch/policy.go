package netwatch

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/vigilsec/vigil/rules"
)

// RuleCloudMetadata is the rule of a connection to a cloud's instance
// metadata endpoint, denied unless the policy allows it.
const RuleCloudMetadata = "net.cloud-metadata"

// metadataEndpoints are the instance metadata services that hand out the
// machine's credentials: AWS, GCP (metadata.google.internal), Azure,
// OpenStack and DigitalOcean at the link-local address, AWS's IPv6 one.
var metadataEndpoints = []netip.Addr{
	netip.AddrFrom4([4]byte{169, 254, 169, 254}),
	netip.MustParseAddr("fd00:ec2::254"),
}

// Direction is which way an attempt goes.
type Direction uint8

// The directions.
const (
	Egress  Direction = iota // connect, or a send with an address
	Ingress                  // bind
)

func (d Direction) String() string {
	if d == Ingress {
		return rules.DirectionIngress
	}
	return rules.DirectionEgress
}

// Proto is the transport of an attempt, as the socket says.
type Proto uint8

// The transports vigil tells apart; ProtoOther is an IP socket of another
// kind (SCTP, ICMP): only rules without a protocol match it.
const (
	ProtoTCP Proto = iota
	ProtoUDP
	ProtoUnix
	ProtoOther
)

// Attempt is one connect, bind or send with an address, as decoded.
type Attempt struct {
	Direction Direction
	Proto     Proto
	// Addr is the destination (egress) or the local address (ingress) of
	// an IP socket.
	Addr netip.AddrPort
	// Unix is a Unix socket's path, or "@" and its abstract name; "" for an
	// unnamed one.
	Unix string
}

// Verdict is what the policy says of an attempt.
type Verdict struct {
	Action rules.Verdict
	// Rule names the rule that decided; "" for an attempt let through
	// without a word.
	Rule string
	// Name is the DNS name the destination matched, or is known by.
	Name string
}

// Resolved tells which addresses the policy's DNS names stand for now
// (Names). Nil when the policy has none.
type Resolved interface {
	Has(name string, addr netip.Addr) bool
	Lookup(addr netip.Addr) []string
}

// PolicyConfig is what Compile makes a Policy of.
type PolicyConfig struct {
	// Section is the policy's network section; nil allows everything.
	Section *rules.NetworkSection
	// Names resolves Section's DNS names (see Policy.Names).
	Names Resolved
	// CloudMetadata turns net.cloud-metadata on.
	CloudMetadata bool
	// KubernetesAPI is the cluster's API server (net.kubernetes-api), none
	// to leave the rule off.
	KubernetesAPI []netip.AddrPort
}

// Policy judges attempts. It is read-only once compiled: safe for
// concurrent use.
type Policy struct {
	egress, ingress direction
	names           Resolved
	metadata        bool
	kube            Targets
	// protocols: some rule names a protocol (a verdict needs the socket's).
	protocols bool
}

type direction struct {
	def         rules.Verdict
	deny, allow []rule
	defaultRule string
}

// Compile makes a Policy of cfg; the section must have been validated.
func Compile(cfg PolicyConfig) (*Policy, error) {
	p := &Policy{names: cfg.Names, metadata: cfg.CloudMetadata, kube: cfg.KubernetesAPI}
	var egress, ingress *rules.NetDirection
	if s := cfg.Section; s != nil {
		egress, ingress = s.Egress, s.Ingress
	}
	var err error
	if p.egress, err = compileDirection(egress, rules.DirectionEgress); err != nil {
		return nil, err
	}
	if p.ingress, err = compileDirection(ingress, rules.DirectionIngress); err != nil {
		return nil, err
	}
	for _, rs := range [][]rule{p.egress.deny, p.egress.allow, p.ingress.deny, p.ingress.allow} {
		p.protocols = p.protocols || slices.ContainsFunc(rs, func(r rule) bool { return r.proto != "" })
	}
	return p, nil
}

func compileDirection(d *rules.NetDirection, name string) (direction, error) {
	out := direction{def: d.EffectiveDefault(), defaultRule: rules.NetDefaultRule(name)}
	if d == nil {
		return out, nil
	}
	var err error
	if out.deny, err = compileRules(d.Deny, name, "deny"); err != nil {
		return out, err
	}
	out.allow, err = compileRules(d.Allow, name, "allow")
	return out, err
}

// Names are the DNS names the policy's rules use, each once.
func (p *Policy) Names() []string {
	var names []string
	for _, rs := range [][]rule{p.egress.deny, p.egress.allow} {
		for _, r := range rs {
			for _, n := range r.names {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}
	return names
}

// NeedsProtocol reports whether a verdict can depend on the socket's
// protocol (TCP, UDP or another): whether some rule names one. When not,
// Judge may be given an IP attempt of any Proto.
func (p *Policy) NeedsProtocol() bool { return p.protocols }

// Judge says what the policy makes of a.
func (p *Policy) Judge(a Attempt) Verdict {
	if a.Direction == Ingress {
		return p.ingress.judge(p, a)
	}
	d := &p.egress
	if r, name, ok := d.match(p, d.deny, a); ok {
		return Verdict{Action: rules.VerdictDeny, Rule: r.name, Name: name}
	}
	if p.metadata && a.Proto != ProtoUnix && slices.Contains(metadataEndpoints, a.Addr.Addr().Unmap()) {
		if r, name, ok := d.match(p, d.allow, a); ok && (name != "" || r.namesAddr(a.Addr.Addr())) {
			return Verdict{Action: rules.VerdictAllow, Name: name}
		}
		return Verdict{Action: rules.VerdictDeny, Rule: RuleCloudMetadata}
	}
	if _, _, ok := d.match(p, d.allow, a); ok {
		return Verdict{Action: rules.VerdictAllow}
	}
	if a.Proto != ProtoUnix && p.kube.Has(a.Addr) {
		action := d.def
		if action == rules.VerdictAllow {
			action = rules.VerdictAlert
		}
		return Verdict{Action: action, Rule: RuleKubernetesAPI}
	}
	return d.otherwise(p, a)
}

func (d *direction) judge(p *Policy, a Attempt) Verdict {
	if r, name, ok := d.match(p, d.deny, a); ok {
		return Verdict{Action: rules.VerdictDeny, Rule: r.name, Name: name}
	}
	if _, _, ok := d.match(p, d.allow, a); ok {
		return Verdict{Action: rules.VerdictAllow}
	}
	return d.otherwise(p, a)
}

// otherwise is the default's verdict on an attempt no rule matched.
func (d *direction) otherwise(p *Policy, a Attempt) Verdict {
	if d.def == rules.VerdictAllow {
		return Verdict{Action: rules.VerdictAllow}
	}
	v := Verdict{Action: d.def, Rule: d.defaultRule}
	if p.names != nil && a.Proto != ProtoUnix {
		if names := p.names.Lookup(a.Addr.Addr().Unmap()); len(names) > 0 {
			v.Name = names[0]
		}
	}
	return v
}

// match finds the first of rs that matches a, and the DNS name it matched
// through.
func (d *direction) match(p *Policy, rs []rule, a Attempt) (*rule, string, bool) {
	for i := range rs {
		if name, ok := rs[i].matches(p.names, a); ok {
			return &rs[i], name, true
		}
	}
	return nil, "", false
}

// Declares reports whether one of the ingress allow rules matches a: the
// policy declares that listener (an attempt the default allows is not
// declared).
func (p *Policy) Declares(a Attempt) bool {
	a.Direction = Ingress
	_, _, ok := p.ingress.match(p, p.ingress.allow, a)
	return ok && p.ingress.judge(p, a).Action == rules.VerdictAllow
}

// Trivial reports whether the policy of dir lets everything through
// without a word: no rule, default allow.
func (p *Policy) Trivial(dir Direction) bool {
	d := &p.egress
	if dir == Ingress {
		d = &p.ingress
	}
	return d.def == rules.VerdictAllow && len(d.deny)+len(d.allow) == 0
}

// errBug wraps what Validate should have refused.
func errBug(what string, err error) error {
	return fmt.Errorf("bug: network policy %s passed validation: %w", what, err)
}
