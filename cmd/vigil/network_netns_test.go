package main_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// netnsPair makes two network namespaces joined by a veth pair, with
// 10.213.N.1/24 and fd00:213:N::1/64 on the first and .2 and ::2 on the
// second (N from the test's pid, so that parallel packages do not
// collide), and removes them when t ends. It returns the namespaces'
// names and the second's addresses.
func netnsPair(t *testing.T) (a, b, ip4, ip6 string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: network namespaces need CAP_SYS_ADMIN")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip (iproute2): the namespace tests need it")
	}
	n := os.Getpid() % 250
	a, b = fmt.Sprintf("vigil-a-%d", os.Getpid()), fmt.Sprintf("vigil-b-%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", a)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", a).Run() })
	run("netns", "add", b)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", b).Run() })
	run("link", "add", "vga", "netns", a, "type", "veth", "peer", "name", "vgb", "netns", b)
	for i, ns := range []string{a, b} {
		dev := []string{"vga", "vgb"}[i]
		run("-n", ns, "addr", "add", fmt.Sprintf("10.213.%d.%d/24", n, i+1), "dev", dev)
		run("-n", ns, "addr", "add", fmt.Sprintf("fd00:213:%d::%d/64", n, i+1), "dev", dev, "nodad")
		run("-n", ns, "link", "set", dev, "up")
		run("-n", ns, "link", "set", "lo", "up")
	}
	return a, b, fmt.Sprintf("10.213.%d.2", n), fmt.Sprintf("fd00:213:%d::2", n)
}

// serveIn runs the serve role in namespace ns, listening on what args
// say, until t ends.
func serveIn(t *testing.T, ns string, args ...string) {
	t.Helper()
	argv, env := app(t, "serve")
	cmd := exec.Command("ip", append(append([]string{"netns", "exec", ns}, argv...), args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() { ready <- bufio.NewScanner(out).Scan() }()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the server in the namespace did not start")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server in the namespace did not say ready")
	}
}

// TestNetworkPolicyNetns: the guarded app in one network namespace
// reaches, across a veth pair, only the peer's ports its policy allows
// (IPv4, IPv6, UDP); the cloud metadata endpoint is refused by vigil
// before any route is looked up (the namespace has none to it: without
// vigil the connect would fail with ENETUNREACH).
func TestNetworkPolicyNetns(t *testing.T) {
	a, b, ip4, ip6 := netnsPair(t)
	serveIn(t, b, "tcp", ip4+":8080", "tcp", ip4+":8081", "tcp", "["+ip6+"]:8080", "udp", ip4+":5353", "udp", ip4+":5354")
	policy := fmt.Sprintf(`network:
  egress:
    default: deny
    allow:
      - {name: peer-web, to: [%s/32, "%s/64"], ports: [8080], protocol: tcp}
      - {name: peer-dns, to: [%s], ports: [5353], protocol: udp}
`, ip4, strings.TrimSuffix(ip6, "2"), ip4)
	attempts := []string{
		"connect tcp " + ip4 + ":8080",
		"connect tcp " + ip4 + ":8081",
		"connect tcp [" + ip6 + "]:8080",
		"sendto udp " + ip4 + ":5353",
		"sendto udp " + ip4 + ":5354",
		"connect tcp 169.254.169.254:80",
	}
	got, evs := netRun(t, modes[1], dockerCaps, policy, attempts, "ip", "netns", "exec", a)
	want := []string{"ok", "ECONNREFUSED", "ok", "ok", "EACCES", "ECONNREFUSED"}
	for i := range attempts {
		if at(got, i) != attempts[i]+" -> "+want[i] {
			t.Errorf("attempt %d: got %q, want %q", i, at(got, i), attempts[i]+" -> "+want[i])
		}
	}
	counts := map[string]int64{}
	for _, ev := range evs {
		counts[netSummary(t, ev)] += ev.Count
	}
	wantEvents := map[string]int64{
		"network.egress.default deny egress connect tcp " + ip4 + ":8081 errno=111": 1,
		"network.egress.default deny egress sendto udp " + ip4 + ":5354 errno=13":   1,
		"net.cloud-metadata deny egress connect tcp 169.254.169.254:80 errno=111":   1,
	}
	if !mapsEqual(counts, wantEvents) {
		t.Errorf("network events:\n%s\nwant:\n%s", dump(counts), dump(wantEvents))
	}
	// Without vigil, the namespace has no route to the endpoint at all:
	// the refusal above was vigil's, and no packet left.
	out, _ := exec.Command("ip", "netns", "exec", a, "ip", "route", "get", "169.254.169.254").CombinedOutput()
	if !strings.Contains(string(out), "unreachable") {
		t.Errorf("namespace %s has a route to 169.254.169.254: %s", a, out)
	}
}
