//go:build e2e

package examples_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestMakeDemoDocker runs examples/demo/demo-docker.sh, what make
// demo-docker runs: the vulnerable example's image in a plain docker run
// (Docker's default capabilities and seccomp profile), attacked under
// policy-alert.yaml and policy-deny.yaml. Outcomes and events must be those
// of wantVerdicts, as without Docker.
func TestMakeDemoDocker(t *testing.T) {
	imgs := testImages(t)
	p := requireDocker(t)
	for out, pkg := range map[string]string{"bin/attacker": "./examples/vulnerable-web/attacker", "bin/vulnerable-web": "./examples/vulnerable-web"} {
		if err := goBuild(p, out, pkg); err != nil {
			t.Fatal(err)
		}
	}
	tag := "e2e-" + runID
	t.Cleanup(func() { docker("rmi", "vigil-hub:"+tag, "vigil-vulnerable-web:"+tag) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "demo/demo-docker.sh")
	cmd.Env = append(os.Environ(), "DEMO_TAG="+tag, "DEMO_BASE="+imgs.base, "DEMO_BUSYBOX="+imgs.busybox, "DEMO_LABEL="+runID)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo-docker.sh: %v\n%s", err, out)
	}
	checkVerdicts(t, string(out))
	if t.Failed() {
		t.Logf("demo-docker.sh said:\n%s", out)
	}
	if left := mustDocker(t, "ps", "-aq", "--filter", "name=vigil-demo-"); left != "" {
		t.Errorf("containers left behind: %s", left)
	}
}
