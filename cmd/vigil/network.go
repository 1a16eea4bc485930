package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/netwatch"
)

// landlockTCPABI is the first Landlock ABI with TCP port rules.
const landlockTCPABI = 4

// resolveAtStart bounds the first resolution of the policy's DNS names:
// the app starts after it, with the names that answered.
const resolveAtStart = 3 * time.Second

// netState is what the network concern got, for the started event.
type netState struct {
	// watch is "on", or "off" and why.
	watch string
	// egress and ingress are "allow", "alert" or "deny", with the count of
	// rules; enforcement says what the kernel enforces.
	egress, ingress, enforcement string
	// names resolves the policy's DNS names; nil without any.
	names *netwatch.Names
	// policy is the compiled policy, nil without one.
	policy *netwatch.Policy
	// degraded: Landlock was asked for TCP ports it cannot enforce.
	degraded bool
}

func (s netState) features(f map[string]string) {
	f["network_watch"] = s.watch
	f["network_egress"] = s.egress
	f["network_ingress"] = s.ingress
	f["network_enforcement"] = s.enforcement
}

// close stops the re-resolution of the policy's names.
func (s netState) close() {
	if s.names != nil {
		s.names.Close()
	}
}

// setupNetwork puts the network policy that sec (nil: none) and the rule
// pack (nil: none) ask for into cfg: the ports Landlock enforces, and the
// judge of every connect, bind and send with an address.
func setupNetwork(cfg *supervisor.Config, sec *rules.NetworkSection, pack *rules.Pack, log *zap.Logger) (netState, error) {
	st := netState{watch: "on", egress: direction(sec, rules.DirectionEgress), ingress: direction(sec, rules.DirectionIngress), enforcement: "none"}
	pc := netwatch.PolicyConfig{Section: sec, CloudMetadata: pack.On(netwatch.RuleCloudMetadata)}
	if pack.On(netwatch.RuleKubernetesAPI) {
		pc.KubernetesAPI = netwatch.KubernetesAPI(os.Getenv)
	}
	if sec == nil && !pc.CloudMetadata && len(pc.KubernetesAPI) == 0 {
		st.watch = "off (no network section, no network rule)"
		return st, nil
	}
	p, err := netwatch.Compile(pc)
	if err != nil {
		return st, err
	}
	if names := p.Names(); len(names) > 0 {
		if st.names, err = startNames(names, log); err != nil {
			return st, err
		}
		pc.Names = st.names
		if p, err = netwatch.Compile(pc); err != nil {
			return st, err
		}
	}
	st.policy = p
	var kernel []string
	if tcp := p.LandlockTCP(); tcp.HandleConnect || tcp.HandleBind {
		if supervisor.LandlockABI() >= landlockTCPABI {
			cfg.NetworkTCP = tcp
			kernel = landlockPorts(tcp)
		} else {
			log.Warn("the kernel's Landlock has no TCP rules (ABI 4): the network policy's ports are refused only as the notification sees them")
			st.degraded = true
		}
	}
	if supervisor.SeccompNotifyAvailable() {
		cfg.Network = p
		kernel = append(kernel, "notification (best effort)")
	} else {
		st.watch = "off (the kernel has no seccomp user notification)"
	}
	if len(kernel) > 0 {
		st.enforcement = strings.Join(kernel, ", ")
	}
	return st, nil
}

// declared says whether the policy's ingress declares a listener; nil
// when the policy has no ingress section (every new listener is reported).
func (s netState) declared(sec *rules.NetworkSection) func(string, netip.AddrPort) bool {
	if s.policy == nil || sec == nil || sec.Ingress == nil {
		return nil
	}
	return func(proto string, local netip.AddrPort) bool {
		pr := netwatch.ProtoTCP
		if proto == "udp" {
			pr = netwatch.ProtoUDP
		}
		return s.policy.Declares(netwatch.Attempt{Direction: netwatch.Ingress, Proto: pr, Addr: local})
	}
}

// landlockPorts describes what Landlock enforces of tcp.
func landlockPorts(tcp netwatch.TCPPorts) []string {
	var out []string
	if tcp.HandleConnect {
		out = append(out, fmt.Sprintf("landlock tcp connect (%d ports)", len(tcp.Connect)))
	}
	if tcp.HandleBind {
		out = append(out, fmt.Sprintf("landlock tcp bind (%d ports)", len(tcp.Bind)))
	}
	return out
}

// direction describes one direction of sec for the started event.
func direction(sec *rules.NetworkSection, name string) string {
	var d *rules.NetDirection
	if sec != nil {
		d = sec.Egress
		if name == rules.DirectionIngress {
			d = sec.Ingress
		}
	}
	if d == nil {
		return string(rules.VerdictAllow)
	}
	return fmt.Sprintf("%s (%d rules)", d.EffectiveDefault(), len(d.Deny)+len(d.Allow))
}

// startNames resolves names before the app starts, and again as their
// TTLs run out, logging what changes.
func startNames(names []string, log *zap.Logger) (*netwatch.Names, error) {
	n, err := netwatch.NewNames(netwatch.NamesConfig{
		Names: names,
		OnChange: func(name string, addrs []netip.Addr) {
			log.Debug("network policy: a name's addresses changed", zap.String("name", name), zap.Stringers("addresses", addrs))
		},
		OnError: func(name string, err error) {
			log.Warn("network policy: resolving a name", zap.String("name", name), zap.Error(err))
		},
	})
	if err != nil {
		return nil, fmt.Errorf("network policy: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveAtStart)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		return nil, fmt.Errorf("network policy: %w", err)
	}
	return n, nil
}
