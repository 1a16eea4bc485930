package main_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// execImage is a small image for the exec tests: a copy of busybox as its
// shell, a program the baseline records, one changed in place after the
// baseline was taken, an empty directory where a binary is dropped later,
// and the baseline of it all (with the test binary's directory, which
// plays the fileless attacker).
type execImage struct {
	img, drop, baseline string
}

func newExecImage(t *testing.T) execImage {
	t.Helper()
	root := t.TempDir()
	x := execImage{img: filepath.Join(root, "img"), drop: filepath.Join(root, "drop"), baseline: filepath.Join(root, "baseline")}
	for _, d := range []string{x.drop, filepath.Join(x.img, "ok"), filepath.Join(x.img, "changed")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb, err := os.ReadFile(busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	// Named after an applet: busybox runs the one its argv[0] names.
	for _, name := range []string{"busybox", "ok/true", "changed/true"} {
		if err := os.WriteFile(filepath.Join(x.img, name), bb, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	roots := []string{x.img, x.drop, filepath.Dir(self)}
	// The test binary may be linked dynamically: the kernel executes its
	// loader too.
	if ld, err := filepath.EvalSymlinks("/lib64/ld-linux-x86-64.so.2"); err == nil {
		roots = append(roots, ld)
	}
	if code, _, stderr := runVigil(t, modes[1], nil, append([]string{"baseline", "--out", x.baseline}, roots...)...); code != 0 {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	// Changed in place: the same inode, which Landlock's grant follows.
	f, err := os.OpenFile(filepath.Join(x.img, "changed/true"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	f.Close()
	return x
}

func busybox(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/busybox", "/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("no busybox (Debian's busybox-static): the exec tests need a static shell")
	return ""
}

// TestExecDrift: every exec of the app's processes is judged against the
// baseline before it runs. A dropped binary, a program changed in place
// and fileless programs (a memfd, a deleted file) are reported, with what
// the caller ran and its ancestry; the baseline's own programs are not.
// Under drift: deny they are refused too, the memfd and the dropped binary
// by the kernel (Landlock, no-exec memfds).
func TestExecDrift(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		mode       mode
		givePolicy string // the exec section, "" for no policy
		giveFlags  []string
		wantStdout string
		// wantNone: no exec events at all (the watch is off).
		wantNone   bool
		wantAction events.Action
	}{
		{name: "alert-by-default", mode: modes[0], wantStdout: "dropped=0 tool=0 changed=0 memfd=0 deleted=0", wantAction: events.ActionAlert},
		{name: "alert-subreaper", mode: modes[1], wantStdout: "dropped=0 tool=0 changed=0 memfd=0 deleted=0", wantAction: events.ActionAlert},
		{name: "deny", mode: modes[0], givePolicy: "exec:\n  drift: deny\n",
			wantStdout: "dropped=126 tool=0 changed=126 memfd=denied deleted=denied", wantAction: events.ActionDeny},
		// The kernel alone, with no notification to answer or report: the
		// dropped binary and the deleted file are refused by Landlock; a
		// memfd is not (only vigil's no-exec memfds keep it from running),
		// nor a file changed in place (only the notification sees it).
		{name: "deny-kernel-only", mode: modes[0], givePolicy: "exec:\n  drift: deny\n", giveFlags: []string{"--exec-watch=false"},
			wantStdout: "dropped=126 tool=0 changed=0 memfd=0 deleted=denied", wantNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExecImage(t)
			bb := busybox(t)
			script := strings.Join([]string{
				"cp " + bb + " " + x.drop + "/true",
				x.drop + "/true 2>/dev/null; echo dropped=$?",
				x.img + "/ok/true; echo tool=$?",
				x.img + "/changed/true 2>/dev/null; echo changed=$?",
				"VIGILTEST_ROLE=fileless " + self + " " + bb + " true",
			}, "; ")
			// The image is under /tmp: the rule pack (TestPack*) would
			// report every exec of it too.
			args := append([]string{"run", "--log-level=warn", "--rules=off", "--baseline", x.baseline, "--workload", "test"}, tt.giveFlags...)
			if tt.givePolicy != "" {
				args = append(args, "--policy", writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\n"+tt.givePolicy))
			}
			args = append(args, "--", x.img+"/busybox", "sh", "-c", script)
			code, stdout, stderr := runVigil(t, tt.mode, dockerCaps, args...)
			if got := strings.Join(strings.Fields(stdout), " "); code != 0 || got != tt.wantStdout {
				t.Fatalf("exit %d, stdout %q; want 0, %q; stderr:\n%s", code, got, tt.wantStdout, stderr)
			}
			type want struct{ rule, path, baseline, fileless string }
			wants := []want{
				{"exec.drift", x.drop + "/true", "absent", ""},
				{"exec.drift", x.img + "/changed/true", "changed", ""},
				{"exec.fileless", "/memfd:payload (deleted)", "absent", "memfd"},
				{"exec.fileless", "", "absent", "deleted"},
			}
			var got []want
			for _, ev := range syscallEvents(t, stderr) {
				if ev.Kind != events.KindExec {
					continue
				}
				d, err := ev.Exec()
				if err != nil {
					t.Fatal(err)
				}
				w := want{ev.Rule, d.Path, d.Baseline, d.Fileless}
				if d.Fileless == "deleted" {
					w.path = "" // a temporary name
				}
				got = append(got, w)
				if ev.Action != tt.wantAction || (ev.Rule == "exec.fileless") != (ev.Severity == events.SeverityCritical) {
					t.Errorf("%s %s: action %s, severity %s; want %s, critical for fileless", ev.Rule, d.Path, ev.Action, ev.Severity, tt.wantAction)
				}
				if ev.Process == nil || len(d.Argv) == 0 || len(ev.Process.Ancestry) == 0 {
					t.Errorf("%s %s: want the caller, its ancestry and the new argv: process %+v, argv %q", ev.Rule, d.Path, ev.Process, d.Argv)
				}
			}
			if tt.wantNone {
				wants = nil
			}
			for _, w := range wants {
				if !slices.Contains(got, w) {
					t.Errorf("no event %+v; exec events: %+v\nstderr:\n%s", w, got, stderr)
				}
			}
			if len(got) != len(wants) {
				t.Errorf("%d exec events, want %d (none for the baseline's programs): %+v", len(got), len(wants), got)
			}
		})
	}
}
