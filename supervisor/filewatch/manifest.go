package filewatch

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/boundedfile"
)

// Format is the first line of every manifest: the format and its version.
const Format = "vigil-baseline/v1"

// Type is the kind of a file system entry, one letter as in find -type.
type Type byte

// The entry types.
const (
	TypeFile    Type = 'f'
	TypeDir     Type = 'd'
	TypeSymlink Type = 'l'
	TypeChar    Type = 'c'
	TypeBlock   Type = 'b'
	TypeFIFO    Type = 'p'
	TypeSocket  Type = 's'
)

func (t Type) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "directory"
	case TypeSymlink:
		return "symlink"
	case TypeChar:
		return "character device"
	case TypeBlock:
		return "block device"
	case TypeFIFO:
		return "fifo"
	case TypeSocket:
		return "socket"
	}
	return "type " + strconv.Quote(string(t))
}

func typeOf(m fs.FileMode) Type {
	switch m.Type() {
	case 0:
		return TypeFile
	case fs.ModeDir:
		return TypeDir
	case fs.ModeSymlink:
		return TypeSymlink
	case fs.ModeDevice | fs.ModeCharDevice:
		return TypeChar
	case fs.ModeDevice:
		return TypeBlock
	case fs.ModeNamedPipe:
		return TypeFIFO
	case fs.ModeSocket:
		return TypeSocket
	}
	return 0
}

// Entry is what a manifest records of one file system entry.
type Entry struct {
	Path string
	Type Type
	// Mode is the permission bits with setuid (04000), setgid (02000) and
	// sticky (01000), as chmod takes them.
	Mode     uint32
	UID, GID uint32
	// Size is a regular file's size; 0 for the other types.
	Size int64
	// SHA256 is a regular file's content hash, hex; "" for the others.
	SHA256 string
	// Target is a symlink's target; for a device, "major:minor".
	Target string
}

// Manifest is a baseline: what the trees under Roots held, less Excludes.
type Manifest struct {
	Roots    []string
	Excludes []string
	Created  time.Time
	// Entries are sorted by Path.
	Entries []Entry
}

// Write writes m, gzip-compressed, and returns its digest:
// "sha256:" and the hex SHA-256 of the uncompressed text before its last
// line, which repeats it. A CI step can pin the digest; Read checks it.
func (m *Manifest) Write(w io.Writer) (string, error) {
	var text bytes.Buffer
	fmt.Fprintf(&text, "%s\n", Format)
	for _, r := range m.Roots {
		fmt.Fprintf(&text, "root\t%s\n", escape(r))
	}
	for _, x := range m.Excludes {
		fmt.Fprintf(&text, "exclude\t%s\n", escape(x))
	}
	fmt.Fprintf(&text, "created\t%s\n", m.Created.UTC().Format(time.RFC3339))
	for i := range m.Entries {
		e := &m.Entries[i]
		detail := "-"
		switch {
		case e.Type == TypeFile:
			detail = e.SHA256
		case e.Target != "":
			detail = escape(e.Target)
		}
		fmt.Fprintf(&text, "%c\t%04o\t%d\t%d\t%d\t%s\t%s\n", e.Type, e.Mode, e.UID, e.GID, e.Size, detail, escape(e.Path))
	}
	sum := sha256.Sum256(text.Bytes())
	digest := "sha256:" + hex.EncodeToString(sum[:])
	fmt.Fprintf(&text, "end\t%d\t%s\n", len(m.Entries), digest)
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(text.Bytes()); err != nil {
		return "", err
	}
	return digest, zw.Close()
}

// ErrCorrupt is wrapped by every error Read returns about the manifest's
// content (not about reading it).
var ErrCorrupt = errors.New("corrupt baseline")

// Peek checks, cheaply, that r starts as a manifest does (a gzip stream
// whose first line is Format): enough to refuse a wrong file at once, where
// Read, which checks all of it, takes a while on a large one.
func Peek(r io.Reader) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%w: not a gzip stream: %v", ErrCorrupt, err)
	}
	line, err := bufio.NewReader(zr).ReadString('\n')
	if strings.TrimSuffix(line, "\n") != Format {
		return fmt.Errorf("%w: line 1: %q, want %q (%v)", ErrCorrupt, clip(line), Format, err)
	}
	return nil
}

// The limits of a manifest, which PID 1 reads in full: generous for real
// images (a 1.5 GB /usr is 46,600 entries, the largest images we know
// hold about 400,000 files), and bounding what a damaged or planted
// baseline can make vigil read and keep in memory (about the uncompressed
// size, plus 90 bytes an entry).
const (
	// maxManifest bounds a manifest's uncompressed size, and its
	// compressed size as much (gzip only grows what it cannot compress).
	maxManifest = 512 << 20
	// maxEntries bounds the entries of a manifest.
	maxEntries = 2 << 20
	// maxLine bounds a manifest line, so an entry: a path is at most
	// PATH_MAX (4096) bytes, four times that escaped, plus a symlink
	// target as long.
	maxLine = 40 << 10
)

// limits are the bounds Read applies; tests lower them.
type limits struct {
	compressed, uncompressed int64
	entries                  int
}

var defaultLimits = limits{compressed: maxManifest + 1<<20, uncompressed: maxManifest, entries: maxEntries}

// Read reads a manifest Write wrote and returns it with its digest. Any
// damage (not gzip, a line out of place, an entry out of order, a wrong
// count or digest, a missing end line, more than the limits above) is an
// error wrapping ErrCorrupt that names the line.
func Read(r io.Reader) (*Manifest, string, error) {
	return read(r, defaultLimits)
}

// ReadFile reads the manifest at path, which must be a regular file (not a
// FIFO, which would block vigil).
func ReadFile(path string) (*Manifest, string, error) {
	f, err := boundedfile.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	m, digest, err := Read(f)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return m, digest, nil
}

// PeekFile is Peek of the regular file at path.
func PeekFile(path string) error {
	f, err := boundedfile.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := Peek(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func read(r io.Reader, lim limits) (*Manifest, string, error) {
	src := &stream{lim: lim, compressed: &bounded{r: r, left: lim.compressed + 1, over: errCompressedSize}}
	zr, err := gzip.NewReader(src.compressed)
	if err != nil {
		return nil, "", src.failed(fmt.Errorf("%w: not a gzip stream: %v", ErrCorrupt, err))
	}
	zr.Multistream(false)
	// The text is scanned as it is decompressed; a line found bad after
	// the stream failed is reported as the stream's failure (a damaged or
	// truncated stream, not its last, partial line).
	src.text = &bounded{r: zr, left: lim.uncompressed + 1, over: errUncompressedSize}
	sc := bufio.NewScanner(src.text)
	// The buffer's size is a bound too: a larger one would raise maxLine.
	sc.Buffer(make([]byte, maxLine), maxLine)
	h := sha256.New()
	m := &Manifest{}
	line, digest, ended := 0, "", false
	for sc.Scan() {
		line++
		text := sc.Text()
		bad := func(format string, args ...any) error {
			return src.failed(fmt.Errorf("%w: line %d: %s", ErrCorrupt, line, fmt.Sprintf(format, args...)))
		}
		if ended {
			return nil, "", bad("text after the end line")
		}
		if line == 1 {
			if text != Format {
				return nil, "", bad("%q, want %q", clip(text), Format)
			}
			h.Write([]byte(text + "\n"))
			continue
		}
		f := strings.Split(text, "\t")
		switch {
		case f[0] == "end":
			want := "sha256:" + hex.EncodeToString(h.Sum(nil))
			if len(f) != 3 || f[1] != strconv.Itoa(len(m.Entries)) || f[2] != want {
				return nil, "", bad("end line %q does not match the %d entries above it (digest %s)", clip(text), len(m.Entries), want)
			}
			if m.Created.IsZero() {
				return nil, "", bad("no created line")
			}
			digest, ended = want, true
			continue
		case len(f) == 2 && len(m.Entries) == 0 && (f[0] == "root" || f[0] == "exclude" || f[0] == "created"):
			if err := m.header(f[0], f[1]); err != nil {
				return nil, "", bad("%v", err)
			}
		default:
			if len(m.Entries) == lim.entries {
				return nil, "", bad("more than %d entries", lim.entries)
			}
			e, err := parseEntry(f)
			if err != nil {
				return nil, "", bad("%v", err)
			}
			if n := len(m.Entries); n > 0 && m.Entries[n-1].Path >= e.Path {
				return nil, "", bad("%q is not after %q: entries are sorted and unique", clip(e.Path), clip(m.Entries[n-1].Path))
			}
			m.Entries = append(m.Entries, e)
		}
		h.Write([]byte(text + "\n"))
	}
	if err := sc.Err(); err != nil {
		return nil, "", src.failed(fmt.Errorf("%w: after line %d: %v", ErrCorrupt, line, err))
	}
	if err := src.failed(nil); err != nil {
		return nil, "", err
	}
	if !ended {
		return nil, "", fmt.Errorf("%w: truncated after line %d: no end line", ErrCorrupt, line)
	}
	if len(m.Roots) == 0 {
		return nil, "", fmt.Errorf("%w: no root line", ErrCorrupt)
	}
	return m, digest, nil
}

var (
	errCompressedSize   = errors.New("compressed size over the limit")
	errUncompressedSize = errors.New("uncompressed size over the limit")
)

// stream is what read reads: the compressed bytes and the text.
type stream struct {
	lim              limits
	compressed, text *bounded
}

// failed is the failure of the stream when it failed, else err.
func (s *stream) failed(err error) error {
	switch {
	case errors.Is(s.compressed.err, errCompressedSize):
		// Checked first: gzip may have stopped before the reader's error.
		return fmt.Errorf("%w: more than %s compressed", ErrCorrupt, boundedfile.Size(s.lim.compressed))
	case s.text == nil || s.text.err == nil || s.text.err == io.EOF:
		return err
	case errors.Is(s.text.err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: truncated (the compressed stream ends early)", ErrCorrupt)
	case errors.Is(s.text.err, errUncompressedSize):
		return fmt.Errorf("%w: more than %s uncompressed", ErrCorrupt, boundedfile.Size(s.lim.uncompressed))
	}
	return fmt.Errorf("%w: damaged: %v", ErrCorrupt, s.text.err)
}

// bounded reads at most left-1 bytes from r: reading more is the error
// over. It keeps the first error r returned.
type bounded struct {
	r    io.Reader
	left int64
	over error
	err  error
}

func (b *bounded) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if (err == nil || err == io.EOF) && b.left == 0 {
		err = b.over
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

func (m *Manifest) header(key, val string) error {
	switch key {
	case "root", "exclude":
		v, err := unescape(val)
		if err != nil {
			return err
		}
		if v == "" {
			return fmt.Errorf("empty %s", key)
		}
		if key == "root" {
			m.Roots = append(m.Roots, v)
		} else {
			m.Excludes = append(m.Excludes, v)
		}
	case "created":
		t, err := time.Parse(time.RFC3339, val)
		if err != nil || !m.Created.IsZero() {
			return fmt.Errorf("created %q: want one RFC 3339 time", clip(val))
		}
		m.Created = t
	}
	return nil
}

func parseEntry(f []string) (Entry, error) {
	if len(f) != 7 || len(f[0]) != 1 {
		return Entry{}, fmt.Errorf("want 7 tab-separated fields (type, mode, uid, gid, size, hash or target, path), got %d", len(f))
	}
	e := Entry{Type: Type(f[0][0])}
	if !slices.Contains([]Type{TypeFile, TypeDir, TypeSymlink, TypeChar, TypeBlock, TypeFIFO, TypeSocket}, e.Type) {
		return e, fmt.Errorf("unknown type %q", f[0])
	}
	mode, err := strconv.ParseUint(f[1], 8, 32)
	if err != nil || mode > 07777 {
		return e, fmt.Errorf("mode %q: want up to 4 octal digits", clip(f[1]))
	}
	e.Mode = uint32(mode)
	for i, dst := range []*uint32{&e.UID, &e.GID} {
		n, err := strconv.ParseUint(f[2+i], 10, 32)
		if err != nil {
			return e, fmt.Errorf("%s %q: want a number", []string{"uid", "gid"}[i], clip(f[2+i]))
		}
		*dst = uint32(n)
	}
	if e.Size, err = strconv.ParseInt(f[4], 10, 64); err != nil || e.Size < 0 || (e.Type != TypeFile && e.Size != 0) {
		return e, fmt.Errorf("size %q: want a number, 0 for a %s", clip(f[4]), e.Type)
	}
	switch detail := f[5]; {
	case e.Type == TypeFile:
		if len(detail) != 64 || strings.Trim(detail, "0123456789abcdef") != "" {
			return e, fmt.Errorf("hash %q: want 64 lower-case hex digits", clip(detail))
		}
		e.SHA256 = detail
	case e.Type == TypeSymlink || e.Type == TypeChar || e.Type == TypeBlock:
		if e.Target, err = unescape(detail); err != nil || e.Target == "" {
			return e, fmt.Errorf("target %q: want a symlink's target or a device's major:minor", clip(detail))
		}
	case detail != "-":
		return e, fmt.Errorf("%q where a %s has \"-\"", clip(detail), e.Type)
	}
	if e.Path, err = unescape(f[6]); err != nil || !strings.HasPrefix(e.Path, "/") {
		return e, fmt.Errorf("path %q: want an absolute path", clip(f[6]))
	}
	return e, nil
}

// escape makes s fit in a tab-separated line: backslash, tab, newline,
// other control bytes and invalid UTF-8 become \\, \t, \n and \xHH.
func escape(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' || r == 0xfffd }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c < 0x20 || c == 0x7f || c >= 0x80:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("a lone backslash at the end")
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'x':
			if i+2 >= len(s) {
				return "", fmt.Errorf("a short \\x escape")
			}
			c, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf("a bad \\x escape")
			}
			b.WriteByte(byte(c))
			i += 2
		default:
			return "", fmt.Errorf("unknown escape \\%c", s[i])
		}
	}
	return b.String(), nil
}

// clip shortens what an error message quotes.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
