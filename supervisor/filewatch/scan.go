package filewatch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Skipped are the trees a scan never enters: kernel file systems whose
// content is not the image's.
var Skipped = []string{"/proc", "/sys", "/dev"}

// Options say what a scan covers.
type Options struct {
	// Roots are absolute paths of the trees to scan.
	Roots []string
	// Excludes are patterns (path.Match syntax): one with a slash is
	// matched against the whole path, one without against the base name;
	// an excluded directory is not entered.
	Excludes []string
	// Skip are more paths left out, with everything under them: the
	// manifest being written, mount points.
	Skip []string
	// Workers hash files in parallel; 0 means one per CPU.
	Workers int
	// Opening, when set, is called with each file's path just before it
	// is opened to be hashed.
	Opening func(path string)
	// Rate, when above 0, bounds the bytes hashed per second: a scan
	// beside a running app must not take the disk from it.
	Rate int64
	// Stop, when closed, ends the scan early with ErrStopped.
	Stop <-chan struct{}
}

// ErrStopped is Scan's error when Options.Stop was closed: its result would
// be partial, so there is none.
var ErrStopped = errors.New("scan stopped")

// stopped reports whether stop is closed.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// Problem is an entry a scan could not read (a file gone while the scan
// ran, a permission error): it is reported, not recorded.
type Problem struct {
	Path string
	Err  error
}

// Scan walks the trees of o and returns their entries, sorted by path, with
// a SHA-256 of every regular file, hashed by o.Workers goroutines.
func Scan(o Options) ([]Entry, []Problem, error) {
	for _, r := range o.Roots {
		if !filepath.IsAbs(r) {
			return nil, nil, fmt.Errorf("root %q is not an absolute path", r)
		}
	}
	for _, x := range o.Excludes {
		if _, err := filepath.Match(x, ""); err != nil {
			return nil, nil, fmt.Errorf("exclude pattern %q: %w", x, err)
		}
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	s := &scan{o: o, files: make(chan int, 4*workers), start: time.Now()}
	var wg sync.WaitGroup
	results := make([][]Problem, workers)
	for w := range workers {
		wg.Go(func() { results[w] = s.hashFiles() })
	}
	err := s.walk()
	close(s.files)
	wg.Wait()
	if err == nil && stopped(o.Stop) {
		err = ErrStopped
	}
	if err != nil {
		return nil, nil, err
	}
	for _, r := range results {
		s.problems = append(s.problems, r...)
	}
	// Entries whose file could not be hashed are problems, not entries.
	entries := slices.DeleteFunc(s.entries, func(e Entry) bool { return e.Type == TypeFile && e.SHA256 == "" })
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	entries = slices.CompactFunc(entries, func(a, b Entry) bool { return a.Path == b.Path }) // overlapping roots
	slices.SortFunc(s.problems, func(a, b Problem) int { return strings.Compare(a.Path, b.Path) })
	return entries, s.problems, nil
}

type scan struct {
	o        Options
	entries  []Entry
	problems []Problem
	// files carries indices into entries of regular files to hash; entries
	// is not appended to while workers run (walk appends, then sends), so
	// walk sends only after its appends and workers write only SHA256.
	files chan int
	mu    sync.Mutex // guards entries' SHA256 fields against walk's appends
	// hashed counts the bytes hashed since start, for Options.Rate.
	hashed int64
	start  time.Time
}

func (s *scan) walk() error {
	for _, root := range s.o.Roots {
		root = filepath.Clean(root)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if stopped(s.o.Stop) {
				return filepath.SkipAll
			}
			if err != nil {
				if path == root {
					return err
				}
				s.problems = append(s.problems, Problem{path, err})
				return nil
			}
			if s.skipped(path) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			e, err := entryOf(path)
			if err != nil {
				s.problems = append(s.problems, Problem{path, err})
				return nil
			}
			s.mu.Lock()
			s.entries = append(s.entries, e)
			i := len(s.entries) - 1
			s.mu.Unlock()
			if e.Type == TypeFile {
				s.files <- i
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("scanning %s: %w", root, err)
		}
	}
	return nil
}

// skipped reports whether path is left out of the scan.
func (s *scan) skipped(path string) bool {
	for _, p := range s.o.Skip {
		if path == p {
			return true
		}
	}
	for _, p := range Skipped {
		if path == p && !slices.Contains(s.o.Roots, p) {
			return true
		}
	}
	return excluded(s.o.Excludes, path)
}

func excluded(patterns []string, path string) bool {
	base := filepath.Base(path)
	for _, x := range patterns {
		subject := path
		if !strings.Contains(x, "/") {
			subject = base
		}
		if ok, _ := filepath.Match(x, subject); ok {
			return true
		}
	}
	return false
}

// entryOf reads what a manifest records of path, except its hash.
func entryOf(path string) (Entry, error) {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		return Entry{}, err
	}
	e := Entry{
		Path: path,
		Type: typeOf(fileMode(uint32(st.Mode))),
		Mode: uint32(st.Mode) & 07777,
		UID:  st.Uid,
		GID:  st.Gid,
	}
	switch e.Type {
	case TypeFile:
		e.Size = st.Size
	case TypeSymlink:
		t, err := os.Readlink(path)
		if err != nil {
			return Entry{}, err
		}
		e.Target = t
	case TypeChar, TypeBlock:
		e.Target = fmt.Sprintf("%d:%d", major(uint64(st.Rdev)), minor(uint64(st.Rdev)))
	case 0:
		return Entry{}, fmt.Errorf("unknown file type %#o", uint32(st.Mode)&syscall.S_IFMT)
	}
	return e, nil
}

func fileMode(m uint32) fs.FileMode {
	switch m & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	}
	return fs.ModeIrregular
}

func major(dev uint64) uint64 { return (dev>>8)&0xfff | (dev>>32)&^0xfff }
func minor(dev uint64) uint64 { return dev&0xff | (dev>>12)&^0xff }

// hashFiles hashes the files walk sends until it is done, and returns what
// it could not read.
func (s *scan) hashFiles() []Problem {
	var problems []Problem
	buf := make([]byte, 256<<10)
	for i := range s.files {
		if stopped(s.o.Stop) {
			continue // drained: the result is dropped anyway
		}
		s.mu.Lock()
		path := s.entries[i].Path
		s.mu.Unlock()
		if s.o.Opening != nil {
			s.o.Opening(path)
		}
		sum, size, err := hashFile(path, buf)
		s.mu.Lock()
		if err == nil {
			s.entries[i].SHA256, s.entries[i].Size = sum, size
		}
		s.hashed += size
		ahead := time.Duration(0)
		if s.o.Rate > 0 {
			ahead = time.Duration(float64(s.hashed)/float64(s.o.Rate)*float64(time.Second)) - time.Since(s.start)
		}
		s.mu.Unlock()
		if ahead > 0 {
			select {
			case <-time.After(ahead):
			case <-s.o.Stop:
			}
		}
		if err != nil {
			problems = append(problems, Problem{path, err})
		}
	}
	return problems
}

// hashFile returns the hex SHA-256 of the file at path and how many bytes
// it read. It does not follow a symlink put in the file's place meanwhile.
func hashFile(path string, buf []byte) (string, int64, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", 0, err
	} else if !st.Mode().IsRegular() {
		return "", 0, errors.New("no longer a regular file")
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf) // hides WriteTo, which brings its own buffer
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
