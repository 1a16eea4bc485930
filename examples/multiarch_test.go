//go:build e2e

package examples_test

import (
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"
)

// buildBaseFor builds Dockerfile.base for linux/arch from
// bin/linux-ARCH/vigil. The legacy builder does not set TARGETARCH, so it is
// passed; and its layer cache does not tell platforms apart (a build for
// arm64 reuses the layers of one for amd64, and the image says amd64), so
// nothing is taken from it.
func buildBaseFor(image, arch string) error {
	_, err := docker("build", "--network=none", "--force-rm", "--no-cache",
		"--platform", "linux/"+arch, "--build-arg", "TARGETARCH="+arch, "--tag", image,
		"--file", filepath.Join(repoRoot, "Dockerfile.base"), repoRoot)
	return err
}

// TestMultiArchBase builds the base layer for every platform it is made for,
// on this engine's (no emulator runs the foreign one), and checks that the
// image says its platform and holds a vigil for it.
func TestMultiArchBase(t *testing.T) {
	requireDocker(t)
	for _, tt := range []struct {
		arch        string
		wantMachine elf.Machine
	}{
		{arch: "amd64", wantMachine: elf.EM_X86_64},
		{arch: "arm64", wantMachine: elf.EM_AARCH64},
	} {
		t.Run(tt.arch, func(t *testing.T) {
			if err := goBuild(platform{os: "linux", arch: tt.arch}, "bin/linux-"+tt.arch+"/vigil", "./cmd/vigil"); err != nil {
				t.Fatal(err)
			}
			image := "vigil-e2e-base-" + tt.arch + ":" + runID
			if err := buildBaseFor(image, tt.arch); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { mustDocker(t, "image", "rm", image) })
			got := strings.TrimSpace(mustDocker(t, "image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", image))
			t.Logf("%s: %s", image, got)
			if want := "linux/" + tt.arch; got != want {
				t.Errorf("image platform %s, want %s", got, want)
			}
			checkELF(t, copyVigil(t, image), tt.wantMachine)
		})
	}
}

// copyVigil copies /usr/local/bin/vigil out of a container of image that is
// created, never started.
func copyVigil(t *testing.T, image string) string {
	t.Helper()
	id := strings.TrimSpace(mustDocker(t, "create", "--label", "vigil-e2e="+runID, image))
	t.Cleanup(func() { mustDocker(t, "rm", id) })
	dst := filepath.Join(t.TempDir(), "vigil")
	mustDocker(t, "cp", id+":/usr/local/bin/vigil", dst)
	return dst
}

// checkELF fails the test unless path is a static 64-bit ELF executable for
// machine.
func checkELF(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("reading vigil from the image: %v", err)
	}
	defer f.Close()
	t.Logf("vigil: %v %v %v", f.Class, f.Machine, f.Type)
	if f.Machine != machine || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
		t.Errorf("vigil is %v %v %v, want %v %v %v", f.Class, f.Machine, f.Type, elf.ELFCLASS64, machine, elf.ET_EXEC)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("vigil has an interpreter (PT_INTERP): not static, it cannot run in a scratch image")
		}
	}
}
