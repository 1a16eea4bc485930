package supervisor

import (
	"fmt"
	"time"
)

// DefaultGrace is how long remaining processes get between SIGTERM and SIGKILL.
const DefaultGrace = 10 * time.Second

// Config is what the supervisor needs to run one app.
type Config struct {
	// Args is the app's argv; Args[0] is looked up in $PATH when it has no slash.
	Args []string
	// Group forwards signals to the app's process group instead of the app alone.
	Group bool
	// Grace is the time between SIGTERM and SIGKILL for processes left at shutdown.
	Grace time.Duration
}

// DefaultConfig returns a Config with every default set.
func DefaultConfig() Config {
	return Config{Grace: DefaultGrace}
}

// Validate reports the first problem that would keep the app from starting.
func (c Config) Validate() error {
	if len(c.Args) == 0 || c.Args[0] == "" {
		return ErrNoCommand
	}
	if c.Grace < 0 {
		return fmt.Errorf("grace period %s is negative", c.Grace)
	}
	return nil
}
