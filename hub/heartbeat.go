package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

const (
	// checkEvery is the period of the silence check.
	checkEvery = 100 * time.Millisecond
	// beatBuffer is how many heartbeats may wait for the hub.
	beatBuffer = 4096
	// publishWait bounds the publication of one alert.
	publishWait = 5 * time.Second
)

// watchBeats follows the heartbeats (core NATS) and checks for silent
// guards until ctx ends.
func (h *Hub) watchBeats(ctx context.Context) error {
	beats := make(chan *nats.Msg, beatBuffer)
	subject := natsbus.HeartbeatPrefix + ".*"
	sub, err := h.cfg.Conn.ChanSubscribe(subject, beats)
	if err != nil {
		return fmt.Errorf("subscribing to %s: %w", subject, err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // nothing to do about it
	tick := time.NewTicker(checkEvery)
	defer tick.Stop()
	var link linkWatch
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-beats:
			h.beat(m)
		case now := <-tick.C:
			if link.up(h.cfg.Conn, now, h.guards) && h.ready.Load() {
				h.checkSilence(ctx, now)
			}
		}
	}
}

// beat applies one heartbeat message.
func (h *Hub) beat(m *nats.Msg) {
	e, err := events.Decode(m.Data)
	if err == nil && e.Kind != events.KindHeartbeat {
		err = fmt.Errorf("a %s event, not a heartbeat", e.Kind)
	}
	if err == nil && !fromSubject(m.Subject, natsbus.HeartbeatPrefix, e) {
		err = fmt.Errorf("the heartbeat of workload %q", e.Workload)
	}
	if err != nil {
		h.cfg.Report(fmt.Errorf("heartbeat on %s: %w", m.Subject, err))
		return
	}
	if w, ok := h.guards.beat(e, time.Now()); ok {
		h.broker.send(workloadMessage(w))
	}
}

// checkSilence marks silent the guards that stopped beating, tells the
// SSE clients, and publishes the alerts.
func (h *Hub) checkSilence(ctx context.Context, now time.Time) {
	defer h.checks.Add(1)
	changed, alerts, errs := h.guards.check(now)
	for _, err := range errs {
		h.cfg.Report(err)
	}
	for _, w := range changed {
		h.broker.send(workloadMessage(w))
	}
	for _, e := range alerts {
		if err := h.publish(ctx, e); err != nil {
			h.cfg.Report(fmt.Errorf("publishing the silent alert of %s (again at the next check): %w", e.Workload, err))
			continue
		}
		h.guards.published(e.Workload, e.ID)
	}
}

// linkWatch notices when the hub was cut off from the bus: it heard no
// heartbeat then, which says nothing of the guards.
type linkWatch struct {
	down       bool
	reconnects uint64
}

// up reports whether the connection is up; after an outage or a
// reconnection, it restarts every guard's wait from now.
func (l *linkWatch) up(nc *nats.Conn, now time.Time, gs *guards) bool {
	if !nc.IsConnected() {
		l.down = true
		return false
	}
	if r := nc.Stats().Reconnects; l.down || r != l.reconnects {
		gs.grace(now)
		l.down, l.reconnects = false, r
	}
	return true
}
