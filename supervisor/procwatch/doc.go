// Package procwatch watches the container's processes: the judgement of
// each exec (files exec*.go) and the periodic /proc scan (files scan*.go).
//
// # The scan
//
// A Scanner reads /proc at an interval and reports, once per process (pid
// and start time) or per change, what the seccomp filter cannot see:
// processes that vigil did not start (docker exec, kubectl exec), deleted
// or in-memory executables, executables outside the baseline, processes
// running as root when the app should not, new listening sockets, stdio
// connected to the network (reverse shells) and sustained CPU use (miners).
// The rule names (RuleOutsider and the others) are a contract; see
// docs/process.md.
//
// The per-pass reads are made directly, not through gopsutil, which took
// seven times as long for the same 200 processes (BenchmarkGopsutil200):
// stat, status, the exe link and the links of fds 0 to 2 of each process,
// and a NETLINK_SOCK_DIAG dump of listeners. Links a root without
// CAP_SYS_PTRACE may not read are read with the process's filesystem ids.
//
// The scanner keeps state only for live processes and listening sockets.
// It never kills or signals anything.
package procwatch
