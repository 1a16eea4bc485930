package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vigilsec/vigil/supervisor/netwatch"
)

// netLearner keeps the destinations and bound ports a learning run saw.
type netLearner struct {
	mu sync.Mutex
	// egress are the IP destinations by protocol and port; unix the Unix
	// sockets connected to or sent to; ingress the bound ports by
	// protocol.
	egress  map[protoPort]map[string]bool
	unix    map[string]bool
	ingress map[protoPort]bool
}

type protoPort struct {
	proto string
	port  uint16
}

// add records one attempt; the network concern calls it.
func (l *netLearner) add(a netwatch.Attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.egress == nil {
		l.egress, l.unix, l.ingress = map[protoPort]map[string]bool{}, map[string]bool{}, map[protoPort]bool{}
	}
	pp := protoPort{proto: a.Proto.String(), port: a.Addr.Port()}
	switch {
	case a.Proto == netwatch.ProtoUnix && a.Direction == netwatch.Egress:
		l.unix[a.Unix] = true
	case a.Proto == netwatch.ProtoUnix:
		// A Unix socket the app makes: not a port.
	case a.Direction == netwatch.Ingress:
		l.ingress[pp] = true
	default:
		if l.egress[pp] == nil {
			l.egress[pp] = map[string]bool{}
		}
		l.egress[pp][a.Addr.Addr().String()] = true
	}
}

// section is the network section of the learned policy: what the app
// reached and bound is allowed, anything else reported (default alert).
func (l *netLearner) section() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.egress)+len(l.unix)+len(l.ingress) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("# What the app reached and bound; anything else is reported (default: deny refuses it).\n" +
		"# The addresses are those it used: where they came from DNS, put the names instead.\nnetwork:\n")
	if len(l.egress)+len(l.unix) > 0 {
		b.WriteString("  egress:\n    default: alert\n    allow:\n")
		i := 0
		for _, pp := range sortedPorts(l.egress) {
			addrs := slices.Sorted(maps.Keys(l.egress[pp]))
			fmt.Fprintf(&b, "      - {name: learned.egress.%d, to: [%s], ports: [%d]%s}\n", i, quoteAll(addrs), pp.port, protocolKey(pp.proto))
			i++
		}
		if len(l.unix) > 0 {
			fmt.Fprintf(&b, "      - {name: learned.egress.%d, to: [%s]}\n", i, quoteAll(prefixed("unix:", slices.Sorted(maps.Keys(l.unix)))))
		}
	}
	if len(l.ingress) > 0 {
		b.WriteString("  ingress:\n    default: alert\n    allow:\n")
		for i, pp := range sortedPorts(l.ingress) {
			fmt.Fprintf(&b, "      - {name: learned.ingress.%d, ports: [%d]%s}\n", i, pp.port, protocolKey(pp.proto))
		}
	}
	return b.String()
}

func sortedPorts[V any](m map[protoPort]V) []protoPort {
	return slices.SortedFunc(maps.Keys(m), func(a, b protoPort) int {
		return cmp.Or(cmp.Compare(a.proto, b.proto), cmp.Compare(a.port, b.port))
	})
}

// protocolKey is the rule's protocol key: none for a protocol the policy
// cannot name (an IP socket of another kind).
func protocolKey(proto string) string {
	if proto == "tcp" || proto == "udp" {
		return ", protocol: " + proto
	}
	return ""
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

func prefixed(p string, s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = p + v
	}
	return out
}
