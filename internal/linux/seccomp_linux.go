package linux

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// SeccompData mirrors the kernel's struct seccomp_data: what a filter and a
// notification see of one system call.
type SeccompData struct {
	Nr                 int32
	Arch               uint32
	InstructionPointer uint64
	Args               [6]uint64
}

// SeccompNotif mirrors struct seccomp_notif (80 bytes): one system call
// held by the kernel until the listener answers.
type SeccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  SeccompData
}

// SeccompNotifResp mirrors struct seccomp_notif_resp (24 bytes). Error is
// a negative errno; Flags SECCOMP_USER_NOTIF_FLAG_CONTINUE lets the call
// proceed.
type SeccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// Sizes the kernel and this package must agree on.
const (
	seccompNotifSize     = 80
	seccompNotifRespSize = 24
)

var (
	_ [seccompNotifSize - unsafe.Sizeof(SeccompNotif{})]struct{}
	_ [seccompNotifRespSize - unsafe.Sizeof(SeccompNotifResp{})]struct{}
)

// ErrListenerBusy means the filter chain already has a notify listener: the
// kernel allows one per chain (vigil's own, or one installed before it).
var ErrListenerBusy = errors.New("the seccomp filter chain already has a notification listener (EBUSY)")

// SetNoNewPrivs sets no_new_privs, which lets an unprivileged process load a
// seccomp filter or a Landlock ruleset. It cannot be unset.
func SetNoNewPrivs() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	return nil
}

// InstallNotifyFilter loads prog on every thread of the calling process
// (TSYNC) and returns the fd of its notification listener. It asks for
// WAIT_KILLABLE_RECV (kernel 5.19+: a notified task stays killable while
// the listener reads it) and goes on without it on older kernels.
func InstallNotifyFilter(prog []unix.SockFilter) (int, error) {
	return installWithListener(prog, unix.SECCOMP_FILTER_FLAG_TSYNC|unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH)
}

// installWithListener loads prog with a listener and the given flags; the
// listener fd is close-on-exec.
func installWithListener(prog []unix.SockFilter, flags uintptr) (int, error) {
	flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	fd, err := installFilter(prog, flags|unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
	if errors.Is(err, unix.EINVAL) {
		fd, err = installFilter(prog, flags)
	}
	return fd, err
}

func installFilter(prog []unix.SockFilter, flags uintptr) (int, error) {
	if len(prog) == 0 || len(prog) > 4096 {
		return -1, fmt.Errorf("seccomp(SET_MODE_FILTER): program of %d instructions, want 1 to 4096", len(prog))
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	var fd uintptr
	err := retry(func() error {
		r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
		fd = r
		if errno != 0 {
			return errno
		}
		return nil
	})
	switch {
	case errors.Is(err, unix.EBUSY):
		return -1, fmt.Errorf("seccomp(SET_MODE_FILTER): %w", ErrListenerBusy)
	case err != nil:
		return -1, fmt.Errorf("seccomp(SET_MODE_FILTER, flags %#x): %w", flags, err)
	}
	return int(fd), nil
}

// SetSyncWakeUp asks the kernel to wake the notified task on the CPU of the
// listener that answers (kernel 6.6+), which cuts a notification's round
// trip several times over.
func SetSyncWakeUp(listener int) error {
	if err := ioctl(listener, unix.SECCOMP_IOCTL_NOTIF_SET_FLAGS, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP); err != nil {
		return fmt.Errorf("ioctl(SECCOMP_IOCTL_NOTIF_SET_FLAGS): %w", err)
	}
	return nil
}

// NotifRecv waits for the next notification. ENOENT (wrapped) means the
// task was interrupted before it could be read, which Go tasks are all the
// time (SIGURG): the caller just reads the next one.
func NotifRecv(listener int, n *SeccompNotif) error {
	*n = SeccompNotif{} // the kernel refuses a buffer that is not zeroed
	if err := ioctl(listener, unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(n))); err != nil {
		return fmt.Errorf("ioctl(SECCOMP_IOCTL_NOTIF_RECV): %w", err)
	}
	return nil
}

// NotifSend answers a notification. ENOENT (wrapped) means the task is gone
// or was interrupted and will ask again.
func NotifSend(listener int, r *SeccompNotifResp) error {
	if err := ioctl(listener, unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(r))); err != nil {
		return fmt.Errorf("ioctl(SECCOMP_IOCTL_NOTIF_SEND): %w", err)
	}
	return nil
}

// NotifIDValid reports (as a nil error) that notification id is still
// pending: memory read from its task since NotifRecv belonged to it.
func NotifIDValid(listener int, id uint64) error {
	if err := ioctl(listener, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, uintptr(unsafe.Pointer(&id))); err != nil {
		return fmt.Errorf("ioctl(SECCOMP_IOCTL_NOTIF_ID_VALID): %w", err)
	}
	return nil
}

func ioctl(fd int, req uint, arg uintptr) error {
	return retry(func() error {
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), arg); errno != 0 {
			return errno
		}
		return nil
	})
}

// SendFd passes fd over the unix socket sock (SCM_RIGHTS).
func SendFd(sock, fd int) error {
	err := retry(func() error { return unix.Sendmsg(sock, []byte{0}, unix.UnixRights(fd), nil, 0) })
	if err != nil {
		return fmt.Errorf("sendmsg(SCM_RIGHTS): %w", err)
	}
	return nil
}

// RecvFd receives one fd sent with SendFd.
func RecvFd(sock int) (int, error) {
	buf, oob := make([]byte, 1), make([]byte, unix.CmsgSpace(4))
	var oobn int
	err := retry(func() error {
		var e error
		_, oobn, _, _, e = unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
		return e
	})
	if err != nil {
		return -1, fmt.Errorf("recvmsg(SCM_RIGHTS): %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return -1, fmt.Errorf("recvmsg(SCM_RIGHTS): want one control message, got %d (%v)", len(msgs), err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return -1, fmt.Errorf("recvmsg(SCM_RIGHTS): want one fd, got %d (%v)", len(fds), err)
	}
	return fds[0], nil
}

// InstallThreadNotifyProgram loads raw, assembled with golang.org/x/net/bpf,
// on the calling thread only (no TSYNC) and returns its listener, which is
// close-on-exec. The caller must be locked to its OS thread and is the one
// that then execs the filtered program: the process's other threads stay
// unfiltered, so one of them can hand the listener over (FindListener;
// with TSYNC, that hand-over would itself wait on a listener nobody holds
// yet). The raw system call does not enter the scheduler: until PID 1
// holds the listener, a call of the filtered thread that the filter
// reports waits for an answer nobody can give yet.
func InstallThreadNotifyProgram(raw []bpf.RawInstruction) (int, error) {
	prog := sockFilters(raw)
	if len(prog) == 0 || len(prog) > 4096 {
		return -1, fmt.Errorf("seccomp(SET_MODE_FILTER): program of %d instructions, want 1 to 4096", len(prog))
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	flags := uintptr(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
	for {
		fd, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
		switch {
		case errno == 0:
			return int(fd), nil
		case errno == unix.EINTR:
		case errno == unix.EINVAL && flags&unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0:
			flags &^= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV // before Linux 5.19
		case errno == unix.EBUSY:
			return -1, fmt.Errorf("seccomp(SET_MODE_FILTER): %w", ErrListenerBusy)
		default:
			return -1, fmt.Errorf("seccomp(SET_MODE_FILTER, flags %#x): %w", flags, errno)
		}
	}
}

// FindListener returns the fd of this process's seccomp notification
// listener, or -1 when it has none (yet).
func FindListener() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == "anon_inode:seccomp notify" {
			if fd, err := strconv.Atoi(e.Name()); err == nil {
				return fd
			}
		}
	}
	return -1
}

// SetCloseOnExec marks fd close-on-exec.
func SetCloseOnExec(fd int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return fmt.Errorf("fcntl(F_SETFD, FD_CLOEXEC): %w", err)
	}
	return nil
}

// SeccompContinue is SECCOMP_USER_NOTIF_FLAG_CONTINUE: let the call proceed.
const SeccompContinue = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE

// InstallNotifyProgram is InstallNotifyFilter for a program assembled with
// golang.org/x/net/bpf: every thread of the process is filtered.
func InstallNotifyProgram(raw []bpf.RawInstruction) (int, error) {
	return InstallNotifyFilter(sockFilters(raw))
}

func sockFilters(raw []bpf.RawInstruction) []unix.SockFilter {
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return prog
}

// blobChunk is the most SendBlob puts in one message: well under a unix
// socket's default send buffer, which bounds a SOCK_SEQPACKET message.
const blobChunk = 32 << 10

// SendBlob sends data of any size over the SOCK_SEQPACKET socket sock: a
// message with its length, then the data in messages of at most 32 KiB.
func SendBlob(sock int, data []byte) error {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(data)))
	if err := retry(func() error { return unix.Send(sock, n[:], 0) }); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	for len(data) > 0 {
		chunk := data[:min(len(data), blobChunk)]
		if err := retry(func() error { return unix.Send(sock, chunk, 0) }); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		data = data[len(chunk):]
	}
	return nil
}

// RecvBlob receives what SendBlob sent, at most limit bytes; io.EOF when
// the peer closed the socket before sending anything.
func RecvBlob(sock int, limit int) ([]byte, error) {
	var n [8]byte
	got, err := recv(sock, n[:])
	switch {
	case err != nil:
		return nil, err
	case got == 0:
		return nil, io.EOF
	case got != len(n):
		return nil, fmt.Errorf("recv: a length of %d bytes, want 8", got)
	}
	size := binary.LittleEndian.Uint64(n[:])
	if size > uint64(limit) {
		return nil, fmt.Errorf("recv: %d bytes announced, at most %d expected", size, limit)
	}
	data := make([]byte, size)
	for off := 0; off < len(data); {
		got, err := recv(sock, data[off:min(len(data), off+blobChunk)])
		if err != nil {
			return nil, err
		}
		if got == 0 {
			return nil, fmt.Errorf("recv: %w after %d of %d bytes", io.ErrUnexpectedEOF, off, size)
		}
		off += got
	}
	return data, nil
}

func recv(sock int, buf []byte) (int, error) {
	var n int
	err := retry(func() error {
		var e error
		n, _, e = unix.Recvfrom(sock, buf, 0)
		return e
	})
	if err != nil {
		return 0, fmt.Errorf("recv: %w", err)
	}
	return n, nil
}

// SeccompNotifyAvailable reports whether the kernel has seccomp user
// notification and lets this process use it (SECCOMP_GET_ACTION_AVAIL).
func SeccompNotifyAvailable() bool {
	action := uint32(unix.SECCOMP_RET_USER_NOTIF)
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	return errno == 0
}
