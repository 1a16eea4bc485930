package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLearn learns a workload, runs the same workload under the learned
// policy without a single violation, and sees a syscall outside it denied
// and reported.
func TestLearn(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "learned")
	workload := "ls / >/dev/null; cat /etc/hostname >/dev/null; mkdir " + dir + "/d && rmdir " + dir + "/d; echo ok"
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			code, stdout, stderr := runVigil(t, m, nil, "learn", "--log-level=warn", "--out", prefix, "--", "sh", "-c", workload)
			if code != 0 || stdout != "ok\n" || !strings.Contains(stderr, "wrote "+prefix+".json") {
				t.Fatalf("learn: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
			for _, f := range []string{prefix + ".json", prefix + ".yaml"} {
				if _, err := os.Stat(f); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr = runVigil(t, m, nil, "run", "--log-level=warn", "--policy", prefix+".yaml", "--", "sh", "-c", workload)
			if code != 0 || stdout != "ok\n" || len(syscallEvents(t, stderr)) != 0 {
				t.Fatalf("the learned workload: exit %d, stdout %q, events in stderr:\n%s", code, stdout, stderr)
			}
			code, stdout, stderr = runVigil(t, m, nil, "run", "--log-level=warn", "--seccomp-profile", prefix+".json", "--",
				"sh", "-c", workload+"; unshare -U true 2>/dev/null; echo rc=$?")
			evs := syscallEvents(t, stderr)
			if code != 0 || stdout != "ok\nrc=1\n" || len(evs) == 0 {
				t.Fatalf("outside the learned profile: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
			for _, ev := range evs {
				if ev.Action != "deny" {
					t.Errorf("event %+v: want deny", ev)
				}
			}
		})
	}
}
