//go:build e2e

package examples_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
)

// The seccomp tests run the example image with `vigil run --seccomp-profile`
// (set by VIGIL_SECCOMP_PROFILE, since the entrypoint is `vigil run --`),
// the profile bind-mounted read-only: the images stay as they are.
const (
	// profileTarget is where the containers find their profile.
	profileTarget = "/etc/vigil/seccomp.json"
	// dockerDefaultProfile is Docker's default profile, from moby/profiles.
	dockerDefaultProfile = "../supervisor/seccomp/profiles/docker-default.json"
	// probeTarget is where the io_uring probe (examples/testdata/iouring) is mounted.
	probeTarget = "/iouring"
)

// workload is a busybox script that must run unhindered under Docker's
// default profile; it prints ok.
const workload = `ls / >/dev/null && cat /etc/hostname >/dev/null && sh -c 'echo ok' || exit 9`

// seccompOpts are the docker run options that mount the profile at host and
// make vigil load it.
func seccompOpts(t *testing.T, host string) []string {
	t.Helper()
	return append(mountOpts(t, host, profileTarget), "--env", "VIGIL_SECCOMP_PROFILE="+profileTarget)
}

// mountOpts bind-mounts the file host read-only at target.
func mountOpts(t *testing.T, host, target string) []string {
	t.Helper()
	abs, err := filepath.Abs(host)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"--mount", "type=bind,source=" + abs + ",target=" + target + ",readonly"}
}

// writeProfile writes a profile to a file of its own, readable by any uid.
func writeProfile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seccomp.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return path
}

// buildProbe builds examples/testdata/iouring, static, for the engine's platform.
func buildProbe(t *testing.T) string { return buildTestdata(t, "iouring") }

// buildTestdata builds the program examples/testdata/NAME, static, for the
// engine's platform.
func buildTestdata(t *testing.T, name string) string {
	t.Helper()
	p := requireDocker(t)
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./examples/testdata/"+name)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.os, "GOARCH="+p.arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building examples/testdata/%s: %v\n%s", name, err, b)
	}
	return out
}

// splitLogs returns what the container printed on stdout (the app) and on
// stderr (vigil's log lines and events, and the app's errors).
func splitLogs(t *testing.T, name string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := dockerCmd(ctx, "logs", name)
	var out, errs strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker logs %s: %v\n%s%s", name, err, out.String(), errs.String())
	}
	return out.String(), errs.String()
}

// syscallEvents decodes the event lines of stderr with events.Decode,
// failing the test on one that does not decode, and returns the syscall
// events in summaries, failing on one that is not of workload or lacks its
// process. (Other kinds are left out: a probe mounted into the image is an
// exec the baseline does not know.)
func syscallEvents(t *testing.T, stderr, workload string) []string {
	t.Helper()
	var got []string
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, `"schema"`) {
			continue
		}
		ev, err := events.Decode([]byte(line))
		if err != nil {
			t.Fatalf("an event line that does not decode: %v\n%s", err, line)
		}
		if ev.Kind != events.KindSyscall {
			continue
		}
		d, err := ev.Syscall()
		if err != nil || ev.Workload != workload || ev.Process == nil {
			t.Fatalf("want a syscall event of workload %q with its process (%v):\n%s", workload, err, line)
		}
		got = append(got, fmt.Sprintf("%s %s errno=%d uid=%d exe=%s",
			d.Name, ev.Action, d.Errno, ev.Process.UID, ev.Process.Exe))
	}
	return got
}

// runSeccomp runs the example image with opts and cmd to its end, and
// returns its exit code and logs.
func runSeccomp(t *testing.T, image string, opts []string, cmd ...string) (code int, stdout, stderr string) {
	t.Helper()
	name := startContainerWith(t, opts, image, cmd...)
	code = waitExit(t, name)
	stdout, stderr = splitLogs(t, name)
	return code, stdout, stderr
}

// dockerAllowsIOUring reports whether the engine's own seccomp filter lets
// the probe call io_uring_setup (Docker 20.10's profile does, today's does
// not), by running it without vigil.
func dockerAllowsIOUring(t *testing.T, image, probe string) bool {
	t.Helper()
	opts := append(mountOpts(t, probe, probeTarget), "--entrypoint", probeTarget)
	code, stdout, stderr := runSeccomp(t, image, opts)
	t.Logf("without vigil: %s", strings.TrimSpace(stdout+stderr))
	return code == 0
}

// TestSeccompDockerDefault runs busybox under vigil with Docker's default
// profile, as root and as uid 1000 (no_new_privs and a seccomp filter need
// no privilege), under Docker's own default filter and without it.
//
// Filters stack and the kernel answers a call with the most severe of their
// results, an errno above a user notification: a call that Docker's filter
// denies itself (here unshare) fails with Docker's EPERM and never reaches
// vigil. Under Docker's filter, vigil reports only what its profile denies
// and Docker's allows: io_uring_setup, which Docker 20.10 allows and the
// current profile does not, called by examples/testdata/iouring.
func TestSeccompDockerDefault(t *testing.T) {
	imgs := testImages(t)
	probe := buildProbe(t)
	probeAllowed := dockerAllowsIOUring(t, imgs.hello, probe)
	// script runs the workload, then call, and exits with 40 + call's status.
	script := func(call string) string {
		return workload + "\n" + call + " >/dev/null 2>&1; rc=$?; echo rc=$rc; exit $((40 + rc))"
	}
	unconfined := []string{"--security-opt", "seccomp=unconfined"}
	tests := []struct {
		name       string
		giveOpts   []string // besides the profile, workload and user
		giveCall   string
		needsProbe bool
		wantEvents []string // "%s" is the uid
	}{
		{name: "unshare under Docker's filter", giveCall: "unshare -U true",
			wantEvents: nil}, // Docker's filter says EPERM first
		{name: "io_uring_setup under Docker's filter", giveCall: probeTarget, needsProbe: true,
			giveOpts:   mountOpts(t, probe, probeTarget),
			wantEvents: []string{"io_uring_setup deny errno=1 uid=%s exe=" + probeTarget}},
		{name: "unshare without Docker's filter", giveCall: "unshare -U true", giveOpts: unconfined,
			wantEvents: []string{"unshare deny errno=1 uid=%s exe=/bin/busybox"}},
	}
	for _, user := range []string{"0", "1000"} {
		for _, tt := range tests {
			t.Run("uid "+user+"/"+tt.name, func(t *testing.T) {
				if tt.needsProbe && !probeAllowed {
					t.Skip("Docker's own filter denies io_uring_setup: no call is left that only vigil's profile denies")
				}
				opts := append(seccompOpts(t, dockerDefaultProfile), "--env", "VIGIL_WORKLOAD=e2e", "--user", user+":"+user)
				opts = append(opts, tt.giveOpts...)
				start := time.Now()
				code, stdout, stderr := runSeccomp(t, imgs.hello, opts, "sh", "-c", script(tt.giveCall))
				t.Logf("ran in %v", time.Since(start).Round(time.Millisecond))
				if code != 41 || stdout != "ok\nrc=1\n" {
					t.Fatalf("exit %d, stdout %q; want 41 (40 + the call's EPERM) and %q; stderr:\n%s",
						code, stdout, "ok\nrc=1\n", stderr)
				}
				var want []string
				for _, w := range tt.wantEvents {
					want = append(want, strings.ReplaceAll(w, "%s", user))
				}
				if got := syscallEvents(t, stderr, "e2e"); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("events\n%s\nwant\n%s\nstderr:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), stderr)
				}
			})
		}
	}
}

// TestSeccompKill runs a profile that kills a process calling getppid,
// which busybox sh does as it starts, to set $PPID.
func TestSeccompKill(t *testing.T) {
	imgs := testImages(t)
	profile := writeProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"}]}`)
	for _, user := range []string{"0", "1000"} {
		t.Run("uid "+user, func(t *testing.T) {
			opts := append(seccompOpts(t, profile), "--env", "VIGIL_WORKLOAD=e2e", "--user", user+":"+user)
			code, stdout, stderr := runSeccomp(t, imgs.hello, opts, "sh", "-c", "echo $PPID")
			if code != 137 || stdout != "" {
				t.Fatalf("exit %d, stdout %q; want 137 (SIGKILL) before the app printed anything; stderr:\n%s", code, stdout, stderr)
			}
			want := "getppid kill errno=1 uid=" + user + " exe=/bin/busybox"
			if got := syscallEvents(t, stderr, "e2e"); strings.Join(got, "\n") != want {
				t.Errorf("events\n%s\nwant\n%s\nstderr:\n%s", strings.Join(got, "\n"), want, stderr)
			}
		})
	}
}

// TestSeccompBadProfile checks that a profile vigil cannot load stops the
// container at once with 125 and one line naming the problem, before the
// app starts.
func TestSeccompBadProfile(t *testing.T) {
	imgs := testImages(t)
	malformed := writeProfile(t, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [ oops ]\n}\n")
	tests := []struct {
		name     string
		giveOpts []string
		wantErr  string
	}{
		{name: "malformed", giveOpts: seccompOpts(t, malformed), wantErr: profileTarget + ":3:17"},
		{name: "missing", giveOpts: []string{"--env", "VIGIL_SECCOMP_PROFILE=/etc/vigil/none.json"},
			wantErr: "/etc/vigil/none.json"},
	}
	const quickly = 10 * time.Second
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, stdout, stderr := runSeccomp(t, imgs.hello, tt.giveOpts, "sh", "-c", "echo the app ran")
			elapsed := time.Since(start)
			t.Logf("exited in %v", elapsed.Round(time.Millisecond))
			if code != 125 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 125 and no output of the app", code, stdout)
			}
			if !strings.HasPrefix(stderr, "vigil: run: ") || !strings.Contains(stderr, tt.wantErr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q: want one line `vigil: run: ...` naming %s", stderr, tt.wantErr)
			}
			if elapsed > quickly {
				t.Errorf("the container took %v to exit; want under %v", elapsed, quickly)
			}
		})
	}
}

// TestPrivilegeDrop runs vigil as root in a plain docker run (Docker's
// default capabilities and seccomp filter) with a policy that drops the app
// to uid 1000 and denies mkdir. The app runs as 1000 with no capability,
// and its violation is reported in full: vigil has no CAP_SYS_PTRACE, so it
// reads the app's exe and memory with the app's filesystem ids.
func TestPrivilegeDrop(t *testing.T) {
	imgs := testImages(t)
	policy := writeProfile(t, `apiVersion: vigil.dev/v1
kind: Policy
user: "1000:1000"
seccomp:
  profile: docker-default
  rules:
    - names: [mkdir, mkdirat]
      action: errno
      errno: EACCES
`)
	opts := append(mountOpts(t, policy, "/etc/vigil/policy.yaml"), "--env", "VIGIL_WORKLOAD=e2e")
	code, stdout, stderr := runSeccomp(t, imgs.hello, opts, "sh", "-c",
		"id -u; grep CapEff /proc/self/status; mkdir /tmp/by-1000 2>/dev/null || echo denied")
	if want := "1000\nCapEff:\t0000000000000000\ndenied\n"; code != 0 || stdout != want {
		t.Fatalf("exit %d, stdout %q; want 0, %q; stderr:\n%s", code, stdout, want, stderr)
	}
	want := "mkdir deny errno=13 uid=1000 exe=/bin/busybox"
	if got := syscallEvents(t, stderr, "e2e"); strings.Join(got, "\n") != want {
		t.Fatalf("events\n%s\nwant\n%s\nstderr:\n%s", strings.Join(got, "\n"), want, stderr)
	}
	if !strings.Contains(stderr, `"decoded":{"0":"/tmp/by-1000"}`) {
		t.Errorf("the event does not name the path; stderr:\n%s", stderr)
	}
}
