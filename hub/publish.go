package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// publish stores one of the hub's own events in the stream, as a guard
// would (natsbus's headers): its id is the Nats-Msg-Id, so the stream
// keeps one copy whoever publishes it and however often.
func (h *Hub) publish(ctx context.Context, e events.Event) error {
	line, err := events.Encode(e)
	if err != nil {
		return err
	}
	js, err := jetstream.New(h.cfg.Conn)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, publishWait)
	defer cancel()
	if _, err := js.PublishMsg(ctx, eventMsg(e, line)); err != nil {
		return fmt.Errorf("publishing event %s: %w", e.ID, err)
	}
	return nil
}

// eventMsg is the NATS message of e, whose JSON is line.
func eventMsg(e events.Event, line []byte) *nats.Msg {
	return &nats.Msg{
		Subject: natsbus.Subject(e.Workload, e.Kind),
		Data:    line,
		Header: nats.Header{
			jetstream.MsgIDHeader: {e.ID},
			"ce-specversion":      {natsbus.CESpecVersion},
			"ce-id":               {e.ID},
			"ce-type":             {natsbus.CETypePrefix + string(e.Kind)},
			"ce-source":           {natsbus.CESourcePrefix + natsbus.Token(e.Workload)},
			"ce-time":             {e.Time.UTC().Format(time.RFC3339Nano)},
			"content-type":        {"application/json"},
		},
	}
}
