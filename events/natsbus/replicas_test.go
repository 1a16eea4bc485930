package natsbus

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/natstest"
)

func TestReplicasFlag(t *testing.T) {
	tests := []struct {
		name         string
		give         string
		wantReplicas int
		wantString   string
		wantErr      bool
	}{
		{name: "auto", give: "auto", wantReplicas: 0, wantString: "auto"},
		{name: "one", give: "1", wantReplicas: 1, wantString: "1"},
		{name: "most", give: "5", wantReplicas: 5, wantString: "5"},
		{name: "zero", give: "0", wantErr: true},
		{name: "too many", give: "6", wantErr: true},
		{name: "not a number", give: "three", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := StreamLimits{Replicas: 2}
			f := ReplicasFlag{&l}
			err := f.Set(tt.give)
			if tt.wantErr {
				if err == nil || err.Error() != "1 to 5, or auto" || l.Replicas != 2 {
					t.Errorf("Set(%q): %v, replicas %d; want the error and no change", tt.give, err, l.Replicas)
				}
				return
			}
			if err != nil || l.Replicas != tt.wantReplicas || f.String() != tt.wantString {
				t.Errorf("Set(%q): %v, replicas %d shown %q; want %d, %q", tt.give, err, l.Replicas, f, tt.wantReplicas, tt.wantString)
			}
		})
	}
	if err := (StreamLimits{Replicas: 7}).Validate(); err == nil || !strings.Contains(err.Error(), "stream replicas 7: 1 to 5") {
		t.Errorf("Validate of 7 replicas: %v", err)
	}
}

// TestStreamAddCommand: the nats CLI command makes the stream vigil
// would, field for field: read back flag by flag, it is StreamConfig.
func TestStreamAddCommand(t *testing.T) {
	tests := []struct {
		name         string
		giveLimits   StreamLimits
		wantReplicas int
		wantFlags    string
	}{
		{name: "defaults", wantReplicas: 3,
			wantFlags: "--max-age 30d --max-bytes 10GiB --max-msg-size 65536 --dupe-window 24h --replicas 3"},
		{name: "set", giveLimits: StreamLimits{MaxAge: 90 * time.Minute, MaxBytes: 500e6, Replicas: 1}, wantReplicas: 1,
			wantFlags: "--max-age 1h30m --max-bytes 500MB --max-msg-size 65536 --dupe-window 1h30m --replicas 1"},
		{name: "none", giveLimits: StreamLimits{MaxAge: -1, MaxBytes: -1, Replicas: 5}, wantReplicas: 5,
			wantFlags: "--max-age -1 --max-bytes -1 --max-msg-size 65536 --dupe-window 24h --replicas 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := StreamAddCommand(tt.giveLimits)
			if !strings.HasPrefix(cmd, "nats stream add VIGIL_EVENTS --subjects 'vigil.events.>' ") || !strings.Contains(cmd, tt.wantFlags) ||
				!strings.HasSuffix(cmd, " --defaults") {
				t.Errorf("command %q; want it with %q", cmd, tt.wantFlags)
			}
			want := StreamConfig(tt.giveLimits)
			want.Replicas = tt.wantReplicas
			if got := readCommand(t, cmd); fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("the command makes\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// readCommand is the stream config the nats CLI makes of cmd's flags.
func readCommand(t *testing.T, cmd string) jetstream.StreamConfig {
	t.Helper()
	words := strings.Fields(strings.ReplaceAll(cmd, "'vigil security events'", "'vigil_security_events'"))
	cfg := jetstream.StreamConfig{Name: words[3]}
	for i := 4; i+1 < len(words); i += 2 {
		flag, v := words[i], strings.Trim(words[i+1], "'")
		var err error
		switch flag {
		case "--subjects":
			cfg.Subjects = strings.Split(v, ",")
		case "--description":
			cfg.Description = strings.ReplaceAll(v, "_", " ")
		case "--storage":
			err = cfg.Storage.UnmarshalJSON([]byte(strconv.Quote(v)))
		case "--retention":
			err = cfg.Retention.UnmarshalJSON([]byte(strconv.Quote(v)))
		case "--discard":
			err = cfg.Discard.UnmarshalJSON([]byte(strconv.Quote(v)))
		case "--max-age":
			if v != "-1" {
				cfg.MaxAge, err = ParseAge(v)
			}
		case "--max-bytes":
			cfg.MaxBytes = -1
			if v != "-1" {
				cfg.MaxBytes, err = ParseSize(v)
			}
		case "--max-msg-size":
			var n int
			n, err = strconv.Atoi(v)
			cfg.MaxMsgSize = int32(n)
		case "--dupe-window":
			cfg.Duplicates, err = time.ParseDuration(v)
		case "--replicas":
			cfg.Replicas, err = strconv.Atoi(v)
		default:
			t.Fatalf("unknown flag %s in %q", flag, cmd)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", flag, v, err)
		}
	}
	return cfg
}

// TestAutoReplicasSingleServer: a single server refuses replicas; auto
// takes 1 and says it fell back, 3 asked is an error saying why.
func TestAutoReplicasSingleServer(t *testing.T) {
	js := jetStreamOf(t, startServer(t).URL())
	ctx := context.Background()
	if _, err := CreateStream(ctx, js, StreamLimits{Replicas: 3}); !CannotPlace(err) || !strings.Contains(err.Error(), "VIGIL_EVENTS with 3 replicas") {
		t.Errorf("3 replicas on a single server: %v; want the server's refusal", err)
	}
	p, err := CreateStream(ctx, js, StreamLimits{})
	if err != nil || p.Replicas() != 1 || !CannotPlace(p.Fallback) {
		t.Fatalf("auto replicas on a single server: %v, fallback %v; want 1 replica, fallen back", err, p.Fallback)
	}
	if p, err := ApplyStream(ctx, js, StreamLimits{}, true); err != nil || p.Replicas() != 1 {
		t.Errorf("ApplyStream under auto: %v; want the stream kept at 1 replica", err)
	}
}

// startCluster starts n embedded servers clustered with JetStream, and
// waits until they can place n replicas.
func startCluster(t *testing.T, n int) []*natstest.Server {
	t.Helper()
	routes := make([]*url.URL, n)
	ports := make([]int, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
		routes[i] = &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", ports[i])}
	}
	srvs := make([]*natstest.Server, n)
	for i := range n {
		srvs[i] = startServerWith(t, func(o *server.Options) {
			o.ServerName = fmt.Sprintf("s%d", i)
			o.Cluster = server.ClusterOpts{Name: "vigil", Host: "127.0.0.1", Port: ports[i]}
			o.Routes = routes
		})
	}
	js := jetStreamOf(t, srvs[0].URL())
	waitFor(t, 20*time.Second, "the cluster placing 3 replicas", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PROBE", Storage: jetstream.MemoryStorage, Replicas: n})
		return err == nil && js.DeleteStream(ctx, "PROBE") == nil
	})
	return srvs
}

func jetStreamOf(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestReplicasOnACluster: on a cluster of 3, auto is 3; ApplyStream sets
// the replicas asked, and under auto raises 1 to 3 but never lowers; a
// guard finding a stream of fewer replicas than asked warns and uses it.
func TestReplicasOnACluster(t *testing.T) {
	srvs := startCluster(t, 3)
	js := jetStreamOf(t, srvs[1].URL())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := CreateStream(ctx, js, StreamLimits{})
	if err != nil || p.Replicas() != 3 || p.Fallback != nil {
		t.Fatalf("auto replicas on a cluster of 3: %v, fallback %v; want 3", err, p.Fallback)
	}
	steps := []struct {
		name         string
		giveReplicas int
		wantReplicas int
	}{
		{name: "asked down", giveReplicas: 1, wantReplicas: 1},
		{name: "auto raises", giveReplicas: 0, wantReplicas: 3},
		{name: "auto keeps", giveReplicas: 0, wantReplicas: 3},
	}
	for _, tt := range steps {
		p, err := ApplyStream(ctx, js, StreamLimits{Replicas: tt.giveReplicas}, true)
		if err != nil || p.Replicas() != tt.wantReplicas {
			t.Fatalf("%s: %v, replicas %d; want %d", tt.name, err, p.Replicas(), tt.wantReplicas)
		}
	}
	if _, err := ApplyStream(ctx, js, StreamLimits{Replicas: 1}, true); err != nil {
		t.Fatal(err)
	}
	log, logs := observed()
	b := openBus(t, Config{Conn: Conn{URLs: srvs[2].URL(), Log: log}, Stream: StreamLimits{MaxAge: time.Hour}})
	if err := b.Emit(violation("w1", 0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the event acknowledged", func() bool { return b.pending() == 0 })
	waitFor(t, 10*time.Second, "the warning", func() bool { return logs.FilterMessageSnippet("fewer replicas than asked").Len() == 1 })
}

// TestGuardAskedTooManyReplicas: a guard asked for replicas its server
// cannot place says why and what to do; its events wait.
func TestGuardAskedTooManyReplicas(t *testing.T) {
	srv := startServer(t)
	log, logs := observed()
	b := openBus(t, Config{Conn: Conn{URLs: srv.URL(), Log: log}, Stream: StreamLimits{Replicas: 3}})
	waitFor(t, 20*time.Second, "the warning", func() bool {
		return logs.FilterMessageSnippet("lower --nats-replicas").Len() == 1
	})
	if err := b.Emit(violation("w1", 0)); err != nil {
		t.Fatal(err)
	}
	if b.pending() != 1 {
		t.Errorf("%d events wait in the outbox, want 1", b.pending())
	}
}
