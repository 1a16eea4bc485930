package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// buildGuardProbe builds examples/testdata/guardprobe, which tries as the
// app what an attacker would do to vigil.
func buildGuardProbe(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	// Reachable by the non-root apps too.
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()+"/"); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "guardprobe")
	cmd := exec.Command("go", "build", "-o", out, "../../examples/testdata/guardprobe")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the guard probe: %v\n%s", err, b)
	}
	return out
}

// probeLine is one attempt of the guard probe: "NAME denied: ..." or
// "NAME ALLOWED: ...".
var probeLine = regexp.MustCompile(`(?m)^(\w+) (denied|ALLOWED): (.*)$`)

// probeResults maps each attempt the probe printed to whether it was
// allowed and what it said.
func probeResults(stdout string) map[string]string {
	got := map[string]string{}
	for _, m := range probeLine.FindAllStringSubmatch(stdout, -1) {
		got[m[1]] = m[2] + ": " + m[3]
	}
	return got
}

// TestAppCannotReachGuard: whatever the policy, the app (root or not)
// cannot ptrace vigil, open its memory, read its environment's secrets or
// its fds, or signal it (SIGTERM, and SIGKILL when vigil is not PID 1).
// As PID 1 with Docker's capabilities every attempt fails; as an ordinary
// root process with every capability (CAP_SYS_PTRACE included), the
// environment can be read on this kernel, but the bus's variables in it are
// blanked.
func TestAppCannotReachGuard(t *testing.T) {
	probe := buildGuardProbe(t)
	dir := t.TempDir()
	policies := map[string]string{
		"none":    "",
		"seccomp": writeFile(t, "seccomp.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nseccomp:\n  profile: docker-default\n"),
		"user":    writeFile(t, "user.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nuser: \"1000:1000\"\n"),
		"protect": writeFile(t, "protect.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  protect: enforce\n  paths: ["+dir+"]\n"),
	}
	tests := []struct {
		name   string
		mode   mode
		env    []string
		policy string
		// wantEnviron is whether vigil's environment may be read (its
		// secrets never).
		wantEnviron bool
	}{
		{name: "pid1-docker-caps", mode: modes[0], env: dockerCaps, policy: "none"},
		{name: "pid1-docker-caps-seccomp", mode: modes[0], env: dockerCaps, policy: "seccomp"},
		{name: "pid1-docker-caps-non-root", mode: modes[0], env: dockerCaps, policy: "user"},
		{name: "pid1-docker-caps-protect", mode: modes[0], env: dockerCaps, policy: "protect"},
		{name: "not-pid1-all-caps", mode: modes[1], policy: "none", wantEnviron: true},
		{name: "not-pid1-all-caps-seccomp", mode: modes[1], policy: "seccomp", wantEnviron: true},
		{name: "not-pid1-non-root", mode: modes[1], policy: "user"},
		{name: "not-pid1-all-caps-protect", mode: modes[1], policy: "protect", wantEnviron: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"run", "--log-level=warn", "--workload", "test"}
			if p := policies[tt.policy]; p != "" {
				args = append(args, "--policy", p)
			}
			kill := "-term"
			if !tt.mode.pid1 {
				kill = "-kill" // SIGKILL reaches a vigil that is not PID 1
			}
			args = append(args, "--", probe, kill)
			env := append([]string{"VIGIL_NATS_TOKEN=s3cret-token", "VIGIL_NATS_PASSWORD=s3cret-password"}, tt.env...)
			code, stdout, stderr := runVigil(t, tt.mode, env, args...)
			got := probeResults(stdout)
			for _, name := range []string{"ptrace", "mem", "environ", "fd", "sig" + kill[1:]} {
				r, ok := got[name]
				switch {
				case !ok:
					t.Errorf("%s: not tried\nstdout:\n%s\nstderr:\n%s", name, stdout, stderr)
				case name == "environ" && tt.wantEnviron:
					if !strings.Contains(r, "secrets shown: []") {
						t.Errorf("environ: %s: the bus's secrets can be read", r)
					}
				case !strings.HasPrefix(r, "denied"):
					t.Errorf("%s %s", name, r)
				}
			}
			if strings.Contains(stdout, "s3cret") || strings.Contains(stderr, "s3cret") {
				t.Errorf("a secret was printed:\n%s\n%s", stdout, stderr)
			}
			wantCode := 0
			if tt.wantEnviron {
				wantCode = 1 // the probe counts the readable environment
			}
			if code != wantCode {
				t.Errorf("exit %d, want %d (137: the app killed vigil)\nstdout:\n%s\nstderr:\n%s", code, wantCode, stdout, stderr)
			}
		})
	}
}
