package procwatch

import "github.com/vigilsec/vigil/events"

// maxAncestry bounds the ancestors listed for one process.
const maxAncestry = 64

// tree answers, for one pass, who descends from vigil.
type tree struct {
	procs map[int32]*proc
	self  int32
	below map[int32]bool // memo of descends
}

func newTree(procs map[int32]*proc, self int32) *tree {
	return &tree{procs: procs, self: self, below: make(map[int32]bool, len(procs))}
}

// descends reports whether self is a proper ancestor of pid.
func (t *tree) descends(pid int32) bool {
	if v, ok := t.below[pid]; ok {
		return v
	}
	t.below[pid] = false // a cycle (pids recycled mid-pass) ends here
	p := t.procs[pid]
	v := p != nil && p.stat.ppid != 0 && (p.stat.ppid == t.self || t.descends(p.stat.ppid))
	t.below[pid] = v
	return v
}

// ancestry lists p's ancestors, parent first, up to but excluding self, or
// to the top of the chain for an outsider.
func (t *tree) ancestry(p *proc) []events.Ancestor {
	var out []events.Ancestor
	for pid := p.stat.ppid; pid != 0 && pid != t.self && len(out) < maxAncestry; {
		a := events.Ancestor{PID: pid}
		q := t.procs[pid]
		if q != nil {
			a.Exe = q.exe
		}
		out = append(out, a)
		if q == nil {
			break
		}
		pid = q.stat.ppid
	}
	return out
}

// entry returns the top of p's chain of visible ancestors (p itself when
// its parent is not visible) and whether that top's parent is outside the
// PID namespace (ppid 0 for a process other than the namespace's init).
func (t *tree) entry(p *proc) (*proc, bool) {
	for range maxAncestry {
		q := t.procs[p.stat.ppid]
		if p.stat.ppid == 0 || q == nil {
			break
		}
		p = q
	}
	return p, p.stat.ppid == 0 && p.id.pid != 1
}

// process fills the event's process of p.
func (t *tree) process(p *proc) events.Process {
	return events.Process{
		PID:      p.id.pid,
		PPID:     p.stat.ppid,
		UID:      p.uids[0],
		GID:      p.gids[0],
		Exe:      p.exe,
		Argv:     p.argv,
		Ancestry: t.ancestry(p),
	}
}
