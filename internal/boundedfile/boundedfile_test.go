package boundedfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		givePath string
		wantErr  error // nil: reads
		wantMsg  string
	}{
		{name: "at the limit", givePath: write("at", 1024)},
		{name: "empty", givePath: write("empty", 0)},
		{name: "one byte over", givePath: write("over", 1025), wantErr: ErrTooLarge, wantMsg: "over: larger than the 1 KiB limit"},
		{name: "endless device", givePath: "/dev/zero", wantErr: ErrNotRegular, wantMsg: "/dev/zero: not a regular file (a character device)"},
		{name: "FIFO nobody writes", givePath: fifo, wantErr: ErrNotRegular, wantMsg: "fifo: not a regular file (a FIFO)"},
		{name: "directory", givePath: dir, wantErr: ErrNotRegular, wantMsg: "(a directory)"},
		{name: "missing", givePath: filepath.Join(dir, "none"), wantErr: os.ErrNotExist, wantMsg: "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				data, err := Read(tt.givePath, 1024)
				if err == nil && len(data) > 1024 {
					err = errors.New("read more than the limit")
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Minute): // a hang guard, not a measurement
				t.Fatal("Read still blocked after a minute")
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("Read: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(fmtErr(err), tt.wantMsg) {
				t.Errorf("Read: %v; want %v saying %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSize(t *testing.T) {
	for give, want := range map[int64]string{1 << 20: "1 MiB", 256 << 10: "256 KiB", 1000: "1000 bytes", 3 << 19: "1536 KiB"} {
		if got := Size(give); got != want {
			t.Errorf("Size(%d) = %q, want %q", give, got, want)
		}
	}
}
