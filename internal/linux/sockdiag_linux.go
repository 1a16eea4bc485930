package linux

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// InetSocket is one socket of a sock_diag dump.
type InetSocket struct {
	Family uint8 // AF_INET or AF_INET6
	State  uint8 // the TCP state (TCP_LISTEN is 10)
	Local  netip.AddrPort
	Remote netip.AddrPort
	Inode  uint64
}

// TCPListen is the TCP_LISTEN state, as a bit of InetSockets' states.
const TCPListen = 10

// inetDiagReqV2 is struct inet_diag_req_v2 (linux/inet_diag.h); x/sys/unix
// does not define it.
type inetDiagReqV2 struct {
	Family, Protocol, Ext, Pad uint8
	States                     uint32
	ID                         [48]byte // struct inet_diag_sockid: zero, all sockets
}

// inetDiagMsgLen is sizeof(struct inet_diag_msg).
const inetDiagMsgLen = 72

// InetSockets dumps the sockets of family (AF_INET, AF_INET6) and protocol
// (IPPROTO_TCP, IPPROTO_UDP) of the caller's network namespace whose state
// is in the bit set states (1<<TCPListen for listeners), with NETLINK_SOCK_DIAG.
// Unlike /proc/net/tcp, a dump of listeners only walks the listening hash:
// on a host with a large established hash /proc/net/tcp costs milliseconds.
func InetSockets(family, protocol uint8, states uint32) ([]InetSocket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("sock_diag socket: %w", err)
	}
	defer unix.Close(fd)
	req := make([]byte, unix.SizeofNlMsghdr+int(unsafe.Sizeof(inetDiagReqV2{})))
	hdr := (*unix.NlMsghdr)(unsafe.Pointer(&req[0]))
	*hdr = unix.NlMsghdr{Len: uint32(len(req)), Type: unix.SOCK_DIAG_BY_FAMILY, Flags: unix.NLM_F_REQUEST | unix.NLM_F_DUMP, Seq: 1}
	*(*inetDiagReqV2)(unsafe.Pointer(&req[unix.SizeofNlMsghdr])) = inetDiagReqV2{Family: family, Protocol: protocol, States: states}
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("sock_diag request: %w", err)
	}
	return readDiag(fd)
}

// readDiag reads the dump's replies until NLMSG_DONE.
func readDiag(fd int) ([]InetSocket, error) {
	var out []InetSocket
	buf := make([]byte, 32<<10)
	for {
		var n int
		err := retry(func() error {
			var e error
			n, _, e = unix.Recvfrom(fd, buf, 0)
			return e
		})
		if err != nil {
			return nil, fmt.Errorf("sock_diag reply: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("sock_diag reply: %w", err)
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 {
						return nil, fmt.Errorf("sock_diag: %w", unix.Errno(-errno))
					}
				}
				return out, nil
			}
			if s, ok := parseDiagMsg(m.Data); ok {
				out = append(out, s)
			}
		}
	}
}

// parseDiagMsg parses struct inet_diag_msg: family, state, timer, retrans,
// then inet_diag_sockid (sport, dport big-endian; src, dst 16 bytes each;
// interface; cookie), expires, rqueue, wqueue, uid, inode.
func parseDiagMsg(b []byte) (InetSocket, bool) {
	if len(b) < inetDiagMsgLen {
		return InetSocket{}, false
	}
	s := InetSocket{Family: b[0], State: b[1], Inode: uint64(binary.NativeEndian.Uint32(b[68:]))}
	sport, dport := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:])
	src, dst := [16]byte(b[8:24]), [16]byte(b[24:40])
	if s.Family == unix.AF_INET {
		s.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(src[:4])), sport)
		s.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(dst[:4])), dport)
	} else {
		s.Local = netip.AddrPortFrom(netip.AddrFrom16(src).Unmap(), sport)
		s.Remote = netip.AddrPortFrom(netip.AddrFrom16(dst).Unmap(), dport)
	}
	return s, true
}

// SocketProtocol returns the protocol name of the socket a /proc/PID/fd/N
// link points to ("TCP", "TCPv6", "UDP", "UNIX", …), from the socket's
// system.sockprotoname attribute.
func SocketProtocol(path string) (string, error) {
	buf := make([]byte, 32)
	var n int
	err := retry(func() error {
		var e error
		n, e = unix.Getxattr(path, "system.sockprotoname", buf)
		return e
	})
	if err != nil {
		return "", fmt.Errorf("getxattr %s: %w", path, err)
	}
	if n > 0 && buf[n-1] == 0 {
		n--
	}
	return string(buf[:n]), nil
}
