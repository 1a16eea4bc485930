package linux

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Inotify event bits vigil's file watch uses (inotify(7)).
const (
	InModify     = unix.IN_MODIFY
	InAttrib     = unix.IN_ATTRIB
	InCloseWrite = unix.IN_CLOSE_WRITE
	InMovedFrom  = unix.IN_MOVED_FROM
	InMovedTo    = unix.IN_MOVED_TO
	InCreate     = unix.IN_CREATE
	InDelete     = unix.IN_DELETE
	InDeleteSelf = unix.IN_DELETE_SELF
	InMoveSelf   = unix.IN_MOVE_SELF
	InIsDir      = unix.IN_ISDIR
	InIgnored    = unix.IN_IGNORED
	InQOverflow  = unix.IN_Q_OVERFLOW
	InOnlyDir    = unix.IN_ONLYDIR
	InDontFollow = unix.IN_DONT_FOLLOW
	InExclUnlink = unix.IN_EXCL_UNLINK
	InOpen       = unix.IN_OPEN
	InMaskAdd    = unix.IN_MASK_ADD
)

// ErrWatchLimit means the user's inotify watches are used up
// (fs.inotify.max_user_watches, shared by every container of the user on
// the host).
var ErrWatchLimit = errors.New("inotify watch limit reached (fs.inotify.max_user_watches)")

// Inotify is an inotify instance, read with a timeout that Wake cuts
// short.
type Inotify struct {
	fd   int
	wake int // an eventfd, polled beside fd
	buf  []byte
}

// InotifyEvent is one event: the watch it came from, what happened, and
// the name in the watched directory ("" for the directory itself).
type InotifyEvent struct {
	Wd   int
	Mask uint32
	Name string
}

// NewInotify creates an inotify instance, close-on-exec.
func NewInotify() (*Inotify, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	return &Inotify{fd: fd, wake: wake, buf: make([]byte, 64<<10)}, nil
}

// Wake ends a Read that is waiting, or the next one, at once.
func (in *Inotify) Wake() {
	one := [8]byte{1}
	retry(func() error { _, e := unix.Write(in.wake, one[:]); return e }) //nolint:errcheck // only EAGAIN: already woken
}

// Add watches path for mask and returns the watch descriptor.
func (in *Inotify) Add(path string, mask uint32) (int, error) {
	var wd int
	err := retry(func() error {
		var e error
		wd, e = unix.InotifyAddWatch(in.fd, path, mask)
		return e
	})
	if errors.Is(err, unix.ENOSPC) {
		return -1, ErrWatchLimit
	}
	if err != nil {
		return -1, fmt.Errorf("inotify_add_watch %s: %w", path, err)
	}
	return wd, nil
}

// Remove stops watch wd; the kernel then sends an IN_IGNORED event for it.
func (in *Inotify) Remove(wd int) error {
	_, err := unix.InotifyRmWatch(in.fd, uint32(wd))
	return err
}

// Read waits up to timeoutMs milliseconds (-1: forever) for events and
// returns those ready; none when the time ran out.
func (in *Inotify) Read(timeoutMs int) ([]InotifyEvent, error) {
	fds := []unix.PollFd{{Fd: int32(in.fd), Events: unix.POLLIN}, {Fd: int32(in.wake), Events: unix.POLLIN}}
	if err := retry(func() error { _, e := unix.Poll(fds, timeoutMs); return e }); err != nil {
		return nil, fmt.Errorf("poll: %w", err)
	}
	if fds[1].Revents&unix.POLLIN != 0 {
		var b [8]byte
		unix.Read(in.wake, b[:]) //nolint:errcheck // only EAGAIN: drained
	}
	if fds[0].Revents&unix.POLLIN == 0 {
		return nil, nil
	}
	var n int
	err := retry(func() error {
		var e error
		n, e = unix.Read(in.fd, in.buf)
		return e
	})
	if errors.Is(err, unix.EAGAIN) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading inotify events: %w", err)
	}
	var events []InotifyEvent
	for off := 0; off+unix.SizeofInotifyEvent <= n; {
		raw := (*unix.InotifyEvent)(unsafe.Pointer(&in.buf[off]))
		end := off + unix.SizeofInotifyEvent + int(raw.Len)
		if end > n {
			break
		}
		name := in.buf[off+unix.SizeofInotifyEvent : end]
		for len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		events = append(events, InotifyEvent{Wd: int(raw.Wd), Mask: raw.Mask, Name: string(name)})
		off = end
	}
	return events, nil
}

// Close closes the instance and every watch with it.
func (in *Inotify) Close() error {
	unix.Close(in.wake)
	return unix.Close(in.fd)
}
