package forward

import (
	"context"
	"math"
	"time"
)

// bucket is a token bucket: rate tokens a second, at most burst saved,
// full at first. Only its forwarder's goroutine uses it.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

// newBucket is the bucket of r; nil (no limit) for no r.
func newBucket(r *RateLimit) *bucket {
	if r == nil {
		return nil
	}
	b := float64(r.Burst)
	return &bucket{rate: r.PerSecond, burst: b, tokens: b, last: time.Now()}
}

func (b *bucket) refill() {
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
}

// available is how many whole tokens there are now.
func (b *bucket) available() int {
	b.refill()
	return int(math.Floor(b.tokens))
}

// wait waits until there is a token, without taking it.
func (b *bucket) wait(ctx context.Context) error {
	for {
		b.refill()
		if b.tokens >= 1 {
			return nil
		}
		need := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		if err := sleep(ctx, max(need, time.Millisecond)); err != nil {
			return err
		}
	}
}

// take waits for a token and takes it.
func (b *bucket) take(ctx context.Context) error {
	if err := b.wait(ctx); err != nil {
		return err
	}
	b.tokens--
	return nil
}

// sleep waits d, or until ctx ends (its error).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
