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
//
// A server that dies does not end it, nor lose an event: it follows
// again with a new ordered consumer from the event after the last it
// delivered.
func Follow(ctx context.Context, nc *nats.Conn, opts FollowOptions, fn func(events.Event) error, bad func(error)) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	st, err := js.Stream(ctx, StreamName)
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamName, err)
	}
	f := &follower{st: st, cfg: orderedConfig(opts, st.CachedInfo().State.LastSeq), fn: fn, bad: bad}
	for {
		err := f.follow(ctx)
		var stopped fnError
		switch {
		case ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed):
			return nil
		case errors.As(err, &stopped):
			return stopped.err
		case errors.Is(err, jetstream.ErrStreamNotFound) || nc.IsClosed():
			return fmt.Errorf("following the stream %s: %w", StreamName, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followRetry):
		}
	}
}

const (
	// followHeartbeat is the consumer's idle heartbeat: two missed, and
	// its server is taken for dead and the consumer made again.
	followHeartbeat = 5 * time.Second
	// followRetry is the pause before following again after a failure.
	followRetry = time.Second
)

// orderedConfig is the ordered consumer of opts. Only new events are
// those after lastSeq, the stream's last now: when the consumer must be
// made again before one came, it starts there, not at what is new then.
//
// MaxResetAttempts: nats.go makes a failed ordered consumer again under
// the same name, forever by default. nats-server 2.9.10 (Debian's)
// places an R1 consumer on any of the stream's servers, a dead one too
// (fixed in nats-io/nats-server#3820, for servers it knows offline); the
// request for that name then times out again and again, and Follow hung.
// One attempt, then Follow makes a new consumer, of a new name and a new
// placement.
func orderedConfig(opts FollowOptions, lastSeq uint64) jetstream.OrderedConsumerConfig {
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects:   []string{FilterSubject(opts.Workload, opts.Kind)},
		DeliverPolicy:    jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:      lastSeq + 1,
		MaxResetAttempts: 1,
	}
	switch {
	case opts.All:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverAllPolicy, 0
	case opts.Since > 0:
		from := time.Now().Add(-opts.Since)
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, 0, &from
	}
	return cfg
}

// follower is one Follow: what it delivers, and from where it goes on.
type follower struct {
	st  jetstream.Stream
	cfg jetstream.OrderedConsumerConfig
	fn  func(events.Event) error
	bad func(error)
}

// fnError is the error of Follow's fn, which ends it.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// follow delivers with one ordered consumer until it fails.
func (f *follower) follow(ctx context.Context) error {
	c, err := f.st.OrderedConsumer(ctx, f.cfg)
	if err != nil {
		return fmt.Errorf("consumer on %s: %w", StreamName, err)
	}
	it, err := c.Messages(jetstream.PullHeartbeat(followHeartbeat))
	if err != nil {
		return fmt.Errorf("consumer on %s: %w", StreamName, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			return err
		}
		if md, err := msg.Metadata(); err == nil {
			f.resumeAfter(md.Sequence.Stream)
		}
		if err := f.deliver(msg); err != nil {
			return fnError{err}
		}
	}
}

// resumeAfter makes the next consumer start after the stream sequence seq.
func (f *follower) resumeAfter(seq uint64) {
	f.cfg.DeliverPolicy, f.cfg.OptStartSeq, f.cfg.OptStartTime = jetstream.DeliverByStartSequencePolicy, seq+1, nil
}

// deliver decodes msg and calls fn with it, or tells bad.
func (f *follower) deliver(msg jetstream.Msg) error {
	e, err := events.Decode(msg.Data())
	if err != nil {
		if f.bad != nil {
			f.bad(fmt.Errorf("%s: %w", msg.Subject(), err))
		}
		return nil
	}
	return f.fn(e)
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
