//go:build !linux

package linux

// AsFSIDs fails: filesystem ids are Linux's.
func AsFSIDs(uid, gid uint32, fn func()) error { return ErrNotSupported }

// ReadSmall fails: it is for Linux's /proc.
func ReadSmall(path string, buf []byte) ([]byte, error) { return nil, ErrNotSupported }
