//go:build e2e

package examples_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// TestNetworkPolicyInDocker: two containers on a user-defined network the
// test creates. The guarded one, under Docker's default profile and
// capabilities, reaches the other by its name (resolved by vigil through
// Docker's DNS, as the app resolves it) only on the port its policy
// allows; another port of the same container and the metadata endpoint
// are refused and reported, with the DNS name the address belongs to.
func TestNetworkPolicyInDocker(t *testing.T) {
	imgs := testImages(t)
	network := "vigil-e2e-net-" + runID + "-" + strconv.Itoa(int(containerSeq.Add(1)))
	mustDocker(t, "network", "create", "--internal", "--label", labelKey+"="+runID, network)
	t.Cleanup(func() {
		if _, err := docker("network", "rm", network); err != nil {
			t.Errorf("removing the network: %v", err)
		}
	})
	startContainerWith(t, []string{"--network", network, "--network-alias", "web", "--entrypoint", "/bin/sh"}, imgs.hello,
		"-c", "httpd -f -p 8080 & httpd -f -p 8081 & wait")
	policy := writeProfile(t, `apiVersion: vigil.dev/v1
kind: Policy
network:
  egress:
    default: deny
    allow:
      - {name: docker-dns, to: [127.0.0.11], ports: [53], protocol: udp}
      - {name: web, to: [web], ports: [8080], protocol: tcp}
      - {name: nscd, to: ["unix:/var/run/nscd/socket"]} # glibc's resolver asks it first
`)
	opts := append([]string{"--network", network, "--env", "VIGIL_WORKLOAD=e2e", "--env", "VIGIL_LOG_LEVEL=warn"}, mountOpts(t, policy, "/etc/vigil/policy.yaml")...)
	script := "for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 1 web 8080 </dev/null && break; sleep 0.5; done; echo web8080=$?; " +
		"nc -w 1 web 8081 </dev/null; echo web8081=$?; nc -w 1 169.254.169.254 80 </dev/null; echo metadata=$?"
	code, stdout, stderr := runSeccomp(t, imgs.hello, opts, "sh", "-c", script)
	if got := strings.Join(strings.Fields(stdout), " "); code != 0 || got != "web8080=0 web8081=1 metadata=1" {
		t.Fatalf("exit %d, stdout %q, want web8080=0 web8081=1 metadata=1\nstderr:\n%s", code, stdout, stderr)
	}
	var got []string
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, `"kind":"network"`) {
			continue
		}
		ev, err := events.Decode([]byte(line))
		if err != nil {
			t.Fatalf("an event that does not decode: %v\n%s", err, line)
		}
		d, err := ev.Network()
		if err != nil || ev.Process == nil {
			t.Fatalf("details %v, process %v:\n%s", err, ev.Process, line)
		}
		got = append(got, ev.Rule+" "+string(ev.Action)+" "+strconv.Itoa(d.Port)+" "+d.Name)
	}
	want := "network.egress.default deny 8081 web,net.cloud-metadata deny 80 "
	if strings.Join(got, ",") != want {
		t.Errorf("network events %q, want %q\nstderr:\n%s", got, want, stderr)
	}
}
