package main

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/signals"
)

const runExitCodes = `
Exit status (as docker run):
  the app's own code   when it exits
  128+N                when signal N killed it
  127                  CMD not found
  126                  CMD found but not executable
  125                  vigil's own error (bad flag or configuration, cannot start)
`

// runFlags defines the flags of vigil run on fs and returns the config they fill.
func runFlags(fs *pflag.FlagSet) *supervisor.Config {
	cfg := supervisor.DefaultConfig()
	fs.BoolVar(&cfg.Group, "group", false, "forward signals to the app's process group, not only the app")
	fs.DurationVar(&cfg.Grace, "grace", cfg.Grace, "at shutdown, time between SIGTERM and SIGKILL for processes left running")
	return &cfg
}

func setupRun(fs *pflag.FlagSet, sigs *signals.Set) func([]string) int {
	cfg := runFlags(fs)
	lf := addLogFlags(fs)
	return func(args []string) int {
		if sigs == nil {
			fail("run: bug: signal handlers were not registered at start")
			return exitError
		}
		cfg.Args = args
		if err := cfg.Validate(); err != nil {
			fail("run: %v", err)
			return exitError
		}
		log, err := newLogger(lf)
		if err != nil {
			fail("run: %v", err)
			return exitError
		}
		defer log.Sync() //nolint:errcheck // stderr may not support sync
		code, err := supervisor.Run(*cfg, sigs, log)
		switch {
		case errors.Is(err, supervisor.ErrCommandNotFound):
			fail("run: %v", err)
			return 127
		case errors.Is(err, supervisor.ErrNotExecutable):
			fail("run: %v", err)
			return 126
		case err != nil:
			fail("run: %v", err)
			return exitError
		}
		return code
	}
}
