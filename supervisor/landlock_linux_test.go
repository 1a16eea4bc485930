package supervisor

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/landlock-lsm/go-landlock/landlock"
)

func TestGrant(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"app/lib", "data", "etc/vigil"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"etc/passwd", "etc/vigil/baseline", "etc/vigil/other", "top"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink out of the protected tree must not carry rights into it.
	if err := os.Symlink("app", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	p := func(s string) string { return filepath.Join(dir, s) }
	grants := map[string]landlock.AccessFSSet{}
	grant(grants, dir, []string{p("app"), p("etc/vigil/baseline")}, writeDirRights)
	grant(grants, dir, []string{p("etc/vigil/baseline")}, readRights)
	want := map[string]landlock.AccessFSSet{
		p("data"):            writeDirRights | readRights,
		p("top"):             writeFileRights | readRights,
		p("etc/passwd"):      writeFileRights | readRights,
		p("etc/vigil/other"): writeFileRights | readRights,
		p("app"):             readRights,
	}
	if len(grants) != len(want) {
		t.Errorf("grants %v, want %v", grants, want)
	}
	for path, rights := range want {
		if grants[path] != rights {
			t.Errorf("%s: %v, want %v", path, grants[path], rights)
		}
	}
}

// TestGrantThroughSymlink: a protected path named through a symlink is
// protected by its real path too.
func TestGrantThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "run", "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../run", filepath.Join(dir, "var", "run")); err != nil {
		t.Fatal(err)
	}
	except := withRealPaths([]string{filepath.Join(dir, "var", "run", "demo")})
	grants := map[string]landlock.AccessFSSet{}
	grant(grants, dir, except, writeDirRights)
	if _, ok := grants[filepath.Join(dir, "run")]; ok {
		t.Errorf("%s granted whole, with %s protected through a symlink: %v", filepath.Join(dir, "run"), except[0], grants)
	}
	if _, ok := grants[filepath.Join(dir, "run", "demo")]; ok {
		t.Errorf("the protected directory granted: %v", grants)
	}
}

func TestRealPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("run", filepath.Join(dir, "varrun")); err != nil {
		t.Fatal(err)
	}
	for give, want := range map[string]string{
		filepath.Join(dir, "varrun"):             filepath.Join(dir, "run"),
		filepath.Join(dir, "varrun", "app", "x"): filepath.Join(dir, "run", "app", "x"), // not there yet
		filepath.Join(dir, "run"):                filepath.Join(dir, "run"),
	} {
		if got := realPath(give); got != want {
			t.Errorf("realPath(%s) = %s, want %s", give, got, want)
		}
	}
}
