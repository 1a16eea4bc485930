package procwatch

import (
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/linux"
	"golang.org/x/sys/unix"
)

// TCP states (include/net/tcp_states.h).
const (
	tcpListen = 0x0a
	tcpClose  = 0x07 // also an unconnected UDP socket's
)

var tcpStates = map[uint8]string{
	0x01: "established", 0x02: "syn-sent", 0x03: "syn-recv", 0x04: "fin-wait1",
	0x05: "fin-wait2", 0x06: "time-wait", 0x07: "close", 0x08: "close-wait",
	0x09: "last-ack", 0x0a: "listen", 0x0b: "closing",
}

// socket is one TCP or UDP socket of the scanner's network namespace.
type socket struct {
	proto string // "tcp", "tcp6", "udp", "udp6"
	linux.InetSocket
}

// listening reports whether s waits for peers: a TCP socket in LISTEN, or
// a UDP socket bound to a port and connected to none.
func (s socket) listening() bool {
	if s.proto[0] == 't' {
		return s.State == tcpListen
	}
	return s.State == tcpClose && s.Local.Port() != 0 && s.Remote.Port() == 0
}

// connected reports whether s has a peer.
func (s socket) connected() bool {
	return s.Remote.Port() != 0 && s.State != tcpListen && (s.proto[0] == 'u' || s.State != tcpClose)
}

// table is one kind of socket sock_diag can dump.
type table struct {
	proto    string
	family   uint8
	protocol uint8
}

var tables = []table{
	{"tcp", unix.AF_INET, unix.IPPROTO_TCP},
	{"tcp6", unix.AF_INET6, unix.IPPROTO_TCP},
	{"udp", unix.AF_INET, unix.IPPROTO_UDP},
	{"udp6", unix.AF_INET6, unix.IPPROTO_UDP},
}

// inetSockets dumps the sockets of the given tables, by inode. With
// listenOnly, TCP dumps ask for listeners only: the kernel then walks the
// listening hash alone, tens of microseconds, where a full dump (or a read
// of /proc/net/tcp) walks the established hash, milliseconds on a host with
// much memory. UDP tables are small either way.
func inetSockets(ts []table, listenOnly bool) (map[uint64]socket, error) {
	socks := make(map[uint64]socket)
	var errs []error
	for _, t := range ts {
		states := ^uint32(0)
		if listenOnly && t.protocol == unix.IPPROTO_TCP {
			states = 1 << linux.TCPListen
		}
		list, err := linux.InetSockets(t.family, t.protocol, states)
		if err != nil {
			errs = append(errs, fmt.Errorf("listing %s sockets: %w", t.proto, err))
			continue
		}
		for _, s := range list {
			if s.Inode != 0 {
				socks[s.Inode] = socket{proto: t.proto, InetSocket: s}
			}
		}
	}
	return socks, errors.Join(errs...)
}

// tableOf names the table of a socket protocol as sockfs names it
// (system.sockprotoname); ok is false for other sockets (UNIX, NETLINK).
func tableOf(name string) (table, bool) {
	var p string
	switch name {
	case "TCP", "MPTCP":
		p = "tcp"
	case "TCPv6", "MPTCPv6":
		p = "tcp6"
	case "UDP", "UDP-Lite":
		p = "udp"
	case "UDPv6", "UDPLITEv6":
		p = "udp6"
	}
	for _, t := range tables {
		if t.proto == p {
			return t, true
		}
	}
	return table{}, false
}
