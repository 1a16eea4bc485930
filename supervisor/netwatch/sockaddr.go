package netwatch

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// Address families, as struct sockaddr gives them.
const (
	afUnix  = 1
	afInet  = 2
	afInet6 = 10
)

// MaxSockaddr is the largest struct sockaddr vigil reads
// (sizeof(struct sockaddr_storage)).
const MaxSockaddr = 128

// Sockaddr is a decoded struct sockaddr.
type Sockaddr struct {
	Family uint16
	// Addr is an AF_INET or AF_INET6 address.
	Addr netip.AddrPort
	// Unix is an AF_UNIX name: a path, "@" and an abstract name, or ""
	// for an unnamed socket (autobind).
	Unix string
}

// ParseSockaddr decodes b, a struct sockaddr of the caller's length; ok is
// false when b is too short for its family.
func ParseSockaddr(b []byte) (s Sockaddr, ok bool) {
	if len(b) < 2 || len(b) > MaxSockaddr {
		return s, false
	}
	s.Family = binary.NativeEndian.Uint16(b)
	switch s.Family {
	case afInet:
		if len(b) < 8 {
			return s, false
		}
		s.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[2:4]))
	case afInet6:
		if len(b) < 24 {
			return s, false
		}
		ip := netip.AddrFrom16([16]byte(b[8:24]))
		s.Addr = netip.AddrPortFrom(ip.Unmap(), binary.BigEndian.Uint16(b[2:4]))
	case afUnix:
		s.Unix = unixName(b[2:])
	}
	return s, true
}

// unixName is sun_path as the kernel reads it: up to the first NUL for a
// path; for an abstract name (first byte NUL), the whole of the caller's
// length, NULs included, which the name shows as "@".
func unixName(path []byte) string {
	if len(path) > 0 && path[0] == 0 {
		return "@" + strings.ReplaceAll(string(path[1:]), "\x00", "@")
	}
	if i := bytes.IndexByte(path, 0); i >= 0 {
		path = path[:i]
	}
	return string(path)
}

// IP reports whether s is an AF_INET or AF_INET6 address.
func (s Sockaddr) IP() bool { return s.Family == afInet || s.Family == afInet6 }

// IsUnix reports whether s is an AF_UNIX address.
func (s Sockaddr) IsUnix() bool { return s.Family == afUnix }

// String formats s as events show it: address:port, unix:name, or the
// family's number.
func (s Sockaddr) String() string {
	switch {
	case s.IP():
		return s.Addr.String()
	case s.IsUnix():
		return "unix:" + s.Unix
	}
	return fmt.Sprintf("family %d", s.Family)
}

// ProtoOf is the transport of a socket by the protocol name the kernel
// gives it (the system.sockprotoname attribute: TCP, TCPv6, MPTCP, UDP,
// UDPv6, UDP-Lite, UNIX, UNIX-STREAM...).
func ProtoOf(name string) Proto {
	switch {
	case strings.HasPrefix(name, "TCP"), strings.HasPrefix(name, "MPTCP"):
		return ProtoTCP
	case strings.HasPrefix(name, "UDP"):
		return ProtoUDP
	case strings.HasPrefix(name, "UNIX"):
		return ProtoUnix
	}
	return ProtoOther
}

func (p Proto) String() string {
	return [...]string{"tcp", "udp", "unix", "other"}[p]
}
