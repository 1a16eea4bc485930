package filewatch

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/boundedfile"
)

// TestReadLimits: each bound of Read holds at its limit and fails one past
// it, with the limits lowered to the sample manifest's size.
func TestReadLimits(t *testing.T) {
	m := sampleManifest()
	var compressed bytes.Buffer
	if _, err := m.Write(&compressed); err != nil {
		t.Fatal(err)
	}
	plain := int64(len(text(t, m)))
	size := int64(compressed.Len())
	n := len(m.Entries)
	tests := []struct {
		name    string
		give    limits
		wantErr string // "" for no error
	}{
		{name: "at every limit", give: limits{compressed: size, uncompressed: plain, entries: n}},
		{name: "one entry too many", give: limits{compressed: size, uncompressed: plain, entries: n - 1}, wantErr: "more than 8 entries"},
		{name: "one byte too many uncompressed", give: limits{compressed: size, uncompressed: plain - 1, entries: n}, wantErr: "uncompressed"},
		{name: "one byte too many compressed", give: limits{compressed: size - 1, uncompressed: plain, entries: n}, wantErr: "compressed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := read(bytes.NewReader(compressed.Bytes()), tt.give)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("read: %v", err)
			case tt.wantErr != "" && (!errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("read: %v; want ErrCorrupt saying %q", err, tt.wantErr)
			}
		})
	}
}

// TestReadLongLine: a line past maxLine is refused, not buffered.
func TestReadLongLine(t *testing.T) {
	long := regzip(t, Format+"\nroot\t/"+strings.Repeat("a", maxLine)+"\n")
	_, _, err := Read(bytes.NewReader(long))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "after line 1") {
		t.Errorf("Read: %v; want ErrCorrupt after line 1", err)
	}
}

// TestReadFileNotRegular: a baseline that is a device or a FIFO is refused
// at once (a FIFO nobody writes would block vigil's start for ever).
func TestReadFileNotRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", fifo} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			for name, read := range map[string]func(string) error{
				"ReadFile": func(p string) error { _, _, err := ReadFile(p); return err },
				"PeekFile": PeekFile,
			} {
				err := within(t, func() error { return read(path) })
				if !errors.Is(err, boundedfile.ErrNotRegular) || !strings.Contains(err.Error(), path) {
					t.Errorf("%s: %v; want ErrNotRegular naming %s", name, err, path)
				}
			}
		})
	}
	// A regular file still reads.
	good := filepath.Join(t.TempDir(), "baseline")
	var buf bytes.Buffer
	if _, err := sampleManifest().Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadFile(good); err != nil {
		t.Errorf("ReadFile of a baseline: %v", err)
	}
}

// within runs f, failing the test if it has not returned after a minute
// (a hang guard, not a measurement).
func within(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("still reading after a minute: blocked")
		return nil
	}
}
