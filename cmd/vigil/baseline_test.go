package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
