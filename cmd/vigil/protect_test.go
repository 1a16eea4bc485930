package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// TestProtectEnforce: with files.protect: enforce, the policy's paths are
// read-only for the app (writes, new files, removals and renames into
// them fail with EACCES) and vigil's own files (the policy, the baseline)
// are unreadable to it, with Landlock; the rest of the file system is as
// it was. Run as Docker would: PID 1 with Docker's capabilities.
func TestProtectEnforce(t *testing.T) {
	dir := t.TempDir()
	ro, rw := filepath.Join(dir, "app"), filepath.Join(dir, "data")
	for _, d := range []string{filepath.Join(ro, "sub"), rw} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(ro, "conf"), []byte("original\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "baseline")
	if code, _, stderr := runVigil(t, modes[1], nil, "baseline", "--out", base, ro); code != 0 {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  protect: enforce\n  paths: ["+ro+"]\n")
	try := func(name, cmd string) string {
		return cmd + " 2>/dev/null && echo " + name + "=ok || echo " + name + "=denied"
	}
	script := strings.Join([]string{
		try("write", "echo x > "+ro+"/conf"),
		try("create", "echo x > "+ro+"/sub/new"),
		try("remove", "rm "+ro+"/conf"),
		try("rename-in", "echo x > "+rw+"/f && mv "+rw+"/f "+ro+"/sub/f"),
		try("read", "cat "+ro+"/conf >/dev/null"),
		try("write-elsewhere", "echo x > "+rw+"/g"),
		try("read-policy", "cat "+policy+" >/dev/null"),
		try("read-baseline", "cat "+base+" >/dev/null"),
	}, "; ")
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			code, stdout, stderr := runVigil(t, m, dockerCaps, "run", "--log-level=warn", "--policy", policy, "--baseline", base, "--", "sh", "-c", script)
			want := "write=denied\ncreate=denied\nremove=denied\nrename-in=denied\nread=ok\nwrite-elsewhere=ok\nread-policy=denied\nread-baseline=denied\n"
			if code != 0 || stdout != want {
				t.Fatalf("exit %d, stdout:\n%s\nwant 0 and\n%s\nstderr:\n%s", code, stdout, want, stderr)
			}
			if b, err := os.ReadFile(filepath.Join(ro, "conf")); err != nil || string(b) != "original\n" {
				t.Errorf("the protected file: %q, %v", b, err)
			}
		})
	}
}

// TestSensitiveReads: files.sensitive files are reported each time the
// app opens one (rule files.sensitive), without a baseline; with enforce,
// the app cannot read them at all.
func TestSensitiveReads(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "token")
	if err := os.WriteFile(secret, []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		protect, wantStdout string
		wantEvents          int
	}{
		{protect: "detect", wantStdout: "s3cr3t", wantEvents: 1},
		{protect: "enforce", wantStdout: "denied", wantEvents: 0},
	} {
		t.Run(tt.protect, func(t *testing.T) {
			policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  protect: "+tt.protect+
				"\n  paths: ["+filepath.Join(dir, "none")+"]\n  sensitive: ["+secret+"]\n")
			code, stdout, stderr := runVigil(t, modes[1], nil, "run", "--log-level=warn", "--baseline", "off",
				"--policy", policy, "--workload", "test", "--", "sh", "-c", "cat "+secret+" 2>/dev/null || echo denied; sleep 0.1")
			if code != 0 || strings.TrimSpace(stdout) != tt.wantStdout {
				t.Fatalf("exit %d, stdout %q; want 0, %q; stderr:\n%s", code, stdout, tt.wantStdout, stderr)
			}
			n := 0
			for _, ev := range syscallEvents(t, stderr) {
				var d events.FileDetails
				if ev.Rule == "files.sensitive" && ev.DetailsAs(&d) == nil && d.Path == secret && d.Change == "opened" {
					n++
				}
			}
			if n != tt.wantEvents {
				t.Errorf("%d files.sensitive events for %s, want %d; stderr:\n%s", n, secret, tt.wantEvents, stderr)
			}
		})
	}
}

// TestProtectWithoutLandlock: on a kernel without Landlock (the helper
// makes the landlock calls fail with ENOSYS), files.protect: enforce
// cannot be applied: vigil says so in a lifecycle event and a warning,
// and starts the app, whose protected paths stay writable.
func TestProtectWithoutLandlock(t *testing.T) {
	dir := t.TempDir()
	policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  protect: enforce\n  paths: ["+dir+"]\n")
	code, stdout, stderr := runVigil(t, modes[0], []string{"PID1_NO_LANDLOCK=1"}, "run", "--log-level=warn", "--baseline", "off",
		"--policy", policy, "--workload", "test", "--", "sh", "-c", "echo x > "+dir+"/f && echo written")
	if code != 0 || stdout != "written\n" {
		t.Fatalf("exit %d, stdout %q; want 0 and the write done; stderr:\n%s", code, stdout, stderr)
	}
	found := false
	for _, ev := range syscallEvents(t, stderr) {
		var d events.LifecycleDetails
		if ev.Kind == events.KindLifecycle && ev.DetailsAs(&d) == nil && d.What == "degraded" && d.Component == "landlock" {
			found = true
		}
	}
	if !found || !strings.Contains(stderr, "enforce is off") {
		t.Errorf("no degraded landlock event and warning; stderr:\n%s", stderr)
	}
}

// TestFileEventsNameTheWriter: where the app runs under vigil's filter
// anyway (here Docker's profile, or Landlock), the calls that change files
// are watched: a file event names the process that made the change, and a
// change Landlock refuses is reported at once as denied, with its process.
func TestFileEventsNameTheWriter(t *testing.T) {
	dir := t.TempDir()
	ro, rw := filepath.Join(dir, "app"), filepath.Join(dir, "data")
	for _, d := range []string{ro, rw} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "conf"), []byte("original\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := filepath.Join(dir, "baseline")
	if code, _, stderr := runVigil(t, modes[1], nil, "baseline", "--out", base, dir); code != 0 {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nseccomp:\n  profile: docker-default\nfiles:\n  protect: enforce\n  paths: ["+ro+"]\n")
	script := "cd " + dir + " && echo evil >> data/conf && (echo evil >> app/conf) 2>/dev/null; rm app/conf 2>/dev/null; sleep 0.2"
	code, _, stderr := runVigil(t, modes[0], dockerCaps, "run", "--log-level=warn", "--policy", policy, "--baseline", base,
		"--workload", "test", "--", "sh", "-c", script)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	got := map[string]string{}
	for _, ev := range syscallEvents(t, stderr) {
		var d events.FileDetails
		if ev.Kind != events.KindFile || ev.DetailsAs(&d) != nil {
			continue
		}
		who := "nobody"
		if ev.Process != nil {
			who = filepath.Base(ev.Process.Exe)
		}
		// A write made before the tree watch is up is found by the first
		// comparison ("modified"), its writer named all the same.
		op := strings.Replace(d.Op, "modified", "write", 1)
		got[ev.Rule+" "+d.Change+" "+op+" "+strings.TrimPrefix(d.Path, dir)] = string(ev.Action) + " " + who + " " + d.By
	}
	for key, wantPrefix := range map[string]string{
		"files.baseline content write /data/conf": "alert dash pid ",
		"files.protect denied write /app/conf":    "deny dash pid ",
		"files.protect denied remove /app/conf":   "deny rm pid ",
	} {
		if !strings.HasPrefix(got[key], wantPrefix) {
			t.Errorf("%s: %q, want %q…", key, got[key], wantPrefix)
		}
	}
	if t.Failed() {
		t.Logf("events: %v\nstderr:\n%s", got, stderr)
	}
}

// TestBusSecretsHiddenFromApp: the app never sees the VIGIL_NATS*
// variables, and with files.protect: enforce it can neither read the
// bus's credentials nor read or write the outbox, even as root.
func TestBusSecretsHiddenFromApp(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "guard.creds")
	if err := os.WriteFile(creds, []byte("-----BEGIN NATS USER JWT-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outbox := filepath.Join(dir, "outbox")
	script := "env | grep -q '^VIGIL_NATS' && echo env=leaked || echo env=clean; " +
		"cat " + creds + " >/dev/null 2>&1 && echo creds=read || echo creds=denied; " +
		"cat " + outbox + "/cursor >/dev/null 2>&1 && echo outbox-read=ok || echo outbox-read=denied; " +
		"echo x 2>/dev/null >" + outbox + "/cursor && echo outbox-write=ok || echo outbox-write=denied"
	env := []string{"VIGIL_NATS_URL=nats://127.0.0.1:1", "VIGIL_NATS_CREDS=" + creds, "VIGIL_NATS_PASSWORD=unused"}
	for _, tt := range []struct {
		protect, want string
	}{
		{"detect", "env=clean\ncreds=read\noutbox-read=ok\noutbox-write=ok\n"},
		{"enforce", "env=clean\ncreds=denied\noutbox-read=denied\noutbox-write=denied\n"},
	} {
		t.Run(tt.protect, func(t *testing.T) {
			policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  protect: "+tt.protect+
				"\n  paths: ["+filepath.Join(dir, "none")+"]\n")
			// VIGIL_NATS_PASSWORD with creds is two ways to authenticate:
			// only the variables' presence matters here, so drop it.
			code, stdout, stderr := runVigil(t, modes[0], append(dockerCaps, env[:2]...), "run", "--log-level=error", "--grace=1s", "--baseline", "off",
				"--policy", policy, "--outbox", outbox, "--workload", "test", "--", "sh", "-c", script)
			if code != 0 || stdout != tt.want {
				t.Fatalf("exit %d, stdout:\n%s\nwant 0 and\n%s\nstderr:\n%s", code, stdout, tt.want, stderr)
			}
		})
	}
}

// TestSensitiveReadLate: a read of a sensitive file soon after the start
// is files.sensitive (a server reading its secrets as it starts); one past
// --sensitive-late is files.sensitive-late.
func TestSensitiveReadLate(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secret, []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  sensitive: ["+secret+"]\n")
	code, _, stderr := runVigil(t, modes[1], nil, "run", "--log-level=warn", "--baseline", "off", "--sensitive-late", "1s",
		"--policy", policy, "--workload", "test", "--", "sh", "-c", "cat "+secret+" >/dev/null; sleep 1.5; cat "+secret+" >/dev/null; sleep 0.2")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var rules []string
	for _, ev := range syscallEvents(t, stderr) {
		if ev.Kind == events.KindFile {
			rules = append(rules, ev.Rule)
		}
	}
	if strings.Join(rules, " ") != "files.sensitive files.sensitive-late" {
		t.Errorf("file events %q, want files.sensitive then files.sensitive-late\nstderr:\n%s", rules, stderr)
	}
}
