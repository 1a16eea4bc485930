//go:build !linux

package filewatch

// MountPoints returns none: only Linux has /proc/self/mountinfo.
func MountPoints() ([]string, error) { return nil, nil }
