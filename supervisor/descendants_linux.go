package supervisor

import (
	"fmt"
	"os"

	"github.com/shirou/gopsutil/v4/process"
)

// descendants lists the live processes below vigil. As a subreaper, vigil
// adopts every orphan in its tree, so each descendant's chain of parents
// ends at vigil. Processes that vanish during the scan are skipped.
func descendants() ([]int, error) {
	pids, err := process.Pids()
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	parent := make(map[int32]int32, len(pids))
	for _, pid := range pids {
		p, err := process.NewProcess(pid)
		if err != nil {
			continue
		}
		if ppid, err := p.Ppid(); err == nil {
			parent[pid] = ppid
		}
	}
	self := int32(os.Getpid())
	var out []int
	for pid := range parent {
		if below(pid, self, parent) {
			out = append(out, int(pid))
		}
	}
	return out, nil
}

// below reports whether root is a proper ancestor of pid.
func below(pid, root int32, parent map[int32]int32) bool {
	for seen := 0; seen < len(parent); seen++ {
		ppid, ok := parent[pid]
		if !ok || ppid == 0 {
			return false
		}
		if ppid == root {
			return true
		}
		pid = ppid
	}
	return false // a cycle: pids were recycled during the scan
}
