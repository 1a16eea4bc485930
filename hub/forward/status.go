package forward

import (
	"sync"
	"time"
)

// Status is what a forwarder reports as it happens: a failure, or the
// first delivery after failures. Report callbacks get it from the
// forwarders' goroutines, maybe several at once.
type Status struct {
	Forwarder string
	Time      time.Time
	// EventID is the event concerned, "" when none (the stream could not
	// be read).
	EventID string
	// Err is what went wrong; nil says the target takes events again.
	Err error
	// Permanent says the forwarder gave the event up: the target refused
	// it for good (a 4xx but 401, 403, 404, 408, 425, 429), or it was not
	// a vigil event. It stays in the stream, but is not sent again.
	Permanent bool
	// RetryIn is when the event is tried again, for a failure that is not
	// permanent.
	RetryIn time.Duration
}

// Stats are a forwarder's counters since Start.
type Stats struct {
	Name string
	Type Type
	// Delivered: events the target accepted (2xx). Filtered: events the
	// filter dropped. Failed: events given up (Status.Permanent).
	Delivered, Filtered, Failed uint64
	// Errors counts the failed attempts, retried ones included.
	Errors uint64
	// Retrying is how many events failed and wait to be tried again.
	Retrying int
	// LastError is the latest failure, at LastErrorTime; LastDelivery is
	// when the target last accepted an event.
	LastError     string
	LastErrorTime time.Time
	LastDelivery  time.Time
}

// counters are a forwarder's Stats, shared with Stats callers.
type counters struct {
	mu       sync.Mutex
	s        Stats
	retrying map[uint64]bool // stream sequences that failed and wait
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	s.Retrying = len(c.retrying)
	return s
}

func (c *counters) delivered(seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Delivered++
	c.s.LastDelivery = time.Now()
	delete(c.retrying, seq)
}

func (c *counters) filtered() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Filtered++
}

// failed counts a failed attempt at seq (0: none), given up or retried.
func (c *counters) failed(seq uint64, err error, givenUp bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Errors++
	c.s.LastError, c.s.LastErrorTime = err.Error(), time.Now()
	switch {
	case givenUp:
		c.s.Failed++
		delete(c.retrying, seq)
	case seq != 0:
		c.retrying[seq] = true
	}
}
