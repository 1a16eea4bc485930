package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dockerCaps makes the PID 1 helper keep only Docker's default
// capabilities, as docker run does: vigil then has CAP_SETUID, CAP_SETGID
// and CAP_SETPCAP for the drop, but not CAP_SYS_PTRACE.
var dockerCaps = []string{"PID1_DOCKER_CAPS=1"}

// showCreds prints what the app runs as: uid, gid, groups, then the
// capability sets of /proc/self/status (CapInh, CapPrm, CapEff, CapBnd,
// CapAmb), one per line.
const showCreds = `id -u; id -g; id -G; sed -n 's/^Cap[A-Za-z]*:[[:space:]]*//p' /proc/self/status`

func TestPrivilegeDrop(t *testing.T) {
	const header = "apiVersion: vigil.dev/v1\nkind: Policy\n"
	tests := []struct {
		name       string
		givePolicy string
		// wantStdout is showCreds's output, the capability sets in hex.
		wantStdout string
	}{
		{name: "user: no capabilities, no groups",
			givePolicy: `user: "65534:65534"`,
			wantStdout: "65534\n65534\n65534\n" + strings.Repeat("0000000000000000\n", 2) + "0000000000000000\n00000000a80425fb\n0000000000000000\n"},
		{name: "user with groups and a kept capability",
			givePolicy: "user: \"1000:1001\"\ngroups: [10, 20]\ncapabilities: [NET_BIND_SERVICE]",
			wantStdout: "1000\n1001\n1001 10 20\n" + strings.Repeat("0000000000000400\n", 5)},
		{name: "root keeping two capabilities",
			givePolicy: "capabilities: [CAP_CHOWN, KILL]",
			wantStdout: "0\n0\n0\n0000000000000000\n" + strings.Repeat("0000000000000021\n", 3) + "0000000000000000\n"},
		{name: "root keeping none",
			givePolicy: "capabilities: []",
			wantStdout: "0\n0\n0\n" + strings.Repeat("0000000000000000\n", 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := writeFile(t, "policy.yaml", header+tt.givePolicy+"\n")
			code, stdout, stderr := runVigil(t, modes[0], dockerCaps, "run", "--log-level=warn", "--policy", policy, "--", "sh", "-c", showCreds)
			if code != 0 || stdout != tt.wantStdout {
				t.Fatalf("exit %d, stdout:\n%s\nwant exit 0, stdout:\n%s\nstderr:\n%s", code, stdout, tt.wantStdout, stderr)
			}
		})
	}
}

func TestPrivilegeDropRefused(t *testing.T) {
	const header = "apiVersion: vigil.dev/v1\nkind: Policy\n"
	started := filepath.Join(t.TempDir(), "started")
	// Docker's capabilities do not include CAP_SYS_ADMIN: vigil cannot
	// give it, and says so rather than start the app with less.
	policy := writeFile(t, "policy.yaml", header+"user: \"1000:1000\"\ncapabilities: [SYS_ADMIN]\n")
	code, stdout, stderr := runVigil(t, modes[0], dockerCaps, "run", "--log-level=warn", "--policy", policy, "--", "touch", started)
	if code != 125 || !strings.Contains(stderr, "cannot keep CAP_SYS_ADMIN: vigil does not have it") {
		t.Fatalf("exit %d, stderr %q; want 125 and why", code, stderr)
	}
	if _, err := os.Stat(started); stdout != "" || err == nil {
		t.Errorf("the app started")
	}
}

// TestNonRootAppViolationDecoded: an app dropped to another user is
// reported in full (exe, decoded path) by a PID 1 without CAP_SYS_PTRACE,
// which reads the app's memory with the app's filesystem ids.
func TestNonRootAppViolationDecoded(t *testing.T) {
	policy := writeFile(t, "policy.yaml", denyMkdirPolicy+"user: \"65534:65534\"\n")
	dir := filepath.Join(t.TempDir(), "made-by-nobody")
	code, stdout, stderr := runVigil(t, modes[0], dockerCaps, "run", "--log-level=warn", "--policy", policy,
		"--", "sh", "-c", "id -u; mkdir "+dir+" 2>/dev/null || echo denied")
	if code != 0 || stdout != "65534\ndenied\n" {
		t.Fatalf("exit %d, stdout %q; want 0, \"65534\\ndenied\\n\"; stderr:\n%s", code, stdout, stderr)
	}
	evs := syscallEvents(t, stderr)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1:\n%s", len(evs), stderr)
	}
	ev := evs[0]
	var d struct{ Decoded map[string]string }
	if err := ev.DetailsAs(&d); err != nil {
		t.Fatal(err)
	}
	if ev.Process == nil || ev.Process.UID != 65534 || filepath.Base(ev.Process.Exe) != "mkdir" || d.Decoded["0"] != dir {
		t.Errorf("event process %+v, decoded %v; want uid 65534, exe .../mkdir, path %s", ev.Process, d.Decoded, dir)
	}
}

// TestSandboxSocketNotInherited: the app started through the sandbox has
// none of vigil's descriptors, with or without a seccomp filter.
func TestSandboxSocketNotInherited(t *testing.T) {
	for _, policy := range []string{
		"user: \"65534:65534\"\n",
		"user: \"65534:65534\"\nseccomp:\n  profile: docker-default\n",
	} {
		p := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\n"+policy)
		code, stdout, stderr := runVigil(t, modes[1], nil, "run", "--log-level=warn", "--baseline", "off", "--policy", p,
			"--", "sh", "-c", "ls -l /proc/$$/fd")
		if code != 0 || strings.Contains(stdout, "socket:") || strings.Contains(stdout, "anon_inode") {
			t.Errorf("policy %q: exit %d, the app's fds:\n%s\nstderr:\n%s", policy, code, stdout, stderr)
		}
	}
}
