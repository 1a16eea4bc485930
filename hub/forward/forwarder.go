package forward

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
)

// How a forwarder reads its consumer.
const (
	// fetchBatch is the most events one fetch takes; maxAckPending the
	// most a forwarder holds unacknowledged, those waiting for a retry
	// included: what a dead target holds up.
	fetchBatch    = 8
	maxAckPending = 2 * fetchBatch
	// fetchWait bounds one fetch, and so how long Stop waits.
	fetchWait = time.Second
	// ackTimeout bounds the server's confirmation of an acknowledgement.
	ackTimeout = 5 * time.Second
)

// ackWait is the consumer's AckWait: long enough for a whole fetch to be
// sent, each event taking its timeout; what a crashed hub held comes back
// after it.
func ackWait(timeout time.Duration) time.Duration {
	return fetchBatch*(timeout+ackTimeout) + 30*time.Second
}

// forwarder sends the events of its consumer to its target, one at a
// time, in its own goroutine.
type forwarder struct {
	cfg    Forwarder
	cons   jetstream.Consumer
	target *target
	bucket *bucket
	report func(Status)
	stats  *counters
	// failures counts the failed attempts in a row; it sets the back-off.
	failures int
}

func (f *forwarder) run(ctx context.Context) {
	for ctx.Err() == nil {
		n := fetchBatch
		if f.bucket != nil {
			if f.bucket.wait(ctx) != nil {
				return
			}
			n = min(n, f.bucket.available())
		}
		batch, err := f.cons.Fetch(n, jetstream.FetchMaxWait(fetchWait))
		if err == nil {
			err = f.batch(ctx, batch)
		}
		if err != nil && ctx.Err() == nil {
			f.failures++
			d := f.cfg.Retry.delay(f.failures)
			f.fail(0, "", fmt.Errorf("reading consumer %s: %w", ConsumerName(f.cfg.Name), err), false, d)
			_ = sleep(ctx, d)
		}
	}
}

// batch handles one fetch's events. After a failure, the rest of the
// fetch waits with the failed event (the target is likely down), and the
// forwarder too.
func (f *forwarder) batch(ctx context.Context, batch jetstream.MessageBatch) error {
	var hold time.Duration
	for m := range batch.Messages() {
		switch {
		case ctx.Err() != nil:
			_ = m.Nak() // Stop: the next Start gets it at once
		case hold > 0:
			_ = m.NakWithDelay(hold)
		default:
			hold = f.handle(ctx, m)
		}
	}
	if hold > 0 {
		_ = sleep(ctx, hold)
	}
	return batch.Error()
}

// handle sends one event, or drops it by the filter; it returns how long
// to wait after a failure to retry.
func (f *forwarder) handle(ctx context.Context, m jetstream.Msg) time.Duration {
	var seq uint64
	if meta, err := m.Metadata(); err == nil {
		seq = meta.Sequence.Stream
	}
	e, err := events.Decode(m.Data())
	if err != nil {
		_ = m.TermWithReason("not a vigil event")
		f.fail(seq, "", fmt.Errorf("%s (stream sequence %d): %w", m.Subject(), seq, err), true, 0)
		return 0
	}
	if !f.cfg.Filter.Match(e) {
		_ = m.Ack()
		f.stats.filtered()
		return 0
	}
	if f.bucket != nil && f.bucket.take(ctx) != nil {
		_ = m.Nak()
		return 0
	}
	return f.sent(ctx, m, seq, e, f.target.send(ctx, e, m.Data()))
}

// sent settles a message by the outcome of its sending.
func (f *forwarder) sent(ctx context.Context, m jetstream.Msg, seq uint64, e events.Event, err error) time.Duration {
	var se *sendError
	switch {
	case err == nil:
		f.acked(m, seq, e)
		return 0
	case ctx.Err() != nil:
		_ = m.Nak()
		return 0
	case errors.As(err, &se) && se.permanent:
		_ = m.TermWithReason(se.msg)
		f.fail(seq, e.ID, fmt.Errorf("event %s given up: %w", e.ID, err), true, 0)
		return 0
	}
	f.failures++
	d := f.cfg.Retry.delay(f.failures)
	if se != nil && se.retryAfter > d {
		d = min(se.retryAfter, f.cfg.Retry.Max)
	}
	_ = m.NakWithDelay(d)
	f.fail(seq, e.ID, fmt.Errorf("event %s: %w", e.ID, err), false, d)
	return d
}

// acked acknowledges a delivered event and waits for the server to
// confirm it, so that a restart does not send it again.
func (f *forwarder) acked(m jetstream.Msg, seq uint64, e events.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	if err := m.DoubleAck(ctx); err != nil {
		f.fail(0, e.ID, fmt.Errorf("event %s delivered, but its acknowledgement failed (it may be sent again): %w", e.ID, err), false, 0)
	}
	f.stats.delivered(seq)
	if f.failures > 0 {
		f.failures = 0
		f.emit(Status{EventID: e.ID})
	}
}

func (f *forwarder) fail(seq uint64, id string, err error, givenUp bool, retryIn time.Duration) {
	f.stats.failed(seq, err, givenUp)
	f.emit(Status{EventID: id, Err: err, Permanent: givenUp, RetryIn: retryIn})
}

func (f *forwarder) emit(s Status) {
	if f.report != nil {
		s.Forwarder, s.Time = f.cfg.Name, time.Now()
		f.report(s)
	}
}
