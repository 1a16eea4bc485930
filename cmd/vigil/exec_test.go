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
// the fileless probe (examples/testdata/fileless), and the baseline of it
// all.
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
	probe, err := os.ReadFile(filelessBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(x.img, "fileless"), probe, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runVigil(t, modes[1], nil, "baseline", "--out", x.baseline, x.img, x.drop); code != 0 {
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
				x.img + "/fileless " + bb + " true",
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

// TestExecPolicyRules: the policy's exec rules judge every exec before it
// runs, a multi-call binary by the applet its argv[0] names: a deny rule
// refuses (EACCES, exit 126 from the shell) and reports with the rule's
// name, an alert rule reports and lets it run, an allow rule silences the
// default, and the default (alert here) reports the rest.
func TestExecPolicyRules(t *testing.T) {
	bb := busybox(t)
	dir := t.TempDir()
	for _, applet := range []string{"nc", "id", "true"} {
		if err := os.Symlink(bb, filepath.Join(dir, applet)); err != nil {
			t.Fatal(err)
		}
	}
	policy := writeFile(t, "policy.yaml", `apiVersion: vigil.dev/v1
kind: Policy
exec:
  default: alert
  deny:
    - name: no-netcat-exec
      program: [nc, ncat]
      args: ["-e*"]
  allow:
    - name: tools
      program: ["true", sh]
    - name: quiet-nc
      program: [nc]
  `+"\n")
	script := strings.Join([]string{
		dir + "/nc -e /bin/sh 127.0.0.1 1 2>/dev/null; echo nc-e=$?",
		dir + "/nc -w 1 127.0.0.1 1 2>/dev/null </dev/null; echo nc=$?",
		dir + "/true; echo true=$?",
		dir + "/id >/dev/null; echo id=$?",
	}, "; ")
	code, stdout, stderr := runVigil(t, modes[0], dockerCaps, "run", "--log-level=warn", "--rules=off", "--baseline", "off", "--policy", policy, "--workload", "test", "--", bb, "sh", "-c", script)
	if got := strings.Join(strings.Fields(stdout), " "); code != 0 || got != "nc-e=126 nc=1 true=0 id=0" {
		t.Fatalf("exit %d, stdout %q; want nc -e refused (126), the others run\nstderr:\n%s", code, got, stderr)
	}
	var got []string
	for _, ev := range syscallEvents(t, stderr) {
		if ev.Kind != events.KindExec {
			continue
		}
		d, err := ev.Exec()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Rule+" "+string(ev.Action)+" "+filepath.Base(d.Argv[0]))
	}
	want := []string{"no-netcat-exec deny nc", "exec.default alert id"}
	if !slices.Equal(got, want) {
		t.Errorf("exec events %q, want %q\nstderr:\n%s", got, want, stderr)
	}
}

// TestExecLoader: the dynamic loader asked to run a file (which the
// kernel's execute checks never see) is reported: exec.loader, with the
// file.
func TestExecLoader(t *testing.T) {
	ld, err := filepath.EvalSymlinks("/lib64/ld-linux-x86-64.so.2")
	if err != nil {
		t.Skip("no glibc loader at /lib64/ld-linux-x86-64.so.2 (not x86_64 glibc)")
	}
	code, _, stderr := runVigil(t, modes[1], nil, "run", "--log-level=warn", "--baseline", "off", "--", "sh", "-c", ld+" /usr/bin/true; true")
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	var loaded []string
	for _, ev := range syscallEvents(t, stderr) {
		if d, err := ev.Exec(); err == nil && ev.Rule == "exec.loader" {
			loaded = append(loaded, d.Loaded)
		}
	}
	if !slices.Equal(loaded, []string{"/usr/bin/true"}) {
		t.Errorf("exec.loader events for %q, want one for /usr/bin/true\nstderr:\n%s", loaded, stderr)
	}
}
