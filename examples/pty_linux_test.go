//go:build e2e

package examples_test

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openPTY opens a new pseudo-terminal and returns its controlling side and
// its terminal, like pty.Open of github.com/creack/pty (not a dependency of
// this module).
func openPTY() (ptm, tty *os.File, err error) {
	ptm, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	tty, err = openTTY(ptm)
	if err != nil {
		ptm.Close()
		return nil, nil, err
	}
	return ptm, tty, nil
}

// openTTY unlocks and opens the terminal of the pty whose controlling side
// is ptm, with a 24x80 window so that a shell's line editing has room.
func openTTY(ptm *os.File) (*os.File, error) {
	conn, err := ptm.SyscallConn() // unlike Fd, keeps ptm in the poller
	if err != nil {
		return nil, err
	}
	var n uint32
	ctlErr := conn.Control(func(fd uintptr) {
		if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err != nil {
			err = fmt.Errorf("ioctl(TIOCSPTLCK): %w", err)
			return
		}
		if n, err = unix.IoctlGetUint32(int(fd), unix.TIOCGPTN); err != nil {
			err = fmt.Errorf("ioctl(TIOCGPTN): %w", err)
			return
		}
		if err = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80}); err != nil {
			err = fmt.Errorf("ioctl(TIOCSWINSZ): %w", err)
		}
	})
	if ctlErr != nil {
		return nil, ctlErr
	}
	if err != nil {
		return nil, err
	}
	return os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
}
