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

// maxManifest bounds a manifest's uncompressed size: about 3 million
// entries.
const maxManifest = 512 << 20

// maxLine bounds a manifest line: a path is at most PATH_MAX (4096) bytes,
// four times that escaped, plus a symlink target as long.
const maxLine = 40 << 10

// Read reads a manifest Write wrote and returns it with its digest. Any
// damage (not gzip, a line out of place, an entry out of order, a wrong
// count or digest, a missing end line) is an error wrapping ErrCorrupt
// that names the line.
func Read(r io.Reader) (*Manifest, string, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, "", fmt.Errorf("%w: not a gzip stream: %v", ErrCorrupt, err)
	}
	zr.Multistream(false)
	// All of it first: a damaged or truncated stream is then reported as
	// such, not as its last, partial line.
	text, err := io.ReadAll(io.LimitReader(zr, maxManifest+1))
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, "", fmt.Errorf("%w: truncated (the compressed stream ends early)", ErrCorrupt)
	case err != nil:
		return nil, "", fmt.Errorf("%w: damaged: %v", ErrCorrupt, err)
	case len(text) > maxManifest:
		return nil, "", fmt.Errorf("%w: more than %d MB uncompressed", ErrCorrupt, maxManifest>>20)
	}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), maxLine)
	h := sha256.New()
	m := &Manifest{}
	line, digest, ended := 0, "", false
	for sc.Scan() {
		line++
		text := sc.Text()
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: line %d: %s", ErrCorrupt, line, fmt.Sprintf(format, args...))
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
		return nil, "", fmt.Errorf("%w: after line %d: %v", ErrCorrupt, line, err)
	}
	if !ended {
		return nil, "", fmt.Errorf("%w: truncated after line %d: no end line", ErrCorrupt, line)
	}
	if len(m.Roots) == 0 {
		return nil, "", fmt.Errorf("%w: no root line", ErrCorrupt)
	}
	return m, digest, nil
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
