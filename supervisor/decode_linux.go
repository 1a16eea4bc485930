package supervisor

import (
	"strconv"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/netwatch"
)

// argKind is how one syscall argument is shown in an event.
type argKind int

const (
	argPath     argKind = iota // a NUL-terminated string in the caller's memory
	argSockaddr                // a struct sockaddr; its length is the next argument
	argClone                   // CLONE_* flags
	argOpen                    // O_* flags
	argDomain                  // an AF_* address family
)

// decodedArgs says which arguments of a syscall vigil decodes, by name.
var decodedArgs = map[string]map[int]argKind{
	"open": {0: argPath, 1: argOpen}, "openat": {1: argPath, 2: argOpen}, "openat2": {1: argPath},
	"creat": {0: argPath}, "execve": {0: argPath}, "execveat": {1: argPath},
	"mkdir": {0: argPath}, "mkdirat": {1: argPath}, "rmdir": {0: argPath},
	"unlink": {0: argPath}, "unlinkat": {1: argPath}, "truncate": {0: argPath},
	"chmod": {0: argPath}, "fchmodat": {1: argPath}, "fchmodat2": {1: argPath}, "chown": {0: argPath}, "lchown": {0: argPath},
	"fchownat": {1: argPath}, "mknod": {0: argPath}, "mknodat": {1: argPath},
	"rename": {0: argPath, 1: argPath}, "renameat": {1: argPath, 3: argPath}, "renameat2": {1: argPath, 3: argPath},
	"link": {0: argPath, 1: argPath}, "linkat": {1: argPath, 3: argPath},
	"symlink": {0: argPath, 1: argPath}, "symlinkat": {0: argPath, 2: argPath},
	"chroot": {0: argPath}, "pivot_root": {0: argPath, 1: argPath}, "acct": {0: argPath},
	"mount": {0: argPath, 1: argPath, 2: argPath}, "umount2": {0: argPath},
	"swapon": {0: argPath}, "swapoff": {0: argPath},
	"connect": {1: argSockaddr}, "bind": {1: argSockaddr}, "sendto": {4: argSockaddr},
	"socket": {0: argDomain}, "clone": {0: argClone}, "unshare": {0: argClone}, "setns": {1: argClone},
}

// decode returns readable forms of the arguments of call nr made by pid,
// keyed by argument index. What cannot be read is left out.
func decode(name string, pid int, args [6]uint64) map[string]string {
	kinds := decodedArgs[name]
	if len(kinds) == 0 {
		return nil
	}
	out := make(map[string]string, len(kinds))
	for i, kind := range kinds {
		if s, ok := decodeArg(kind, pid, args, i); ok {
			out[strconv.Itoa(i)] = s
		}
	}
	return out
}

func decodeArg(kind argKind, pid int, args [6]uint64, i int) (string, bool) {
	switch kind {
	case argPath:
		return readString(pid, uintptr(args[i]))
	case argSockaddr:
		if i+1 > 5 {
			return "", false
		}
		return readSockaddr(pid, uintptr(args[i]), args[i+1])
	case argClone:
		return flagNames(args[i], cloneFlags), true
	case argOpen:
		return openFlags(args[i]), true
	case argDomain:
		if name, ok := families[args[i]]; ok {
			return name, true
		}
		return "AF_" + strconv.FormatUint(args[i], 10), true
	}
	return "", false
}

// maxPath bounds a path read from the caller's memory (PATH_MAX).
const maxPath = 4096

// readString reads the NUL-terminated string at addr in pid's memory;
// false when it cannot, or it is longer than maxPath.
func readString(pid int, addr uintptr) (string, bool) {
	mem := linux.OpenMem(pid)
	defer mem.Close()
	if s, ok := mem.String(addr, maxPath); ok {
		return s, true
	}
	return "", false
}

// readSockaddr reads and formats an AF_INET, AF_INET6 or AF_UNIX address.
func readSockaddr(pid int, addr uintptr, size uint64) (string, bool) {
	mem := linux.OpenMem(pid)
	defer mem.Close()
	sa, ok := readSockaddrAt(mem, addr, size)
	if !ok {
		return "", false
	}
	return sa.String(), true
}

// readSockaddrAt reads the struct sockaddr of size bytes at addr in mem.
func readSockaddrAt(mem *linux.Mem, addr uintptr, size uint64) (netwatch.Sockaddr, bool) {
	if addr == 0 || size < 2 || size > netwatch.MaxSockaddr {
		return netwatch.Sockaddr{}, false
	}
	b := make([]byte, size)
	if mem.ReadAt(b, addr) < int(size) {
		return netwatch.Sockaddr{}, false
	}
	return netwatch.ParseSockaddr(b)
}

type flag struct {
	bit  uint64
	name string
}

var cloneFlags = []flag{
	{syscall.CLONE_NEWNS, "CLONE_NEWNS"}, {syscall.CLONE_NEWUTS, "CLONE_NEWUTS"},
	{syscall.CLONE_NEWIPC, "CLONE_NEWIPC"}, {syscall.CLONE_NEWUSER, "CLONE_NEWUSER"},
	{syscall.CLONE_NEWPID, "CLONE_NEWPID"}, {syscall.CLONE_NEWNET, "CLONE_NEWNET"},
	{0x02000000, "CLONE_NEWCGROUP"}, {0x00000080, "CLONE_NEWTIME"},
	{syscall.CLONE_THREAD, "CLONE_THREAD"}, {syscall.CLONE_VM, "CLONE_VM"},
	{syscall.CLONE_FS, "CLONE_FS"}, {syscall.CLONE_FILES, "CLONE_FILES"},
	{syscall.CLONE_SIGHAND, "CLONE_SIGHAND"}, {syscall.CLONE_VFORK, "CLONE_VFORK"},
	{syscall.CLONE_PARENT, "CLONE_PARENT"}, {syscall.CLONE_PTRACE, "CLONE_PTRACE"},
}

var families = map[uint64]string{
	syscall.AF_UNIX: "AF_UNIX", syscall.AF_INET: "AF_INET", syscall.AF_INET6: "AF_INET6",
	syscall.AF_NETLINK: "AF_NETLINK", syscall.AF_PACKET: "AF_PACKET", 40: "AF_VSOCK",
	syscall.AF_BLUETOOTH: "AF_BLUETOOTH", syscall.AF_KEY: "AF_KEY", 38: "AF_ALG",
}

// flagNames lists the known flags set in v, then what is left in hex.
func flagNames(v uint64, known []flag) string {
	var names []string
	for _, f := range known {
		if v&f.bit == f.bit && f.bit != 0 {
			names = append(names, f.name)
			v &^= f.bit
		}
	}
	if v != 0 || len(names) == 0 {
		names = append(names, "0x"+strconv.FormatUint(v, 16))
	}
	return strings.Join(names, "|")
}

var openFlagList = []flag{
	{syscall.O_CREAT, "O_CREAT"}, {syscall.O_EXCL, "O_EXCL"}, {syscall.O_TRUNC, "O_TRUNC"},
	{syscall.O_APPEND, "O_APPEND"}, {syscall.O_NONBLOCK, "O_NONBLOCK"}, {syscall.O_DIRECTORY, "O_DIRECTORY"},
	{syscall.O_NOFOLLOW, "O_NOFOLLOW"}, {syscall.O_CLOEXEC, "O_CLOEXEC"}, {0x200000, "O_PATH"},
	{syscall.O_SYNC, "O_SYNC"}, {syscall.O_NOCTTY, "O_NOCTTY"}, {syscall.O_DIRECT, "O_DIRECT"},
}

// openFlags names the access mode and the flags of open(2).
func openFlags(v uint64) string {
	mode := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[v&syscall.O_ACCMODE]
	if rest := v &^ syscall.O_ACCMODE; rest != 0 {
		return mode + "|" + flagNames(rest, openFlagList)
	}
	return mode
}
