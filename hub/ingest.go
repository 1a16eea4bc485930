package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events/natsbus"
)

const (
	// retryWait is the pause before the hub sets its consumer up again
	// after a failure (no stream yet, consumer deleted).
	retryWait = time.Second
	// ackWait is the durable consumer's AckWait: a message delivered
	// and not acknowledged in that time is delivered again.
	ackWait = 30 * time.Second
	// pullBatch is how many messages the consumer has in flight.
	pullBatch = 1000
	// rebuildWait bounds the wait for one message while rebuilding.
	rebuildWait = 5 * time.Second
)

// eventsFilter is the subjects the hub reads: every event.
var eventsFilter = natsbus.EventsPrefix + ".>"

// consumeLoop sets the consumer up and reads with it, again after each
// failure, until ctx ends or the connection is closed.
func (h *Hub) consumeLoop(ctx context.Context) error {
	for {
		err := h.consume(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case h.cfg.Conn.IsClosed():
			return fmt.Errorf("reading the stream %s: %w", natsbus.StreamName, nats.ErrConnectionClosed)
		}
		h.cfg.Report(err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retryWait):
		}
	}
}

// consume sets up the durable consumer, rebuilds the view the first
// time, and takes every message into the view, acknowledging it there.
func (h *Hub) consume(ctx context.Context) error {
	js, err := jetstream.New(h.cfg.Conn)
	if err != nil {
		return fmt.Errorf("reading the stream %s: %w", natsbus.StreamName, err)
	}
	st, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return fmt.Errorf("reading the stream %s: %w", natsbus.StreamName, err)
	}
	c, resume, err := h.durable(ctx, st)
	if err != nil {
		return err
	}
	if h.view.len() == 0 {
		if err := h.rebuild(ctx, st, resume); err != nil {
			return err
		}
	}
	h.ready.Store(true)
	defer h.ready.Store(false)
	return h.read(ctx, c)
}

// durable returns the hub's durable consumer, made when missing, and
// the stream sequence the view must be rebuilt up to: what it
// acknowledged before. Messages delivered and not acknowledged (a hub
// that died) are delivered again at once rather than after AckWait.
func (h *Hub) durable(ctx context.Context, st jetstream.Stream) (jetstream.Consumer, uint64, error) {
	c, err := st.Consumer(ctx, h.cfg.Name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return h.createDurable(ctx, st)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("durable consumer %s on %s: %w", h.cfg.Name, natsbus.StreamName, err)
	}
	info := c.CachedInfo()
	acked := max(info.AckFloor.Stream, info.Config.OptStartSeq-min(info.Config.OptStartSeq, 1))
	if info.Delivered.Stream > acked {
		if _, err := st.ResetConsumerToSequence(ctx, h.cfg.Name, acked+1); err != nil {
			// An older server: they come again after AckWait, and the
			// view skips those it holds.
			h.cfg.Report(fmt.Errorf("durable consumer %s: delivering again from %d: %w", h.cfg.Name, acked+1, err))
		}
	}
	// The view is rebuilt up to what was delivered, not only acknowledged:
	// without a reset, the first AckAll of a newer message would also
	// acknowledge those the dead hub held, and they would never come again
	// (seen on nats-server 2.9: the hub's own silent alert missing after a
	// restart). The view skips those it then gets twice.
	return c, max(acked, info.Delivered.Stream), nil
}

// createDurable makes the consumer, starting after the newest event the
// hub holds, or else after the stream's last: what came before is
// history, rebuilt into the view, not news.
func (h *Hub) createDurable(ctx context.Context, st jetstream.Stream) (jetstream.Consumer, uint64, error) {
	last := h.view.lastSeq()
	if last == 0 {
		info, err := st.Info(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("stream %s: %w", natsbus.StreamName, err)
		}
		last = info.State.LastSeq
	}
	c, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       h.cfg.Name,
		Description:   "vigil-hub: the dashboard's view of the events",
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   last + 1,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
		MaxAckPending: 2 * pullBatch,
		FilterSubject: eventsFilter,
	})
	if errors.Is(err, jetstream.ErrConsumerExists) {
		return h.durable(ctx, st) // another hub of the same name, just now
	}
	if err != nil {
		return nil, 0, fmt.Errorf("creating the durable consumer %s on %s: %w", h.cfg.Name, natsbus.StreamName, err)
	}
	return c, last, nil
}

// read takes the consumer's messages into the view until ctx ends or the
// consumer fails. It acknowledges after the event is in the view, every
// ackEvery messages or when none came for ackIdle (AckAll: the last
// acknowledges those before it); a hub that dies reads the others again.
func (h *Hub) read(ctx context.Context, c jetstream.Consumer) error {
	it, err := c.Messages(jetstream.PullMaxMessages(pullBatch))
	if err != nil {
		return fmt.Errorf("reading with the durable consumer %s: %w", h.cfg.Name, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	var acks acker
	defer acks.flush(h.cfg.Report)
	for {
		msg, err := it.Next(jetstream.NextMaxWait(ackIdle))
		switch {
		case errors.Is(err, nats.ErrTimeout):
			acks.flush(h.cfg.Report)
			continue
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			return fmt.Errorf("reading with the durable consumer %s: %w", h.cfg.Name, err)
		}
		h.take(msg)
		acks.add(msg, h.cfg.Report)
	}
}

// Acknowledgement batching.
const (
	ackEvery = 100
	ackIdle  = 20 * time.Millisecond
)

// acker acknowledges the last of a run of messages.
type acker struct {
	last jetstream.Msg
	n    int
}

func (a *acker) add(msg jetstream.Msg, report func(error)) {
	a.last, a.n = msg, a.n+1
	if a.n >= ackEvery {
		a.flush(report)
	}
}

func (a *acker) flush(report func(error)) {
	if a.last == nil {
		return
	}
	if err := a.last.Ack(); err != nil {
		report(fmt.Errorf("acknowledging the events up to %s: %w", a.last.Subject(), err))
	}
	a.last, a.n = nil, 0
}

// take decodes one message and applies it; a message that is not an
// event is reported and skipped.
func (h *Hub) take(msg jetstream.Msg) {
	var seq uint64
	if md, err := msg.Metadata(); err == nil {
		seq = md.Sequence.Stream
	}
	e, err := decode(msg.Data())
	if err != nil {
		h.cfg.Report(fmt.Errorf("stream message %d on %s: %w", seq, msg.Subject(), err))
		return
	}
	h.apply(e, msg.Data(), seq, msg.Subject())
}

// rebuild reads the events up to the stream sequence upTo, the last
// MaxEvents of them, into the view, with an ordered consumer: what the
// hub had read before it stopped.
func (h *Hub) rebuild(ctx context.Context, st jetstream.Stream, upTo uint64) error {
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("rebuilding the view: stream %s: %w", natsbus.StreamName, err)
	}
	first := info.State.FirstSeq
	if upTo == 0 || upTo < first || info.State.Msgs == 0 {
		return nil
	}
	from := first
	if n := uint64(h.cfg.MaxEvents); upTo >= n && upTo-n+1 > first {
		from = upTo - n + 1
	}
	oc, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{eventsFilter},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
		// nats.go retries a failed ordered consumer under the same name,
		// forever by default; nats-server 2.9.10 may have placed
		// that R1 consumer on a dead server, so the retries never end
		// (see natsbus.Follow). Once, then consume's error and a new one.
		MaxResetAttempts: 1,
	})
	if err != nil {
		return fmt.Errorf("rebuilding the view from %d: %w", from, err)
	}
	return h.readHistory(ctx, oc, upTo)
}

func (h *Hub) readHistory(ctx context.Context, oc jetstream.Consumer, upTo uint64) error {
	it, err := oc.Messages(jetstream.PullMaxMessages(pullBatch))
	if err != nil {
		return fmt.Errorf("rebuilding the view: %w", err)
	}
	defer it.Stop()
	for ctx.Err() == nil {
		msg, err := it.Next(jetstream.NextMaxWait(rebuildWait))
		if errors.Is(err, nats.ErrTimeout) {
			return nil // nothing more up to upTo
		}
		if err != nil {
			return fmt.Errorf("rebuilding the view: %w", err)
		}
		md, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("rebuilding the view: %w", err)
		}
		if md.Sequence.Stream > upTo {
			return nil // the durable consumer's
		}
		h.take(msg)
		if md.Sequence.Stream == upTo || md.NumPending == 0 {
			return nil
		}
	}
	return nil
}
