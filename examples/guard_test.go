//go:build e2e

package examples_test

import (
	"regexp"
	"strings"
	"testing"
)

// buildGuardProbe builds examples/testdata/guardprobe: as the app, it
// tries what an attacker would do to vigil.
func buildGuardProbe(t *testing.T) string { return buildTestdata(t, "guardprobe") }

var probeLine = regexp.MustCompile(`(?m)^(\w+) (denied|ALLOWED): (.*)$`)

// TestAppCannotReachGuardInDocker: in a plain docker run (Docker's
// capabilities and seccomp profile), as root and as a non-root user, with
// and without a seccomp policy, and with vigil as PID 1 or as PID 2 under
// docker run --init, the app cannot ptrace vigil, open /proc/PID/mem, read
// its environ (which holds the bus's secrets) or its fds, or signal it
// (SIGTERM as PID 1, SIGKILL as PID 2).
func TestAppCannotReachGuardInDocker(t *testing.T) {
	imgs := testImages(t)
	probe := buildGuardProbe(t)
	tests := []struct {
		name string
		opts []string
		// pid is vigil's pid in the container.
		pid string
	}{
		{name: "root", pid: "1"},
		{name: "root-seccomp", opts: []string{"--env", "VIGIL_SECCOMP_PROFILE=docker-default"}, pid: "1"},
		{name: "user", opts: []string{"--user", "1000:1000"}, pid: "1"},
		{name: "user-seccomp", opts: []string{"--user", "1000:1000", "--env", "VIGIL_SECCOMP_PROFILE=docker-default"}, pid: "1"},
		{name: "root-init", opts: []string{"--init"}, pid: "2"},
		{name: "root-init-seccomp", opts: []string{"--init", "--env", "VIGIL_SECCOMP_PROFILE=docker-default"}, pid: "2"},
		{name: "user-init", opts: []string{"--init", "--user", "1000:1000"}, pid: "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := "-term"
			if tt.pid != "1" {
				sig = "-kill"
			}
			opts := append(mountOpts(t, probe, "/guardprobe"),
				"--env", "VIGIL_NATS_TOKEN=s3cret-token", "--env", "VIGIL_NATS_PASSWORD=s3cret-password",
				"--env", "VIGIL_LOG_LEVEL=warn")
			opts = append(opts, tt.opts...)
			code, stdout, stderr := runSeccomp(t, imgs.hello, opts, "/guardprobe", sig, tt.pid)
			got := map[string]string{}
			for _, m := range probeLine.FindAllStringSubmatch(stdout, -1) {
				got[m[1]] = m[2] + ": " + m[3]
			}
			for _, name := range []string{"ptrace", "mem", "environ", "fd", "sig" + sig[1:]} {
				if r, ok := got[name]; !ok || !strings.HasPrefix(r, "denied") {
					t.Errorf("%s: %q", name, r)
				}
			}
			if code != 0 || strings.Contains(stdout+stderr, "s3cret") {
				t.Errorf("exit %d (0: every attempt refused; 137: vigil was killed)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
		})
	}
}
