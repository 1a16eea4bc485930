//go:build !linux

package supervisor

import (
	"fmt"

	"go.uber.org/zap"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// Run fails: vigil supervises only on Linux, and never pretends otherwise.
func Run(cfg Config, sigs *signals.Set, log *zap.Logger) (int, error) {
	return 0, fmt.Errorf("vigil run: %w", linux.ErrNotSupported)
}

// Sandbox fails: vigil supervises only on Linux.
func Sandbox() int { return 125 }

// LandlockABI is 0: no Landlock outside Linux.
func LandlockABI() int { return 0 }

// SeccompNotifyAvailable is false: vigil supervises only on Linux.
func SeccompNotifyAvailable() bool { return false }

// AppIsolation is "none": vigil supervises only on Linux.
func AppIsolation() string { return "none" }
