package main_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// TestKubernetesAPIConnect: in a pod (KUBERNETES_SERVICE_HOST and _PORT
// set), a connect to the API server is reported (net.kubernetes-api) with
// its process; a connect elsewhere is not. Both go through.
func TestKubernetesAPIConnect(t *testing.T) {
	bb := busybox(t)
	var ports []string
	for range 2 {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	api, other := ports[0], ports[1]
	env := append([]string{"KUBERNETES_SERVICE_HOST=127.0.0.1", "KUBERNETES_SERVICE_PORT=" + api}, dockerCaps...)
	script := bb + " nc -w 2 127.0.0.1 " + api + " </dev/null; echo api=$?; " + bb + " nc -w 2 127.0.0.1 " + other + " </dev/null; echo other=$?"
	code, stdout, stderr := runVigil(t, modes[0], env, "run", "--log-level=warn", "--workload", "test", "--", bb, "sh", "-c", script)
	if code != 0 || strings.Join(strings.Fields(stdout), " ") != "api=0 other=0" {
		t.Fatalf("exit %d, stdout %q; want both connects to go through\nstderr:\n%s", code, stdout, stderr)
	}
	var got []string
	for _, ev := range syscallEvents(t, stderr) {
		if ev.Kind != events.KindNetwork {
			continue
		}
		d, err := ev.Network()
		if err != nil || ev.Process == nil || !strings.Contains(strings.Join(ev.Process.Argv, " "), "nc") {
			t.Errorf("want network details and the nc process (%v): %+v", err, ev.Process)
		}
		got = append(got, ev.Rule+" "+d.Protocol+" "+d.Address+":"+strconv.Itoa(d.Port))
	}
	if want := "net.kubernetes-api tcp 127.0.0.1:" + api; strings.Join(got, ",") != want {
		t.Errorf("network events %q, want one: %s\nstderr:\n%s", got, want, stderr)
	}
}

// TestKubernetesAPIDeclared: a policy that declares the API server in an
// egress allow rule (an operator's) connects to it without an event.
func TestKubernetesAPIDeclared(t *testing.T) {
	api := listen(t, "tcp4", "127.0.0.1:0")
	env := []string{"KUBERNETES_SERVICE_HOST=127.0.0.1", "KUBERNETES_SERVICE_PORT=" + api}
	policy := "network:\n  egress:\n    allow: [{name: kube-api, to: [127.0.0.1], ports: [" + api + "], protocol: tcp}]\n"
	got, evs := netRun(t, modes[1], env, policy, []string{"connect tcp 127.0.0.1:" + api})
	if at(got, 0) != "connect tcp 127.0.0.1:"+api+" -> ok" || len(evs) != 0 {
		t.Errorf("declared API server: %q, events %d, want ok and none", got, len(evs))
	}
	got, evs = netRun(t, modes[1], env, "", []string{"connect tcp 127.0.0.1:" + api})
	if at(got, 0) != "connect tcp 127.0.0.1:"+api+" -> ok" || len(evs) != 1 || evs[0].Rule != "net.kubernetes-api" {
		t.Errorf("undeclared API server: %q, %d events, want ok and one net.kubernetes-api", got, len(evs))
	}
}
