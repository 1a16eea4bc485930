package netwatch

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

func inet(addr string) []byte {
	ap := netip.MustParseAddrPort(addr)
	if ap.Addr().Is4() {
		b := make([]byte, 16)
		binary.NativeEndian.PutUint16(b, afInet)
		binary.BigEndian.PutUint16(b[2:], ap.Port())
		a := ap.Addr().As4()
		copy(b[4:], a[:])
		return b
	}
	b := make([]byte, 28)
	binary.NativeEndian.PutUint16(b, afInet6)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	a := ap.Addr().As16()
	copy(b[8:], a[:])
	return b
}

func unixAddr(name string) []byte {
	b := make([]byte, 2, 2+len(name))
	binary.NativeEndian.PutUint16(b, afUnix)
	return append(b, name...)
}

func TestParseSockaddr(t *testing.T) {
	tests := []struct {
		name   string
		give   []byte
		want   string
		wantOK bool
	}{
		{name: "IPv4", give: inet("10.1.2.3:443"), want: "10.1.2.3:443", wantOK: true},
		{name: "IPv6", give: inet("[2001:db8::1]:53"), want: "[2001:db8::1]:53", wantOK: true},
		{name: "IPv4-mapped is IPv4", give: inet("[::ffff:10.0.0.1]:80"), want: "10.0.0.1:80", wantOK: true},
		{name: "short IPv4", give: inet("10.1.2.3:443")[:6]},
		{name: "short IPv6", give: inet("[::1]:1")[:20]},
		{name: "unix path", give: unixAddr("/run/x.sock\x00junk"), want: "unix:/run/x.sock", wantOK: true},
		{name: "abstract", give: unixAddr("\x00name\x00x"), want: "unix:@name@x", wantOK: true},
		{name: "unnamed", give: unixAddr(""), want: "unix:", wantOK: true},
		{name: "other family", give: []byte{16, 0, 0, 0}, want: "family 16", wantOK: true},
		{name: "too short", give: []byte{2}},
		{name: "too long", give: make([]byte, MaxSockaddr+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := ParseSockaddr(tt.give)
			if ok != tt.wantOK || ok && s.String() != tt.want {
				t.Errorf("ParseSockaddr = %s, %v; want %s, %v", s, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzParseSockaddr(f *testing.F) {
	for _, s := range [][]byte{inet("10.1.2.3:443"), inet("[::1]:53"), unixAddr("/x"), unixAddr("\x00a")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := ParseSockaddr(b)
		if !ok {
			return
		}
		if s.IP() && !s.Addr.IsValid() {
			t.Fatalf("%x: an IP family without a valid address", b)
		}
		if s.IP() && s.Addr.Addr().Is4In6() {
			t.Fatalf("%x: a mapped address left mapped", b)
		}
		_ = s.String()
	})
}

func TestProtoOf(t *testing.T) {
	for name, want := range map[string]Proto{"TCP": ProtoTCP, "TCPv6": ProtoTCP, "MPTCPv6": ProtoTCP, "UDP": ProtoUDP, "UDPv6": ProtoUDP,
		"UDP-Lite": ProtoUDP, "UNIX": ProtoUnix, "UNIX-STREAM": ProtoUnix, "PING": ProtoOther, "": ProtoOther} {
		if got := ProtoOf(name); got != want {
			t.Errorf("ProtoOf(%q) = %s, want %s", name, got, want)
		}
	}
}
