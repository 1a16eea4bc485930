//go:build !linux

package linux

import "os"

// AsFSIDs fails: filesystem ids are Linux's.
func AsFSIDs(uid, gid uint32, fn func()) error { return ErrNotSupported }

// ReadSmall fails: it is for Linux's /proc.
func ReadSmall(path string, buf []byte) ([]byte, error) { return nil, ErrNotSupported }

// InetSocket is one socket of a sock_diag dump (Linux only).
type InetSocket struct{}

// TCPListen is Linux's TCP_LISTEN state.
const TCPListen = 10

// InetSockets fails: sock_diag is Linux's.
func InetSockets(family, protocol uint8, states uint32) ([]InetSocket, error) {
	return nil, ErrNotSupported
}

// SocketProtocol fails: sockfs is Linux's.
func SocketProtocol(path string) (string, error) { return "", ErrNotSupported }

// MemfdCreate fails: memfds are Linux's.
func MemfdCreate(name string) (*os.File, error) { return nil, ErrNotSupported }

// TaskIDs are a task's ids (Linux only).
type TaskIDs struct {
	Tgid, PPid int
	UID, GID   uint32
	EUID, EGID uint32
}

// ReadTaskIDs fails: tasks' ids are read from Linux.
func ReadTaskIDs(tid int) (TaskIDs, error) { return TaskIDs{}, ErrNotSupported }

// ProcFile is a kept /proc file (Linux only).
type ProcFile int

// OpenProcFile fails: /proc is Linux's.
func OpenProcFile(path string) (ProcFile, error) { return -1, ErrNotSupported }

// Read fails: /proc is Linux's.
func (f ProcFile) Read(buf []byte) ([]byte, error) { return nil, ErrNotSupported }

// Close does nothing: nothing was opened.
func (f ProcFile) Close() {}
