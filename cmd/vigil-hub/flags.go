package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/events/natsbus"
)

// options are vigil-hub's flags.
type options struct {
	listen, store, config, monitor string
	// listenChanged and storeChanged say whether they override the
	// configuration file's.
	listenChanged, storeChanged bool
	// cluster is the address routes from the other nodes come to, routes
	// their addresses, name this server's name and clusterName the
	// cluster's: the hub as a node of a NATS cluster.
	cluster, routes, name, clusterName string
	clusterNameChanged                 bool
	// conn is an external NATS cluster to use instead of the embedded
	// server (--nats).
	conn natsbus.Conn
	// stream is the stream the hub creates, and updates at each start.
	stream natsbus.StreamLimits
	// streamWait bounds the wait at start for the bus to take the stream.
	streamWait time.Duration
	// web is what the hub serves on the bus.
	web webOptions
}

// Defaults.
const (
	defaultClusterName = "vigil"
	defaultStreamWait  = time.Minute
)

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("vigil-hub", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&o.listen, "listen", "127.0.0.1:4222", "address of the NATS client port (0.0.0.0:4222 for other hosts and containers)")
	fs.StringVar(&o.store, "store", "/var/lib/vigil-hub", "JetStream's directory: the events survive restarts of the hub")
	fs.StringVar(&o.config, "config", "", "a nats-server configuration file (accounts, users, TLS; see docs/nats.md); --listen and --store override its listen and store_dir when given")
	fs.StringVar(&o.monitor, "monitor", "", "address of nats-server's HTTP monitoring endpoint (off when empty)")
	fs.StringVar(&o.cluster, "cluster", "", "as a node of a NATS cluster: the address the other nodes' routes come to (0.0.0.0:6222)")
	fs.StringVar(&o.routes, "routes", "", "with --cluster: the other nodes' route URLs, comma-separated (nats-route://hub-1:6222,nats-route://hub-2:6222)")
	fs.StringVar(&o.name, "name", "", "with --cluster: this server's name, unique and kept across restarts (JetStream's replicas follow it); default: the hostname")
	fs.StringVar(&o.clusterName, "cluster-name", defaultClusterName, "with --cluster: the cluster's name, the same on every node")
	addConnFlags(fs, &o.conn)
	fs.Var(natsbus.ReplicasFlag{L: &o.stream}, "nats-replicas", "the stream's replicas, 1 to 5; auto: 3 on a cluster that can place them (a node of 3 or more waits for them), else 1")
	fs.Var(natsbus.AgeFlag{L: &o.stream}, "stream-max-age", "the stream discards events older than this (30d, 720h; 0: no limit); applied to the stream at each start")
	fs.Var(natsbus.SizeFlag{L: &o.stream}, "stream-max-bytes", "past this size the stream discards its oldest events (10GiB, 500MB, bytes; 0: no limit); applied to the stream at each start")
	fs.DurationVar(&o.streamWait, "stream-wait", defaultStreamWait, "how long to wait at start for the bus to take the stream: a cluster's JetStream leader and the servers for its replicas, or the --nats servers")
	addWebFlags(fs, &o.web)
	fs.Usage = func() { fmt.Fprint(os.Stderr, usage(fs)) }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := setFromEnv(fs); err != nil {
		return nil, err
	}
	changed := func(name string) bool { return fs.Changed(name) || os.Getenv(envName(name)) != "" }
	o.listenChanged, o.storeChanged, o.clusterNameChanged = changed("listen"), changed("store"), changed("cluster-name")
	if err := o.validate(changed); err != nil {
		return nil, err
	}
	if err := o.web.load(); err != nil {
		return nil, err
	}
	return o, nil
}

func usage(fs *pflag.FlagSet) string {
	return "vigil-hub: the NATS server of vigil's event bus, embedded, alone or as a node of a cluster;\n" +
		"or, with --nats, a client of an existing NATS cluster.\n\nUsage:\n  vigil-hub [flags]\n\nFlags:\n" + fs.FlagUsages() +
		"\nWith --nats, the stream's flags apply only when the hub creates the stream.\n" +
		"Every flag can also be set by its VIGIL_HUB_* variable (--nats: VIGIL_HUB_NATS_URL); a flag wins over its variable.\n"
}

// envName is the variable of flag name: --stream-max-age is
// VIGIL_HUB_STREAM_MAX_AGE, --nats VIGIL_HUB_NATS_URL (as the guard's
// VIGIL_NATS_URL).
func envName(flag string) string {
	if flag == "nats" {
		return "VIGIL_HUB_NATS_URL"
	}
	return "VIGIL_HUB_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// setFromEnv sets every flag not given from its variable, and reports
// every bad one.
func setFromEnv(fs *pflag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok && !f.Changed {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// embeddedFlags are the flags of the embedded server, meaningless with
// --nats.
var embeddedFlags = []string{"listen", "store", "config", "monitor", "cluster", "routes", "name", "cluster-name"}

// validate checks what parsing alone does not; changed says whether a
// flag was given, or its variable.
func (o *options) validate(changed func(string) bool) error {
	if o.streamWait <= 0 {
		return fmt.Errorf("--stream-wait %s: must be positive", o.streamWait)
	}
	if o.conn.URLs != "" {
		var given []string
		for _, f := range embeddedFlags {
			if changed(f) {
				given = append(given, "--"+f)
			}
		}
		if len(given) > 0 {
			return fmt.Errorf("%s: the embedded server's, not with --nats (the hub is then a client of those servers)", strings.Join(given, ", "))
		}
		return o.conn.Validate()
	}
	if o.config != "" && (changed("stream-max-age") || changed("stream-max-bytes") || changed("nats-replicas")) {
		return errors.New("--stream-max-age, --stream-max-bytes and --nats-replicas need the hub's own stream: with --config, create or edit the stream as its administrator (see docs/nats.md)")
	}
	if o.config == "" && o.cluster == "" {
		for _, f := range []string{"routes", "name", "cluster-name"} {
			if changed(f) {
				return fmt.Errorf("--%s: needs --cluster, the address this node takes the other nodes' routes on", f)
			}
		}
	}
	_, err := parseRoutes(o.routes)
	return err
}

// parseRoutes parses --routes: nats-route:// (or nats://) URLs with a
// host and a port.
func parseRoutes(s string) ([]*url.URL, error) {
	var routes []*url.URL
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "nats-route" && u.Scheme != "nats") || u.Hostname() == "" || u.Port() == "" {
			return nil, fmt.Errorf("--routes: %q: want nats-route://HOST:PORT", r)
		}
		routes = append(routes, u)
	}
	return routes, nil
}

// addConnFlags defines the flags that reach and authenticate to an
// external NATS cluster, as the guard's.
func addConnFlags(fs *pflag.FlagSet, c *natsbus.Conn) {
	fs.StringVar(&c.URLs, "nats", "", "use these NATS servers (comma-separated URLs) instead of the embedded server: the hub is then only their client")
	fs.StringVar(&c.Creds, "nats-creds", "", "with --nats: a .creds file (user JWT and NKey seed)")
	fs.StringVar(&c.NKeySeed, "nats-nkey", "", "with --nats: a file holding an NKey seed")
	fs.StringVar(&c.User, "nats-user", "", "with --nats: user name (with --nats-password)")
	fs.StringVar(&c.Password, "nats-password", "", "with --nats: password; prefer $VIGIL_HUB_NATS_PASSWORD to the command line")
	fs.StringVar(&c.Token, "nats-token", "", "with --nats: token; prefer $VIGIL_HUB_NATS_TOKEN to the command line")
	fs.StringVar(&c.CA, "nats-ca", "", "with --nats: PEM file of the CAs that sign the servers' certificates")
	fs.StringVar(&c.Cert, "nats-cert", "", "with --nats: client certificate (PEM), with --nats-key")
	fs.StringVar(&c.Key, "nats-key", "", "with --nats: the client certificate's key (PEM)")
}
