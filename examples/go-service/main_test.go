package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/supervisor"
)

const regenHint = "the service no longer matches its committed profile or policy: " +
	"run examples/go-service/regen.sh (as root) and commit vigil/profile.json and vigil/policy.yaml"

// TestTrafficUnderLearnedPolicy runs the service under vigil run with the
// committed policy (the learned profile, in deny mode), drives the test
// traffic at it, stops it with SIGTERM, and fails on any request that did
// not get what it wanted and on any event vigil reported: a call, program
// or address the code uses now that the learning run never saw.
func TestTrafficUnderLearnedPolicy(t *testing.T) {
	requireGuard(t)
	bins := buildBinaries(t)
	cfg, err := loadConfig("config.json")
	if err != nil {
		t.Fatal(err)
	}
	requirePortFree(t, cfg.Addr)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(bins, "vigil"), "run", "--log-level=warn",
		"--policy", filepath.Join("vigil", "policy.yaml"), "--",
		filepath.Join(bins, "go-service"), "-config", "config.json")
	cmd.Env = append(os.Environ(), "GO_SERVICE_DATA="+t.TempDir())
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	trafficErr := runTraffic("http://" + cfg.Addr)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := cmd.Wait()

	evs, decodeErrs := decodeEvents(stderr.String())
	var problems []string
	if trafficErr != nil {
		problems = append(problems, "traffic: "+trafficErr.Error())
	}
	if waitErr != nil {
		problems = append(problems, "vigil run: "+waitErr.Error())
	}
	problems = append(problems, decodeErrs...)
	for _, ev := range evs {
		problems = append(problems, fmt.Sprintf("event: %s %s %s: %s", ev.Kind, ev.Rule, ev.Action, ev.Summary()))
	}
	if len(problems) > 0 {
		t.Fatalf("%s\n\n%s\n\nvigil's stderr:\n%s", regenHint, strings.Join(problems, "\n"), stderr.String())
	}
}

// decodeEvents decodes the JSON event lines of vigil's stderr (the rest is
// the service's log and vigil's).
func decodeEvents(stderr string) ([]events.Event, []string) {
	var evs []events.Event
	var errs []string
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, `"schema"`) {
			continue
		}
		ev, err := events.Decode([]byte(line))
		if err != nil {
			errs = append(errs, fmt.Sprintf("an event line that does not decode: %v: %s", err, line))
			continue
		}
		evs = append(evs, ev)
	}
	return evs, errs
}

// requireGuard skips without root or seccomp user notification, which vigil
// run needs to enforce the policy; under CI=true it fails instead, so that
// the check cannot be skipped silently.
func requireGuard(t *testing.T) {
	t.Helper()
	reason := ""
	switch {
	case os.Geteuid() != 0:
		reason = "not root: vigil run needs root to enforce the policy"
	case !supervisor.SeccompNotifyAvailable():
		reason = "no seccomp user notification in this kernel"
	}
	if reason == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s: run this check as root on Linux 5.9 or later", reason)
	}
	t.Skip(reason)
}

// requirePortFree fails when something listens on addr already: the
// traffic would reach it rather than the service.
func requirePortFree(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the service's address %s (config.json) is taken: %v", addr, err)
	}
	ln.Close()
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// buildBinaries builds vigil and the service once per test binary, static
// as in an image, and returns their directory.
func buildBinaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "go-service-test-"); buildErr != nil {
			return
		}
		for _, pkg := range []struct{ out, dir string }{{"vigil", "../../cmd/vigil"}, {"go-service", "."}} {
			cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(buildDir, pkg.out), pkg.dir)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("building %s: %v\n%s", pkg.dir, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
