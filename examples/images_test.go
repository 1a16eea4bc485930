//go:build e2e

package examples_test

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the build context of Dockerfile.base; tests run in examples/.
const repoRoot = ".."

// images are the images the tests run, built once per test binary.
type images struct {
	busybox string // a shell for the example, imported from the host's static busybox
	base    string // Dockerfile.base
	hello   string // examples/hello, FROM base
}

var fixture struct {
	once  sync.Once
	imgs  images
	err   error
	built []string // every image name tagged, in build order, for removeImages
}

// testImages builds the images on first use and returns them; a failed
// build fails every test that needs it, with docker's output.
func testImages(t *testing.T) images {
	t.Helper()
	p := requireDocker(t)
	fixture.once.Do(func() { fixture.imgs, fixture.err = buildImages(t, p) })
	if fixture.err != nil {
		t.Fatalf("building the test images: %v", fixture.err)
	}
	return fixture.imgs
}

func buildImages(t *testing.T, p platform) (images, error) {
	imgs := images{
		busybox: "vigil-e2e-busybox:" + runID,
		base:    "vigil-e2e-base:" + runID,
		hello:   "vigil-e2e-hello:" + runID,
	}
	steps := []struct {
		what  string
		image string // the image tagged, if any
		build func() error
	}{
		{what: "bin/vigil", build: func() error { return buildVigil(p) }},
		{what: "busybox image", image: imgs.busybox, build: func() error { return importBusybox(imgs.busybox) }},
		{what: "base image", image: imgs.base, build: func() error { return buildBase(imgs.base) }},
		{what: "example image", image: imgs.hello, build: func() error { return buildHello(imgs.hello, imgs.base, imgs.busybox) }},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.build(); err != nil {
			return images{}, err
		}
		if s.image != "" {
			fixture.built = append(fixture.built, s.image)
		}
		t.Logf("built the %s in %v", s.what, time.Since(start).Round(time.Millisecond))
	}
	return imgs, nil
}

// buildVigil builds bin/vigil for the engine's platform, as `make image` does.
func buildVigil(p platform) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", "bin/vigil", "./cmd/vigil")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.os, "GOARCH="+p.arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building bin/vigil: %w\n%s", err, out)
	}
	return nil
}

func buildBase(image string) error {
	_, err := docker("build", "--network=none", "--force-rm", "--tag", image,
		"--file", filepath.Join(repoRoot, "Dockerfile.base"), repoRoot)
	return err
}

func buildHello(image, base, busybox string) error {
	_, err := docker("build", "--network=none", "--force-rm", "--tag", image,
		"--build-arg", "VIGIL_BASE="+base, "--build-arg", "BUSYBOX="+busybox, "hello")
	return err
}

// importBusybox makes a one-layer image of the host's static busybox with
// its applets linked in /bin: no image can be pulled here.
func importBusybox(image string) error {
	bb, err := staticBusybox()
	if err != nil {
		return err
	}
	layer, err := busyboxLayer(bb)
	if err != nil {
		return err
	}
	_, err = dockerWithInput(layer, "import", "-", image)
	return err
}

// staticBusybox finds busybox in $PATH and checks it needs no libc, which
// the images do not have.
func staticBusybox() (string, error) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return "", fmt.Errorf("%w (install busybox-static)", err)
	}
	f, err := elf.Open(bb)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", bb, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("%s is dynamically linked (install busybox-static)", bb)
		}
	}
	return bb, nil
}

// busyboxLayer returns a tar of /bin/busybox and a symlink to it for each
// applet it lists.
func busyboxLayer(bb string) (io.Reader, error) {
	bin, err := os.ReadFile(bb)
	if err != nil {
		return nil, err
	}
	list, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w", bb, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(bin))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	for _, applet := range strings.Fields(string(list)) {
		link := &tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}
		if applet == "busybox" {
			continue
		}
		if err := tw.WriteHeader(link); err != nil {
			return nil, err
		}
	}
	return &buf, tw.Close()
}

// removeImages removes what buildImages tagged, newest first (the example
// before the base it is built on).
func removeImages() error {
	var errs []error
	for i := len(fixture.built) - 1; i >= 0; i-- {
		if _, err := docker("image", "rm", fixture.built[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

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

// TestExampleImage runs examples/hello to its end: it starts its worker,
// stops it and exits on its own, under vigil as PID 1.
func TestExampleImage(t *testing.T) {
	t.Parallel()
	imgs := testImages(t)
	name := startContainer(t, imgs.hello, []string{"HELLO_SECONDS=1"})
	if code := waitExit(t, name); code != 0 {
		t.Errorf("exit code %d, want 0\n%s", code, containerLogs(t, name))
	}
	logs := containerLogs(t, name)
	for _, want := range []string{
		`"msg":"app started"`,
		`"pid1":true`,
		"started, worker is pid",
		"worker: tick 1",
		"ran for 1s, stopping the worker",
		"worker: stopped",
		"stopped cleanly, exit 0",
		`"msg":"app exited"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("docker logs lack %q:\n%s", want, logs)
		}
	}
}
