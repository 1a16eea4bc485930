package procwatch

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/linux"
)

// pfKthread is PF_KTHREAD in /proc/PID/stat's flags: a kernel thread, which
// has no executable and is no one's concern here.
const pfKthread = 0x00200000

// procStat is what the scan takes from /proc/PID/stat.
type procStat struct {
	comm    string
	state   byte
	ppid    int32
	ttyNr   uint32
	flags   uint32
	ticks   uint64 // utime + stime, in clock ticks
	start   uint64 // start time, in clock ticks after boot: with the pid, an identity
	threads uint64
}

// parseStat parses /proc/PID/stat. The name (comm) is in parentheses and may
// hold spaces and parentheses itself: the fields start after the last ')'.
func parseStat(b []byte) (procStat, error) {
	var st procStat
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return st, errors.New("stat: no (comm)")
	}
	st.comm = string(b[open+1 : end])
	f := bytes.Fields(b[end+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return st, fmt.Errorf("stat: %d fields after comm, want 20 or more", len(f))
	}
	st.state = f[0][0]
	var v [20]uint64
	for _, i := range []int{1, 4, 6, 11, 12, 17, 19} {
		n, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil {
			return st, fmt.Errorf("stat field %d: %w", i+3, err)
		}
		v[i] = uint64(n)
	}
	st.ppid = int32(v[1])
	st.ttyNr = uint32(v[4])
	st.flags = uint32(v[6])
	st.ticks = v[11] + v[12]
	st.threads = v[17]
	st.start = v[19]
	return st, nil
}

// ids are the real, effective, saved and filesystem uids or gids.
type ids [4]uint32

// parseStatus takes the Uid and Gid lines of /proc/PID/status.
func parseStatus(b []byte) (uids, gids ids, err error) {
	var got int
	for line := range bytes.Lines(b) {
		var dst *ids
		switch {
		case bytes.HasPrefix(line, []byte("Uid:")):
			dst = &uids
		case bytes.HasPrefix(line, []byte("Gid:")):
			dst = &gids
		default:
			continue
		}
		f := bytes.Fields(line[4:])
		if len(f) != 4 {
			return uids, gids, fmt.Errorf("status: %q", line)
		}
		for i := range f {
			n, err := strconv.ParseUint(string(f[i]), 10, 32)
			if err != nil {
				return uids, gids, fmt.Errorf("status: %q: %w", line, err)
			}
			dst[i] = uint32(n)
		}
		if got++; got == 2 {
			return uids, gids, nil
		}
	}
	return uids, gids, errors.New("status: no Uid and Gid lines")
}

// parseCmdline splits /proc/PID/cmdline at its NULs.
func parseCmdline(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

// procDir is /proc/PID.
func procDir(pid int32) string { return "/proc/" + strconv.Itoa(int(pid)) }

// listPids lists the numeric entries of /proc.
func listPids() ([]int32, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	pids := make([]int32, 0, len(names))
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		if pid, err := strconv.ParseInt(n, 10, 32); err == nil {
			pids = append(pids, int32(pid))
		}
	}
	return pids, nil
}

// reader reads the ptrace-guarded links of /proc/PID (exe, fd/N). Root
// without CAP_SYS_PTRACE gets EACCES on a process of another user; the
// reader then retries with that user's filesystem ids.
type reader struct{}

// readlinks reads the links named under /proc/PID; a link that cannot be
// read is "". asUser says whether the reads need the process's ids, and is
// updated when they turn out to.
func (reader) readlinks(pid int32, uid, gid uint32, asUser *bool, names ...string) []string {
	out := make([]string, len(names))
	dir := procDir(pid) + "/"
	read := func() (denied bool) {
		for i, n := range names {
			l, err := os.Readlink(dir + n)
			denied = denied || errors.Is(err, fs.ErrPermission)
			out[i] = l
		}
		return denied
	}
	if !*asUser {
		if !read() {
			return out
		}
		*asUser = true
	}
	var denied bool
	if err := linux.AsFSIDs(uid, gid, func() { denied = read() }); err != nil || denied {
		*asUser = false // no use: read as root next time
	}
	return out
}

// protocol names the socket on p's fd ("TCP", "UNIX"), "" when unknown.
func (reader) protocol(p *proc, fd int) string {
	var name string
	path := procDir(p.id.pid) + "/fd/" + strconv.Itoa(fd)
	read := func() { name, _ = linux.SocketProtocol(path) }
	if !p.asUser || linux.AsFSIDs(p.uids[1], p.gids[1], read) != nil {
		read()
	}
	return name
}

// fdNames lists /proc/PID/fd, as the process's user when asUser.
func (reader) fdNames(pid int32, uid, gid uint32, asUser bool) []string {
	var names []string
	list := func() {
		d, err := os.Open(procDir(pid) + "/fd")
		if err != nil {
			return
		}
		names, _ = d.Readdirnames(-1)
		d.Close()
	}
	if asUser {
		if linux.AsFSIDs(uid, gid, list) == nil {
			return names
		}
	}
	list()
	return names
}

// socketInode returns the inode of a "socket:[N]" link.
func socketInode(link string) (uint64, bool) {
	s, ok := strings.CutPrefix(link, "socket:[")
	if !ok || !strings.HasSuffix(s, "]") {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 64)
	return n, err == nil
}

// ttyName names a tty_nr of /proc/PID/stat, "" for none.
func ttyName(nr uint32) string {
	if nr == 0 {
		return ""
	}
	major := (nr >> 8) & 0xfff
	minor := (nr & 0xff) | ((nr >> 12) & 0xfff00)
	switch {
	case major >= 136 && major <= 143: // UNIX98_PTY_SLAVE_MAJOR and on
		return "/dev/pts/" + strconv.Itoa(int((major-136)*256+minor))
	case major == 4 && minor < 64:
		return "/dev/tty" + strconv.Itoa(int(minor))
	case major == 4:
		return "/dev/ttyS" + strconv.Itoa(int(minor-64))
	case major == 5 && minor == 0:
		return "/dev/tty"
	case major == 5 && minor == 1:
		return "/dev/console"
	}
	return fmt.Sprintf("char device %d:%d", major, minor)
}

// readSmall reads a /proc file of the process into buf.
func readSmall(pid int32, name string, buf []byte) ([]byte, error) {
	return linux.ReadSmall(procDir(pid)+"/"+name, buf)
}

// parseRuntime takes the time a task has run, in ns, from its
// /proc/PID/schedstat; false when the kernel keeps none (it says 0).
func parseRuntime(b []byte) (uint64, bool) {
	f, _, _ := bytes.Cut(b, []byte(" "))
	n, err := strconv.ParseUint(string(f), 10, 64)
	return n, err == nil && n > 0
}
