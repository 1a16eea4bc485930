package procwatch

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
)

// TCP states of /proc/net/tcp (include/net/tcp_states.h).
const (
	tcpEstablished = 0x01
	tcpListen      = 0x0a
	tcpClose       = 0x07 // also an unconnected UDP socket's
)

var tcpStates = map[uint8]string{
	0x01: "established", 0x02: "syn-sent", 0x03: "syn-recv", 0x04: "fin-wait1",
	0x05: "fin-wait2", 0x06: "time-wait", 0x07: "close", 0x08: "close-wait",
	0x09: "last-ack", 0x0a: "listen", 0x0b: "closing",
}

// socket is one line of /proc/net/{tcp,tcp6,udp,udp6}.
type socket struct {
	proto  string // "tcp", "tcp6", "udp", "udp6"
	local  netip.AddrPort
	remote netip.AddrPort
	state  uint8
}

// listening reports whether s waits for peers: a TCP socket in LISTEN, or
// a UDP socket bound to a port and connected to none.
func (s socket) listening() bool {
	if s.proto[0] == 't' {
		return s.state == tcpListen
	}
	return s.state == tcpClose && s.local.Port() != 0 && s.remote.Port() == 0
}

// connected reports whether s has a peer.
func (s socket) connected() bool {
	return s.remote.Port() != 0 && s.state != tcpListen && (s.proto[0] == 'u' || s.state != tcpClose)
}

// netTables reads the sockets of the scanner's network namespace, by inode.
func netTables() (map[uint64]socket, error) {
	socks := make(map[uint64]socket)
	var errs []error
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		err := readNetTable("/proc/net/"+proto, proto, socks)
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // no IPv6: no tcp6
			errs = append(errs, err)
		}
	}
	return socks, errors.Join(errs...)
}

func readNetTable(path, proto string, into map[uint64]socket) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading sockets: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		if inode, s, ok := parseNetLine(sc.Bytes(), proto); ok && inode != 0 {
			into[inode] = s
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading sockets: %s: %w", path, err)
	}
	return nil
}

// parseNetLine parses "sl local rem st tx:rx tr:when retrnsmt uid timeout
// inode …"; lines it cannot parse are skipped.
func parseNetLine(line []byte, proto string) (uint64, socket, bool) {
	f := bytes.Fields(line)
	if len(f) < 10 {
		return 0, socket{}, false
	}
	local, ok1 := parseHexAddr(f[1])
	remote, ok2 := parseHexAddr(f[2])
	st, err1 := strconv.ParseUint(string(f[3]), 16, 8)
	inode, err2 := strconv.ParseUint(string(f[9]), 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return 0, socket{}, false
	}
	return inode, socket{proto: proto, local: local, remote: remote, state: uint8(st)}, true
}

// parseHexAddr parses "0100007F:1F90": the address as the kernel's 32-bit
// words printed in hex in host byte order, the port in hex.
func parseHexAddr(b []byte) (netip.AddrPort, bool) {
	h, p, ok := bytes.Cut(b, []byte(":"))
	port, err := strconv.ParseUint(string(p), 16, 16)
	if !ok || err != nil || (len(h) != 8 && len(h) != 32) {
		return netip.AddrPort{}, false
	}
	var raw [16]byte
	for i := 0; i < len(h)/8; i++ {
		w, err := strconv.ParseUint(string(h[i*8:i*8+8]), 16, 32)
		if err != nil {
			return netip.AddrPort{}, false
		}
		binary.NativeEndian.PutUint32(raw[i*4:], uint32(w))
	}
	var a netip.Addr
	if len(h) == 8 {
		a = netip.AddrFrom4([4]byte(raw[:4]))
	} else {
		a = netip.AddrFrom16(raw).Unmap()
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}
