package procwatch

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPathsFollowChanges: a path whose symlink now leads to another file
// gets that file's real path, not the one kept.
func TestPathsFollowChanges(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, b, link := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "link")
	for _, f := range []string{a, b} {
		if err := os.WriteFile(f, []byte(f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var c paths
	steps := []struct {
		name     string
		giveLink string // the link's target before the step, "" to leave it
		want     string
	}{
		{name: "first", giveLink: a, want: a},
		{name: "kept", want: a},
		{name: "link changed", giveLink: b, want: b},
		{name: "changed back", giveLink: a, want: a},
	}
	for _, s := range steps {
		if s.giveLink != "" {
			os.Remove(link)
			if err := os.Symlink(s.giveLink, link); err != nil {
				t.Fatal(err)
			}
		}
		real, st, err := c.resolve(link)
		if err != nil || real != s.want || st.Size != int64(len(s.want)) {
			t.Errorf("%s: resolve = %q (size %d), %v; want %q", s.name, real, st.Size, err, s.want)
		}
	}
	if _, _, err := c.resolve(filepath.Join(dir, "missing")); err == nil {
		t.Error("resolve of a missing file: no error")
	}
}
