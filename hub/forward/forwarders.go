package forward

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events/natsbus"
)

// ConsumerPrefix starts the name of every forwarder's durable consumer.
const ConsumerPrefix = "vigil-forward-"

// ConsumerName is the durable consumer of the forwarder called name.
func ConsumerName(name string) string { return ConsumerPrefix + name }

// Forwarders are running forwarders.
type Forwarders struct {
	fws    []*forwarder
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start creates or updates each forwarder's durable consumer on the
// stream VIGIL_EVENTS, which must exist, then runs each in its own
// goroutine until ctx ends or Stop. A new consumer starts with the events
// published after it is made; an existing one goes on where it was.
// report, when not nil, is told of each failure and recovery (see
// Status); it must not block for long.
func Start(ctx context.Context, nc *nats.Conn, cfg *Config, report func(Status)) (*Forwarders, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("starting forwarders: %w", err)
	}
	fs := &Forwarders{}
	for _, fc := range cfg.Forwarders {
		cons, err := js.CreateOrUpdateConsumer(ctx, natsbus.StreamName, consumerConfig(fc))
		if err != nil {
			return nil, fmt.Errorf("starting forwarder %s: consumer %s on %s: %w", fc.Name, ConsumerName(fc.Name), natsbus.StreamName, err)
		}
		fs.fws = append(fs.fws, &forwarder{
			cfg: fc, cons: cons, target: newTarget(fc), bucket: newBucket(fc.RateLimit), report: report,
			stats: &counters{s: Stats{Name: fc.Name, Type: fc.Type}, retrying: map[uint64]bool{}},
		})
	}
	ctx, fs.cancel = context.WithCancel(ctx)
	for _, f := range fs.fws {
		fs.wg.Go(func() { f.run(ctx) })
	}
	return fs, nil
}

// consumerConfig is the durable consumer of f.
func consumerConfig(f Forwarder) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName(f.Name),
		Description:    fmt.Sprintf("vigil-hub forwarder %s (%s)", f.Name, f.Type),
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ackWait(f.Timeout),
		MaxDeliver:     -1, // nothing is dropped for failing too often
		MaxAckPending:  maxAckPending,
		FilterSubjects: f.Filter.subjects(),
	}
}

// Stop stops every forwarder and waits for them, at most about a second:
// the events they hold go back to the stream for the next Start.
func (fs *Forwarders) Stop() {
	fs.cancel()
	fs.wg.Wait()
}

// Stats are each forwarder's counters, in the file's order.
func (fs *Forwarders) Stats() []Stats {
	out := make([]Stats, len(fs.fws))
	for i, f := range fs.fws {
		out[i] = f.stats.snapshot()
	}
	return out
}
