package linux

import (
	"strconv"
	"strings"
)

// capNames are the Linux capabilities up to 5.9, without the CAP_ prefix,
// in number order: capNames[n] is capability n.
var capNames = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
	"SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
	"NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
	"SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
	"SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// CapSysPtrace is CAP_SYS_PTRACE's number.
const CapSysPtrace = 19

// CapNumber is the number of a capability named with or without the CAP_
// prefix (NET_BIND_SERVICE, CAP_NET_BIND_SERVICE), and whether it is known.
func CapNumber(name string) (int, bool) {
	short := strings.TrimPrefix(name, "CAP_")
	for n, c := range capNames {
		if c == short {
			return n, true
		}
	}
	return -1, false
}

// CapName is capability n's name with the CAP_ prefix.
func CapName(n int) string {
	if n >= 0 && n < len(capNames) {
		return "CAP_" + capNames[n]
	}
	return "capability " + strconv.Itoa(n)
}

// CapNames names capabilities (numbers) with the CAP_ prefix, in the
// order given; never nil, so that an empty set and none are told apart.
func CapNames(caps []int) []string {
	names := make([]string, len(caps))
	for i, n := range caps {
		names[i] = CapName(n)
	}
	return names
}
