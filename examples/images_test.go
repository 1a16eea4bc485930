//go:build e2e

package examples_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	hub     string // examples/hub: vigil-hub, the NATS server
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
		hub:     "vigil-e2e-hub:" + runID,
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
		{what: "hub image", image: imgs.hub, build: func() error { return buildHub(imgs.hub, p) }},
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

// buildVigil builds bin/linux-ARCH/vigil for the engine's platform, which
// Dockerfile.base copies, and bin/vigil, as `make build` does.
func buildVigil(p platform) error {
	for _, out := range []string{"bin/linux-" + p.arch + "/vigil", "bin/vigil"} {
		if err := goBuild(p, out, "./cmd/vigil"); err != nil {
			return err
		}
	}
	return nil
}

// goBuild builds pkg, static, for p at out (relative to repoRoot).
func goBuild(p platform, out, pkg string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.os, "GOARCH="+p.arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %w\n%s", pkg, err, out)
	}
	return nil
}

// buildHub builds bin/vigil-hub for the engine's platform and its image.
func buildHub(image string, p platform) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", "bin/vigil-hub", "./cmd/vigil-hub")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.os, "GOARCH="+p.arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building bin/vigil-hub: %w\n%s", err, out)
	}
	_, err := docker("build", "--network=none", "--force-rm", "--tag", image,
		"--file", filepath.Join(repoRoot, "examples/hub/Dockerfile"), repoRoot)
	return err
}

// buildBase builds Dockerfile.base for the engine's platform.
func buildBase(image string) error {
	return buildBaseFor(image, engine.platform.arch)
}

func buildHello(image, base, busybox string) error {
	_, err := docker("build", "--network=none", "--force-rm", "--tag", image,
		"--build-arg", "VIGIL_BASE="+base, "--build-arg", "BUSYBOX="+busybox, "hello")
	return err
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
