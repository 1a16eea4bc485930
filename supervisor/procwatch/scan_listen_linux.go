package procwatch

import (
	"cmp"
	"slices"

	"github.com/vigilsec/vigil/events"
)

// newListeners reports the listening sockets not seen before, each once,
// as a finding about the process that holds it. Sockets no visible process
// holds (a pod's sidecar shares the network namespace, not the PID one)
// are remembered and not reported. Finding owners reads the fds of every
// process, so it runs only when a new listener appears.
func (s *Scanner) newListeners(live []*proc, t *tree, socks map[uint64]socket) []Finding {
	want := make(map[uint64]*proc)
	current := make(map[uint64]struct{})
	for inode, sk := range socks {
		if !sk.listening() {
			continue
		}
		current[inode] = struct{}{}
		if _, done := s.listeners[inode]; !done {
			want[inode] = nil
		}
	}
	s.listeners = current // forget the closed ones
	if len(want) == 0 {
		return nil
	}
	s.findOwners(live, want)
	var out []Finding
	pending := make(map[uint64]int)
	for inode, p := range want {
		if p == nil && s.unowned[inode] < unownedPasses {
			// Its owner may have started after the pass listed the
			// processes: looked for again next time, and only then
			// taken for a sidecar's.
			pending[inode] = s.unowned[inode] + 1
			delete(s.listeners, inode)
			continue
		}
		if p == nil || p.id.pid == int32(s.cfg.Self) {
			continue
		}
		sk := socks[inode]
		if s.cfg.Declared != nil && s.cfg.Declared(sk.proto[:3], sk.Local) {
			continue
		}
		out = append(out, Finding{
			Rule: RuleListener, Severity: events.SeverityMedium, Process: t.process(p),
			Details: events.ProcessDetails{What: "listener", Protocol: sk.proto,
				ListenAddress: sk.Local.Addr().String(), ListenPort: int(sk.Local.Port())},
		})
	}
	s.unowned = pending // forget the closed ones
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Process.PID, b.Process.PID), cmp.Compare(a.Details.ListenPort, b.Details.ListenPort))
	})
	return out
}

// unownedPasses is how many passes a listener no visible process holds is
// looked at again before it is taken for one outside the PID namespace.
const unownedPasses = 2

// findOwners sets each wanted inode to the lowest-pid process that holds it.
func (s *Scanner) findOwners(live []*proc, want map[uint64]*proc) {
	left := len(want)
	for _, p := range live {
		fds := s.rd.fdNames(p.id.pid, p.uids[1], p.gids[1], p.asUser)
		for i, fd := range fds {
			fds[i] = "fd/" + fd
		}
		for _, link := range s.rd.readlinks(p.id.pid, p.uids[1], p.gids[1], &p.asUser, fds...) {
			inode, ok := socketInode(link)
			if owner, wanted := want[inode]; ok && wanted && owner == nil {
				want[inode] = p
				if left--; left == 0 {
					return
				}
			}
		}
	}
}
