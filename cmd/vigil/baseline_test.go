package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

func TestBaselineVerify(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "image")
	base := filepath.Join(dir, "baseline")
	for _, f := range []string{"bin/app", "etc/app.conf", "var/cache/x", "lib/a.pyc"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runVigil(t, modes[1], nil, "baseline", "--out", base, "--exclude", "*.pyc", "--exclude", filepath.Join(root, "var/cache"), root)
	digest := strings.TrimSpace(stdout)
	if code != 0 || !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(digest) || !strings.Contains(stderr, "wrote "+base) {
		t.Fatalf("baseline: exit %d, stdout %q, stderr %q; want 0 and the digest", code, stdout, stderr)
	}
	verify := func(args ...string) (int, string, string) {
		t.Helper()
		return runVigil(t, modes[1], nil, append([]string{"verify", "--baseline", base}, args...)...)
	}
	if code, stdout, stderr := verify("--digest", digest); code != 0 || stdout != "" {
		t.Fatalf("verify, nothing changed: exit %d, stdout %q, stderr %q; want 0 and nothing", code, stdout, stderr)
	}
	// Excluded paths may change; the others may not.
	for f, content := range map[string]string{"var/cache/x": "changed", "lib/a.pyc": "changed", "etc/app.conf": "tampered"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "bin/dropper"), []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = verify()
	want := "added    " + root + "/bin/dropper\ncontent  " + root + "/etc/app.conf: "
	if code != 1 || !strings.HasPrefix(stdout, want) || strings.Count(stdout, "\n") != 2 {
		t.Errorf("verify after tampering: exit %d, stdout:\n%s\nwant 1 and two lines starting\n%s", code, stdout, want)
	}
	code, stdout, _ = verify("--json", filepath.Join(root, "etc"))
	var c struct{ Change, Path, Expected, Actual string }
	if err := json.Unmarshal([]byte(stdout), &c); code != 1 || err != nil || c.Change != "content" || c.Path != root+"/etc/app.conf" || !strings.HasPrefix(c.Actual, "sha256:") {
		t.Errorf("verify --json under etc: exit %d, %q (%v); want 1 and the content change alone", code, stdout, err)
	}
	// Exit 2: a baseline that is not the pinned one, a damaged one, a missing one, a bad flag.
	damaged := filepath.Join(dir, "damaged")
	b, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--digest", "sha256:" + strings.Repeat("0", 64)}, "not the baseline you pinned"},
		{[]string{"--baseline", damaged}, "corrupt baseline: truncated"},
		{[]string{"--baseline", filepath.Join(dir, "none")}, "no such file"},
		{[]string{"--no-such-flag"}, "unknown flag"},
	} {
		if code, stdout, stderr := verify(tt.args...); code != 2 || stdout != "" || !strings.Contains(stderr, tt.wantErr) {
			t.Errorf("verify %v: exit %d, stdout %q, stderr %q; want 2 saying %q", tt.args, code, stdout, stderr, tt.wantErr)
		}
	}
}

// TestRunWatchesBaseline: vigil run --baseline reports, as file events,
// every change the app makes to the baseline's files: a write, a file
// replaced by a rename over it, a chmod, a removal, a new file.
func TestRunWatchesBaseline(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			root := filepath.Join(dir, "image")
			base := filepath.Join(dir, "baseline")
			for _, f := range []string{"bin/tool", "etc/app.conf", "etc/cron", "lib/libx.so"} {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, f), []byte(f), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if code, _, stderr := runVigil(t, m, nil, "baseline", "--out", base, root); code != 0 {
				t.Fatalf("baseline: exit %d: %s", code, stderr)
			}
			script := strings.Join([]string{
				"cd " + root,
				"echo evil >> etc/app.conf",
				"printf x > lib/libx.so.new && mv lib/libx.so.new lib/libx.so",
				"chmod 4755 bin/tool",
				"rm etc/cron",
				"echo x > bin/dropper",
				"sleep 0.2",
			}, " && ")
			code, _, stderr := runVigil(t, m, nil, "run", "--log-level=warn", "--baseline", base, "--workload", "test", "--", "sh", "-c", script)
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			got := map[string]string{}
			for _, ev := range fileEvents(t, stderr) {
				got[ev.Change+" "+strings.TrimPrefix(ev.Path, root)] = ev.Severity
			}
			want := map[string]string{
				"content /etc/app.conf": "high",
				"content /lib/libx.so":  "high",
				"mode /lib/libx.so":     "medium", // the new file's 0644
				"mode /bin/tool":        "critical",
				"removed /etc/cron":     "medium",
				"added /bin/dropper":    "medium",
			}
			for k, sev := range want {
				if got[k] != sev {
					t.Errorf("event %q: severity %q, want %q", k, got[k], sev)
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok && k != "added /lib/libx.so.new" && k != "removed /lib/libx.so.new" {
					t.Errorf("unexpected event %q", k)
				}
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", stderr)
			}
		})
	}
}

type fileEvent struct {
	Path, Change, Severity string
}

// fileEvents decodes the file events among vigil's stderr lines.
func fileEvents(t *testing.T, stderr string) []fileEvent {
	t.Helper()
	var out []fileEvent
	for _, ev := range syscallEvents(t, stderr) {
		if ev.Kind != events.KindFile || ev.Rule != "files.baseline" || ev.Workload != "test" {
			continue
		}
		var d events.FileDetails
		if err := ev.DetailsAs(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, fileEvent{d.Path, d.Change, string(ev.Severity)})
	}
	return out
}

func TestRunBadBaseline(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "baseline")
	if err := os.WriteFile(bad, []byte("not a baseline"), 0o644); err != nil {
		t.Fatal(err)
	}
	started := filepath.Join(dir, "started")
	code, _, stderr := runVigil(t, modes[1], nil, "run", "--baseline", bad, "--", "touch", started)
	if code != 125 || !strings.Contains(stderr, bad+": corrupt baseline: not a gzip stream") {
		t.Errorf("exit %d, stderr %q; want 125 naming the baseline", code, stderr)
	}
	if _, err := os.Stat(started); err == nil {
		t.Errorf("the app started")
	}
}

// TestWatchLimitReported: when the inotify watches run out (here a user
// namespace allowed 3), the file watch says so, as a lifecycle event and
// a warning, rather than watching less in silence. The app lives until the
// event is out (at most 30 s): the watch is set up beside the app, and an
// app that ends first cuts it short.
func TestWatchLimitReported(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) not installed: it makes the user namespace with a low watch limit")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a", "b", "c", "d", "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "baseline")
	if code, _, stderr := runVigil(t, modes[1], nil, "baseline", "--out", base, dir); code != 0 {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	seen := filepath.Join(t.TempDir(), "seen")
	app := `i=0; while [ ! -e "$0" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done`
	cmd := exec.Command(unshare, "--user", "--map-root-user", "sh", "-c",
		`echo 3 > /proc/sys/user/max_inotify_watches && exec "$0" run --log-level=warn --baseline "$1" --workload test -- sh -c "$2" "$3"`,
		vigilBin, base, app, seen)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	found := false
	for line := range lines(out) {
		all.WriteString(line + "\n")
		for _, ev := range syscallEvents(t, line) {
			var d events.LifecycleDetails
			if !found && ev.Kind == events.KindLifecycle && ev.DetailsAs(&d) == nil && d.What == "degraded" &&
				d.Component == "filewatch" && strings.Contains(d.Error, "watch limit") {
				found = true
				if err := os.WriteFile(seen, nil, 0o644); err != nil {
					t.Error(err)
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("%v\n%s", err, all.String())
	}
	if !found {
		t.Errorf("no degraded filewatch event about the watch limit:\n%s", all.String())
	}
}

// TestBaselineTreesFromPolicy: with no PATH, vigil baseline records the
// policy's files.trees.
func TestBaselineTreesFromPolicy(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	for _, d := range []string{in, out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  trees: ["+in+"]\n")
	base := filepath.Join(t.TempDir(), "baseline")
	if code, _, stderr := runVigil(t, modes[1], nil, "baseline", "--policy", policy, "--out", base); code != 0 {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	// Something made outside the trees is not drift; inside it is.
	for _, f := range []string{filepath.Join(out, "x"), filepath.Join(in, "x")} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, _ := runVigil(t, modes[1], nil, "verify", "--baseline", base)
	if want := "added    " + filepath.Join(in, "x") + "\n"; code != 1 || stdout != want {
		t.Errorf("verify: exit %d, stdout %q; want 1, %q", code, stdout, want)
	}
}

// TestAddedSetuidIsCritical: a file added and then made setuid is
// reported again, critical.
func TestAddedSetuidIsCritical(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(t.TempDir(), "baseline")
	if code, _, stderr := runVigil(t, modes[1], nil, "baseline", "--out", base, dir); code != 0 {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	drop := filepath.Join(dir, "dropper")
	code, _, stderr := runVigil(t, modes[1], nil, "run", "--log-level=warn", "--baseline", base, "--workload", "test",
		"--", "sh", "-c", "echo x > "+drop+" && sleep 0.1 && chmod 4755 "+drop+" && sleep 0.1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sev []string
	for _, ev := range fileEvents(t, stderr) {
		if ev.Path == drop && ev.Change == "added" {
			sev = append(sev, ev.Severity)
		}
	}
	slices.Sort(sev) // the aggregator may flush them in either order
	if strings.Join(sev, " ") != "critical medium" {
		t.Errorf("added events of %s: severities %v, want [medium critical]; stderr:\n%s", drop, sev, stderr)
	}
	// The chmod that set the bit is also the pack's proc.setuid-bit alert:
	// reported as such, and still attributed, so the file event names it.
	evs := syscallEvents(t, stderr)
	chmod := ""
	for _, ev := range evs {
		if ev.Rule == "proc.setuid-bit" && ev.Process != nil {
			chmod = fmt.Sprintf("pid %d", ev.Process.PID)
		}
	}
	if chmod == "" {
		t.Fatalf("no proc.setuid-bit event with its process; stderr:\n%s", stderr)
	}
	for _, ev := range evs {
		var d events.FileDetails
		if ev.Kind != events.KindFile || ev.Severity != events.SeverityCritical || ev.DetailsAs(&d) != nil || d.Path != drop {
			continue
		}
		if d.By != chmod && !strings.HasPrefix(d.By, chmod+" ") {
			t.Errorf("the setuid file's event names %q, want the chmod that set the bit (%s)", d.By, chmod)
		}
	}
}

// TestRunDamagedBaseline: a baseline that starts right but is damaged
// further on is found beside the app (reading a large one in full would
// delay every start): the app runs, and a high-severity lifecycle event
// says its files are not watched.
func TestRunDamagedBaseline(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(t.TempDir(), "baseline")
	if code, _, stderr := runVigil(t, modes[1], nil, "baseline", "--out", base, dir); code != 0 {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base, b[:len(b)-12], 0o644); err != nil { // the gzip trailer and more
		t.Fatal(err)
	}
	code, stdout, stderr := runVigil(t, modes[1], nil, "run", "--log-level=warn", "--baseline", base, "--workload", "test",
		"--", "sh", "-c", "echo ran; sleep 0.1")
	if code != 0 || stdout != "ran\n" {
		t.Fatalf("exit %d, stdout %q; want 0 and the app run; stderr:\n%s", code, stdout, stderr)
	}
	found := false
	for _, ev := range syscallEvents(t, stderr) {
		var d events.LifecycleDetails
		if ev.Kind == events.KindLifecycle && ev.Severity == events.SeverityHigh && ev.DetailsAs(&d) == nil &&
			d.Path == base && strings.Contains(d.Error, "corrupt baseline") {
			found = true
		}
	}
	if !found {
		t.Errorf("no high lifecycle event about the damaged baseline; stderr:\n%s", stderr)
	}
}
