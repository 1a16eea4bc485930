package hub

import (
	"context"
	"slices"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// TestDurableRestart: a hub stopped while events come, started again,
// holds every event once, in stream order, the last MaxEvents of them.
func TestDurableRestart(t *testing.T) {
	tests := []struct {
		name          string
		giveMax       int
		giveUnacked   int // messages the dead hub was handed and did not acknowledge
		wantHeldCount int
	}{
		{name: "all held", wantHeldCount: 100},
		{name: "bounded view", giveMax: 30, wantHeldCount: 30},
		{name: "died with messages in flight", giveUnacked: 10, wantHeldCount: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := startNATS(t)
			pub := newPublisher(t, url)
			var want []string
			publish := func(n int) {
				for range n {
					e := fileEvent("shop")
					pub.publish(e)
					want = append(want, e.ID)
				}
			}
			first := startHub(t, url, Config{MaxEvents: tt.giveMax})
			publish(50)
			waitHeld(t, first.Hub, min(50, tt.wantHeldCount))
			natsWaitAcked(t, url, 50)
			first.stop()
			publish(50)
			if tt.giveUnacked > 0 {
				takeUnacked(t, url, tt.giveUnacked)
			}
			again := startHub(t, url, Config{MaxEvents: tt.giveMax})
			waitHeld(t, again.Hub, tt.wantHeldCount)
			natsWaitAcked(t, url, 100)
			var got []string
			again.view.each(filter{}, func(e *entry) { got = append(got, e.id) })
			if wantTail := want[len(want)-tt.wantHeldCount:]; !slices.Equal(got, wantTail) {
				t.Errorf("held %d events %v,\nwant the last %d %v", len(got), got, len(wantTail), wantTail)
			}
		})
	}
}

// natsWaitAcked waits until the hub's consumer acknowledged n messages.
func natsWaitAcked(t *testing.T, url string, n uint64) {
	t.Helper()
	c := durableConsumer(t, url)
	waitFor(t, "acknowledgements", func() bool {
		info, err := c.Info(context.Background())
		return err == nil && info.AckFloor.Stream >= n
	})
}

// takeUnacked has the hub's durable consumer deliver n messages that
// nobody acknowledges: a hub that died with them in hand.
func takeUnacked(t *testing.T, url string, n int) {
	t.Helper()
	batch, err := durableConsumer(t, url).FetchNoWait(n)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for range batch.Messages() {
		got++
	}
	if got != n {
		t.Fatalf("took %d messages, want %d", got, n)
	}
}

func durableConsumer(t *testing.T, url string) jetstream.Consumer {
	t.Helper()
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	c, err := js.Consumer(context.Background(), natsbus.StreamName, DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIngestSkipsBadMessages: a message that is not an event is
// reported, acknowledged and skipped.
func TestIngestSkipsBadMessages(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{})
	nc := connect(t, url)
	if err := nc.Publish(natsbus.Subject("shop", events.KindFile), []byte(`{"not":"an event"}`)); err != nil {
		t.Fatal(err)
	}
	good := fileEvent("shop")
	newPublisher(t, url).publish(good)
	waitHeld(t, h.Hub, 1)
	if _, ok := h.view.get(good.ID); !ok || h.view.len() != 1 {
		t.Errorf("view holds %d events, want the good one only", h.view.len())
	}
}
