// Package outbox is the guard's disk queue of events on their way to the
// bus: every event is appended here before it is published, and stays
// until the bus has acknowledged it, across outages and restarts of the
// guard.
//
// # On disk
//
// A directory of append-only segments, seg-<first sequence, 16 hex>.log,
// each a run of records:
//
//	u32 length of payload | u32 CRC-32C of (sequence, payload) | u64 sequence | payload
//
// all little-endian, with sequences increasing by one across segments, and
// a file "cursor" holding the first sequence not yet acknowledged (u64,
// then its CRC-32C), rewritten at most every 10 ms, at Sync and at Close.
// Acknowledgements may come in any order; the cursor advances over
// contiguous ones, and a segment is deleted once every record in it lies
// below the cursor.
//
// # What survives what
//
// Records are written with write(2): a killed guard (SIGKILL, OOM) loses
// nothing, since the data is in the page cache. Sync (fdatasync) makes them
// survive a crash of the machine too; the caller decides how often. The
// cursor is rewritten in place as it moves (at most every 10 ms), so a
// restart replays at most the records acknowledged in the last 10 ms or in
// flight. A record torn by a
// kill at the end of the last segment is cut off at Open; damage anywhere
// else is reported by Open as Damage, never skipped silently.
package outbox

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// headerSize is the size of a record's header.
const headerSize = 16

// MaxRecord is the largest payload Append takes.
const MaxRecord = 1 << 20

// Defaults.
const (
	DefaultMaxBytes     = 64 << 20
	DefaultSegmentBytes = 4 << 20
)

// castagnoli is made at first use: making it costs 0.15 ms, which every
// start of vigil would pay, bus or not.
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// ErrFull is returned by Append when the record would take the outbox
// past its size cap.
var ErrFull = errors.New("outbox full")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("outbox closed")

// Options configure Open.
type Options struct {
	// MaxBytes caps the bytes of all segments (default DefaultMaxBytes).
	MaxBytes int64
	// SegmentBytes is the size past which a new segment is started
	// (default DefaultSegmentBytes).
	SegmentBytes int64
}

// Damage describes records Open found unreadable and left out: the caller
// must report them (they are lost events).
type Damage struct {
	Segment string // file name
	Offset  int64  // where the damage starts
	Bytes   int64  // how many bytes were left out
	Reason  string
}

func (d Damage) String() string {
	return fmt.Sprintf("%s at byte %d: %s (%d bytes left out)", d.Segment, d.Offset, d.Reason, d.Bytes)
}

// Outbox is an open outbox directory. Its methods are safe for concurrent
// use.
type Outbox struct {
	dir  string
	opts Options

	mu       sync.Mutex
	closed   bool
	segs     []*segment // oldest first; the last is written to
	next     uint64     // the sequence of the next Append
	cursor   uint64     // the first sequence not acknowledged
	acked    map[uint64]struct{}
	bytes    int64 // of all segments
	index    map[uint64]loc
	holes    [][2]uint64 // [from, to) sequences lost to damage, oldest first
	cursorFd *os.File
	cursorAt time.Time // when the cursor file was last written
	// appended counts the appends since the maps were made.
	appended int
	// cursorOnDisk is the cursor last written, plus one (0: none yet).
	cursorOnDisk uint64
	// newDir is set when a segment was created since the last Sync: the
	// directory needs syncing too.
	newDir bool

	// recent keeps the payloads of the latest appends, up to recentBytes,
	// so that a publisher close behind the writer reads them without a
	// system call.
	recent      map[uint64][]byte
	recentOrder []uint64 // oldest first
	recentSize  int
}

// recentBytes bounds the payloads Outbox keeps in memory.
const recentBytes = 4 << 20

type segment struct {
	name     string
	first    uint64 // sequence of its first record
	end      uint64 // one past its last record's sequence
	size     int64
	synced   int64    // how much of it is known to be on disk
	f        *os.File // open for appending (writable) or reading
	writable bool
}

// loc is where a record is.
type loc struct {
	seg *segment
	off int64
	n   uint32 // payload length
}

// Open opens (creating when needed) the outbox in dir, recovering what a
// previous guard left: a torn record at the end is cut off, damaged ones
// elsewhere are left out and returned.
func Open(dir string, opts Options) (*Outbox, []Damage, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	// Room comes back a whole segment at a time: keep several under the cap.
	opts.SegmentBytes = max(1, min(opts.SegmentBytes, opts.MaxBytes/4))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("outbox: %w", err)
	}
	o := &Outbox{dir: dir, opts: opts, acked: map[uint64]struct{}{}, index: map[uint64]loc{}, recent: map[uint64][]byte{}}
	var err error
	o.cursorFd, err = os.OpenFile(filepath.Join(dir, "cursor"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("outbox: %w", err)
	}
	cursor, cursorOK := readCursor(o.cursorFd)
	if !cursorOK {
		cursor = 0
	}
	damage, err := o.load(cursor)
	if err == nil && cursor > o.next {
		// A cursor past the records: not ours to trust. Read everything.
		o.reset()
		cursor = 0
		damage, err = o.load(0)
	}
	if err != nil {
		o.closeFiles()
		return nil, nil, err
	}
	o.cursor = max(o.firstSeq(), cursor)
	o.advance()
	if last := o.segs[len(o.segs)-1]; o.cursor == o.next && last.size > 0 {
		// Everything was delivered: start afresh rather than read the
		// same acknowledged records at every start.
		if _, err := o.newSegment(o.next); err != nil {
			o.closeFiles()
			return nil, nil, err
		}
	}
	if err := o.dropAcked(); err != nil {
		o.closeFiles()
		return nil, nil, err
	}
	return o, damage, nil
}

// reset forgets what load read.
func (o *Outbox) reset() {
	for _, s := range o.segs {
		s.f.Close()
	}
	o.segs, o.next, o.bytes, o.holes = nil, 0, 0, nil
	clear(o.index)
}

// load reads every segment and indexes its records; those below acked
// are only walked over (not checked, not indexed). What it cannot use is
// reported once and put aside (renamed *.damaged) or cut off, so that the
// next start does not report it again.
func (o *Outbox) load(acked uint64) ([]Damage, error) {
	entries, err := os.ReadDir(o.dir)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	type named struct {
		name  string
		first uint64
	}
	var damage []Damage
	var segs []named
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "seg-") || !strings.HasSuffix(name, ".log") {
			continue
		}
		hex := strings.TrimSuffix(strings.TrimPrefix(name, "seg-"), ".log")
		first, err := strconv.ParseUint(hex, 16, 64)
		if err != nil || len(hex) != 16 {
			damage = append(damage, o.putAside(name, "not a segment name"))
			continue
		}
		segs = append(segs, named{name, first})
	}
	slices.SortFunc(segs, func(a, b named) int { return cmp.Compare(a.first, b.first) })
	for i, n := range segs {
		if len(o.segs) > 0 && n.first < o.next {
			damage = append(damage, o.putAside(n.name, "overlaps the previous segment"))
			continue
		}
		last := i == len(segs)-1
		s, locs, d, err := o.loadSegment(n.name, n.first, last, acked)
		if err != nil {
			return nil, err
		}
		damage = append(damage, d...)
		switch {
		case s.end > s.first || last:
			if len(o.segs) > 0 && s.first > o.next {
				// Records lost to damage in the previous segment.
				o.holes = append(o.holes, [2]uint64{o.next, s.first})
			}
			for _, l := range locs {
				o.index[l.seq] = loc{seg: s, off: l.off, n: l.n}
			}
			o.segs = append(o.segs, s)
			o.bytes += s.size
			o.next = max(o.next, s.end)
		default:
			s.f.Close()
			os.Remove(filepath.Join(o.dir, n.name))
		}
	}
	if len(o.segs) == 0 || !o.segs[len(o.segs)-1].writable {
		if _, err := o.newSegment(o.next); err != nil {
			return nil, err
		}
	}
	return damage, nil
}

// putAside renames a file of the outbox that cannot be used, and reports
// it.
func (o *Outbox) putAside(name, reason string) Damage {
	d := Damage{Segment: name, Reason: reason + "; renamed " + name + ".damaged"}
	path := filepath.Join(o.dir, name)
	if info, err := os.Stat(path); err == nil {
		d.Bytes = info.Size()
	}
	if err := os.Rename(path, path+".damaged"); err != nil {
		d.Reason = reason + "; left in place: " + err.Error()
	}
	return d
}

// segLoc is a record found by loadSegment.
type segLoc struct {
	seq uint64
	off int64
	n   uint32
}

// loadSegment walks one segment's records and returns it with the records
// at or above acked. A bad record ends the walk and is cut off (in the
// last segment, a write torn by a kill, told only when it was more than a
// tail; elsewhere, damage).
func (o *Outbox) loadSegment(name string, first uint64, last bool, acked uint64) (*segment, []segLoc, []Damage, error) {
	path := filepath.Join(o.dir, name)
	flag := os.O_RDONLY
	if last {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("outbox: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("outbox: %w", err)
	}
	s := &segment{name: name, first: first, end: first, f: f, writable: last}
	var damage []Damage
	var locs []segLoc
	var hdr [headerSize]byte
	off := int64(0)
	for off < info.Size() {
		reason := ""
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			reason = "truncated header"
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		seq := binary.LittleEndian.Uint64(hdr[8:16])
		switch {
		case reason != "":
		case n > MaxRecord:
			// Append never writes one, and a torn write shortens a
			// record, it does not lengthen it: damage, even at the end.
			reason = fmt.Sprintf("a length of %d bytes, over the %d-byte limit", n, MaxRecord)
		case off+headerSize+int64(n) > info.Size():
			reason = "truncated record"
		}
		if reason == "" && seq != s.end {
			reason = fmt.Sprintf("sequence %d where %d was expected", seq, s.end)
		}
		if reason == "" && seq >= acked {
			payload := make([]byte, n)
			if _, err := f.ReadAt(payload, off+headerSize); err != nil {
				reason = "unreadable record"
			} else if checksum(seq, payload) != sum {
				reason = "checksum mismatch"
			}
		}
		if reason != "" {
			tail := last && (reason == "truncated header" || reason == "truncated record")
			if !tail {
				damage = append(damage, Damage{Segment: name, Offset: off, Bytes: info.Size() - off, Reason: reason})
			}
			if err := os.Truncate(path, off); err != nil {
				f.Close()
				return nil, nil, nil, fmt.Errorf("outbox: cutting a bad record off %s: %w", name, err)
			}
			break
		}
		if seq >= acked {
			locs = append(locs, segLoc{seq: seq, off: off, n: n})
		}
		s.end++
		off += headerSize + int64(n)
	}
	s.size, s.synced = off, off
	if last {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return nil, nil, nil, fmt.Errorf("outbox: %w", err)
		}
	}
	return s, locs, damage, nil
}

func checksum(seq uint64, payload []byte) uint32 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seq)
	return crc32.Update(crc32.Checksum(b[:], castagnoli()), castagnoli(), payload)
}

func readCursor(f *os.File) (uint64, bool) {
	var b [12]byte
	if _, err := f.ReadAt(b[:], 0); err != nil {
		return 0, false
	}
	seq := binary.LittleEndian.Uint64(b[0:8])
	if crc32.Checksum(b[0:8], castagnoli()) != binary.LittleEndian.Uint32(b[8:12]) {
		return 0, false
	}
	return seq, true
}

func (o *Outbox) writeCursor() error {
	if o.cursorOnDisk == o.cursor+1 {
		return nil // unchanged
	}
	var b [12]byte
	binary.LittleEndian.PutUint64(b[0:8], o.cursor)
	binary.LittleEndian.PutUint32(b[8:12], crc32.Checksum(b[0:8], castagnoli()))
	if _, err := o.cursorFd.WriteAt(b[:], 0); err != nil {
		return fmt.Errorf("outbox: writing the cursor: %w", err)
	}
	o.cursorOnDisk = o.cursor + 1
	return nil
}

func (o *Outbox) firstSeq() uint64 {
	if len(o.segs) == 0 {
		return o.next
	}
	return o.segs[0].first
}

// newSegment starts the segment that records from seq on go to.
func (o *Outbox) newSegment(seq uint64) (*segment, error) {
	name := fmt.Sprintf("seg-%016x.log", seq)
	f, err := os.OpenFile(filepath.Join(o.dir, name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	s := &segment{name: name, first: seq, end: seq, f: f, writable: true}
	o.segs = append(o.segs, s)
	o.newDir = true
	return s, nil
}

// Append writes the concatenation of parts as the next record and returns
// its sequence.
func (o *Outbox) Append(parts ...[]byte) (uint64, error) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > MaxRecord {
		return 0, fmt.Errorf("outbox: a record of %d bytes is over the %d-byte limit", n, MaxRecord)
	}
	size := int64(headerSize + n)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0, ErrClosed
	}
	s := o.segs[len(o.segs)-1]
	if o.bytes+size > o.opts.MaxBytes && o.cursor == o.next && s.size > 0 {
		// Everything is acknowledged: start afresh.
		var err error
		if s, err = o.newSegment(o.next); err != nil {
			return 0, err
		}
		if err := o.dropAcked(); err != nil {
			return 0, err
		}
	}
	if o.bytes+size > o.opts.MaxBytes {
		return 0, ErrFull
	}
	if s.size > 0 && s.size+size > o.opts.SegmentBytes {
		var err error
		if s, err = o.newSegment(o.next); err != nil {
			return 0, err
		}
	}
	seq := o.next
	buf := make([]byte, headerSize, size)
	for _, p := range parts {
		buf = append(buf, p...)
	}
	payload := buf[headerSize:]
	binary.LittleEndian.PutUint32(buf[0:4], uint32(n))
	binary.LittleEndian.PutUint32(buf[4:8], checksum(seq, payload))
	binary.LittleEndian.PutUint64(buf[8:16], seq)
	if _, err := s.f.WriteAt(buf, s.size); err != nil {
		// Nothing counted: the next Append writes over what this left.
		return 0, fmt.Errorf("outbox: %w", err)
	}
	o.index[seq] = loc{seg: s, off: s.size, n: uint32(n)}
	o.remember(seq, payload)
	o.appended++
	s.size += size
	s.end++
	o.bytes += size
	o.next++
	return seq, nil
}

// remember keeps payload as seq's recent copy, forgetting the oldest past
// recentBytes.
func (o *Outbox) remember(seq uint64, payload []byte) {
	o.recent[seq] = payload
	o.recentOrder = append(o.recentOrder, seq)
	o.recentSize += len(payload)
	for len(o.recentOrder) > 0 { // those acknowledged since
		if _, ok := o.recent[o.recentOrder[0]]; ok {
			break
		}
		o.recentOrder = o.recentOrder[1:]
	}
	for o.recentSize > recentBytes && len(o.recentOrder) > 0 {
		old := o.recentOrder[0]
		o.recentOrder = o.recentOrder[1:]
		o.recentSize -= len(o.recent[old])
		delete(o.recent, old)
	}
}

// Read returns the payload of the record seq, which must be appended and
// not yet acknowledged below the cursor. The caller must not modify it.
func (o *Outbox) Read(seq uint64) ([]byte, error) {
	o.mu.Lock()
	l, ok := o.index[seq]
	payload, recent := o.recent[seq]
	o.mu.Unlock()
	if recent {
		return payload, nil
	}
	if !ok {
		return nil, fmt.Errorf("outbox: no record %d", seq)
	}
	payload = make([]byte, l.n)
	if _, err := l.seg.f.ReadAt(payload, l.off+headerSize); err != nil {
		return nil, fmt.Errorf("outbox: reading record %d: %w", seq, err)
	}
	return payload, nil
}

// Ack marks seq delivered. The cursor moves over contiguous
// acknowledgements and whole segments below it are deleted. Acknowledging
// a sequence twice, or one below the cursor, does nothing.
func (o *Outbox) Ack(seq uint64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || seq < o.cursor || seq >= o.next {
		return nil
	}
	o.acked[seq] = struct{}{}
	if !o.advance() {
		return nil
	}
	if now := time.Now(); now.Sub(o.cursorAt) >= cursorEvery {
		o.cursorAt = now
		if err := o.writeCursor(); err != nil {
			return err
		}
	}
	return o.dropAcked()
}

// cursorEvery is how often, at most, Ack rewrites the cursor file: a
// restart after a kill replays at most the acknowledgements of that long
// (which the bus deduplicates), and a storm of acknowledgements costs a
// write per period, not one each.
const cursorEvery = 10 * time.Millisecond

// advance moves the cursor over acknowledged records and holes, and
// reports whether it moved.
func (o *Outbox) advance() bool {
	start := o.cursor
	for o.cursor < o.next {
		if _, ok := o.acked[o.cursor]; ok {
			delete(o.acked, o.cursor)
			delete(o.index, o.cursor)
			if p, ok := o.recent[o.cursor]; ok {
				o.recentSize -= len(p)
				delete(o.recent, o.cursor)
			}
			o.cursor++
			continue
		}
		if len(o.holes) > 0 && o.cursor >= o.holes[0][0] {
			o.cursor = max(o.cursor, o.holes[0][1])
			o.holes = o.holes[1:]
			continue
		}
		break
	}
	if o.cursor == o.next && o.appended > shrinkAfter {
		// Everything delivered after an outage: give the maps' memory
		// back (Go maps do not shrink).
		o.index, o.acked, o.recent = map[uint64]loc{}, map[uint64]struct{}{}, map[uint64][]byte{}
		o.recentOrder, o.recentSize, o.appended = nil, 0, 0
	}
	return o.cursor != start
}

// shrinkAfter is how many appends may pass before the maps are made anew
// once everything is acknowledged.
const shrinkAfter = 1 << 14

// dropAcked deletes the segments whose records are all below the cursor,
// never the one being written.
func (o *Outbox) dropAcked() error {
	for len(o.segs) > 1 && o.segs[0].end <= o.cursor {
		s := o.segs[0]
		s.f.Close()
		if err := os.Remove(filepath.Join(o.dir, s.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("outbox: %w", err)
		}
		for seq := s.first; seq < s.end; seq++ {
			delete(o.index, seq)
		}
		o.bytes -= s.size
		o.segs = o.segs[1:]
	}
	return nil
}

// Range reports the first unacknowledged sequence and the next to be
// appended: the records in [first, next) not yet acknowledged are pending.
func (o *Outbox) Range() (first, next uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cursor, o.next
}

// Pending returns the first sequence at or after seq that holds a record
// not yet acknowledged, and false when there is none before the next
// Append.
func (o *Outbox) Pending(seq uint64) (uint64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	seq = max(seq, o.cursor)
	for ; seq < o.next; seq++ {
		if _, ok := o.acked[seq]; ok {
			continue
		}
		if _, ok := o.index[seq]; ok {
			return seq, true
		}
		for _, h := range o.holes {
			if seq >= h[0] && seq < h[1] {
				seq = h[1] - 1
			}
		}
	}
	return 0, false
}

// Acked reports whether seq has been acknowledged.
func (o *Outbox) Acked(seq uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if seq < o.cursor {
		return true
	}
	_, ok := o.acked[seq]
	return ok
}

// Usage reports the bytes on disk and the cap.
func (o *Outbox) Usage() (bytes, limit int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes, o.opts.MaxBytes
}

// Sync writes the cursor and makes what was appended survive a crash of
// the machine. The disk is waited for without the lock: Append goes on
// meanwhile. With nothing appended since the last Sync, an idle guard,
// it writes nothing to disk.
func (o *Outbox) Sync() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return ErrClosed
	}
	err := o.writeCursor()
	type job struct {
		s    *segment
		upto int64
	}
	var jobs []job
	for _, s := range o.segs {
		if s.size > s.synced {
			jobs = append(jobs, job{s, s.size})
		}
	}
	dir := o.newDir
	o.newDir = false
	o.mu.Unlock()
	for _, j := range jobs {
		e := j.s.f.Sync()
		if errors.Is(e, os.ErrClosed) {
			continue // deleted meanwhile, all of it acknowledged
		}
		if e != nil {
			err = errors.Join(err, fmt.Errorf("outbox: %w", e))
			continue
		}
		o.mu.Lock()
		j.s.synced = max(j.s.synced, j.upto)
		o.mu.Unlock()
	}
	if dir {
		err = errors.Join(err, syncDir(o.dir))
	}
	return err
}

// syncDir makes the directory's entries (new segments) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("outbox: syncing %s: %w", dir, err)
	}
	return nil
}

// Close writes the cursor, syncs what is not yet acknowledged, and closes
// the outbox.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	err := o.writeCursor()
	if o.cursor < o.next {
		// What is left must survive anything until the next start; with
		// nothing left, a stale cursor only replays what the bus keeps once.
		for _, s := range o.segs {
			if s.size > s.synced {
				if e := s.f.Sync(); e != nil {
					err = errors.Join(err, fmt.Errorf("outbox: %w", e))
				}
			}
		}
		if e := o.cursorFd.Sync(); e != nil {
			err = errors.Join(err, fmt.Errorf("outbox: %w", e))
		}
		if o.newDir {
			err = errors.Join(err, syncDir(o.dir))
		}
	}
	o.closeFiles()
	return err
}

func (o *Outbox) closeFiles() {
	for _, s := range o.segs {
		s.f.Close()
	}
	if o.cursorFd != nil {
		o.cursorFd.Close()
	}
}
