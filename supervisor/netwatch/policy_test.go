package netwatch

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/rules"
)

// staticNames is a Resolved whose answers the test fixes.
type staticNames map[string][]netip.Addr

func (s staticNames) Has(name string, addr netip.Addr) bool { return slices.Contains(s[name], addr) }

func (s staticNames) Lookup(addr netip.Addr) []string {
	var out []string
	for n, as := range s {
		if slices.Contains(as, addr) {
			out = append(out, n)
		}
	}
	return out
}

func compile(t *testing.T, policy string, cfg PolicyConfig) *Policy {
	t.Helper()
	p, err := rules.Parse("policy.yaml", []byte("apiVersion: vigil.dev/v1\nkind: Policy\n"+policy))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Section = p.Network
	np, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return np
}

func tcp(s string) Attempt  { return Attempt{Proto: ProtoTCP, Addr: netip.MustParseAddrPort(s)} }
func udp(s string) Attempt  { return Attempt{Proto: ProtoUDP, Addr: netip.MustParseAddrPort(s)} }
func unix(s string) Attempt { return Attempt{Proto: ProtoUnix, Unix: s} }
func bind(a Attempt) Attempt {
	a.Direction = Ingress
	return a
}

const egressPolicy = `network:
  egress:
    default: deny
    deny:
      - {name: no-smtp, ports: [25]}
    allow:
      - name: db
        to: [10.0.0.0/8, "2001:db8::/32", db.example.com]
        ports: [5432, "8000-8100"]
        protocol: tcp
      - {name: dns, ports: [53], protocol: udp}
      - {name: pg-socket, to: ["unix:/run/postgresql/*", "unix:@jdwp-*"]}
  ingress:
    default: alert
    allow:
      - {name: http, ports: [8080], protocol: tcp}
      - {on: [127.0.0.1], ports: ["9000-9100"]}
`

func TestJudge(t *testing.T) {
	names := staticNames{"db.example.com": {netip.MustParseAddr("203.0.113.7")}, "other.example.com": {netip.MustParseAddr("198.51.100.1")}}
	p := compile(t, egressPolicy, PolicyConfig{Names: names, CloudMetadata: true, KubernetesAPI: []netip.AddrPort{netip.MustParseAddrPort("10.96.0.1:443")}})
	tests := []struct {
		name string
		give Attempt
		want Verdict
	}{
		{name: "allowed CIDR and port", give: tcp("10.1.2.3:5432"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "allowed range", give: tcp("10.1.2.3:8050"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "IPv4-mapped", give: tcp("[::ffff:10.1.2.3]:5432"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "IPv6 CIDR", give: tcp("[2001:db8::1]:5432"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "other port", give: tcp("10.1.2.3:22"), want: Verdict{Action: rules.VerdictDeny, Rule: "network.egress.default"}},
		{name: "other protocol", give: udp("10.1.2.3:5432"), want: Verdict{Action: rules.VerdictDeny, Rule: "network.egress.default"}},
		{name: "outside the CIDR", give: tcp("11.0.0.1:5432"), want: Verdict{Action: rules.VerdictDeny, Rule: "network.egress.default"}},
		{name: "by name", give: tcp("203.0.113.7:5432"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "default names the address", give: tcp("198.51.100.1:443"), want: Verdict{Action: rules.VerdictDeny, Rule: "network.egress.default", Name: "other.example.com"}},
		{name: "deny rule first", give: tcp("10.1.2.3:25"), want: Verdict{Action: rules.VerdictDeny, Rule: "no-smtp"}},
		{name: "udp by port", give: udp("192.0.2.53:53"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "tcp to 53", give: tcp("192.0.2.53:53"), want: Verdict{Action: rules.VerdictDeny, Rule: "network.egress.default"}},
		{name: "unix path glob", give: unix("/run/postgresql/.s.PGSQL.5432"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "unix abstract", give: unix("@jdwp-1"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "other unix", give: unix("/var/run/docker.sock"), want: Verdict{Action: rules.VerdictDeny, Rule: "network.egress.default"}},
		{name: "metadata", give: tcp("169.254.169.254:80"), want: Verdict{Action: rules.VerdictDeny, Rule: RuleCloudMetadata}},
		{name: "metadata IPv6", give: tcp("[fd00:ec2::254]:80"), want: Verdict{Action: rules.VerdictDeny, Rule: RuleCloudMetadata}},
		{name: "kubernetes API", give: tcp("10.96.0.1:443"), want: Verdict{Action: rules.VerdictDeny, Rule: RuleKubernetesAPI}},
		{name: "declared port", give: bind(tcp("0.0.0.0:8080")), want: Verdict{Action: rules.VerdictAllow}},
		{name: "undeclared port", give: bind(tcp("0.0.0.0:8081")), want: Verdict{Action: rules.VerdictAlert, Rule: "network.ingress.default"}},
		{name: "on loopback only", give: bind(tcp("127.0.0.1:9000")), want: Verdict{Action: rules.VerdictAllow}},
		{name: "not on loopback", give: bind(udp("0.0.0.0:9000")), want: Verdict{Action: rules.VerdictAlert, Rule: "network.ingress.default"}},
		{name: "unix bind", give: bind(unix("/tmp/x.sock")), want: Verdict{Action: rules.VerdictAlert, Rule: "network.ingress.default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Judge(tt.give); got != tt.want {
				t.Errorf("Judge(%+v) = %+v, want %+v", tt.give, got, tt.want)
			}
		})
	}
}

func TestJudgeBuiltins(t *testing.T) {
	kube := []netip.AddrPort{netip.MustParseAddrPort("10.96.0.1:443")}
	tests := []struct {
		name   string
		policy string
		give   Attempt
		want   Verdict
	}{
		{name: "no policy: metadata denied", give: tcp("169.254.169.254:80"), want: Verdict{Action: rules.VerdictDeny, Rule: RuleCloudMetadata}},
		{name: "no policy: API alerted", give: tcp("10.96.0.1:443"), want: Verdict{Action: rules.VerdictAlert, Rule: RuleKubernetesAPI}},
		{name: "no policy: the rest allowed", give: tcp("10.96.0.2:443"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "metadata allowed by address", policy: "network:\n  egress:\n    allow: [{to: [169.254.169.254], ports: [80]}]\n", give: tcp("169.254.169.254:80"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "metadata not allowed by a catch-all", policy: "network:\n  egress:\n    allow: [{to: [0.0.0.0/0]}]\n", give: tcp("169.254.169.254:80"), want: Verdict{Action: rules.VerdictDeny, Rule: RuleCloudMetadata}},
		{name: "metadata not allowed by ports alone", policy: "network:\n  egress:\n    allow: [{ports: [80]}]\n", give: tcp("169.254.169.254:80"), want: Verdict{Action: rules.VerdictDeny, Rule: RuleCloudMetadata}},
		{name: "API declared", policy: "network:\n  egress:\n    allow: [{to: [10.96.0.1], ports: [443]}]\n", give: tcp("10.96.0.1:443"), want: Verdict{Action: rules.VerdictAllow}},
		{name: "API under default alert", policy: "network:\n  egress:\n    default: alert\n", give: tcp("10.96.0.1:443"), want: Verdict{Action: rules.VerdictAlert, Rule: RuleKubernetesAPI}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compile(t, tt.policy, PolicyConfig{CloudMetadata: true, KubernetesAPI: kube})
			if got := p.Judge(tt.give); got != tt.want {
				t.Errorf("Judge(%+v) = %+v, want %+v", tt.give, got, tt.want)
			}
		})
	}
	off := compile(t, "", PolicyConfig{})
	if got := off.Judge(tcp("169.254.169.254:80")); got.Action != rules.VerdictAllow {
		t.Errorf("with net.cloud-metadata off: %+v, want allow", got)
	}
}

func TestLandlockTCP(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		want   TCPPorts
	}{
		{name: "no policy"},
		{name: "alert is not enforced", policy: "network:\n  egress:\n    default: alert\n    allow: [{ports: [443]}]\n"},
		{
			name:   "ports of the TCP rules",
			policy: egressPolicy,
			want:   TCPPorts{Connect: append([]uint16{5432}, ports(8000, 8100)...), HandleConnect: true},
		},
		{name: "a rule of every port", policy: "network:\n  egress:\n    default: deny\n    allow: [{to: [10.0.0.0/8]}]\n"},
		{name: "none allowed", policy: "network:\n  egress:\n    default: deny\n  ingress:\n    default: deny\n", want: TCPPorts{Connect: []uint16{}, Bind: []uint16{}, HandleConnect: true, HandleBind: true}},
		{name: "udp and unix rules do not count", policy: "network:\n  ingress:\n    default: deny\n    allow: [{ports: [53], protocol: udp}, {on: [\"unix:/x\"]}, {ports: [80, 80]}]\n", want: TCPPorts{Bind: []uint16{80}, HandleBind: true}},
		{name: "too many ports", policy: "network:\n  egress:\n    default: deny\n    allow: [{ports: [\"1-5000\"]}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compile(t, tt.policy, PolicyConfig{}).LandlockTCP()
			if got.HandleConnect != tt.want.HandleConnect || got.HandleBind != tt.want.HandleBind ||
				!slices.Equal(got.Connect, tt.want.Connect) || !slices.Equal(got.Bind, tt.want.Bind) {
				t.Errorf("LandlockTCP() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func ports(first, last uint16) []uint16 {
	var p []uint16
	for i := first; i <= last; i++ {
		p = append(p, i)
	}
	return p
}

func TestNames(t *testing.T) {
	p := compile(t, "network:\n  egress:\n    deny: [{to: [evil.example.com, db.example.com]}]\n    allow: [{to: [db.example.com, 10.0.0.1, api.example.com]}]\n", PolicyConfig{})
	if got, want := p.Names(), []string{"evil.example.com", "db.example.com", "api.example.com"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestDeclares(t *testing.T) {
	p := compile(t, "network:\n  ingress:\n    deny: [{ports: [9001]}]\n    allow: [{ports: [\"9000-9100\"], protocol: tcp}]\n", PolicyConfig{})
	for give, want := range map[Attempt]bool{tcp("0.0.0.0:9000"): true, tcp("[::]:9100"): true, udp("0.0.0.0:9000"): false, tcp("0.0.0.0:8080"): false, tcp("0.0.0.0:9001"): false} {
		if got := p.Declares(give); got != want {
			t.Errorf("Declares(%+v) = %v, want %v", give, got, want)
		}
	}
}

func TestNeedsProtocol(t *testing.T) {
	for policy, want := range map[string]bool{
		"": false,
		"network:\n  egress:\n    allow: [{to: [10.0.0.0/8], ports: [53]}]\n": false,
		"network:\n  ingress:\n    deny: [{ports: [53], protocol: udp}]\n":    true,
		egressPolicy: true,
	} {
		if got := compile(t, policy, PolicyConfig{}).NeedsProtocol(); got != want {
			t.Errorf("NeedsProtocol() = %v, want %v for\n%s", got, want, policy)
		}
	}
}
