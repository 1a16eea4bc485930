//go:build !linux

package linux

import "fmt"

// BoundingSet fails: capability bounding sets are Linux's.
func BoundingSet() ([]int, error) {
	return nil, fmt.Errorf("prctl(PR_CAPBSET_READ): %w", ErrNotSupported)
}
