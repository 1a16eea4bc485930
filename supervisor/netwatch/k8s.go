package netwatch

import (
	"net/netip"
	"slices"
	"strconv"
)

// RuleKubernetesAPI is the rule of a connection to the cluster's API server.
const RuleKubernetesAPI = "net.kubernetes-api"

// KubernetesAPI is the API server's address as the pod's environment
// gives it (getenv is os.Getenv); none outside Kubernetes, or when the
// variables do not hold an address and port.
func KubernetesAPI(getenv func(string) string) []netip.AddrPort {
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if host == "" {
		return nil
	}
	if port == "" {
		port = "443"
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return nil // a name: resolved with network policy's DNS names
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return nil
	}
	return []netip.AddrPort{netip.AddrPortFrom(addr.Unmap(), uint16(p))}
}

// Targets are destinations whose connects are reported.
type Targets []netip.AddrPort

// Has reports whether dst (IPv4-mapped IPv6 too) is one of t.
func (t Targets) Has(dst netip.AddrPort) bool {
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	return slices.Contains(t, dst)
}
