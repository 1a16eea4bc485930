package netwatch_test

import (
	"net/netip"
	"testing"

	"github.com/vigilsec/vigil/supervisor/netwatch"
)

func TestKubernetesAPI(t *testing.T) {
	tests := []struct {
		name      string
		giveEnv   map[string]string
		giveDst   string
		wantFound bool
	}{
		{name: "the API server", giveEnv: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}, giveDst: "10.96.0.1:443", wantFound: true},
		{name: "port defaults to 443", giveEnv: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, giveDst: "10.96.0.1:443", wantFound: true},
		{name: "IPv4-mapped IPv6", giveEnv: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, giveDst: "[::ffff:10.96.0.1]:443", wantFound: true},
		{name: "IPv6 server", giveEnv: map[string]string{"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"}, giveDst: "[fd00::1]:6443", wantFound: true},
		{name: "another port", giveEnv: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, giveDst: "10.96.0.1:80"},
		{name: "another host", giveEnv: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, giveDst: "10.96.0.2:443"},
		{name: "not in Kubernetes", giveDst: "10.96.0.1:443"},
		{name: "a bad port", giveEnv: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "https"}, giveDst: "10.96.0.1:443"},
		{name: "a name", giveEnv: map[string]string{"KUBERNETES_SERVICE_HOST": "kubernetes.default"}, giveDst: "10.96.0.1:443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			targets := netwatch.Targets(netwatch.KubernetesAPI(func(k string) string { return tt.giveEnv[k] }))
			if got := targets.Has(netip.MustParseAddrPort(tt.giveDst)); got != tt.wantFound {
				t.Errorf("Has(%s) = %v, want %v (targets %v)", tt.giveDst, got, tt.wantFound, targets)
			}
		})
	}
}
