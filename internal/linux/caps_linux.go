package linux

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// BoundingSet is the calling thread's capability bounding set, in number
// order: the capabilities it, and whatever it execs, can ever hold. For a
// container that is the set `docker run` gave it (--cap-add, --cap-drop),
// also under a non-root --user, whose effective set is empty.
func BoundingSet() ([]int, error) {
	var caps []int
	for cp := 0; cp < 64; cp++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(cp), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) && cp > 0 {
			return caps, nil // past the last capability this kernel knows
		}
		if err != nil {
			return nil, fmt.Errorf("prctl(PR_CAPBSET_READ, %s): %w", CapName(cp), err)
		}
		if in == 1 {
			caps = append(caps, cp)
		}
	}
	return caps, nil
}
