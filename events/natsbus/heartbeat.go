package natsbus

import (
	"time"

	"github.com/vigilsec/vigil/events"
)

// housekeeping, once a second until Close, reports the events counted
// as dropped (one dropped event a second at most, whatever the storm) and
// syncs the outbox to disk; and publishes a heartbeat every Heartbeat.
func (b *Bus) housekeeping() {
	defer b.wg.Done()
	second := time.NewTicker(time.Second)
	defer second.Stop()
	var beats <-chan time.Time
	if b.cfg.Heartbeat > 0 {
		t := time.NewTicker(b.cfg.Heartbeat)
		defer t.Stop()
		beats = t.C
	}
	for {
		select {
		case <-b.stop:
			return
		case <-second.C:
			b.flushDrops()
			if err := b.box.Sync(); err != nil {
				b.setErr(err)
			}
		case <-beats:
			b.beat()
		}
	}
}

// beat publishes one heartbeat, when connected: a heartbeat is news only
// when it is fresh, so it never waits in the outbox.
func (b *Bus) beat() {
	nc := b.nc.Load()
	if nc == nil || !nc.IsConnected() {
		return
	}
	ev := events.New(events.KindHeartbeat, "vigil.heartbeat", events.SeverityInfo, events.ActionAlert)
	ev.Workload, ev.Container = b.cfg.Workload, b.cfg.Container
	if err := ev.SetDetails(b.Stats()); err != nil {
		return
	}
	line, err := events.Encode(ev)
	if err != nil {
		return
	}
	if err := nc.Publish(HeartbeatSubject(b.cfg.Workload), line); err != nil {
		b.setErr(err)
	}
}
