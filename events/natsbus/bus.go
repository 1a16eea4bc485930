// Package natsbus publishes vigil's events to a NATS JetStream stream,
// exactly once, through outages, storms and restarts of the guard.
//
// Every event is first appended to a disk outbox (package outbox), then
// published asynchronously with the header Nats-Msg-Id set to the event
// id, on vigil.events.<workload>.<kind> in the stream VIGIL_EVENTS. An
// event leaves the outbox when the stream acknowledges it. Whatever is not
// acknowledged (a lost connection, a timed-out acknowledgement, a guard
// killed and started again over the same outbox) is published again with
// the same id, and the stream's duplicate window keeps one copy: a failed
// acknowledgement does not mean the event was not stored.
//
// The connection is retried forever, with jitter. Memory does not grow
// with an outage: events wait on disk, and at most MaxInflight are in
// flight. When the outbox nears its cap, the least severe events are
// refused first, and a dropped event says how many of what were lost.
//
// On a NATS cluster the stream the guard creates has replicas (3 under
// auto, where the cluster can place them: see CreateStream), and the
// duplicate window is replicated with it: a server that dies loses
// nothing, and what it had not acknowledged is published again and kept
// once.
//
// Heartbeats go on vigil.heartbeat.<workload> (core NATS, not stored):
// a subscriber that stops seeing them knows the guard is gone. Events
// carry CloudEvents attributes as headers (binary content mode).
package natsbus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/outbox"
)

// seqHeader carries an event's outbox sequence to its acknowledgement;
// subscribers may ignore it.
const seqHeader = "Vigil-Outbox-Seq"

// Config configures Open.
type Config struct {
	Conn
	// Workload names the guard in subjects and events.
	Workload string
	// Container identifies it in the events the bus makes itself.
	Container events.Container
	// Outbox is the directory of the disk queue (DefaultOutbox when
	// empty), OutboxBytes its cap (outbox.DefaultMaxBytes when 0).
	Outbox      string
	OutboxBytes int64
	// Heartbeat is the period of heartbeats (DefaultHeartbeat when 0,
	// none when negative).
	Heartbeat time.Duration
	// FlushTimeout bounds how long Close waits for acknowledgements
	// (DefaultFlushTimeout when 0).
	FlushTimeout time.Duration
	// MaxInflight bounds the events published and not yet acknowledged
	// (DefaultMaxInflight when 0).
	MaxInflight int
	// Stream bounds the stream when the guard creates it; an existing
	// stream is used as it is.
	Stream StreamLimits
}

// Bus is an events.Sink that publishes to NATS. Its methods are safe for
// concurrent use.
type Bus struct {
	cfg   Config
	log   *zap.Logger
	box   *outbox.Outbox
	start time.Time

	nc atomic.Pointer[nats.Conn]
	js atomic.Pointer[jetstream.JetStream]

	wake chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup

	rewindMu  sync.Mutex
	rewind    uint64 // publish again from here (0: from the cursor)
	rewound   bool
	retryWait time.Duration // the back-off after failures, 0 without
	retryAt   time.Time     // no publishing before

	dropMu sync.Mutex // one flushDrops at a time: a count is reported once

	mu        sync.Mutex
	closed    bool
	drops     map[dropKey]int64
	dropWhy   string
	dropped   int64
	published map[events.Kind]int64
	lastErr   string
	lastErrAt time.Time
}

// Open opens the outbox, reports damage found in it, and starts
// connecting and publishing in the background: a server that is down or
// refuses the credentials delays delivery, never the guard. Only a bad
// configuration or an unusable outbox is an error.
func Open(cfg Config) (*Bus, error) {
	if err := errors.Join(cfg.Conn.Validate(), cfg.Stream.Validate()); err != nil {
		return nil, err
	}
	if cfg.Outbox == "" {
		cfg.Outbox = DefaultOutbox
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.FlushTimeout == 0 {
		cfg.FlushTimeout = DefaultFlushTimeout
	}
	if cfg.MaxInflight <= 0 {
		cfg.MaxInflight = DefaultMaxInflight
	}
	if cfg.Workload == "" {
		return nil, errors.New("no workload name")
	}
	if cfg.Name == "" {
		cfg.Name = "vigil " + cfg.Workload
	}
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	box, damage, err := outbox.Open(cfg.Outbox, outbox.Options{MaxBytes: cfg.OutboxBytes})
	if err != nil {
		return nil, err
	}
	b := &Bus{
		cfg: cfg, log: log, box: box, start: time.Now(),
		wake:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		drops:     map[dropKey]int64{},
		published: map[events.Kind]int64{},
	}
	for _, d := range damage {
		log.Error("outbox damaged: events lost", zap.String("outbox", cfg.Outbox), zap.Stringer("damage", d))
		b.emitDropped("outbox damaged", nil, 1, d.Bytes)
	}
	b.wg.Add(2)
	go b.run()
	go b.housekeeping()
	return b, nil
}

var _ events.ValidatedSink = (*Bus)(nil)

// Emit appends e to the outbox and has it published. An event the bus
// cannot keep (the outbox near its cap for e's severity, or e too large)
// returns an error matching events.ErrDropped and is counted in a dropped event.
func (b *Bus) Emit(e events.Event) error { return b.emit(e, events.Encode) }

// EmitValidated is Emit for an event the caller has validated (the
// storm aggregator in front of the bus does).
func (b *Bus) EmitValidated(e events.Event) error { return b.emit(e, events.EncodeValid) }

func (b *Bus) emit(e events.Event, encode func(events.Event) ([]byte, error)) error {
	line, err := encode(e)
	if err != nil {
		return err
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return events.ErrClosed
	}
	if len(line) > MaxEventBytes {
		b.emitDropped("too large", []events.DroppedGroup{group(e)}, e.Count, int64(len(line)))
		return fmt.Errorf("%w: event %s is %d bytes, over the bus's %d", events.ErrDropped, e.ID, len(line), MaxEventBytes)
	}
	if !b.admit(e.Severity, len(line)) {
		b.countDrop(e, "outbox full")
		return fmt.Errorf("%w: the outbox is full for %s events", events.ErrDropped, e.Severity)
	}
	if _, err := b.box.Append(recordHead(e), line); errors.Is(err, outbox.ErrClosed) {
		return events.ErrClosed
	} else if err != nil {
		b.countDrop(e, "outbox full")
		return fmt.Errorf("%w: %v", events.ErrDropped, err)
	}
	b.poke()
	return nil
}

// Close stops taking events, waits up to FlushTimeout for the
// acknowledgement of what the outbox holds (through a reconnection, if
// one comes in time), and closes the connection and the outbox. What is
// still unacknowledged stays on disk for the next guard, and is reported
// in the error.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.flushDrops()
	// Connected or not: the first connection may still be on its way (a
	// short-lived app), or a reconnection after an outage.
	for deadline := time.Now().Add(b.cfg.FlushTimeout); time.Now().Before(deadline) && b.pending() > 0; {
		b.poke()
		time.Sleep(time.Millisecond)
	}
	left := b.pending()
	close(b.stop)
	b.wg.Wait()
	if nc := b.nc.Load(); nc != nil {
		nc.Close()
	}
	err := b.box.Close()
	if left > 0 {
		err = errors.Join(err, fmt.Errorf("%d events not yet acknowledged by NATS stay in the outbox %s for the next start", left, b.cfg.Outbox))
	}
	b.mu.Lock()
	var unreported int64
	for _, n := range b.drops {
		unreported += n
	}
	b.mu.Unlock()
	if unreported > 0 {
		// Counted after the last dropped event could be made: said here.
		err = errors.Join(err, fmt.Errorf("%d events dropped at shutdown, not reported on the bus", unreported))
	}
	return err
}

// pending counts the events not yet acknowledged.
func (b *Bus) pending() uint64 {
	first, next := b.box.Range()
	return next - first
}

func (b *Bus) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// run connects, then publishes what the outbox holds until Close.
func (b *Bus) run() {
	defer b.wg.Done()
	if !b.connect() {
		return
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var next uint64
	for {
		if from, ok := b.takeRewind(); ok && from < next {
			next = from
		}
		if !b.waiting() {
			next = b.publishFrom(next)
		}
		select {
		case <-b.stop:
			return
		case <-b.wake:
		case <-tick.C:
		}
	}
}

// connect connects to NATS, retrying with jittered back-off until it
// succeeds or the bus is closed, and reports whether it did.
func (b *Bus) connect() bool {
	opts, err := b.cfg.options(
		nats.MaxReconnects(-1),
		// Every half second to 1 s (TLS: 2.5 s), each guard at its own
		// moment: a restarted server is not hit by all guards at once.
		nats.ReconnectWait(500*time.Millisecond),
		nats.Timeout(time.Second), // a connection attempt must not outlast Close's wait
		nats.ReconnectJitter(500*time.Millisecond, 2*time.Second),
		nats.ReconnectBufSize(-1), // the outbox is the buffer
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			// Permission violations come this way, asynchronously.
			b.log.Warn("NATS error", zap.Error(err))
			b.setErr(err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("NATS disconnected: events wait in the outbox", zap.Error(err))
				b.setErr(err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("NATS reconnected: publishing what the outbox holds", zap.String("server", nc.ConnectedUrlRedacted()))
			b.resetBackOff()
			b.requestRewind(0)
			b.poke()
		}),
	)
	if err != nil {
		b.setErr(err)
		b.log.Error("NATS: events wait in the outbox", zap.Error(err))
		<-b.stop
		return false
	}
	wait := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		nc, err := nats.Connect(b.cfg.URLs, opts...)
		if err == nil {
			b.nc.Store(nc)
			b.setupStream(nc)
			return true
		}
		b.setErr(err)
		if attempt == 0 || attempt%20 == 0 {
			b.log.Error("cannot connect to NATS: events wait in the outbox",
				zap.String("servers", redact(b.cfg.URLs)), zap.Error(err), zap.Uint64("outbox_events", b.pending()))
		}
		select {
		case <-b.stop:
			return false
		case <-time.After(wait/2 + rand.N(wait)):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// setupStream makes the JetStream context, and has the stream created.
func (b *Bus) setupStream(nc *nats.Conn) {
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(b.cfg.MaxInflight),
		jetstream.WithPublishAsyncTimeout(ackTimeout),
		jetstream.WithPublishAsyncAckHandler(b.acked),
		jetstream.WithPublishAsyncErrHandler(b.failed),
	)
	if err != nil {
		b.setErr(err)
		return
	}
	b.js.Store(&js)
	// Beside publishing, not before it: without the right to create it,
	// the request only times out. But a moment is worth waiting, or the
	// first events find no stream and are published again later.
	created := make(chan struct{})
	b.wg.Add(1)
	go func() {
		defer close(created)
		b.createStream(js)
	}()
	select {
	case <-created:
	case <-time.After(500 * time.Millisecond):
	case <-b.stop:
	}
}

// errCodeStorageExceeded is nats-server's JSStorageResourcesExceededErr:
// the stream's MaxBytes is more than its store or account may reserve.
const errCodeStorageExceeded jetstream.ErrorCode = 10047

// createStream creates the stream when the account may; with publish
// rights only, a pre-created stream is used as it is.
func (b *Bus) createStream(js jetstream.JetStream) {
	defer b.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		select {
		case <-b.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	p, err := CreateStream(ctx, js, b.cfg.Stream)
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		b.log.Debug("NATS stream ready", zap.String("stream", StreamName), zap.Stringer("limits", b.cfg.Stream),
			zap.Int("replicas", p.Replicas()))
		b.fellBack(p)
	case errors.Is(err, jetstream.ErrStreamNameAlreadyInUse):
		b.existingStream(ctx, js)
	case errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeStorageExceeded:
		b.log.Warn("the NATS server cannot hold a stream this large (its JetStream store or the account's is smaller); "+
			"events wait in the outbox until the stream exists: lower --stream-max-bytes, or create the stream as an administrator",
			zap.String("stream", StreamName), zap.Stringer("limits", b.cfg.Stream), zap.Error(err))
	case CannotPlace(err):
		b.log.Warn("the NATS server cannot place the stream's replicas (not clustered, or fewer JetStream servers than --nats-replicas); "+
			"events wait in the outbox until the stream exists: lower --nats-replicas, or create the stream as an administrator",
			zap.String("stream", StreamName), zap.Int("replicas", b.cfg.Stream.Replicas), zap.Error(err))
	default:
		b.log.Info("could not create the NATS stream; publishing to a pre-created one",
			zap.String("stream", StreamName), zap.Error(err))
	}
}

// existingStream says what the guard found: a stream made otherwise
// (another guard's limits, an administrator's, an older vigil's) is used
// as it is, but one without limits fills its server's disk.
func (b *Bus) existingStream(ctx context.Context, js jetstream.JetStream) {
	st, err := js.Stream(ctx, StreamName)
	if err != nil {
		b.log.Debug("NATS stream exists with another configuration; used as it is", zap.String("stream", StreamName))
		return
	}
	cfg := st.CachedInfo().Config
	b.fewReplicas(cfg.Replicas)
	have := LimitsOf(cfg)
	if cfg.MaxAge <= 0 && cfg.MaxBytes <= 0 {
		b.log.Warn("the NATS stream has no age or size limit: it grows until its server's disk or store is full, then refuses events; "+
			"used as it is (vigil-hub bounds its stream when it starts; see docs/nats.md)",
			zap.String("stream", StreamName))
		return
	}
	b.log.Debug("NATS stream exists with another configuration; used as it is",
		zap.String("stream", StreamName), zap.Stringer("limits", have))
}

// publishFrom publishes the outbox's pending events from sequence next on,
// up to MaxInflight in flight, and returns where it stopped.
func (b *Bus) publishFrom(next uint64) uint64 {
	nc, jsp := b.nc.Load(), b.js.Load()
	if nc == nil || jsp == nil || !nc.IsConnected() {
		return next
	}
	js := *jsp
	for js.PublishAsyncPending() < b.cfg.MaxInflight {
		seq, ok := b.box.Pending(next)
		if !ok {
			return next
		}
		payload, err := b.box.Read(seq)
		if err != nil {
			if b.box.Acked(seq) {
				next = seq + 1
				continue
			}
			b.setErr(err)
			return next
		}
		msg, err := message(b.cfg.Workload, seq, payload)
		if err != nil {
			// Only an event the outbox damaged in memory could fail here.
			b.log.Error("an outbox record is not an event: dropped", zap.Uint64("seq", seq), zap.Error(err))
			b.box.Ack(seq) //nolint:errcheck // the cursor file is rewritten at the next
			b.emitDropped("outbox damaged", nil, 1, int64(len(payload)))
			next = seq + 1
			continue
		}
		// The message carries its Nats-Msg-Id header already.
		if _, err := js.PublishMsgAsync(msg, jetstream.WithStallWait(50*time.Millisecond)); err != nil {
			if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
				b.setErr(err)
			}
			return next
		}
		next = seq + 1
	}
	return next
}

// acked is called by nats.go for each acknowledgement.
func (b *Bus) acked(_ jetstream.JetStream, m *nats.Msg, _ *jetstream.PubAck) {
	seq, err := strconv.ParseUint(m.Header.Get(seqHeader), 10, 64)
	if err != nil {
		return
	}
	if err := b.box.Ack(seq); err != nil {
		b.setErr(err)
	}
	b.mu.Lock()
	b.published[kindOf(m.Subject)]++
	b.mu.Unlock()
	b.resetBackOff()
	b.poke()
}

// failed is called by nats.go for a publish that got no acknowledgement
// or an error: the event is published again, with the same id; after a
// back-off that grows while the stream refuses (a stream that refuses
// everything is not hammered). An event the stream refuses for good (too
// large for it) is dropped and reported instead: it would hold the outbox
// behind it forever.
func (b *Bus) failed(_ jetstream.JetStream, m *nats.Msg, err error) {
	b.setErr(err)
	seq, perr := strconv.ParseUint(m.Header.Get(seqHeader), 10, 64)
	if perr != nil {
		return
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum {
		b.log.Error("the stream refuses an event as too large: dropped", zap.Uint64("seq", seq), zap.Error(err))
		var groups []events.DroppedGroup
		var count int64 = 1
		if e, derr := events.Decode(m.Data); derr == nil {
			groups, count = []events.DroppedGroup{group(e)}, e.Count
		}
		if err := b.box.Ack(seq); err != nil {
			b.setErr(err)
		}
		b.emitDropped("too large", groups, count, int64(len(m.Data)))
		return
	}
	if errors.As(err, &apiErr) || errors.Is(err, nats.ErrNoResponders) {
		// The server answered, and refused: it would again at once. (A
		// lost connection or a timed-out acknowledgement is the
		// reconnection's business, and comes back slowly anyway.)
		b.backOff()
	}
	b.requestRewind(seq)
	b.poke()
}

// backOff delays the next publishing: 100 ms after a first refusal,
// doubling up to 5 s while refusals go on; the refusals of the events
// already in flight count once. An acknowledgement or a reconnection ends
// it.
func (b *Bus) backOff() {
	b.rewindMu.Lock()
	defer b.rewindMu.Unlock()
	now := time.Now()
	if now.Before(b.retryAt) {
		return // this round of refusals is already backed off
	}
	b.retryWait = min(max(2*b.retryWait, 100*time.Millisecond), 5*time.Second)
	b.retryAt = now.Add(b.retryWait)
}

// resetBackOff lets publishing go on at once.
func (b *Bus) resetBackOff() {
	b.rewindMu.Lock()
	b.retryWait, b.retryAt = 0, time.Time{}
	b.rewindMu.Unlock()
}

// waiting reports whether publishing is backing off.
func (b *Bus) waiting() bool {
	b.rewindMu.Lock()
	defer b.rewindMu.Unlock()
	return time.Now().Before(b.retryAt)
}

func (b *Bus) requestRewind(seq uint64) {
	b.rewindMu.Lock()
	if !b.rewound || seq < b.rewind {
		b.rewind = seq
	}
	b.rewound = true
	b.rewindMu.Unlock()
}

func (b *Bus) takeRewind() (uint64, bool) {
	b.rewindMu.Lock()
	defer b.rewindMu.Unlock()
	seq, ok := b.rewind, b.rewound
	b.rewind, b.rewound = 0, false
	return seq, ok
}

func (b *Bus) setErr(err error) {
	b.mu.Lock()
	b.lastErr, b.lastErrAt = err.Error(), time.Now()
	b.mu.Unlock()
}

// Stats are the bus's counters, as heartbeats carry them.
func (b *Bus) Stats() events.HeartbeatDetails {
	first, next := b.box.Range()
	bytes, _ := b.box.Usage()
	b.mu.Lock()
	defer b.mu.Unlock()
	d := events.HeartbeatDetails{
		UptimeSeconds: int64(time.Since(b.start).Seconds()),
		Published:     make(map[events.Kind]int64, len(b.published)),
		Dropped:       b.dropped,
		OutboxRecords: int64(next - first),
		OutboxBytes:   bytes,
	}
	for k, n := range b.published {
		d.Published[k] = n
	}
	if b.lastErr != "" {
		d.LastPublishError = b.lastErr
		d.LastPublishErrorTime = b.lastErrAt.UTC().Format(time.RFC3339)
	}
	return d
}

// kindOf is the last token of an event subject.
func kindOf(subject string) events.Kind {
	for i := len(subject) - 1; i >= 0; i-- {
		if subject[i] == '.' {
			return events.Kind(subject[i+1:])
		}
	}
	return events.Kind(subject)
}
