//go:build e2e

package examples_test

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path"
	"strings"
	"testing"
)

// TestBaseImage checks Dockerfile.base: it builds without network (in
// testImages) and gives a scratch image whose entrypoint is vigil run, with
// a static vigil binary and /etc/vigil.
func TestBaseImage(t *testing.T) {
	t.Parallel()
	imgs := testImages(t)

	entrypoint := mustDocker(t, "image", "inspect", "--format", "{{json .Config.Entrypoint}}", imgs.base)
	if want := `["/usr/local/bin/vigil","run","--"]`; strings.TrimSpace(entrypoint) != want {
		t.Errorf("entrypoint = %s, want %s", strings.TrimSpace(entrypoint), want)
	}

	files := imageFiles(t, imgs.base)
	for _, tt := range []struct {
		path     string
		wantMode os.FileMode // bits that must be set
	}{
		{path: "usr/local/bin/vigil", wantMode: 0o111},
		{path: "etc/vigil", wantMode: os.ModeDir},
	} {
		h, ok := files[tt.path]
		if !ok {
			t.Errorf("/%s is missing from the image", tt.path)
			continue
		}
		if mode := h.FileInfo().Mode(); mode&tt.wantMode != tt.wantMode {
			t.Errorf("/%s has mode %v, want %v set", tt.path, mode, tt.wantMode)
		}
	}

	// The image has no libc: only a static binary runs.
	_, opts := newContainer(t)
	args := append(append([]string{"run"}, opts...), "--entrypoint", "/usr/local/bin/vigil", imgs.base, "version")
	if out := mustDocker(t, args...); !strings.HasPrefix(out, "vigil ") {
		t.Errorf("vigil version printed %q, want vigil VERSION", out)
	}
}

// imageFiles lists the files of image, by path without a leading or
// trailing slash, from the export of a container created from it.
func imageFiles(t *testing.T, image string) map[string]*tar.Header {
	t.Helper()
	name, opts := newContainer(t)
	mustDocker(t, append(append([]string{"create"}, opts...), image)...)
	files := make(map[string]*tar.Header)
	tr := tar.NewReader(strings.NewReader(mustDocker(t, "export", name)))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("reading docker export %s: %v", name, err)
		}
		files[path.Clean(h.Name)] = h
	}
}
