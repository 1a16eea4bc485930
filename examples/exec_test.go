//go:build e2e

package examples_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// execImage builds, on the example image, one with the fileless probe in
// /app, a world-writable /tmp, and its baseline taken again.
func execImage(t *testing.T, imgs images) string {
	t.Helper()
	probe := buildTestdata(t, "fileless")
	return derivedImage(t, imgs, "exec", map[string]string{"fileless": probe},
		"COPY fileless /app/fileless\nRUN mkdir -p /tmp && chmod 1777 /tmp")
}

// derivedImage builds vigil-e2e-NAME FROM the example image with steps
// (Dockerfile lines) and files (name in the context: path on the host)
// in its context, then its baseline taken again; removed with the others.
func derivedImage(t *testing.T, imgs images, name string, files map[string]string, steps string) string {
	t.Helper()
	image := "vigil-e2e-" + name + ":" + runID
	if slices.Contains(fixture.built, image) {
		return image // built for another test of this run: the same steps
	}
	dir := t.TempDir()
	for to, from := range files {
		if err := os.Rename(from, filepath.Join(dir, to)); err != nil {
			t.Fatal(err)
		}
	}
	dockerfile := "FROM " + imgs.hello + "\n" + steps + "\n" + `RUN ["/usr/local/bin/vigil", "baseline"]` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := docker("build", "--network=none", "--force-rm", "--tag", image, dir); err != nil {
		t.Fatalf("building %s: %v", image, err)
	}
	fixture.built = append(fixture.built, image)
	return image
}

// TestExecInDocker: in a plain docker run (Docker's default seccomp profile
// and capabilities), as root and as a non-root user, a binary dropped in
// /tmp and a payload run from a memfd or a deleted file are reported
// before they run, and refused under drift: deny; the image's own
// programs run unreported.
func TestExecInDocker(t *testing.T) {
	imgs := testImages(t)
	image := execImage(t, imgs)
	deny := writeProfile(t, "apiVersion: vigil.dev/v1\nkind: Policy\nexec:\n  drift: deny\n")
	script := "cp /bin/busybox /tmp/true; /tmp/true; echo dropped=$?; /bin/true; echo image=$?; /app/fileless /bin/busybox true"
	tests := []struct {
		name       string
		opts       []string
		wantStdout string
		wantAction events.Action
	}{
		{name: "root-alert", wantStdout: "dropped=0 image=0 memfd=0 deleted=0", wantAction: events.ActionAlert},
		{name: "root-deny", opts: mountOpts(t, deny, "/etc/vigil/policy.yaml"),
			wantStdout: "dropped=126 image=0 memfd=denied deleted=denied", wantAction: events.ActionDeny},
		{name: "user-deny", opts: append(mountOpts(t, deny, "/etc/vigil/policy.yaml"), "--user", "1000:1000"),
			wantStdout: "dropped=126 image=0 memfd=denied deleted=denied", wantAction: events.ActionDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]string{"--env", "VIGIL_WORKLOAD=e2e", "--env", "VIGIL_LOG_LEVEL=warn"}, tt.opts...)
			code, stdout, stderr := runSeccomp(t, image, opts, "sh", "-c", script)
			if got := strings.Join(strings.Fields(stdout), " "); code != 0 || got != tt.wantStdout {
				t.Fatalf("exit %d, stdout %q; want 0 and %q\nstderr:\n%s", code, got, tt.wantStdout, stderr)
			}
			var got []string
			for _, line := range strings.Split(stderr, "\n") {
				// The rule pack's own exec rules (exec from /tmp) are
				// TestPackInDocker's.
				if !strings.Contains(line, `"kind":"exec"`) || !strings.Contains(line, `"rule":"exec.`) {
					continue
				}
				// The app shares the container's stderr: a message it
				// writes in pieces ("sh: " then the path, busybox) can
				// have vigil's whole line in its middle.
				if i := strings.Index(line, `{"schema"`); i > 0 {
					line = line[i:]
				}
				ev, err := events.Decode([]byte(line))
				if err != nil {
					t.Fatalf("an event that does not decode: %v\n%s", err, line)
				}
				d, err := ev.Exec()
				if err != nil || ev.Action != tt.wantAction || ev.Process == nil {
					t.Errorf("want an exec event with action %s and its process (%v):\n%s", tt.wantAction, err, line)
				}
				got = append(got, ev.Rule+" "+d.Fileless+" "+d.Baseline)
				// Read from the caller while its exec was held: its memory
				// (process_vm_readv, or /proc/PID/mem as its owner when
				// vigil lacks CAP_SYS_PTRACE) and its /proc links.
				if ev.Process != nil && (len(d.Argv) == 0 || ev.Process.Exe == "" || len(ev.Process.Argv) == 0) {
					t.Errorf("%s: argv %q, caller exe %q, caller argv %q: want all three read\n%s", ev.Rule, d.Argv, ev.Process.Exe, ev.Process.Argv, line)
				}
			}
			want := []string{"exec.drift  absent", "exec.fileless memfd absent", "exec.fileless deleted absent"}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("exec events %q, want %q\nstderr:\n%s", got, want, stderr)
			}
		})
	}
}
