package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const denyMkdirPolicy = `apiVersion: vigil.dev/v1
kind: Policy
seccomp:
  profile: docker-default
  rules:
    - names: [mkdir, mkdirat]
      action: errno
      errno: EACCES
`

const badPolicy = `apiVersion: vigil.dev/v1
kind: Policy
seccomp:
  profile: docker-default
  rules:
    - names: [ptrace]
      action: deny
    - names: [mkdir]
      action: errno
      errno: EWHAT
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheck(t *testing.T) {
	good, bad := writeFile(t, "good.yaml", denyMkdirPolicy), writeFile(t, "bad.yaml", badPolicy)
	dropping := writeFile(t, "drop.yaml", denyMkdirPolicy+"user: \"1000:1000\"\ngroups: [10]\ncapabilities: [NET_BIND_SERVICE]\n")
	ownCaps := "; profile resolved for capabilities [" + strings.Join(ownBoundingSet(t), " ") + "] (vigil's bounding set)"
	network := writeFile(t, "network.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nnetwork:\n  egress:\n    default: deny\n    allow: [{ports: [443]}]\n")
	files := writeFile(t, "files.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  protect: enforce\n  paths: [/app]\n  sensitive: [/etc/shadow]\n")
	tests := []struct {
		name       string
		giveFile   string
		wantCode   int
		wantOutput []string // each must appear in stdout+stderr
	}{
		{name: "policy", giveFile: good, wantOutput: []string{good + ": ok (seccomp filter for x86_64", ownCaps}},
		{name: "profile", giveFile: dockerProfile, wantOutput: []string{"ok (seccomp filter", ownCaps}},
		{name: "every problem at once", giveFile: bad, wantCode: 1,
			wantOutput: []string{bad + `:7:15: unknown action "deny"`, bad + `:10:14: unknown errno "EWHAT"`}},
		// The rule pack's syscall rules make a filter of their own.
		{name: "files", giveFile: files, wantOutput: []string{": ok (seccomp filter for x86_64", "; read-only for the app [/app]; sensitive [/etc/shadow]; rule pack: 13 rules and 13 built-in, 0 off)"}},
		{name: "network", giveFile: network, wantOutput: []string{"; network egress deny (1 rules), ingress allow)"}},
		{name: "privilege drop", giveFile: dropping, wantOutput: []string{
			"; profile resolved for capabilities [CAP_NET_BIND_SERVICE] (vigil's bounding set and the policy's capabilities);",
			"; runs as 1000:1000; groups [10]; capabilities [CAP_NET_BIND_SERVICE];"}},
		{name: "missing", giveFile: good + ".missing", wantCode: 1, wantOutput: []string{"good.yaml.missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runVigil(t, modes[1], nil, "check", tt.giveFile)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; output:\n%s%s", code, tt.wantCode, stdout, stderr)
			}
			for _, want := range tt.wantOutput {
				if !strings.Contains(stdout+stderr, want) {
					t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
				}
			}
		})
	}
}

func TestRunWithPolicy(t *testing.T) {
	good, bad := writeFile(t, "good.yaml", denyMkdirPolicy), writeFile(t, "bad.yaml", badPolicy)
	named := writeFile(t, "named.yaml", strings.Replace(denyMkdirPolicy, "- names: [mkdir, mkdirat]", "- name: no-mkdir\n      names: [mkdir, mkdirat]", 1))
	started := filepath.Join(t.TempDir(), "started")
	tests := []struct {
		name       string
		giveArgs   []string
		giveEnv    []string
		wantCode   int
		wantStdout string
		wantEvent  string // in stderr
	}{
		{name: "policy rule before the profile", giveArgs: []string{"--policy", good},
			wantStdout: "denied\n", wantEvent: `"decoded":{"0":"/vigil-policy-test"},"errno":13`},
		{name: "from the environment", giveEnv: []string{"VIGIL_POLICY=" + good},
			wantStdout: "denied\n", wantEvent: `"rule":"seccomp.rules.0"`},
		{name: "named rule", giveArgs: []string{"--policy", named},
			wantStdout: "denied\n", wantEvent: `"rule":"no-mkdir"`},
		{name: "built-in profile by name", giveArgs: []string{"--seccomp-profile", "docker-default"},
			wantStdout: "made\n"},
		{name: "bad policy: app not started", giveArgs: []string{"--policy", bad}, wantCode: 125},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "vigil-policy-test")
				script := "touch " + started + "; mkdir " + dir + " 2>/dev/null && echo made || echo denied"
				args := append(append([]string{"run", "--log-level=warn"}, tt.giveArgs...), "--", "sh", "-c", script)
				code, stdout, stderr := runVigil(t, m, tt.giveEnv, args...)
				if code != tt.wantCode || stdout != tt.wantStdout {
					t.Fatalf("exit %d, stdout %q; want %d, %q; stderr:\n%s", code, stdout, tt.wantCode, tt.wantStdout, stderr)
				}
				if tt.wantEvent != "" && !strings.Contains(stderr, strings.Replace(tt.wantEvent, "/vigil-policy-test", dir, 1)) {
					t.Errorf("no event with %s; stderr:\n%s", tt.wantEvent, stderr)
				}
				if _, err := os.Stat(started); (err == nil) != (tt.wantCode != 125) {
					t.Errorf("app started: %v, want %v", err == nil, tt.wantCode != 125)
				}
				os.Remove(started)
			})
		}
	}
}
