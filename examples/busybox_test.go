//go:build e2e

package examples_test

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

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
	entries := []tarEntry{
		{hdr: &tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}},
		{hdr: &tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(bin))}, body: bin},
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet != "busybox" {
			link := &tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}
			entries = append(entries, tarEntry{hdr: link})
		}
	}
	return tarOf(entries)
}

type tarEntry struct {
	hdr  *tar.Header
	body []byte
}

func tarOf(entries []tarEntry) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(e.hdr); err != nil {
			return nil, fmt.Errorf("writing %s: %w", e.hdr.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("writing %s: %w", e.hdr.Name, err)
		}
	}
	return &buf, tw.Close()
}
