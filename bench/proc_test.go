package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// procStat is what the benchmarks need from /proc/PID/stat.
type procStat struct {
	state byte // R, S, D, Z, …
	ppid  int
}

// readStat reads /proc/pid/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, fmt.Errorf("reading stat of pid %d: %w", pid, err)
	}
	return parseStat(string(b))
}

// parseStat parses a /proc/PID/stat line. The command name may hold spaces
// and parentheses, so the fields are counted from the last ')'.
func parseStat(line string) (procStat, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("parsing stat %q: no ')' after the command name", line)
	}
	f := strings.Fields(line[i+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("parsing stat %q: no state and ppid after the command name", line)
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, fmt.Errorf("parsing stat %q: ppid: %w", line, err)
	}
	return procStat{state: f[0][0], ppid: ppid}, nil
}

// childrenOf lists the children of pid by scanning /proc, because
// /proc/PID/task/TID/children needs CONFIG_PROC_CHILDREN, which not every
// kernel has. Processes that vanish during the scan are skipped.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc") // an unreadable /proc just finds none
	var kids []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(p); err == nil && st.ppid == pid {
			kids = append(kids, p)
		}
	}
	return kids
}

// waitGone reports whether pid is gone or a zombie within d.
func waitGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		st, err := readStat(pid)
		if err != nil || st.state == 'Z' {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// vmRSS returns the resident set size of pid in KiB.
func vmRSS(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading VmRSS of pid %d: %w", pid, err)
	}
	defer f.Close()
	kib, err := parseVmRSS(bufio.NewScanner(f))
	if err != nil {
		return 0, fmt.Errorf("reading VmRSS of pid %d: %w", pid, err)
	}
	return kib, nil
}

// parseVmRSS finds the "VmRSS:   1234 kB" line of a /proc/PID/status.
func parseVmRSS(sc *bufio.Scanner) (int, error) {
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS line %q: want a number of kB", sc.Text())
		}
		return strconv.Atoi(f[0])
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS line (a kernel thread, or a zombie)")
}
