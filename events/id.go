package events

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ids makes the event ids of one process strictly increasing, so they sort
// in emission order: the timestamp is taken under the same lock as the
// entropy (with ulid.LockedMonotonicReader alone, a goroutine holding an
// older timestamp resets the entropy of the newer millisecond) and never
// goes backwards.
var ids = struct {
	sync.Mutex
	entropy *ulid.MonotonicEntropy
	lastMS  uint64
}{entropy: ulid.Monotonic(rand.Reader, 0)}

// newID returns a ULID for t. The monotonic entropy can only fail by
// overflowing the ids of one millisecond (about 2^48); the next millisecond
// starts afresh.
func newID(t time.Time) string {
	ids.Lock()
	defer ids.Unlock()
	ids.lastMS = max(ids.lastMS, ulid.Timestamp(t))
	for {
		id, err := ulid.New(ids.lastMS, ids.entropy)
		if err == nil {
			return id.String()
		}
		if !errors.Is(err, ulid.ErrMonotonicOverflow) {
			// Only a time past the year 10889 gets here.
			panic(fmt.Sprintf("bug: event id for %v: %v", t, err))
		}
		ids.lastMS++
	}
}

// NewID returns a fresh event id, for producers that build an Event without
// New.
func NewID() string { return newID(time.Now()) }
