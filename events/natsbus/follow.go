package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
)

// FollowOptions select what Follow delivers.
type FollowOptions struct {
	// Workload and Kind filter by subject ("" for all).
	Workload string
	Kind     events.Kind
	// All delivers the whole stream first; else Since, when set, delivers
	// from that long ago; else only new events.
	All   bool
	Since time.Duration
}

// Follow reads events from the stream with an ordered consumer (no state
// on the server, nothing to clean up) and calls fn with each, in stream
// order, until ctx ends, fn returns an error (returned), or the stream is
// gone. A message that is not an event is reported to bad, when set, and
// skipped.
func Follow(ctx context.Context, nc *nats.Conn, opts FollowOptions, fn func(events.Event) error, bad func(error)) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	st, err := js.Stream(ctx, StreamName)
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamName, err)
	}
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{FilterSubject(opts.Workload, opts.Kind)},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	}
	switch {
	case opts.All:
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
	case opts.Since > 0:
		from := time.Now().Add(-opts.Since)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &from
	}
	c, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("consumer on %s: %w", StreamName, err)
	}
	it, err := c.Messages()
	if err != nil {
		return err
	}
	defer it.Stop()
	go func() {
		<-ctx.Done()
		it.Stop()
	}()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return err
		}
		e, err := events.Decode(msg.Data())
		if err != nil {
			if bad != nil {
				bad(fmt.Errorf("%s: %w", msg.Subject(), err))
			}
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}
