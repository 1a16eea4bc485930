package events

import (
	"errors"
	"time"
)

// Defaults of an Aggregator.
const (
	DefaultWindow   = time.Second
	DefaultMaxKeys  = 10_000
	DefaultMaxBytes = 16 << 20
)

type aggConfig struct {
	window   time.Duration
	maxKeys  int
	maxBytes int
	onError  func(error)
}

// AggregatorOption configures NewAggregator.
type AggregatorOption func(*aggConfig)

// WithWindow sets the aggregation window (default DefaultWindow, 1s). It
// must be positive.
func WithWindow(d time.Duration) AggregatorOption {
	return func(c *aggConfig) { c.window = d }
}

// WithMaxKeys caps the distinct events held in one window (default
// DefaultMaxKeys, 10,000). Past the cap, new distinct events pass through
// unaggregated. It must be at least 1.
func WithMaxKeys(n int) AggregatorOption {
	return func(c *aggConfig) { c.maxKeys = n }
}

// WithMaxBytes caps the memory the events held in one window take, as
// counted by their strings and details plus a fixed overhead each (default
// DefaultMaxBytes, 16 MiB). With arguments in what makes events identical,
// a storm of distinct arguments holds one event per distinct call: this
// bounds it whatever their size. Past the cap, new distinct events pass
// through unaggregated. It must be at least 1.
func WithMaxBytes(n int) AggregatorOption {
	return func(c *aggConfig) { c.maxBytes = n }
}

// WithErrorHandler sets a function called, from the aggregator's own
// goroutine, with each error of emitting a summary at the end of a window
// (default: none; Close still reports them).
func WithErrorHandler(f func(error)) AggregatorOption {
	return func(c *aggConfig) { c.onError = f }
}

func newAggConfig(opts []AggregatorOption) (aggConfig, error) {
	c := aggConfig{window: DefaultWindow, maxKeys: DefaultMaxKeys, maxBytes: DefaultMaxBytes}
	for _, o := range opts {
		o(&c)
	}
	var errs []error
	if c.window <= 0 {
		errs = append(errs, errors.New("window must be positive"))
	}
	if c.maxKeys < 1 {
		errs = append(errs, errors.New("max keys must be at least 1"))
	}
	if c.maxBytes < 1 {
		errs = append(errs, errors.New("max bytes must be at least 1"))
	}
	return c, errors.Join(errs...)
}
