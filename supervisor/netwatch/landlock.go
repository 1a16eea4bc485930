package netwatch

import "github.com/vigilsec/vigil/rules"

// maxLandlockPorts bounds the ports a Landlock layer lists: one rule, and
// one system call at start, per port.
const maxLandlockPorts = 4096

// TCPPorts is what Landlock (ABI 4+) enforces of a policy, race-free: the
// only TCP ports the app may connect to and bind. Handled is false for a
// direction Landlock cannot narrow (default allow or alert, or an allow
// rule that covers every port); notifications judge the rest.
type TCPPorts struct {
	Connect, Bind             []uint16
	HandleConnect, HandleBind bool
}

// LandlockTCP is the part of p that Landlock can enforce: with default
// deny, a TCP connect (bind) can succeed only on a port one of the allow
// rules that match TCP lists. Addresses, names and deny rules narrow it
// further, judged from the notification.
func (p *Policy) LandlockTCP() TCPPorts {
	var t TCPPorts
	t.Connect, t.HandleConnect = p.egress.tcpPorts()
	t.Bind, t.HandleBind = p.ingress.tcpPorts()
	return t
}

func (d *direction) tcpPorts() ([]uint16, bool) {
	if d.def != rules.VerdictDeny {
		return nil, false
	}
	seen := map[uint16]bool{}
	ports := []uint16{}
	for i := range d.allow {
		r := &d.allow[i]
		if !r.ip() || r.proto == rules.ProtocolUDP {
			continue // never a TCP attempt
		}
		if len(r.ports) == 0 {
			return nil, false // every port, to some address
		}
		for _, pr := range r.ports {
			for port := int(pr.First); port <= int(pr.Last); port++ {
				if !seen[uint16(port)] {
					seen[uint16(port)] = true
					ports = append(ports, uint16(port))
				}
				if len(ports) > maxLandlockPorts {
					return nil, false
				}
			}
		}
	}
	return ports, true
}
