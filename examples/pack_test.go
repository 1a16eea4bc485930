//go:build e2e

package examples_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// packImage builds, on the example image, one with what the rule pack's
// behaviours need: programs named like the tools attackers use (links to
// busybox, which runs the applet its argv[0] names), a log, a private key
// to look for, and an /etc/shadow; its baseline taken again.
func packImage(t *testing.T, imgs images) string {
	t.Helper()
	return derivedImage(t, imgs, "pack", nil,
		"RUN mkdir -p /tmp /var/log /opt/tools /home/app/.ssh && chmod 1777 /tmp /var/log && "+
			"for t in apt nc shred ssh env find; do ln -s /bin/busybox /opt/tools/$t; done && "+
			"echo key > /home/app/.ssh/id_rsa && echo 'root:x:19000:0:99999:7:::' > /etc/shadow && touch /var/log/app.log && chmod 666 /var/log/app.log")
}

// TestPackInDocker: in a plain docker run (Docker's default seccomp profile
// and capabilities), as root and as a non-root user, the default rule
// pack reports what an attacker does with what the image holds: a shell
// spawned by a program that is not a shell, a package manager, netcat and
// netcat serving a shell, a search for private keys, bulk removal, ssh to
// an unusual port, a setuid bit, a log emptied and a link to /etc/shadow.
// The exec and syscall rules are each tested on the host too (cmd/vigil
// TestPackRules), with ptrace, packet sockets and kernel modules.
func TestPackInDocker(t *testing.T) {
	imgs := testImages(t)
	image := packImage(t, imgs)
	script := strings.Join([]string{
		"/opt/tools/env sh -c true",
		"/opt/tools/apt update 2>/dev/null",
		"/opt/tools/nc -w 1 -e /bin/sh 127.0.0.1 1 2>/dev/null",
		"/opt/tools/find /home -name id_rsa >/dev/null",
		"cp /etc/hostname /tmp/x && /opt/tools/shred -u /tmp/x",
		"/opt/tools/ssh -p 2222 127.0.0.1 2>/dev/null",
		"touch /tmp/s && chmod u+s /tmp/s",
		": > /var/log/app.log",
		"ln -s /etc/shadow /tmp/shadow",
		"echo done",
	}, "; ")
	want := []string{
		"proc.shell-from-app", "proc.package-manager", "proc.network-tool", "proc.netcat-exec",
		"proc.credential-search", "proc.bulk-removal", "proc.ssh-nonstandard-port", "proc.setuid-bit",
		"files.log-clearing", "files.link-sensitive",
	}
	for _, user := range []string{"", "1000:1000"} {
		t.Run("user="+user, func(t *testing.T) {
			opts := []string{"--env", "VIGIL_WORKLOAD=e2e", "--env", "VIGIL_LOG_LEVEL=warn"}
			if user != "" {
				opts = append(opts, "--user", user)
			}
			code, stdout, stderr := runSeccomp(t, image, opts, "sh", "-c", script)
			if code != 0 || !strings.Contains(stdout, "done") {
				t.Fatalf("exit %d, stdout %q\nstderr:\n%s", code, stdout, stderr)
			}
			got := map[string]bool{}
			for _, line := range strings.Split(stderr, "\n") {
				if !strings.Contains(line, `"schema"`) {
					continue
				}
				ev, err := events.Decode([]byte(line))
				if err != nil {
					t.Fatalf("an event that does not decode: %v\n%s", err, line)
				}
				if ev.Process == nil && ev.Kind != events.KindLifecycle && ev.Kind != events.KindFile {
					t.Errorf("%s: no process", ev.Rule)
				}
				got[ev.Rule] = true
			}
			var missing []string
			for _, r := range want {
				if !got[r] {
					missing = append(missing, r)
				}
			}
			if len(missing) > 0 {
				rules := make([]string, 0, len(got))
				for r := range got {
					rules = append(rules, r)
				}
				slices.Sort(rules)
				t.Errorf("no event for %v; rules seen: %v\nstderr:\n%s", missing, rules, stderr)
			}
		})
	}
}

// TestTraversalInDocker: the opt-in files.traversal, turned on by the
// policy, reports a sensitive file opened through "..", under Docker's
// default profile and capabilities, as root and as another user (whose
// memory vigil reads as that user).
func TestTraversalInDocker(t *testing.T) {
	imgs := testImages(t)
	image := packImage(t, imgs)
	policy := writeProfile(t, "apiVersion: vigil.dev/v1\nkind: Policy\nrules:\n  enable: [files.traversal]\n")
	for _, user := range []string{"", "1000:1000"} {
		t.Run("user="+user, func(t *testing.T) {
			opts := append([]string{"--env", "VIGIL_WORKLOAD=e2e", "--env", "VIGIL_LOG_LEVEL=warn"}, mountOpts(t, policy, "/etc/vigil/policy.yaml")...)
			if user != "" {
				opts = append(opts, "--user", user)
			}
			code, stdout, stderr := runSeccomp(t, image, opts, "sh", "-c", "cd /tmp; cat ../etc/passwd >/dev/null; cat /etc/passwd >/dev/null; echo done")
			if code != 0 || !strings.Contains(stdout, "done") {
				t.Fatalf("exit %d, stdout %q\nstderr:\n%s", code, stdout, stderr)
			}
			var got []string
			for _, line := range strings.Split(stderr, "\n") {
				if !strings.Contains(line, `"rule":"files.traversal"`) {
					continue
				}
				ev, err := events.Decode([]byte(line))
				if err != nil {
					t.Fatalf("an event that does not decode: %v\n%s", err, line)
				}
				var d events.FileDetails
				if err := ev.DetailsAs(&d); err != nil || ev.Process == nil {
					t.Fatalf("details %v, process %v:\n%s", err, ev.Process, line)
				}
				got = append(got, d.Path+" "+d.Requested)
			}
			if want := []string{"/etc/passwd ../etc/passwd"}; !slices.Equal(got, want) {
				t.Errorf("traversal events %q, want %q\nstderr:\n%s", got, want, stderr)
			}
		})
	}
}
