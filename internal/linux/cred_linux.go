package linux

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Drop applies c to the calling thread, which must be locked to it and be
// the one that calls execve: capability sets are per thread. The ids and
// groups change on every thread of the process (Go does that).
func Drop(c Credential) error {
	if c.SetCaps {
		if err := dropBounding(c.Caps); err != nil {
			return err
		}
	}
	if c.SetUser && c.SetCaps && len(c.Caps) > 0 {
		// Else the switch away from uid 0 empties the permitted set.
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("prctl(PR_SET_KEEPCAPS): %w", err)
		}
	}
	if c.SetGroups || c.SetUser {
		gids := make([]int, len(c.Groups))
		for i, g := range c.Groups {
			gids[i] = int(g)
		}
		if err := syscall.Setgroups(gids); err != nil {
			return fmt.Errorf("setting the supplementary groups to %v: %w", c.Groups, err)
		}
	}
	if c.SetUser {
		if err := syscall.Setresgid(int(c.GID), int(c.GID), int(c.GID)); err != nil {
			return fmt.Errorf("switching to gid %d: %w", c.GID, err)
		}
		if err := syscall.Setresuid(int(c.UID), int(c.UID), int(c.UID)); err != nil {
			return fmt.Errorf("switching to uid %d: %w", c.UID, err)
		}
	}
	nonRoot := os.Geteuid() != 0
	if !c.SetCaps {
		if c.SetUser && nonRoot {
			// Nothing inheritable either: with it, a binary with file
			// capabilities would get some back (CVE-2022-24769).
			return setCaps(nil, false)
		}
		return nil
	}
	if err := setCaps(c.Caps, nonRoot); err != nil {
		return err
	}
	if !nonRoot {
		return nil // execve gives root its bounding set back as permitted
	}
	for _, cp := range c.Caps {
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(cp), 0, 0); err != nil {
			return fmt.Errorf("raising %s in the ambient set: %w", CapName(cp), err)
		}
	}
	return nil
}

// dropBounding removes every capability but keep from the bounding set.
func dropBounding(keep []int) error {
	last := lastCap()
	for cp := 0; cp <= last; cp++ {
		if contains(keep, cp) {
			continue
		}
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(cp), 0, 0, 0)
		if err != nil || in == 0 {
			continue // unknown to this kernel, or already gone
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(cp), 0, 0, 0); err != nil {
			return fmt.Errorf("dropping %s from the bounding set (needs CAP_SETPCAP): %w", CapName(cp), err)
		}
	}
	return nil
}

// setCaps makes keep the thread's permitted and effective sets, and its
// inheritable one too when inheritable is set (the ambient set needs it);
// each must be permitted already.
func setCaps(keep []int, inheritable bool) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	var set [2]uint32
	for _, cp := range keep {
		word, bit := cp/32, uint32(1)<<(cp%32)
		if cp < 0 || word > 1 || data[word].Permitted&bit == 0 {
			return fmt.Errorf("cannot keep %s: vigil does not have it", CapName(cp))
		}
		set[word] |= bit
	}
	for i := range data {
		data[i] = unix.CapUserData{Effective: set[i], Permitted: set[i]}
		if inheritable {
			data[i].Inheritable = set[i]
		}
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// HasCap reports whether the calling thread has cp in its effective set.
func HasCap(cp int) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if cp < 0 || cp >= 64 || unix.Capget(&hdr, &data[0]) != nil {
		return false
	}
	return data[cp/32].Effective&(1<<(cp%32)) != 0
}

// lastCap is the highest capability the kernel knows.
func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return unix.CAP_LAST_CAP
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return unix.CAP_LAST_CAP
	}
	return n
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// ErrFSIDsStuck means WithFSIDs could not give the thread its filesystem
// ids back: the thread must not run anything else.
var ErrFSIDsStuck = errors.New("cannot restore the thread's filesystem ids")

// WithFSIDs runs fn with the calling thread's filesystem uid and gid set to
// uid and gid, then restores them. Opening /proc/PID/mem or reading
// /proc/PID/exe checks ptrace access with those ids: this is how a root PID
// 1 without CAP_SYS_PTRACE (Docker's default) reads the memory of an app
// that runs as another user. It needs CAP_SETUID and CAP_SETGID, and the
// calling goroutine must be locked to its thread.
func WithFSIDs(uid, gid uint32, fn func()) (err error) {
	oldGID, _ := unix.SetfsgidRetGid(int(gid))
	oldUID, _ := unix.SetfsuidRetUid(int(uid))
	defer func() {
		unix.SetfsuidRetUid(oldUID) //nolint:errcheck // the kernel's setfsuid has no error; checked below
		unix.SetfsgidRetGid(oldGID) //nolint:errcheck // same
		curUID, _ := unix.SetfsuidRetUid(-1)
		curGID, _ := unix.SetfsgidRetGid(-1)
		if curUID != oldUID || curGID != oldGID {
			err = errors.Join(err, ErrFSIDsStuck)
		}
	}()
	// setfsuid says nothing when it is refused; -1 changes nothing and
	// returns the current id.
	curGID, _ := unix.SetfsgidRetGid(-1)
	curUID, _ := unix.SetfsuidRetUid(-1)
	if curUID != int(uid) || curGID != int(gid) {
		return fmt.Errorf("cannot take filesystem ids %d:%d (needs CAP_SETUID and CAP_SETGID)", uid, gid)
	}
	fn()
	return nil
}
