package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestInputLimits: a policy, a profile or a baseline over its limit, or
// that is a device or a FIFO, is refused with one line naming the file and
// what is wrong; vigil run exits 125 without starting the app (it used to
// read /dev/zero until the OOM killer ended it, the container with it).
// Each case is bounded by runVigil's hang guard and the limits themselves.
func TestInputLimits(t *testing.T) {
	dir := t.TempDir()
	pad := func(name, body string, size int) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body+strings.Repeat(" ", size-len(body))), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const policy = "apiVersion: vigil.dev/v1\nkind: Policy\ncapabilities: [NET_BIND_SERVICE]\n#"
	const profile = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]}`
	policyAt, policyOver := pad("at.yaml", policy, 256<<10), pad("over.yaml", policy, 256<<10+1)
	profileAt, profileOver := pad("at.json", profile, 1<<20), pad("over.json", profile, 1<<20+1)
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	started := filepath.Join(dir, "started")
	app := []string{"--", "touch", started}
	tests := []struct {
		name     string
		giveArgs []string
		wantCode int
		wantErr  string // "": none
	}{
		{name: "check: policy at the limit", giveArgs: []string{"check", policyAt}},
		{name: "check: policy one byte over", giveArgs: []string{"check", policyOver}, wantCode: 1, wantErr: policyOver + ": larger than the 256 KiB limit"},
		{name: "check: policy from /dev/zero", giveArgs: []string{"check", "/dev/zero"}, wantCode: 1, wantErr: "/dev/zero: not a regular file (a character device)"},
		{name: "check: profile at the limit", giveArgs: []string{"check", profileAt}},
		{name: "check: profile one byte over", giveArgs: []string{"check", profileOver}, wantCode: 1, wantErr: profileOver + ": larger than the 1 MiB limit"},
		{name: "check: profile a FIFO", giveArgs: []string{"check", fifo}, wantCode: 1, wantErr: fifo + ": not a regular file (a FIFO)"},
		{name: "run: policy one byte over", giveArgs: append([]string{"run", "--policy", policyOver}, app...), wantCode: 125, wantErr: policyOver + ": larger than the 256 KiB limit"},
		{name: "run: policy from /dev/zero", giveArgs: append([]string{"run", "--policy", "/dev/zero"}, app...), wantCode: 125, wantErr: "/dev/zero: not a regular file"},
		{name: "run: profile one byte over", giveArgs: append([]string{"run", "--seccomp-profile", profileOver}, app...), wantCode: 125, wantErr: profileOver + ": larger than the 1 MiB limit"},
		{name: "run: profile from /dev/zero", giveArgs: append([]string{"run", "--seccomp-profile", "/dev/zero"}, app...), wantCode: 125, wantErr: "/dev/zero: not a regular file"},
		{name: "run: profile a FIFO", giveArgs: append([]string{"run", "--seccomp-profile", fifo}, app...), wantCode: 125, wantErr: fifo + ": not a regular file (a FIFO)"},
		{name: "run: baseline a FIFO", giveArgs: append([]string{"run", "--baseline", fifo}, app...), wantCode: 125, wantErr: fifo + ": not a regular file (a FIFO)"},
		{name: "verify: baseline from /dev/zero", giveArgs: []string{"verify", "--baseline", "/dev/zero"}, wantCode: 2, wantErr: "/dev/zero: not a regular file"},
		{name: "verify: baseline a FIFO", giveArgs: []string{"verify", "--baseline", fifo}, wantCode: 2, wantErr: fifo + ": not a regular file (a FIFO)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(started)
			code, stdout, stderr := runVigil(t, modes[1], nil, tt.giveArgs...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; output:\n%s%s", code, tt.wantCode, stdout, stderr)
			}
			if tt.wantErr != "" && (!strings.Contains(stderr, tt.wantErr) || strings.Count(stderr, "\n") != 1) {
				t.Errorf("stderr %q: want one line containing %q", stderr, tt.wantErr)
			}
			if _, err := os.Stat(started); tt.wantCode != 0 && err == nil {
				t.Errorf("the app was started despite the error")
			}
		})
	}
}
