package procwatch

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/linux"
)

// firstPass is when Run makes its first pass, at most.
const firstPass = 100 * time.Millisecond

// identity tells processes apart across pid reuse.
type identity struct {
	pid   int32
	start uint64
}

// proc is what the scanner knows of one live process.
type proc struct {
	id    identity
	stat  procStat
	uids  ids
	gids  ids
	exe   string   // the /proc/PID/exe link; "" when unreadable
	argv  []string // read again when exe changes
	stdio [3]string
	// stdioChecked holds the socket inode last looked at on fd 0, 1, 2.
	stdioChecked [3]uint64
	asUser       bool // its links need its user's filesystem ids
	seen         uint64
	gen          uint64 // passes that read it
	cpu          cpuTrack
	// statFile is its /proc/PID/stat kept open (hasStat), read each pass;
	// schedFile its /proc/PID/schedstat (hasSched), whose run time says
	// whether it ran since (ran) the pass that last read its links.
	statFile, schedFile linux.ProcFile
	hasStat, hasSched   bool
	ran                 uint64
	// reported holds the keys of the findings already made about it.
	reported map[string]struct{}
}

// maxStatFiles bounds the /proc files the scan keeps open (two a process);
// past it, a process's are opened at each pass.
const maxStatFiles = 1024

// maxReported bounds the findings remembered for one process: past it, a
// process that keeps changing (a new exe each second) is reported again
// rather than remembered without end.
const maxReported = 64

// once reports whether key is new for p, and remembers it.
func (p *proc) once(key string) bool {
	if _, ok := p.reported[key]; ok {
		return false
	}
	if p.reported == nil || len(p.reported) >= maxReported {
		p.reported = make(map[string]struct{})
	}
	p.reported[key] = struct{}{}
	return true
}

// Scanner is the /proc scan. Its methods are not safe for concurrent use:
// one goroutine runs it.
type Scanner struct {
	cfg       ScanConfig
	procs     map[int32]*proc
	listeners map[uint64]struct{} // listening inodes already handled
	unowned   map[uint64]int      // listening inodes whose owner was not found yet, by passes
	gen       uint64
	rd        reader
	buf       []byte
	argBuf    []byte
	statFiles int     // kept open, of maxStatFiles
	pids      []int32 // this pass's, sorted
	schedBuf  []byte
}

// NewScanner validates cfg and returns a scanner with its defaults applied.
func NewScanner(cfg ScanConfig) (*Scanner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("process scan config: %w", err)
	}
	return &Scanner{
		cfg:       cfg.withDefaults(),
		procs:     make(map[int32]*proc),
		listeners: make(map[uint64]struct{}),
		buf:       make([]byte, 4096),
		argBuf:    make([]byte, 4096),
		schedBuf:  make([]byte, 128),
	}, nil
}

// Scan makes one pass over /proc and returns what it found that it had not
// reported before. It fails only when /proc cannot be listed; when the
// socket tables cannot be read it returns the process findings and the
// error.
func (s *Scanner) Scan() ([]Finding, error) {
	now := time.Now()
	live, err := s.refresh()
	if err != nil {
		return nil, err
	}
	listen, netErr := inetSockets(tables, true)
	ps := &pass{now: now, tree: newTree(s.procs, int32(s.cfg.Self))}
	var out []Finding
	judged := live[:0:0]
	for _, p := range live {
		if p.id.pid != int32(s.cfg.Self) && (!s.cfg.DescendantsOnly || ps.tree.descends(p.id.pid)) {
			judged = append(judged, p)
			out = append(out, s.judge(p, ps)...)
		} else {
			s.forget(p) // files are kept only for the processes vigil watches
		}
	}
	out = append(out, s.newListeners(judged, ps.tree, listen)...)
	if ps.allErr != nil {
		netErr = errors.Join(netErr, ps.allErr)
	}
	if netErr != nil {
		return out, fmt.Errorf("process scan: %w", netErr)
	}
	return out, nil
}

// Run scans every Interval until stop is closed, and hands each finding to
// report. It returns nil when stopped, or the first error of a scan (after
// reporting that scan's findings): the caller says vigil is degraded and may
// run it again.
func (s *Scanner) Run(stop <-chan struct{}, report func(Finding)) error {
	// The first pass waits a little: not in the way of the app's start,
	// and nothing for a command that is over at once.
	first := time.NewTimer(min(s.cfg.Interval, firstPass))
	defer first.Stop()
	select {
	case <-stop:
		return nil
	case <-first.C:
	}
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	defer s.Close()
	for {
		found, err := s.Scan()
		for _, f := range found {
			report(f)
		}
		if err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
	}
}

// pass is what one scan shares among its processes.
type pass struct {
	now  time.Time
	tree *tree
	// all is every TCP and UDP socket, dumped when a process is first seen
	// with a TCP or UDP socket on its stdio (rare: the dump is the costly
	// walk of the established hash).
	all    map[uint64]socket
	allErr error
}

// sockets returns every TCP and UDP socket, dumped once per pass.
func (ps *pass) sockets() map[uint64]socket {
	if ps.all == nil {
		ps.all, ps.allErr = inetSockets(tables, false)
	}
	return ps.all
}

// refresh reads every live process and forgets the ones that are gone. The
// result is in pid order.
func (s *Scanner) refresh() ([]*proc, error) {
	pids, err := listPids()
	if err != nil {
		return nil, err
	}
	s.gen++
	slices.Sort(pids)
	s.pids = pids
	live := make([]*proc, 0, len(pids))
	for _, pid := range pids {
		if p := s.read(pid); p != nil {
			p.seen = s.gen
			live = append(live, p)
		}
	}
	for pid, p := range s.procs {
		if p.seen != s.gen {
			s.forget(p)
			delete(s.procs, pid)
		}
	}
	return live, nil
}

// forget closes what the scan kept open of p.
func (s *Scanner) forget(p *proc) {
	if p.hasStat {
		p.statFile.Close()
		p.hasStat = false
		s.statFiles--
	}
	if p.hasSched {
		p.schedFile.Close()
		p.hasSched = false
		s.statFiles--
	}
}

// Close closes what the scan keeps open; a later Scan opens it again.
func (s *Scanner) Close() {
	for pid, p := range s.procs {
		s.forget(p)
		delete(s.procs, pid)
	}
}

// readStat reads pid's stat: from the file kept open for p, or by path.
func (s *Scanner) readStat(pid int32, p *proc) ([]byte, error) {
	if p != nil && p.hasStat {
		if b, err := p.statFile.Read(s.buf); err == nil {
			return b, nil
		}
		s.forget(p) // gone, perhaps with its pid another's now
	}
	return readSmall(pid, "stat", s.buf)
}

// keepStat keeps p's stat and schedstat files open for the passes to
// come, while there is room. Scan closes them again for a process it does
// not judge (vigil itself, one that is not a descendant when it watches
// only those); kernel threads get none.
func (s *Scanner) keepStat(p *proc) {
	for _, k := range []struct {
		name string
		file *linux.ProcFile
		has  *bool
	}{{"stat", &p.statFile, &p.hasStat}, {"schedstat", &p.schedFile, &p.hasSched}} {
		if *k.has || s.statFiles >= maxStatFiles {
			continue
		}
		f, err := linux.OpenProcFile(procDir(p.id.pid) + "/" + k.name)
		if err != nil {
			continue
		}
		*k.file, *k.has = f, true
		s.statFiles++
	}
}

// listed reports whether pid is a process of this pass; 0 (a parent
// outside the namespace) is not.
func (s *Scanner) listed(pid int32) bool {
	_, ok := slices.BinarySearch(s.pids, pid)
	return ok
}

// runtime is how long p's only thread has run, in ns; false when that
// cannot be known (a new process, no kept schedstat, a kernel without it,
// more threads at the last pass).
func (s *Scanner) runtime(p *proc) (uint64, bool) {
	if p == nil || !p.hasSched || p.stat.threads != 1 {
		return 0, false
	}
	b, err := p.schedFile.Read(s.schedBuf)
	if err != nil {
		return 0, false
	}
	return parseRuntime(b)
}

// read reads one process, nil when it vanished, is a kernel thread or a
// zombie.
func (s *Scanner) read(pid int32) *proc {
	p := s.procs[pid]
	// Read first: what is read next is judged by it at the next pass.
	ran, known := s.runtime(p)
	if known && p.ran == ran && p.argv != nil && s.listed(p.stat.ppid) {
		// It has not run since it was read whole (and is the same task:
		// its kept file would fail otherwise). Its exe, descriptors, ids
		// and stat change only when it runs, but for its parent, which
		// changes when the parent dies: one whose parent is gone (or
		// outside vigil's namespace) is read whole. This spares an idle
		// process five of its six reads.
		p.gen++
		return p
	}
	b, err := s.readStat(pid, p)
	if err != nil {
		return nil
	}
	st, err := parseStat(b)
	if err != nil || st.flags&pfKthread != 0 || st.state == 'Z' || st.state == 'X' {
		return nil
	}
	if id := (identity{pid, st.start}); p == nil || p.id != id {
		if p != nil {
			s.forget(p)
		}
		p = &proc{id: id} // new, or the pid was reused
		s.procs[pid] = p
		// Opened after its stat was read: if the pid changed hands in
		// between, the next pass sees another start time and starts over.
		s.keepStat(p)
	}
	p.stat = st
	// The ids once, and then only where they are judged (a policy user
	// that is not root: a process that turns root is proc.root): status
	// is the dearest file of a pass.
	if p.gen == 0 || (s.cfg.AppUser != nil && *s.cfg.AppUser != 0) {
		if b, err = readSmall(pid, "status", s.buf); err != nil {
			return nil
		}
		if p.uids, p.gids, err = parseStatus(b); err != nil {
			return nil
		}
	}
	p.gen++
	p.ran = ran
	links := s.rd.readlinks(pid, p.uids[1], p.gids[1], &p.asUser, "exe", "fd/0", "fd/1", "fd/2")
	if links[0] != p.exe || p.argv == nil {
		p.exe = links[0]
		if b, err := readSmall(pid, "cmdline", s.argBuf); err == nil {
			p.argv = parseCmdline(b)
		}
		if p.argv == nil {
			p.argv = []string{}
		}
	}
	copy(p.stdio[:], links[1:])
	return p
}
