package linux

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// MemfdCreate returns an anonymous file in memory (memfd_create), which a
// process can run through /proc/self/fd/N: what fileless malware does, and
// what tests of its detection need. It is not close-on-exec.
func MemfdCreate(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, 0)
	if err != nil {
		return nil, fmt.Errorf("memfd_create(%s): %w", name, err)
	}
	return os.NewFile(uintptr(fd), "/memfd:"+name), nil
}
