package rules

import (
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/linux"
)

// ruleActions and defaultActions are the action names, in the order error
// messages list them.
var (
	ruleActions    = []Action{ActionAllow, ActionErrno, ActionKill, ActionKillThread, ActionLog}
	defaultActions = []Action{ActionAllow, ActionErrno, ActionKill, ActionLog}
	ops            = []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpMaskedEq}
)

// errnos are the errno names a policy may use (Linux generic numbers, as on
// x86_64 and arm64): the classic ones and those a denied call plausibly
// returns.
var errnos = map[string]uint{
	"EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "ENXIO": 6,
	"E2BIG": 7, "ENOEXEC": 8, "EBADF": 9, "ECHILD": 10, "EAGAIN": 11,
	"ENOMEM": 12, "EACCES": 13, "EFAULT": 14, "ENOTBLK": 15, "EBUSY": 16,
	"EEXIST": 17, "EXDEV": 18, "ENODEV": 19, "ENOTDIR": 20, "EISDIR": 21,
	"EINVAL": 22, "ENFILE": 23, "EMFILE": 24, "ENOTTY": 25, "ETXTBSY": 26,
	"EFBIG": 27, "ENOSPC": 28, "ESPIPE": 29, "EROFS": 30, "EMLINK": 31,
	"EPIPE": 32, "EDOM": 33, "ERANGE": 34, "ENAMETOOLONG": 36, "ENOSYS": 38,
	"ENOTEMPTY": 39, "ELOOP": 40, "ENODATA": 61, "ENOTSOCK": 88,
	"EPROTONOSUPPORT": 93, "EOPNOTSUPP": 95, "ENOTSUP": 95,
	"EAFNOSUPPORT": 97, "EADDRINUSE": 98, "EADDRNOTAVAIL": 99,
	"ENETUNREACH": 101, "ECONNRESET": 104, "ETIMEDOUT": 110,
	"ECONNREFUSED": 111, "EHOSTUNREACH": 113,
}

// maxErrno is the kernel's MAX_ERRNO: larger values are not errors to libc.
const maxErrno = 4095

// errnoValue resolves an errno as written in a policy: "" (EPERM), a
// number 1..4095 or a name from errnos.
func errnoValue(s string) (uint, bool) {
	if s == "" {
		return 1, true
	}
	if v, ok := errnos[s]; ok {
		return v, true
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n < 1 || n > maxErrno {
		return 0, false
	}
	return uint(n), true
}

// capabilityName is name with the CAP_ prefix, and whether it is a known
// capability.
func capabilityName(name string) (string, bool) {
	n, ok := linux.CapNumber(name)
	if !ok {
		return "", false
	}
	return linux.CapName(n), true
}

// CapabilityNames is Capabilities with the CAP_ prefix, as OCI and
// capability libraries spell them. Unknown names are left out: Validate
// reports them.
func (p *Policy) CapabilityNames() []string {
	var names []string
	for _, c := range p.Capabilities {
		if n, ok := capabilityName(c); ok {
			names = append(names, n)
		}
	}
	return names
}

// UserIDs parses User. ok is false when User is empty or malformed
// (Validate reports the latter).
func (p *Policy) UserIDs() (uid, gid uint32, ok bool) {
	u, g, found := strings.Cut(p.User, ":")
	if !found {
		return 0, 0, false
	}
	uid, okU := parseID(u)
	gid, okG := parseID(g)
	return uid, gid, okU && okG
}

// parseID parses a decimal uid or gid. 4294967295 is (uid_t)-1, which the
// kernel reads as "unchanged".
func parseID(s string) (uint32, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// SetsGroups reports whether the policy has a groups key: an empty list
// then means no supplementary groups, where no key keeps vigil's (or, with
// user, none).
func (p *Policy) SetsGroups() bool { return p.pos.has("groups") }

// SetsCapabilities reports whether the policy has a capabilities key: an
// empty list then means none at all, where no key keeps vigil's.
func (p *Policy) SetsCapabilities() bool { return p.pos.has("capabilities") }
