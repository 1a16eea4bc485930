//go:build !linux

package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// parseProfile fails: moby's loader resolves minKernel with uname(2).
func parseProfile([]byte, []string) (*specs.LinuxSeccomp, error) {
	return nil, fmt.Errorf("moby profile loader: %w", ErrNotSupported)
}
