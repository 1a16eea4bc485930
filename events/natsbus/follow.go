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

// silenceFactor is how many of a guard's heartbeat periods pass without
// one before WatchHeartbeats says it went silent.
const silenceFactor = 3

// WatchHeartbeats follows the heartbeats of one workload ("" or "*": all)
// until ctx ends: fn gets each one, and silent is told once when a guard
// that was beating sends none for three of its periods (the time between
// its last two heartbeats; DefaultHeartbeat until it has sent two). It
// is told again only after the guard beats again.
func WatchHeartbeats(ctx context.Context, nc *nats.Conn, workload string, fn func(events.Event), silent func(workload string, last time.Time)) error {
	subject := HeartbeatPrefix + ".*"
	if workload != "" && workload != "*" {
		subject = HeartbeatSubject(workload)
	}
	beats := make(chan *nats.Msg, 256)
	sub, err := nc.ChanSubscribe(subject, beats)
	if err != nil {
		return fmt.Errorf("subscribing to %s: %w", subject, err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // the connection closes next
	type guard struct {
		last, prev time.Time
		reported   bool
	}
	guards := map[string]*guard{}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-beats:
			e, err := events.Decode(m.Data)
			if err != nil || e.Kind != events.KindHeartbeat {
				continue
			}
			g := guards[e.Workload]
			if g == nil {
				g = &guard{}
				guards[e.Workload] = g
			}
			g.prev, g.last, g.reported = g.last, time.Now(), false
			fn(e)
		case now := <-tick.C:
			for w, g := range guards {
				period := DefaultHeartbeat
				if !g.prev.IsZero() {
					period = g.last.Sub(g.prev)
				}
				if !g.reported && now.Sub(g.last) > silenceFactor*period {
					g.reported = true
					silent(w, g.last)
				}
			}
		}
	}
}
