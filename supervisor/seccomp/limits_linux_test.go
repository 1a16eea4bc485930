package seccomp

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/boundedfile"
)

// TestLoadProfileSize: a profile at MaxProfileBytes loads, one byte over
// is refused naming the file and the limit, and a device or a FIFO is
// refused at once (vigil read /dev/zero until the OOM killer came).
func TestLoadProfileSize(t *testing.T) {
	dir := t.TempDir()
	// A valid profile padded with spaces to size bytes.
	padded := func(name string, size int) string {
		const body = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]}`
		path := filepath.Join(dir, name)
		writeFile(t, path, body+strings.Repeat(" ", size-len(body)))
		return path
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		givePath string
		wantErr  error // nil: loads
		wantMsg  string
	}{
		{name: "at the limit", givePath: padded("at.json", MaxProfileBytes)},
		{name: "one byte over", givePath: padded("over.json", MaxProfileBytes+1), wantErr: boundedfile.ErrTooLarge,
			wantMsg: "loading seccomp profile: " + dir + "/over.json: larger than the 1 MiB limit"},
		{name: "endless device", givePath: "/dev/zero", wantErr: boundedfile.ErrNotRegular,
			wantMsg: "loading seccomp profile: /dev/zero: not a regular file (a character device)"},
		{name: "FIFO", givePath: fifo, wantErr: boundedfile.ErrNotRegular, wantMsg: "fifo.json: not a regular file (a FIFO)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := LoadProfile(tt.givePath, DockerCapabilities)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Minute): // a hang guard, not a measurement
				t.Fatal("LoadProfile still reading after a minute")
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("LoadProfile: %v", err)
			case tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !strings.Contains(fmt.Sprint(err), tt.wantMsg)):
				t.Errorf("LoadProfile: %v; want %v saying %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}
