package main

import (
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/procwatch"
)

// setupScan puts the /proc scan into cfg, every interval (0: none), when
// the rule pack (whose proc.* rules it applies) is on. Where
// vigil does not own its PID namespace (neither it nor its parent is PID
// 1: a child subreaper on a host), it judges only its own descendants.
func setupScan(cfg *supervisor.Config, interval time.Duration, cred supervisor.Credential, pack *rules.Pack, declared func(string, netip.AddrPort) bool) error {
	if interval == 0 || pack == nil {
		return nil
	}
	sc := &procwatch.ScanConfig{Interval: interval, Self: os.Getpid(), DescendantsOnly: os.Getpid() != 1 && os.Getppid() != 1, Declared: declared}
	if cred.SetUser {
		uid := cred.UID
		sc.AppUser = &uid
	}
	if err := sc.Validate(); err != nil {
		return fmt.Errorf("--scan-interval: %w", err)
	}
	cfg.Scan = sc
	return nil
}
