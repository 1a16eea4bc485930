package main_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/natstest"
)

// netRun runs the net role under vigil with policy (the network section,
// appended to the header), feeding it attempts, and returns its answers
// (one line each) and the network events.
func netRun(t *testing.T, m mode, env []string, policy string, attempts []string, wrap ...string) ([]string, []events.Event) {
	t.Helper()
	argv, roleEnv := app(t, "net")
	return netRunApp(t, m, append(roleEnv, env...), policy, attempts, argv, wrap...)
}

// netRunApp is netRun with the app's command line given.
func netRunApp(t *testing.T, m mode, env []string, policy string, attempts []string, argv []string, wrap ...string) ([]string, []events.Event) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: vigil.dev/v1\nkind: Policy\n"+policy), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := vigil(m, append([]string{"run", "--log-level=warn", "--workload", "test", "--policy", path, "--"}, argv...)...)
	if len(wrap) > 0 { // such as ip netns exec NAME
		inner := cmd
		cmd = exec.Command(wrap[0], append(append(wrap[1:], inner.Path), inner.Args[1:]...)...)
		cmd.Env, cmd.SysProcAttr = inner.Env, inner.SysProcAttr
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(strings.Join(attempts, "\n") + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd, 30*time.Second); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	var evs []events.Event
	for _, ev := range syscallEvents(t, stderr.String()) {
		if ev.Kind == events.KindNetwork {
			evs = append(evs, ev)
		}
	}
	return strings.Split(strings.TrimSpace(stdout.String()), "\n"), evs
}

// listen listens on addr (tcp or udp) for the test's duration and returns
// its port; TCP connections are accepted and closed.
func listen(t *testing.T, network, addr string) string {
	t.Helper()
	if strings.HasPrefix(network, "udp") {
		c, err := net.ListenPacket(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port)
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func listenUnix(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// netSummary is what a test compares of a network event.
func netSummary(t *testing.T, ev events.Event) string {
	t.Helper()
	d, err := ev.Network()
	if err != nil {
		t.Fatal(err)
	}
	if ev.Process == nil || ev.Process.Exe == "" {
		t.Errorf("event %s without its process: %+v", ev.Rule, ev.Process)
	}
	addr := d.Address
	if d.Port != 0 {
		addr = net.JoinHostPort(d.Address, strconv.Itoa(d.Port))
	}
	return fmt.Sprintf("%s %s %s %s %s %s errno=%d", ev.Rule, ev.Action, d.Direction, d.Syscall, d.Protocol, addr, d.Errno)
}

// TestNetworkPolicyLoopback: with egress and ingress default deny, only
// the allowed destinations (IPv4, IPv6, UDP, a Unix socket) and the
// declared port can be reached or bound; every other attempt is refused
// with ECONNREFUSED (connect) or EACCES (bind, sends), reported once per
// destination with its count, under the rule that decided.
func TestNetworkPolicyLoopback(t *testing.T) {
	okTCP, noTCP := listen(t, "tcp4", "127.0.0.1:0"), listen(t, "tcp4", "127.0.0.1:0")
	ok6, no6 := listen(t, "tcp6", "[::1]:0"), listen(t, "tcp6", "[::1]:0")
	okUDP, noUDP := listen(t, "udp4", "127.0.0.1:0"), listen(t, "udp4", "127.0.0.1:0")
	dir := t.TempDir()
	listenUnix(t, filepath.Join(dir, "ok.sock"))
	listenUnix(t, filepath.Join(dir, "no.sock"))
	abstract := "vigil-test-" + strconv.Itoa(os.Getpid())
	bindOK, bindNo := freePort(t), freePort(t)
	policy := fmt.Sprintf(`network:
  egress:
    default: deny
    allow:
      - {name: web, to: [127.0.0.1, "::1"], ports: [%s, %s], protocol: tcp}
      - {name: dns, to: [127.0.0.0/8], ports: [%s], protocol: udp}
      - {name: socket, to: ["unix:%s/ok*", "unix:@%s-ok"]}
  ingress:
    default: deny
    allow:
      - {name: http, ports: [%s], protocol: tcp}
      - {name: abstract, on: ["unix:@%s-*"]}
`, okTCP, ok6, okUDP, dir, abstract, bindOK, abstract)
	attempts := []string{
		"connect tcp 127.0.0.1:" + okTCP,
		"connect tcp 127.0.0.1:" + noTCP,
		"connect tcp 127.0.0.1:" + noTCP,
		"connect tcp 127.0.0.1:" + noTCP,
		"connect tcp [::1]:" + ok6,
		"connect tcp [::1]:" + no6,
		"sendto udp 127.0.0.1:" + okUDP,
		"sendto udp 127.0.0.1:" + noUDP,
		"sendmsg udp 127.0.0.1:" + okUDP,
		"sendmsg udp 127.0.0.1:" + noUDP,
		"sendmmsg udp 127.0.0.1:" + okUDP + " 127.0.0.1:" + okUDP,
		"sendmmsg udp 127.0.0.1:" + okUDP + " 127.0.0.2:" + noUDP,
		"connect udp 127.0.0.1:" + noUDP,
		"connect unix " + dir + "/ok.sock",
		"connect unix " + dir + "/no.sock",
		"bind unix @" + abstract + "-ok",
		"bind unix @" + abstract + "-no",
		"bind unix @other-" + abstract,
		"connect unix @" + abstract + "-ok",
		"connect unix @" + abstract + "-no",
		"bind tcp 127.0.0.1:" + bindOK,
		"bind tcp 127.0.0.1:" + bindNo,
	}
	got, evs := netRun(t, modes[1], dockerCaps, policy, attempts)
	want := []string{"ok", "ECONNREFUSED", "ECONNREFUSED", "ECONNREFUSED", "ok", "ECONNREFUSED", "ok", "EACCES", "ok", "EACCES", "ok", "EACCES", "ECONNREFUSED", "ok", "ECONNREFUSED", "ok", "ok", "EACCES", "ok", "ECONNREFUSED", "ok", "EACCES"}
	for i := range attempts {
		if i >= len(got) || got[i] != attempts[i]+" -> "+want[i] {
			t.Errorf("attempt %d: got %q, want %q", i, at(got, i), attempts[i]+" -> "+want[i])
		}
	}
	counts := map[string]int64{}
	for _, ev := range evs {
		counts[netSummary(t, ev)] += ev.Count
	}
	wantEvents := map[string]int64{
		"network.egress.default deny egress connect tcp 127.0.0.1:" + noTCP + " errno=111":     3,
		"network.egress.default deny egress connect tcp [::1]:" + no6 + " errno=111":           1,
		"network.egress.default deny egress sendto udp 127.0.0.1:" + noUDP + " errno=13":       1,
		"network.egress.default deny egress sendmsg udp 127.0.0.1:" + noUDP + " errno=13":      1,
		"network.egress.default deny egress sendmmsg udp 127.0.0.2:" + noUDP + " errno=13":     1,
		"network.egress.default deny egress connect udp 127.0.0.1:" + noUDP + " errno=111":     1,
		"network.egress.default deny egress connect unix unix:" + dir + "/no.sock errno=111":   1,
		"network.egress.default deny egress connect unix unix:@" + abstract + "-no errno=111":  1,
		"network.ingress.default deny ingress bind unix unix:@other-" + abstract + " errno=13": 1,
		"network.ingress.default deny ingress bind tcp 127.0.0.1:" + bindNo + " errno=13":      1,
	}
	if !mapsEqual(counts, wantEvents) {
		t.Errorf("network events (with counts):\n%s\nwant:\n%s", dump(counts), dump(wantEvents))
	}
}

// TestNetworkPolicyOtherUser: an app of another user than vigil's (the
// policy's user), under Docker's capabilities (no CAP_SYS_PTRACE), is
// judged the same: vigil's own ids cannot read its addresses, and it reads
// them with the app's. The protocol rule makes it read the socket too.
func TestNetworkPolicyOtherUser(t *testing.T) {
	okTCP, noTCP := listen(t, "tcp4", "127.0.0.1:0"), listen(t, "tcp4", "127.0.0.1:0")
	okUDP := listen(t, "udp4", "127.0.0.1:0")
	self, roleEnv := app(t, "net")
	// The test binary's directory is private: a copy nobody can run.
	dir, err := os.MkdirTemp("", "vigil-net-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "net")
	data, err := os.ReadFile(self[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf(`user: "65534:65534"
network:
  egress:
    default: deny
    allow:
      - {name: web, to: [127.0.0.1], ports: [%s], protocol: tcp}
      - {name: dns, to: [127.0.0.1], ports: [%s], protocol: udp}
`, okTCP, okUDP)
	attempts := []string{
		"connect tcp 127.0.0.1:" + okTCP,
		"connect tcp 127.0.0.1:" + noTCP,
		"connect udp 127.0.0.1:" + okTCP, // the web rule is TCP's
		"sendto udp 127.0.0.1:" + okUDP,
		"connect tcp 127.0.0.1:" + okTCP,
	}
	got, evs := netRunApp(t, modes[0], append(roleEnv, dockerCaps...), policy, attempts, []string{bin})
	want := []string{"ok", "ECONNREFUSED", "ECONNREFUSED", "ok", "ok"}
	for i := range attempts {
		if i >= len(got) || got[i] != attempts[i]+" -> "+want[i] {
			t.Errorf("attempt %d: got %q, want %q", i, at(got, i), attempts[i]+" -> "+want[i])
		}
	}
	counts := map[string]int64{}
	for _, ev := range evs {
		counts[netSummary(t, ev)] += ev.Count
		if ev.Process == nil || ev.Process.UID != 65534 {
			t.Errorf("event %s: process %+v, want uid 65534", ev.Rule, ev.Process)
		}
	}
	wantEvents := map[string]int64{
		"network.egress.default deny egress connect tcp 127.0.0.1:" + noTCP + " errno=111": 1,
		"network.egress.default deny egress connect udp 127.0.0.1:" + okTCP + " errno=111": 1,
	}
	if !mapsEqual(counts, wantEvents) {
		t.Errorf("network events (with counts):\n%s\nwant:\n%s", dump(counts), dump(wantEvents))
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func dump(m map[string]int64) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, fmt.Sprintf("  %s ×%d", k, v))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestLearnNetwork: vigil learn writes the network section of what the
// app reached and bound; under it the same attempts raise nothing, and
// one elsewhere is reported (default alert) yet goes through.
func TestLearnNetwork(t *testing.T) {
	web, dns, other := listen(t, "tcp4", "127.0.0.1:0"), listen(t, "udp4", "127.0.0.1:0"), listen(t, "tcp4", "127.0.0.1:0")
	dir := t.TempDir()
	listenUnix(t, filepath.Join(dir, "s.sock"))
	bound := freePort(t)
	attempts := []string{"connect tcp 127.0.0.1:" + web, "sendto udp 127.0.0.1:" + dns, "connect unix " + dir + "/s.sock", "bind tcp 127.0.0.1:" + bound}
	prefix := filepath.Join(dir, "learned")
	argv, env := app(t, "net")
	cmd := vigil(modes[1], append([]string{"learn", "--log-level=warn", "--out", prefix, "--"}, argv...)...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(strings.Join(attempts, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("learn: %v\n%s", err, out)
	}
	learned, err := os.ReadFile(prefix + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	section := string(learned[bytes.Index(learned, []byte("network:")):])
	for _, want := range []string{
		`to: ["127.0.0.1"], ports: [` + web + `], protocol: tcp`,
		`to: ["127.0.0.1"], ports: [` + dns + `], protocol: udp`,
		`to: ["unix:` + dir + `/s.sock"]`,
		`ports: [` + bound + `], protocol: tcp`,
	} {
		if !strings.Contains(section, want) {
			t.Errorf("learned network section lacks %s:\n%s", want, section)
		}
	}
	got, evs := netRun(t, modes[1], nil, section, append(attempts, "connect tcp 127.0.0.1:"+other))
	for i, line := range got {
		if !strings.HasSuffix(line, "-> ok") {
			t.Errorf("attempt %d under the learned policy: %s, want ok", i, line)
		}
	}
	var rules []string
	for _, ev := range evs {
		rules = append(rules, netSummary(t, ev))
	}
	if want := "network.egress.default alert egress connect tcp 127.0.0.1:" + other + " errno=0"; strings.Join(rules, ",") != want {
		t.Errorf("events %q, want one: %s", rules, want)
	}
}

// TestListenerNotDeclared: with an ingress section, the /proc scan
// reports a new listener only on a port the section does not declare.
func TestListenerNotDeclared(t *testing.T) {
	bb := busybox(t)
	declared, other := freePort(t), freePort(t)
	path := filepath.Join(t.TempDir(), "policy.yaml")
	policy := "apiVersion: vigil.dev/v1\nkind: Policy\nnetwork:\n  ingress:\n    allow: [{ports: [" + declared + "], protocol: tcp}]\n"
	if err := os.WriteFile(path, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	script := bb + " nc -l -p " + declared + " & " + bb + " nc -l -p " + other + " & sleep 2.5; kill $(jobs -p)"
	code, _, stderr := runVigil(t, modes[1], nil, "run", "--log-level=warn", "--workload", "test", "--policy", path, "--scan-interval", "200ms", "--", bb, "sh", "-c", script)
	if code != 0 && code != 143 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var ports []string
	for _, ev := range syscallEvents(t, stderr) {
		if ev.Rule == "proc.listener" {
			d, err := ev.ProcessDetails()
			if err != nil {
				t.Fatal(err)
			}
			ports = append(ports, strconv.Itoa(d.ListenPort))
		}
	}
	if strings.Join(ports, ",") != other {
		t.Errorf("proc.listener for ports %q, want %s alone\n%s", ports, other, stderr)
	}
}

// TestStartedSaysNetworkEnforcement: the started event says what the
// kernel enforces of the network policy and what is left to the
// notification.
func TestStartedSaysNetworkEnforcement(t *testing.T) {
	if supervisorLandlockABI(t) < 4 {
		t.Skip("Landlock ABI below 4: no TCP rules to report")
	}
	srv := natstest.Start(t)
	path := filepath.Join(t.TempDir(), "policy.yaml")
	policy := "apiVersion: vigil.dev/v1\nkind: Policy\nnetwork:\n  egress:\n    default: deny\n    allow: [{ports: [443, \"8000-8009\"], protocol: tcp}, {to: [10.0.0.0/8], protocol: udp}]\n  ingress:\n    default: alert\n"
	if err := os.WriteFile(path, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runVigil(t, modes[0], nil, "run", "--nats", srv.URL(), "--outbox", t.TempDir(), "--workload", "net", "--policy", path, "--log-level=error", "--", "true")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := map[string]string{
		"network_watch":       "on",
		"network_egress":      "deny (2 rules)",
		"network_ingress":     "alert (0 rules)",
		"network_enforcement": "landlock tcp connect (11 ports), notification (best effort)",
	}
	for _, e := range srv.StreamEvents(natsbus.StreamName) {
		var d events.LifecycleDetails
		if e.Kind != events.KindLifecycle || e.DetailsAs(&d) != nil || d.What != "started" {
			continue
		}
		for k, v := range want {
			if d.Features[k] != v {
				t.Errorf("started: %s = %q, want %q", k, d.Features[k], v)
			}
		}
		return
	}
	t.Fatal("no started event in the stream")
}

// supervisorLandlockABI is the kernel's Landlock ABI, as vigil check
// would see it: read through the landlock syscall in this process.
func supervisorLandlockABI(t *testing.T) int {
	t.Helper()
	abi, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, 1) // LANDLOCK_CREATE_RULESET_VERSION
	if errno != 0 {
		return 0
	}
	return int(abi)
}
