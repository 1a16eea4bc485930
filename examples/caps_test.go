//go:build e2e

package examples_test

import (
	"strings"
	"testing"
)

// mountInNewNamespace makes a mount namespace and mounts a tmpfs in it
// (busybox's unshare and mount), then prints its status: rc=0 after
// "mounted" when both worked.
const mountInNewNamespace = `unshare -m sh -c "mount -t tmpfs vigil-e2e /dev/shm && grep -q '^vigil-e2e ' /proc/self/mounts && echo mounted" 2>/dev/null; echo rc=$?`

// TestSeccompCapAdd runs a mount in a new namespace under vigil's built-in
// docker-default profile, and without vigil, with and without
// `--cap-add SYS_ADMIN`. Docker resolves its profile's caps rules (mount,
// unshare, clone with namespace flags for CAP_SYS_ADMIN) for the
// container's bounding set, and vigil must do the same: what works without
// vigil works under it, and what its profile denies is reported.
//
// Without the cap-add, Docker's own filter would deny unshare before vigil
// saw it; that case runs with Docker's filter off, so that vigil's is the
// one that decides.
func TestSeccompCapAdd(t *testing.T) {
	imgs := testImages(t)
	capAdd := []string{"--cap-add", "SYS_ADMIN"}
	unconfined := []string{"--security-opt", "seccomp=unconfined"}
	tests := []struct {
		name       string
		giveOpts   []string
		giveUser   string
		wantStdout string // with and without vigil
		wantEvents []string
	}{
		{name: "root, --cap-add SYS_ADMIN", giveOpts: capAdd, giveUser: "0",
			wantStdout: "mounted\nrc=0\n"},
		// SYS_ADMIN in the bounding set only: Docker's filter and vigil's
		// let unshare through and the kernel refuses it, unreported.
		{name: "uid 1000, --cap-add SYS_ADMIN", giveOpts: capAdd, giveUser: "1000",
			wantStdout: "rc=1\n"},
		{name: "root, Docker's capabilities, no Docker filter", giveOpts: unconfined, giveUser: "0",
			wantStdout: "rc=1\n", wantEvents: []string{"unshare deny errno=1 uid=0 exe=/bin/busybox"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]string{"--user", tt.giveUser + ":" + tt.giveUser}, tt.giveOpts...)
			without := append(append([]string{}, opts...), "--entrypoint", "/bin/sh")
			code, stdout, stderr := runSeccomp(t, imgs.hello, without, "-c", mountInNewNamespace)
			if code != 0 || stdout != tt.wantStdout {
				t.Fatalf("without vigil: exit %d, stdout %q; want 0, %q; stderr:\n%s", code, stdout, tt.wantStdout, stderr)
			}
			with := append(opts, "--env", "VIGIL_SECCOMP_PROFILE=docker-default", "--env", "VIGIL_WORKLOAD=e2e")
			code, stdout, stderr = runSeccomp(t, imgs.hello, with, "sh", "-c", mountInNewNamespace)
			if code != 0 || stdout != tt.wantStdout {
				t.Fatalf("under vigil: exit %d, stdout %q; want 0, %q as without vigil; stderr:\n%s", code, stdout, tt.wantStdout, stderr)
			}
			if got := syscallEvents(t, stderr, "e2e"); strings.Join(got, "\n") != strings.Join(tt.wantEvents, "\n") {
				t.Errorf("events\n%s\nwant\n%s\nstderr:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantEvents, "\n"), stderr)
			}
		})
	}
}
