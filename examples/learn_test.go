//go:build e2e

package examples_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// learnedWorkload is what the learning run does; the runs under the
// learned profile then make one call it never made (mkdir, in a tmpfs any
// user can write to).
const (
	learnedWorkload = `ls / >/dev/null && cat /etc/hostname >/dev/null && echo ok`
	outsideWorkload = learnedWorkload + `; mkdir /tmp/d 2>/dev/null && echo made || echo denied`
)

// learnInContainer runs vigil learn on learnedWorkload in the example image
// as user, and returns the path of the profile it wrote.
func learnInContainer(t *testing.T, image, user string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil { // writable by user
		t.Fatal(err)
	}
	opts := []string{"--user", user, "--entrypoint", "/usr/local/bin/vigil",
		"--mount", "type=bind,source=" + dir + ",target=/out"}
	code, stdout, stderr := runSeccomp(t, image, opts,
		"learn", "--log-level=warn", "--out", "/out/learned", "--", "sh", "-c", learnedWorkload)
	if code != 0 || stdout != "ok\n" || !strings.Contains(stderr, "wrote /out/learned.json") {
		t.Fatalf("vigil learn as %s: exit %d, stdout %q, stderr:\n%s", user, code, stdout, stderr)
	}
	return filepath.Join(dir, "learned.json")
}

// TestLearnedProfileUnderDocker learns a busybox workload with vigil learn
// in a container, then runs it under the profile learned, as the docs say
// it can be used: by Docker itself (docker run --security-opt seccomp=,
// without vigil), and by vigil run --seccomp-profile under Docker's own
// filter. Each user has its profile, learned as that user: busybox as a
// non-root user calls getgid, which as root it does not. The runs differ
// in what runc does after loading the profile: as root or another user,
// with Docker's capabilities or none, and with no-new-privileges (the
// filter loaded last). The mkdir outside the workload is denied: the
// profile was applied, and allows no more than was learned.
func TestLearnedProfileUnderDocker(t *testing.T) {
	imgs := testImages(t)
	profiles := map[string]string{}
	for _, user := range []string{"0:0", "1000:1000"} {
		profiles[user] = learnInContainer(t, imgs.hello, user)
	}
	tests := []struct {
		name       string
		giveUser   string
		giveVigil  bool     // vigil run --seccomp-profile, else Docker's --security-opt seccomp=
		giveOpts   []string // more docker run options
		wantEvents []string // from vigil; "%s" is the uid
	}{
		{name: "docker/root", giveUser: "0:0"},
		{name: "docker/root, no capabilities", giveUser: "0:0", giveOpts: []string{"--cap-drop", "ALL"}},
		{name: "docker/root, no-new-privileges", giveUser: "0:0",
			giveOpts: []string{"--security-opt", "no-new-privileges"}},
		{name: "docker/uid 1000", giveUser: "1000:1000"},
		{name: "docker/uid 1000, no capabilities", giveUser: "1000:1000", giveOpts: []string{"--cap-drop", "ALL"}},
		{name: "docker/uid 1000, no-new-privileges", giveUser: "1000:1000",
			giveOpts: []string{"--security-opt", "no-new-privileges"}},
		{name: "vigil/root", giveUser: "0:0", giveVigil: true,
			wantEvents: []string{"mkdir deny errno=1 uid=%s exe=/bin/busybox"}},
		{name: "vigil/uid 1000", giveUser: "1000:1000", giveVigil: true,
			wantEvents: []string{"mkdir deny errno=1 uid=%s exe=/bin/busybox"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			profile := profiles[tt.giveUser]
			image, opts := imgs.busybox, []string{"--security-opt", "seccomp=" + profile}
			if tt.giveVigil {
				image, opts = imgs.hello, append(seccompOpts(t, profile), "--env", "VIGIL_WORKLOAD=e2e")
			}
			opts = append(append(opts, "--user", tt.giveUser, "--tmpfs", "/tmp"), tt.giveOpts...)
			code, stdout, stderr := runSeccomp(t, image, opts, "sh", "-c", outsideWorkload)
			if code != 0 || stdout != "ok\ndenied\n" {
				t.Fatalf("exit %d, stdout %q; want 0 and %q; stderr:\n%s", code, stdout, "ok\ndenied\n", stderr)
			}
			uid, _, _ := strings.Cut(tt.giveUser, ":")
			var want []string
			for _, w := range tt.wantEvents {
				want = append(want, strings.ReplaceAll(w, "%s", uid))
			}
			if got := syscallEvents(t, stderr, "e2e"); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("events\n%s\nwant\n%s\nstderr:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), stderr)
			}
		})
	}
}

// TestLearnedWorkloadWithoutProfile is the control of
// TestLearnedProfileUnderDocker: the mkdir it sees denied succeeds in the
// same container under Docker's default filter.
func TestLearnedWorkloadWithoutProfile(t *testing.T) {
	imgs := testImages(t)
	code, stdout, stderr := runSeccomp(t, imgs.busybox, []string{"--user", "1000:1000", "--tmpfs", "/tmp"},
		"sh", "-c", outsideWorkload)
	if code != 0 || stdout != "ok\nmade\n" {
		t.Fatalf("exit %d, stdout %q; want 0 and %q; stderr:\n%s", code, stdout, "ok\nmade\n", stderr)
	}
}
