package main_test

import (
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/internal/natstest"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// ownBoundingSet is the test's capability bounding set, which vigil
// inherits.
func ownBoundingSet(t *testing.T) []string {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	bnd, err := linux.BoundingSet()
	if err != nil {
		t.Fatal(err)
	}
	return linux.CapNames(bnd)
}

// inNumberOrder sorts capability names by number, as the started event
// lists them.
func inNumberOrder(names []string) []string {
	out := slices.Clone(names)
	slices.SortFunc(out, func(a, b string) int {
		na, _ := linux.CapNumber(a)
		nb, _ := linux.CapNumber(b)
		return na - nb
	})
	return out
}

// TestSeccompCapsResolved runs `unshare -m true` under Docker's profile:
// its CAP_SYS_ADMIN rule allows unshare only when the app's bounding set
// holds CAP_SYS_ADMIN, so vigil must resolve the profile for the set the
// app really has, and say which in the started event.
func TestSeccompCapsResolved(t *testing.T) {
	own := ownBoundingSet(t)
	if !slices.Contains(own, "CAP_SYS_ADMIN") || !linux.HasCap(unix.CAP_SYS_ADMIN) {
		t.Skip("needs CAP_SYS_ADMIN, to make a mount namespace")
	}
	const header = "apiVersion: vigil.dev/v1\nkind: Policy\nseccomp:\n  profile: docker-default\n"
	tests := []struct {
		name       string
		giveEnv    []string
		givePolicy string // after header; "" for --seccomp-profile docker-default alone
		wantCode   int
		wantCaps   []string
		wantDenied bool // an unshare deny event
	}{
		{name: "vigil's capabilities, CAP_SYS_ADMIN among them", wantCode: 0, wantCaps: own},
		{name: "Docker's default capabilities", giveEnv: dockerCaps, wantCode: 1,
			wantCaps: inNumberOrder(seccomp.DockerCapabilities), wantDenied: true},
		{name: "policy keeps CAP_SYS_ADMIN", givePolicy: "capabilities: [SYS_ADMIN, CAP_CHOWN]", wantCode: 0,
			wantCaps: []string{"CAP_CHOWN", "CAP_SYS_ADMIN"}},
		{name: "policy keeps CAP_NET_BIND_SERVICE only", givePolicy: "capabilities: [NET_BIND_SERVICE]", wantCode: 1,
			wantCaps: []string{"CAP_NET_BIND_SERVICE"}, wantDenied: true},
		{name: "policy keeps none", givePolicy: "capabilities: []", wantCode: 1,
			wantCaps: []string{}, wantDenied: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.Start(t)
			args := []string{"run", "--nats", srv.URL(), "--outbox", t.TempDir(), "--workload", "caps", "--log-level=error"}
			if tt.givePolicy == "" {
				args = append(args, "--seccomp-profile", seccomp.DockerDefaultName)
			} else {
				args = append(args, "--policy", writeFile(t, "policy.yaml", header+tt.givePolicy+"\n"))
			}
			code, stdout, stderr := runVigil(t, modes[0], tt.giveEnv, append(args, "--", "unshare", "-m", "true")...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stdout %q, stderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			var caps *string
			denied := false
			for _, e := range srv.StreamEvents(natsbus.StreamName) {
				switch e.Kind {
				case events.KindLifecycle:
					var d events.LifecycleDetails
					if err := e.DetailsAs(&d); err != nil {
						t.Fatal(err)
					}
					if c, ok := d.Features["seccomp_caps"]; ok && d.What == "started" {
						caps = &c
					}
				case events.KindSyscall:
					d, err := e.Syscall()
					if err != nil {
						t.Fatal(err)
					}
					denied = denied || d.Name == "unshare" && e.Action == events.ActionDeny
				}
			}
			if want := strings.Join(tt.wantCaps, ","); caps == nil || *caps != want {
				t.Errorf("started event's seccomp_caps = %v, want %q", deref(caps), want)
			}
			if denied != tt.wantDenied {
				t.Errorf("unshare denied and reported: %v, want %v; stderr:\n%s", denied, tt.wantDenied, stderr)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "(none)"
	}
	return "\"" + *s + "\""
}
