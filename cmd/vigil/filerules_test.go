package main_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// TestFileRules: the default pack's rules on file calls report a log under
// /var/log emptied (files.log-clearing) and a link made to a sensitive file
// (files.link-sensitive), symbolic or hard, attempted or made, naming the
// process; ordinary truncations and links are not reported.
func TestFileRules(t *testing.T) {
	bb := busybox(t)
	dir := t.TempDir()
	logFile, err := os.CreateTemp("/var/log", "vigil-test-*.log")
	if err != nil {
		t.Skipf("cannot make a log under /var/log: %v", err)
	}
	logFile.WriteString("evidence\n")
	logFile.Close()
	t.Cleanup(func() { os.Remove(logFile.Name()) })
	script := strings.Join([]string{
		": > " + logFile.Name(),
		"echo x > " + dir + "/not-a-log",
		"ln -s /etc/shadow " + dir + "/shadow-link",
		"ln /etc/passwd " + dir + "/passwd-link 2>/dev/null",
		"ln -s " + dir + "/not-a-log " + dir + "/ordinary-link",
		"echo done",
	}, "; ")
	off := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nrules:\n  disable: [files.log-clearing]\n")
	tests := []struct {
		name string
		mode mode
		args []string
		// wantLog: the truncated log is reported (its rule is on).
		wantLog bool
	}{
		{name: "pid1", mode: modes[0], wantLog: true},
		{name: "subreaper", mode: modes[1], wantLog: true},
		{name: "log-clearing-disabled", mode: modes[0], args: []string{"--policy", off}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(dir + "/shadow-link")
			os.Remove(dir + "/passwd-link")
			os.Remove(dir + "/ordinary-link")
			args := append(append([]string{"run", "--log-level=warn", "--workload", "test"}, tt.args...), "--", bb, "sh", "-c", script)
			code, stdout, stderr := runVigil(t, tt.mode, dockerCaps, args...)
			if code != 0 || strings.TrimSpace(stdout) != "done" {
				t.Fatalf("exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
			}
			var got []string
			for _, ev := range syscallEvents(t, stderr) {
				if ev.Kind != events.KindFile {
					continue
				}
				var d events.FileDetails
				if err := ev.DetailsAs(&d); err != nil {
					t.Fatal(err)
				}
				if ev.Process == nil || !strings.Contains(d.By, "pid ") {
					t.Errorf("%s: want the process that made the call: %+v", ev.Rule, d)
				}
				got = append(got, ev.Rule+" "+d.Path)
			}
			want := []string{
				"files.link-sensitive " + filepath.Join(dir, "shadow-link"),
				"files.link-sensitive " + filepath.Join(dir, "passwd-link"),
			}
			if tt.wantLog {
				want = append(want, "files.log-clearing "+logFile.Name())
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("file events %q, want %q\nstderr:\n%s", got, want, stderr)
			}
		})
	}
}

// TestFileTraversal: with files.traversal enabled, an open whose path goes
// through ".." to a sensitive file is reported with the path as named and
// the process; a direct open of it, and ".." to an ordinary file, are not.
// Without the policy's rules.enable, nothing is held or reported.
func TestFileTraversal(t *testing.T) {
	bb := busybox(t)
	script := strings.Join([]string{
		"cd /tmp",
		"cat ../etc/shadow > /dev/null",
		"cat /tmp/../etc/passwd > /dev/null",
		"cat /etc/passwd > /dev/null",
		"cat ../etc/hostname > /dev/null",
		"echo done",
	}, "; ")
	on := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nrules:\n  enable: [files.traversal]\n")
	tests := []struct {
		name string
		args []string
		want []string // rule, path, requested
	}{
		{name: "enabled", args: []string{"--policy", on}, want: []string{
			"files.traversal /etc/passwd /tmp/../etc/passwd",
			"files.traversal /etc/shadow ../etc/shadow",
		}},
		{name: "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--log-level=warn", "--workload", "test"}, tt.args...), "--", bb, "sh", "-c", script)
			code, stdout, stderr := runVigil(t, modes[0], dockerCaps, args...)
			if code != 0 || strings.TrimSpace(stdout) != "done" {
				t.Fatalf("exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
			}
			var got []string
			for _, ev := range syscallEvents(t, stderr) {
				if ev.Rule != "files.traversal" {
					continue
				}
				var d events.FileDetails
				if err := ev.DetailsAs(&d); err != nil {
					t.Fatal(err)
				}
				if ev.Process == nil || len(ev.Process.Argv) == 0 || ev.Process.Argv[0] != "cat" {
					t.Errorf("want the cat that opened it as the process: %+v", ev.Process)
				}
				got = append(got, ev.Rule+" "+d.Path+" "+d.Requested)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("traversal events %q, want %q\nstderr:\n%s", got, tt.want, stderr)
			}
		})
	}
}
