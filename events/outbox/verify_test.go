package outbox

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestVerify: what the Outbox wrote itself (appends, the cursor, a
// segment it dropped) verifies; what another process did to its files
// does not, and says what.
func TestVerify(t *testing.T) {
	tests := []struct {
		name string
		// do changes the outbox at dir (seg is its first segment's name)
		// and returns the event Verify is given.
		do          func(t *testing.T, o *Outbox, dir, seg string) (name, op string, closedWrite bool)
		wantTampers bool
	}{
		{name: "append", do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			mustAppend(t, o, "more")
			return seg, "write", false
		}},
		{name: "cursor written", do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			if err := o.Ack(0); err != nil {
				t.Fatal(err)
			}
			if err := o.Sync(); err != nil {
				t.Fatal(err)
			}
			return "cursor", "write", false
		}},
		{name: "segment dropped", do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			return "seg-00000000000000ff.log", "remove", false // gone: the outbox's own removal
		}},
		{name: "appended by another", wantTampers: true, do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			appendFile(t, filepath.Join(dir, seg), "forged record")
			return seg, "write", false
		}},
		{name: "opened for writing by another", wantTampers: true, do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			f, err := os.OpenFile(filepath.Join(dir, seg), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			return seg, "write", true
		}},
		{name: "cursor moved on", wantTampers: true, do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			forged, err := os.OpenFile(filepath.Join(dir, "cursor"), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer forged.Close()
			o2 := &Outbox{cursorFd: forged, cursor: 1000}
			if err := o2.writeCursor(); err != nil { // a valid cursor, past the records
				t.Fatal(err)
			}
			return "cursor", "write", false
		}},
		{name: "cursor garbled", wantTampers: true, do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			if err := os.WriteFile(filepath.Join(dir, "cursor"), []byte("garbage12345"), 0o600); err != nil {
				t.Fatal(err)
			}
			return "cursor", "write", false
		}},
		{name: "segment removed", wantTampers: true, do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			if err := os.Remove(filepath.Join(dir, seg)); err != nil {
				t.Fatal(err)
			}
			return seg, "remove", false
		}},
		{name: "segment replaced", wantTampers: true, do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			b, err := os.ReadFile(filepath.Join(dir, seg))
			if err != nil {
				t.Fatal(err)
			}
			tmp := filepath.Join(dir, "tmp")
			if err := os.WriteFile(tmp, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(dir, seg)); err != nil {
				t.Fatal(err)
			}
			return seg, "rename", false
		}},
		{name: "file added", wantTampers: true, do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			if err := os.WriteFile(filepath.Join(dir, "seg-0000000000000100.log"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			return "seg-0000000000000100.log", "create", false
		}},
		{name: "chmod", wantTampers: true, do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			if err := os.Chmod(filepath.Join(dir, seg), 0o644); err != nil {
				t.Fatal(err)
			}
			return seg, "chmod", false
		}},
		{name: "directory removed", wantTampers: true, do: func(t *testing.T, o *Outbox, dir, seg string) (string, string, bool) {
			return "", "remove", false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o, _, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			mustAppend(t, o, "first")
			mustAppend(t, o, "second")
			seg := o.segs[0].name
			name, op, closedWrite := tt.do(t, o, dir, seg)
			err = o.Verify(name, op, closedWrite)
			switch {
			case tt.wantTampers && !errors.Is(err, ErrTampered):
				t.Errorf("Verify(%q, %q, %v) = %v, want a tampering", name, op, closedWrite, err)
			case !tt.wantTampers && err != nil:
				t.Errorf("Verify(%q, %q, %v) = %v, want nil (the outbox's own doing)", name, op, closedWrite, err)
			}
		})
	}
}

func mustAppend(t *testing.T, o *Outbox, payload string) {
	t.Helper()
	if _, err := o.Append([]byte(payload)); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}
