package linux_test

import (
	"net"
	"slices"
	"strconv"
	"testing"

	"github.com/vigilsec/vigil/internal/linux"
	"golang.org/x/sys/unix"
)

func TestInetSockets(t *testing.T) {
	tests := []struct {
		name       string
		giveNet    string
		giveFamily uint8
		wantProto  []string // Go listens with MPTCP where the kernel has it
	}{
		{name: "tcp4", giveNet: "tcp4", giveFamily: unix.AF_INET, wantProto: []string{"TCP", "MPTCP"}},
		{name: "tcp6", giveNet: "tcp6", giveFamily: unix.AF_INET6, wantProto: []string{"TCPv6", "MPTCPv6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if tt.giveFamily == unix.AF_INET6 {
				addr = "[::1]:0"
			}
			l, err := net.Listen(tt.giveNet, addr)
			if err != nil {
				t.Skipf("no %s loopback: %v", tt.giveNet, err)
			}
			defer l.Close()
			port := uint16(l.Addr().(*net.TCPAddr).Port)
			socks, err := linux.InetSockets(tt.giveFamily, unix.IPPROTO_TCP, 1<<linux.TCPListen)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range socks {
				if s.State != linux.TCPListen {
					t.Errorf("socket %+v: state %d, want listeners only", s, s.State)
				}
				found = found || (s.Local.Port() == port && s.Local.Addr().IsLoopback() && s.Inode != 0)
			}
			if !found {
				t.Errorf("listener on port %d not in %+v", port, socks)
			}
			f, err := l.(*net.TCPListener).File()
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			proto, err := linux.SocketProtocol("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
			if err != nil || !slices.Contains(tt.wantProto, proto) {
				t.Errorf("SocketProtocol: %q, %v; want %s", proto, err, tt.wantProto)
			}
		})
	}
}

func BenchmarkInetSocketsListen(b *testing.B) {
	for b.Loop() {
		if _, err := linux.InetSockets(unix.AF_INET, unix.IPPROTO_TCP, 1<<linux.TCPListen); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInetSocketsAll(b *testing.B) {
	for b.Loop() {
		if _, err := linux.InetSockets(unix.AF_INET, unix.IPPROTO_TCP, ^uint32(0)); err != nil {
			b.Fatal(err)
		}
	}
}
