package supervisor

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/netwatch"
)

// TestLandlockTCP: the ports Landlock is given for the network policy are
// the only ones the process can connect to and bind, with no notification
// in the way (the race-free part of network enforcement). Run in a child:
// Landlock cannot be undone.
func TestLandlockTCP(t *testing.T) {
	if LandlockABI() < 4 {
		t.Skipf("Landlock ABI %d: TCP rules need ABI 4", LandlockABI())
	}
	var ports []string
	for range 2 {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	free := freePorts(t, 2)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLandlockTCPChild$")
	cmd.Env = append(os.Environ(), "VIGILTEST_LANDLOCK_TCP="+strings.Join(append(ports, free...), ","))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := "connect allowed: ok\nconnect other: permission denied\nbind allowed: ok\nbind other: permission denied\n"
	if got := string(out); !strings.HasPrefix(got, want) {
		t.Errorf("child said:\n%s\nwant:\n%s", got, want)
	}
}

func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		ln.Close()
	}
	return out
}

func TestLandlockTCPChild(t *testing.T) {
	spec := os.Getenv("VIGILTEST_LANDLOCK_TCP")
	if spec == "" {
		t.Skip("run by TestLandlockTCP")
	}
	p := strings.Split(spec, ",")
	port := func(i int) uint16 { n, _ := strconv.Atoi(p[i]); return uint16(n) }
	runtime.LockOSThread()
	if err := linux.SetNoNewPrivs(); err != nil {
		t.Fatal(err)
	}
	tcp := netwatch.TCPPorts{Connect: []uint16{port(0)}, HandleConnect: true, Bind: []uint16{port(2)}, HandleBind: true}
	if err := restrictFiles(nil, nil, nil, tcp); err != nil {
		t.Fatal(err)
	}
	try := func(what string, op func(fd int, sa syscall.Sockaddr) error, i int) {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(fd)
		err = op(fd, &syscall.SockaddrInet4{Port: int(port(i)), Addr: [4]byte{127, 0, 0, 1}})
		msg := "ok"
		if err != nil {
			msg = err.Error()
		}
		if errors.Is(err, syscall.EACCES) {
			msg = "permission denied"
		}
		os.Stdout.WriteString(what + ": " + msg + "\n")
	}
	try("connect allowed", syscall.Connect, 0)
	try("connect other", syscall.Connect, 1)
	try("bind allowed", syscall.Bind, 2)
	try("bind other", syscall.Bind, 3)
}
