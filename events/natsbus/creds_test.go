package natsbus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// TestCredsFile: a server in operator mode (decentralized JWT auth, as NGS
// or an nsc-managed deployment), and a guard with a .creds file whose user
// may publish its own workload's events only.
func TestCredsFile(t *testing.T) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	okp, err := nkeys.CreateOperator()
	must(err)
	opub, _ := okp.PublicKey()
	skp, err := nkeys.CreateAccount()
	must(err)
	spub, _ := skp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	oc.SystemAccount = spub
	_, err = oc.Encode(okp)
	must(err)
	sjwt, err := jwt.NewAccountClaims(spub).Encode(okp)
	must(err)

	akp, err := nkeys.CreateAccount()
	must(err)
	apub, _ := akp.PublicKey()
	ac := jwt.NewAccountClaims(apub)
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	ajwt, err := ac.Encode(okp)
	must(err)

	user := func(workload string) string {
		ukp, err := nkeys.CreateUser()
		must(err)
		upub, _ := ukp.PublicKey()
		useed, _ := ukp.Seed()
		uc := jwt.NewUserClaims(upub)
		uc.Pub.Allow.Add("vigil.events.shop.>", "vigil.heartbeat.shop", "$JS.API.STREAM.CREATE.VIGIL_EVENTS")
		uc.Sub.Allow.Add("_INBOX_shop.>")
		ujwt, err := uc.Encode(akp)
		must(err)
		creds, err := jwt.FormatUserConfig(ujwt, useed)
		must(err)
		path := filepath.Join(t.TempDir(), workload+".creds")
		must(os.WriteFile(path, creds, 0o600))
		return path
	}
	srv := startServerWith(t, func(o *server.Options) {
		res := &server.MemAccResolver{}
		must(res.Store(apub, ajwt))
		must(res.Store(spub, sjwt))
		o.TrustedOperators = []*jwt.OperatorClaims{oc}
		o.SystemAccount = spub
		o.AccountResolver = res
	})
	creds := user("shop")
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL(), Creds: creds, InboxPrefix: "_INBOX_shop"}, Workload: "shop"})
	if err := b.Emit(violation("shop", 0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the event acknowledged with a .creds file", func() bool { return b.pending() == 0 })

	other := openBus(t, Config{Conn: Conn{URLs: srv.URL(), Creds: creds, InboxPrefix: "_INBOX_shop"}, Workload: "billing",
		FlushTimeout: 100 * time.Millisecond})
	if err := other.Emit(violation("billing", 0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the other workload's subject refused", func() bool {
		return strings.Contains(other.Stats().LastPublishError, "Permissions Violation")
	})
}
