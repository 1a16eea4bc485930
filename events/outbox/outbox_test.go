package outbox

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func open(t *testing.T, dir string, opts Options) (*Outbox, []Damage) {
	t.Helper()
	o, damage, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { o.Close() })
	return o, damage
}

func appendN(t *testing.T, o *Outbox, n int) []uint64 {
	t.Helper()
	var seqs []uint64
	for i := range n {
		seq, err := o.Append(payload(i))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

func payload(i int) []byte { return []byte(fmt.Sprintf("event-%04d", i)) }

// pending lists the unacknowledged sequences in order.
func pending(o *Outbox) []uint64 {
	var out []uint64
	for seq, ok := o.Pending(0); ok; seq, ok = o.Pending(seq + 1) {
		out = append(out, seq)
	}
	return out
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "seg-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAppendReadAck(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{SegmentBytes: 100}) // a few records per segment
	seqs := appendN(t, o, 20)
	if !slices.Equal(seqs, pending(o)) {
		t.Fatalf("pending = %v, want %v", pending(o), seqs)
	}
	for i, seq := range seqs {
		got, err := o.Read(seq)
		if err != nil || !bytes.Equal(got, payload(i)) {
			t.Fatalf("Read(%d) = %q, %v; want %q", seq, got, err, payload(i))
		}
	}
	nsegs := len(segments(t, dir))
	if nsegs < 4 {
		t.Fatalf("%d segments for 20 records of 26 bytes at 100 bytes each, want several", nsegs)
	}
	// Out of order: the cursor waits for the gap.
	for _, seq := range seqs[1:10] {
		if err := o.Ack(seq); err != nil {
			t.Fatal(err)
		}
	}
	if first, _ := o.Range(); first != seqs[0] {
		t.Fatalf("cursor = %d with record %d unacknowledged, want %d", first, seqs[0], seqs[0])
	}
	if len(segments(t, dir)) != nsegs {
		t.Fatalf("a segment was deleted before its first record was acknowledged")
	}
	if err := o.Ack(seqs[0]); err != nil {
		t.Fatal(err)
	}
	if first, _ := o.Range(); first != seqs[10] {
		t.Fatalf("cursor = %d, want %d", first, seqs[10])
	}
	if got := len(segments(t, dir)); got >= nsegs {
		t.Fatalf("%d segments after acknowledging half the records, want fewer than %d", got, nsegs)
	}
	if want := seqs[10:]; !slices.Equal(pending(o), want) {
		t.Fatalf("pending = %v, want %v", pending(o), want)
	}
}

func TestReopenReplaysUnacknowledged(t *testing.T) {
	for _, synced := range []bool{true, false} {
		t.Run(map[bool]string{true: "synced", false: "killed at once"}[synced], func(t *testing.T) {
			dir := t.TempDir()
			o, _ := open(t, dir, Options{})
			seqs := appendN(t, o, 10)
			for _, seq := range []uint64{seqs[0], seqs[1], seqs[2], seqs[5]} {
				o.Ack(seq)
			}
			if synced {
				o.Sync()
			}
			// Not closed: as after a SIGKILL, only what reached the kernel counts.
			o2, damage := open(t, dir, Options{})
			if len(damage) > 0 {
				t.Fatalf("damage on a clean reopen: %v", damage)
			}
			// The acknowledgement of 5 was not contiguous: it is replayed (the
			// bus deduplicates it by id). Without a sync, acknowledgements of
			// the last 10 ms may be replayed too: never fewer records.
			got := pending(o2)
			want := seqs[3:]
			if synced && !slices.Equal(got, want) || !synced && (len(got) < len(want) || !slices.Equal(got[len(got)-len(want):], want)) {
				t.Fatalf("pending after reopen = %v, want %v", got, want)
			}
			for _, seq := range got {
				b, err := o2.Read(seq)
				if err != nil || !bytes.Equal(b, payload(int(seq))) {
					t.Fatalf("Read(%d) = %q, %v", seq, b, err)
				}
			}
			// New records continue the sequence.
			seq, err := o2.Append([]byte("after"))
			if err != nil || seq != seqs[9]+1 {
				t.Fatalf("Append after reopen = %d, %v; want %d", seq, err, seqs[9]+1)
			}
		})
	}
}

func TestTornTailIsCutOff(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{})
	seqs := appendN(t, o, 3)
	o.Close()
	segs := segments(t, dir)
	info, err := os.Stat(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	// A kill in the middle of the third record's write.
	if err := os.Truncate(segs[0], info.Size()-4); err != nil {
		t.Fatal(err)
	}
	o2, damage := open(t, dir, Options{})
	if len(damage) > 0 {
		t.Fatalf("a torn tail reported as damage: %v", damage)
	}
	if got := pending(o2); !slices.Equal(got, seqs[:2]) {
		t.Fatalf("pending = %v, want %v", got, seqs[:2])
	}
	seq, err := o2.Append([]byte("again"))
	if err != nil || seq != seqs[2] {
		t.Fatalf("Append = %d, %v; want the torn record's sequence %d", seq, err, seqs[2])
	}
	got, err := o2.Read(seq)
	if err != nil || string(got) != "again" {
		t.Fatalf("Read = %q, %v", got, err)
	}
}

func TestDamageIsReportedAndSkipped(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{SegmentBytes: 60}) // two records per segment
	seqs := appendN(t, o, 6)
	o.Close()
	segs := segments(t, dir)
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3", len(segs))
	}
	// Flip a payload byte of the second record of the first segment.
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(segs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	o2, damage := open(t, dir, Options{SegmentBytes: 60})
	if len(damage) != 1 || damage[0].Reason != "checksum mismatch" {
		t.Fatalf("damage = %v, want one checksum mismatch", damage)
	}
	want := []uint64{seqs[0], seqs[2], seqs[3], seqs[4], seqs[5]}
	if got := pending(o2); !slices.Equal(got, want) {
		t.Fatalf("pending = %v, want %v (the damaged record left out)", got, want)
	}
	o2.Ack(seqs[0])
	if first, _ := o2.Range(); first != seqs[2] {
		t.Fatalf("cursor = %d, want it past the damaged record, at %d", first, seqs[2])
	}
	o2.Close()
	// Reported once: the damaged record was cut off.
	if _, damage := open(t, dir, Options{SegmentBytes: 60}); len(damage) != 0 {
		t.Errorf("damage reported again at the next start: %v", damage)
	}
}

func TestFull(t *testing.T) {
	o, _ := open(t, t.TempDir(), Options{MaxBytes: 100})
	seqs := appendN(t, o, 3) // 26 bytes each, a segment each (100/4)
	if _, err := o.Append(payload(3)); err != ErrFull {
		t.Fatalf("Append past the cap = %v, want ErrFull", err)
	}
	if used, limit := o.Usage(); used != 78 || limit != 100 {
		t.Fatalf("Usage = %d, %d; want 78, 100", used, limit)
	}
	o.Ack(seqs[0])
	if used, _ := o.Usage(); used != 52 {
		t.Fatalf("Usage after acknowledging the first segment = %d, want 52", used)
	}
	if _, err := o.Append(payload(3)); err != nil {
		t.Fatalf("Append after room came back: %v", err)
	}
	for _, seq := range []uint64{seqs[1], seqs[2], seqs[2] + 1} {
		o.Ack(seq)
	}
	// All acknowledged, the last segment included: it is started afresh
	// rather than staying full.
	for i := range 5 {
		seq, err := o.Append(payload(i))
		if err != nil {
			t.Fatalf("Append %d with everything acknowledged: %v", i, err)
		}
		o.Ack(seq)
	}
}

func TestAppendTooLarge(t *testing.T) {
	o, _ := open(t, t.TempDir(), Options{MaxBytes: 4 * MaxRecord})
	if _, err := o.Append(make([]byte, MaxRecord+1)); err == nil {
		t.Fatal("Append of an oversized record succeeded")
	}
}

// FuzzOpen feeds Open arbitrary segment and cursor files: it must not
// panic, and whatever it accepts must read back and take new records.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	o, _, err := Open(dir, Options{})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 3 {
		o.Append(payload(i))
	}
	o.Ack(0)
	o.Close()
	seg, _ := os.ReadFile(filepath.Join(dir, "seg-0000000000000000.log"))
	cursor, _ := os.ReadFile(filepath.Join(dir, "cursor"))
	f.Add(seg, cursor)
	f.Add(seg[:len(seg)-3], []byte{})
	f.Add([]byte{}, []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, seg, cursor []byte) {
		dir := memDir(t)
		os.WriteFile(filepath.Join(dir, "seg-0000000000000005.log"), seg, 0o600)
		os.WriteFile(filepath.Join(dir, "cursor"), cursor, 0o600)
		o, _, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer o.Close()
		for seq, ok := o.Pending(0); ok; seq, ok = o.Pending(seq + 1) {
			if _, err := o.Read(seq); err != nil {
				t.Fatalf("Read(%d) of a pending record: %v", seq, err)
			}
		}
		seq, err := o.Append([]byte("new"))
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if got, err := o.Read(seq); err != nil || string(got) != "new" {
			t.Fatalf("Read(%d) = %q, %v", seq, got, err)
		}
	})
}

// memDir is a new directory in memory (tmpfs) where the machine has one,
// else on disk: Close's fsyncs on a disk held FuzzOpen to about 400 inputs
// a second; what Open does with the bytes is the same.
func memDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "outbox-fuzz-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestDeliveredOutboxStartsAfresh: once everything was acknowledged, the
// next Open leaves nothing on disk to read again.
func TestDeliveredOutboxStartsAfresh(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{})
	for _, seq := range appendN(t, o, 50) {
		o.Ack(seq)
	}
	o.Close()
	o2, _ := open(t, dir, Options{})
	if used, _ := o2.Usage(); used != 0 {
		t.Errorf("Usage after reopening a delivered outbox = %d, want 0", used)
	}
	if segs := segments(t, dir); len(segs) != 1 {
		t.Errorf("segments %v, want one, empty", segs)
	}
	if seq, err := o2.Append([]byte("next")); err != nil || seq != 50 {
		t.Errorf("Append = %d, %v; want 50", seq, err)
	}
}

// TestCursorPastTheRecords: a cursor file that claims more than the
// segments hold is not trusted: every record stays pending.
func TestCursorPastTheRecords(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{})
	seqs := appendN(t, o, 5)
	o.Close()
	var b [12]byte
	b[0] = 99 // sequence 99
	binary.LittleEndian.PutUint32(b[8:12], crc32.Checksum(b[0:8], castagnoli()))
	if err := os.WriteFile(filepath.Join(dir, "cursor"), b[:], 0o600); err != nil {
		t.Fatal(err)
	}
	o2, _ := open(t, dir, Options{})
	if got := pending(o2); !slices.Equal(got, seqs) {
		t.Fatalf("pending = %v, want all of %v", got, seqs)
	}
}

// TestStrangeFilesArePutAside: a file with a segment's pattern but not its
// name, and a segment overlapping the previous one, are reported once,
// renamed aside, and do not keep the outbox from working.
func TestStrangeFilesArePutAside(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{SegmentBytes: 60}) // two records per segment
	seqs := appendN(t, o, 6)
	o.Close()
	if err := os.WriteFile(filepath.Join(dir, "seg-zz.log"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(segments(t, dir)[0])
	if err != nil {
		t.Fatal(err)
	}
	// The first segment again, under a name that overlaps it.
	if err := os.WriteFile(filepath.Join(dir, "seg-0000000000000001.log"), first, 0o600); err != nil {
		t.Fatal(err)
	}
	o2, damage := open(t, dir, Options{SegmentBytes: 60})
	if len(damage) != 2 {
		t.Fatalf("damage = %v, want the stray name and the overlap", damage)
	}
	if got := pending(o2); !slices.Equal(got, seqs) {
		t.Fatalf("pending = %v, want %v", got, seqs)
	}
	for _, seq := range seqs {
		if b, err := o2.Read(seq); err != nil || !bytes.Equal(b, payload(int(seq))) {
			t.Fatalf("Read(%d) = %q, %v", seq, b, err)
		}
	}
	if seq, err := o2.Append([]byte("next")); err != nil || seq != 6 {
		t.Fatalf("Append = %d, %v; want 6", seq, err)
	}
	o2.Close()
	if _, damage := open(t, dir, Options{SegmentBytes: 60}); len(damage) != 0 {
		t.Errorf("damage reported again at the next start: %v", damage)
	}
}
