package natsbus

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/natstest"
)

// leastPrivilege starts a server with examples/nats/least-privilege.conf,
// the documented configuration, and creates the stream as its admin.
func leastPrivilege(t *testing.T) *natstest.Server {
	t.Helper()
	t.Setenv("VIGIL_ADMIN_PASSWORD", "admin-secret")
	t.Setenv("VIGIL_GUARD_SHOP_PASSWORD", "shop-secret")
	t.Setenv("VIGIL_READER_PASSWORD", "reader-secret")
	srv := natstest.StartConfig(t, "../../examples/nats/least-privilege.conf")
	nc, err := nats.Connect(srv.URL(), nats.UserInfo("admin", "admin-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, StreamConfig()); err != nil {
		t.Fatalf("the admin creating the stream: %v", err)
	}
	return srv
}

func guardConn(srv *natstest.Server, password string) Conn {
	return Conn{URLs: srv.URL(), User: "guard-shop", Password: password, InboxPrefix: "_INBOX_shop"}
}

func TestLeastPrivilegeGuardPublishesItsOwn(t *testing.T) {
	srv := leastPrivilege(t)
	b := openBus(t, Config{Conn: guardConn(srv, "shop-secret"), Workload: "shop"})
	for i := range 10 {
		if err := b.Emit(violation("shop", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "the guard's events acknowledged", func() bool { return b.pending() == 0 })
	// The reader sees them through JetStream, as vigil tail does.
	nc, err := Conn{URLs: srv.URL(), User: "reader", Password: "reader-secret"}.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got int
	err = Follow(ctx, nc, FollowOptions{All: true}, func(e events.Event) error {
		if got++; got == 10 {
			cancel()
		}
		return nil
	}, func(err error) { t.Error(err) })
	if err != nil || got != 10 {
		t.Fatalf("the reader got %d of 10 events: %v", got, err)
	}
	// And may not publish events itself.
	if err := nc.Publish("vigil.events.shop.syscall", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	if le := nc.LastError(); le == nil || !strings.Contains(le.Error(), "Permissions Violation") {
		t.Errorf("a reader publishing an event: last error %v, want a permissions violation", le)
	}
}

// TestLeastPrivilegeGuardCannotPublishAsAnother: the shop guard's
// credentials with another workload's name get nothing into the stream;
// the events wait in the outbox, and the error says why.
func TestLeastPrivilegeGuardCannotPublishAsAnother(t *testing.T) {
	srv := leastPrivilege(t)
	b := openBus(t, Config{Conn: guardConn(srv, "shop-secret"), Workload: "billing", FlushTimeout: 100 * time.Millisecond})
	for i := range 5 {
		if err := b.Emit(violation("billing", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "a permissions violation reported", func() bool {
		return strings.Contains(b.Stats().LastPublishError, "Permissions Violation for Publish to \"vigil.events.billing.syscall\"")
	})
	if st := b.Stats(); st.OutboxRecords != 5 {
		t.Errorf("%d events in the outbox, want the 5 refused", st.OutboxRecords)
	}
	t.Setenv("VIGIL_ADMIN_PASSWORD", "admin-secret")
	if evs := srv.StreamEvents(StreamName, nats.UserInfo("admin", "admin-secret")); len(evs) != 0 {
		t.Errorf("%d events in the stream, want none", len(evs))
	}
}

func TestWrongPasswordKeepsEventsInOutbox(t *testing.T) {
	srv := leastPrivilege(t)
	b := openBus(t, Config{Conn: guardConn(srv, "wrong"), Workload: "shop", FlushTimeout: 100 * time.Millisecond})
	for i := range 5 {
		if err := b.Emit(violation("shop", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "the authorization error reported", func() bool {
		return strings.Contains(b.Stats().LastPublishError, "Authorization Violation")
	})
	if st := b.Stats(); st.OutboxRecords != 5 {
		t.Errorf("%d events in the outbox, want 5", st.OutboxRecords)
	}
}
