package supervisor

import (
	"reflect"
	"testing"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/netwatch"
)

func TestSandboxSpecRoundTrip(t *testing.T) {
	tests := []sandboxSpec{
		{args: []string{"app"}},
		{seccomp: true, args: []string{"app", "--", "-x"}},
		{cred: linux.Credential{SetUser: true, UID: 1000, GID: 4294967294}, args: []string{"/bin/sh", "-c", "id"}},
		{seccomp: true, cred: linux.Credential{SetGroups: true, SetCaps: true}, args: []string{"app"}},
		{cred: linux.Credential{SetGroups: true, Groups: []uint32{10, 20}, SetCaps: true, Caps: []int{0, 10, 40}}, args: []string{"app"}},
		{readOnly: []string{"/usr", "/a b"}, hidden: []string{"/etc/vigil/baseline"}, args: []string{"app"}},
		{tcp: netwatch.TCPPorts{Connect: []uint16{443, 5432}, HandleConnect: true}, args: []string{"app"}},
		{tcp: netwatch.TCPPorts{HandleConnect: true, Bind: []uint16{0, 65535}, HandleBind: true}, args: []string{"app"}},
	}
	for _, want := range tests {
		argv := want.argv()
		if argv[1] != SandboxCommand {
			t.Fatalf("argv %q: no %s", argv, SandboxCommand)
		}
		got, err := parseSandboxArgs(argv[2:])
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parse(%q) = %+v, %v; want %+v", argv, got, err, want)
		}
	}
}

func TestSandboxSpecErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"--"},
		{"--", ""},
		{"--user", "1000", "--", "app"},
		{"--user", "x:1", "--", "app"},
		{"--caps", "1,x", "--", "app"},
		{"--groups"},
		{"--what", "1", "--", "app"},
		{"--connect-tcp", "65536", "--", "app"},
		{"--bind-tcp", "80,x", "--", "app"},
	} {
		if got, err := parseSandboxArgs(args); err == nil {
			t.Errorf("parse(%q) = %+v, want an error", args, got)
		}
	}
}
