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
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			os.Remove(dir + "/shadow-link")
			os.Remove(dir + "/passwd-link")
			os.Remove(dir + "/ordinary-link")
			code, stdout, stderr := runVigil(t, m, dockerCaps, "run", "--log-level=warn", "--workload", "test", "--", bb, "sh", "-c", script)
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
				"files.log-clearing " + logFile.Name(),
				"files.link-sensitive " + filepath.Join(dir, "shadow-link"),
				"files.link-sensitive " + filepath.Join(dir, "passwd-link"),
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("file events %q, want %q\nstderr:\n%s", got, want, stderr)
			}
		})
	}
}
