package natsbus

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

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
	if _, err := js.CreateStream(ctx, StreamConfig(StreamLimits{})); err != nil {
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

// TestTLSWithClientCertificate: a server that verifies clients, reached
// with a custom CA and a client certificate; without the certificate, the
// guard is refused and its events wait.
func TestTLSWithClientCertificate(t *testing.T) {
	files := natstest.GenTLS(t)
	srv := natstest.Start(t, func(o *server.Options) {
		cfg, err := server.GenTLSConfig(&server.TLSConfigOpts{
			CertFile: files.ServerCert, KeyFile: files.ServerKey, CaFile: files.CA, Verify: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		o.TLSConfig, o.TLS, o.TLSVerify = cfg, true, true
	})
	url := strings.Replace(srv.URL(), "nats://", "tls://", 1)
	good := Conn{URLs: url, CA: files.CA, Cert: files.ClientCert, Key: files.ClientKey}
	b := openBus(t, Config{Conn: good})
	if err := b.Emit(violation("w1", 0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the event acknowledged over TLS", func() bool { return b.pending() == 0 })

	noCert := openBus(t, Config{Conn: Conn{URLs: url, CA: files.CA}, FlushTimeout: 100 * time.Millisecond})
	if err := noCert.Emit(violation("w1", 1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the refusal reported", func() bool { return noCert.Stats().LastPublishError != "" })
	if st := noCert.Stats(); st.OutboxRecords != 1 {
		t.Errorf("%d events in the outbox without a client certificate, want 1 (error %q)", st.OutboxRecords, st.LastPublishError)
	}
}

func TestNKeySeed(t *testing.T) {
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := user.Seed()
	pub, _ := user.PublicKey()
	seedFile := filepath.Join(t.TempDir(), "guard.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t, func(o *server.Options) {
		o.Nkeys = []*server.NkeyUser{{Nkey: pub}}
	})
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL(), NKeySeed: seedFile}})
	if err := b.Emit(violation("w1", 0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the event acknowledged with an NKey", func() bool { return b.pending() == 0 })
}

func TestConnValidate(t *testing.T) {
	huge := filepath.Join(t.TempDir(), "huge.creds")
	if err := os.WriteFile(huge, make([]byte, maxSecretFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		conn Conn
		want string
	}{
		{Conn{}, "no NATS server URL"},
		{Conn{URLs: "nats://x", User: "u", Password: "p", Token: "t"}, "more than one way"},
		{Conn{URLs: "nats://x", Cert: "/etc/hostname"}, "needs both"},
		{Conn{URLs: "nats://x", Creds: "/nonexistent.creds"}, "--nats-creds: open /nonexistent.creds"},
		// nats.go would read these whole at every connect.
		{Conn{URLs: "nats://x", Creds: "/dev/zero"}, "--nats-creds: /dev/zero: not a regular file"},
		{Conn{URLs: "nats://x", CA: huge}, "--nats-ca: " + huge},
		{Conn{URLs: "nats://x", InboxPrefix: "a b"}, "inbox prefix"},
	} {
		err := tt.conn.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.conn, err, tt.want)
		}
	}
}

func TestToken(t *testing.T) {
	srv := natstest.Start(t, func(o *server.Options) { o.Authorization = "s3cr3t-token" })
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL(), Token: "s3cr3t-token"}})
	if err := b.Emit(violation("w1", 0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the event acknowledged with a token", func() bool { return b.pending() == 0 })
	wrong := openBus(t, Config{Conn: Conn{URLs: srv.URL(), Token: "guess"}, FlushTimeout: 100 * time.Millisecond})
	if err := wrong.Emit(violation("w1", 1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the wrong token refused", func() bool {
		return strings.Contains(wrong.Stats().LastPublishError, "Authorization Violation")
	})
}
