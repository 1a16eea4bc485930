//go:build !linux

package procwatch

import "github.com/vigilsec/vigil/internal/linux"

// Scanner is the /proc scan; it exists on Linux only.
type Scanner struct{}

// NewScanner fails: the scan reads Linux's /proc.
func NewScanner(cfg ScanConfig) (*Scanner, error) { return nil, linux.ErrNotSupported }

// Scan fails: the scan reads Linux's /proc.
func (s *Scanner) Scan() ([]Finding, error) { return nil, linux.ErrNotSupported }

// Run fails: the scan reads Linux's /proc.
func (s *Scanner) Run(stop <-chan struct{}, report func(Finding)) error {
	return linux.ErrNotSupported
}
