package filewatch

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleManifest() *Manifest {
	return &Manifest{
		Roots:    []string{"/", "/with\ttab"},
		Excludes: []string{"*.pyc", "/var/cache"},
		Created:  time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC),
		Entries: []Entry{
			{Path: "/", Type: TypeDir, Mode: 0o755},
			{Path: "/bin/su", Type: TypeFile, Mode: 0o4755, Size: 3, SHA256: strings.Repeat("ab", 32)},
			{Path: "/dev/null", Type: TypeChar, Mode: 0o666, Target: "1:3"},
			{Path: "/etc/odd\\name\nwith\x01bytes\xff", Type: TypeFile, Mode: 0o600, UID: 1000, GID: 4294967294, SHA256: strings.Repeat("0", 64)},
			{Path: "/lib", Type: TypeSymlink, Mode: 0o777, Target: "usr/lib\twith tab"},
			{Path: "/run/fifo", Type: TypeFIFO, Mode: 0o644},
			{Path: "/run/sock", Type: TypeSocket, Mode: 0o755},
			{Path: "/tmp", Type: TypeDir, Mode: 0o1777},
			{Path: "/usr/ünïcode", Type: TypeBlock, Mode: 0o660, Target: "8:0"},
		},
	}
}

func TestManifestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	m := sampleManifest()
	digest, err := m.Write(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, gotDigest, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if gotDigest != digest || !strings.HasPrefix(digest, "sha256:") || len(digest) != 71 {
		t.Errorf("digest %q, read back %q", digest, gotDigest)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, m)
	}
	// The same manifest, the same digest: a CI step can pin it.
	var again bytes.Buffer
	if d, _ := m.Write(&again); d != digest {
		t.Errorf("digest changed between two writes: %s, %s", digest, d)
	}
}

// text returns the uncompressed text of m; regzip compresses text again.
func text(t *testing.T, m *Manifest) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func regzip(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadCorrupt(t *testing.T) {
	good := text(t, sampleManifest())
	lines := strings.SplitAfter(good, "\n")
	var compressed bytes.Buffer
	if _, err := sampleManifest().Write(&compressed); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		give    []byte
		wantErr string
	}{
		{name: "not gzip", give: []byte(good), wantErr: "not a gzip stream"},
		{name: "truncated stream", give: compressed.Bytes()[:compressed.Len()/2], wantErr: "truncated"},
		{name: "no end line", give: regzip(t, strings.Join(lines[:len(lines)-2], "")), wantErr: "truncated after line"},
		{name: "an entry changed", give: regzip(t, strings.Replace(good, "0755\t0\t0\t0\t-\t/\n", "0777\t0\t0\t0\t-\t/\n", 1)), wantErr: "does not match"},
		{name: "an entry dropped", give: regzip(t, strings.Join(append(lines[:6:6], lines[7:]...), "")), wantErr: "does not match"},
		{name: "other format", give: regzip(t, strings.Replace(good, Format, "vigil-baseline/v9", 1)), wantErr: `line 1: "vigil-baseline/v9"`},
		{name: "out of order", give: regzip(t, strings.Join(append(append(lines[:7:7], lines[8], lines[7]), lines[9:]...), "")), wantErr: "is not after"},
		{name: "bad hash", give: regzip(t, strings.Replace(good, strings.Repeat("ab", 32), "xyz", 1)), wantErr: "hash \"xyz\""},
		{name: "bad mode", give: regzip(t, strings.Replace(good, "\t4755\t", "\t9755\t", 1)), wantErr: "mode \"9755\""},
		{name: "text after the end", give: regzip(t, good+"f\t0644\t0\t0\t0\t-\t/x\n"), wantErr: "after the end line"},
		{name: "relative path", give: regzip(t, strings.Replace(good, "\t/run/fifo\n", "\trun/fifo\n", 1)), wantErr: "want an absolute path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Read(bytes.NewReader(tt.give))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Read: %v; want ErrCorrupt saying %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if _, err := sampleManifest().Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, digest, err := Read(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("an error that is not ErrCorrupt: %v", err)
			}
			return
		}
		// What reads must write back to the same digest.
		var out bytes.Buffer
		d, err := m.Write(&out)
		if err != nil || d != digest {
			t.Fatalf("rewrite: %v, digest %s, want %s", err, d, digest)
		}
	})
}

func TestPeek(t *testing.T) {
	var good bytes.Buffer
	if _, err := sampleManifest().Write(&good); err != nil {
		t.Fatal(err)
	}
	if err := Peek(bytes.NewReader(good.Bytes())); err != nil {
		t.Errorf("Peek of a manifest: %v", err)
	}
	for name, give := range map[string][]byte{
		"not gzip":     []byte("hello"),
		"other format": regzip(t, "vigil-baseline/v9\nroot\t/\n"),
		"empty":        regzip(t, ""),
	} {
		if err := Peek(bytes.NewReader(give)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Peek = %v, want ErrCorrupt", name, err)
		}
	}
}
