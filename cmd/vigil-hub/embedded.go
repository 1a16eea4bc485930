package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/vigilsec/vigil/events/natsbus"
)

// startEmbedded starts the embedded NATS server as o configures it, and
// returns it, with its options, once it takes connections.
func startEmbedded(o *options) (*server.Server, *server.Options, error) {
	opts, err := o.serverOptions()
	if err != nil {
		return nil, nil, err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, nil, err
	}
	srv.ConfigureLogger()
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, nil, fmt.Errorf("the server did not start listening on %s within 30s", o.listen)
	}
	return srv, opts, nil
}

// serverOptions are the nats-server options of o: the configuration
// file's, if any, with JetStream on and the flags applied.
func (o *options) serverOptions() (*server.Options, error) {
	opts := &server.Options{}
	if o.config != "" {
		var err error
		if opts, err = server.ProcessConfigFile(o.config); err != nil {
			return nil, fmt.Errorf("%s: %w", o.config, err) // with the line and the problem
		}
	}
	if o.config == "" || o.listenChanged {
		host, port, err := splitHostPort("--listen", o.listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}
	if o.config == "" || o.storeChanged || opts.StoreDir == "" {
		opts.StoreDir = o.store
	}
	if o.monitor != "" {
		host, port, err := splitHostPort("--monitor", o.monitor)
		if err != nil {
			return nil, err
		}
		opts.HTTPHost, opts.HTTPPort = host, port
	}
	if err := o.clusterOptions(opts); err != nil {
		return nil, err
	}
	opts.JetStream = true
	if o.config == "" && opts.JetStreamMaxStore == 0 {
		opts.JetStreamMaxStore = maxStore(o.stream)
	}
	opts.NoSigs = true // vigil-hub handles them
	return opts, nil
}

// clusterOptions makes the server a node of a cluster, as --cluster,
// --routes, --name and --cluster-name say (over the configuration
// file's). JetStream in a cluster needs a cluster name and a server name
// that is unique and stays the same across restarts (a peer is known by
// it): the hostname unless --name says otherwise.
func (o *options) clusterOptions(opts *server.Options) error {
	if o.cluster != "" {
		host, port, err := splitHostPort("--cluster", o.cluster)
		if err != nil {
			return err
		}
		opts.Cluster.Host, opts.Cluster.Port = host, port
		if opts.Cluster.Name == "" || o.clusterNameChanged {
			opts.Cluster.Name = o.clusterName
		}
	} else if o.clusterNameChanged {
		opts.Cluster.Name = o.clusterName
	}
	if o.routes != "" {
		routes, err := parseRoutes(o.routes)
		if err != nil {
			return err
		}
		opts.Routes = routes
	}
	if o.name != "" {
		opts.ServerName = o.name
	}
	if opts.Cluster.Port != 0 && opts.ServerName == "" {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("naming the server: %w (give --name)", err)
		}
		opts.ServerName = host
	}
	return nil
}

// expectsCluster reports whether opts make a node of a cluster of at
// least natsbus.ClusterReplicas servers (itself and its routes): its
// stream's auto replicas wait for them instead of falling back to 1.
func expectsCluster(opts *server.Options) bool {
	return opts.Cluster.Port != 0 && len(opts.Routes)+1 >= natsbus.ClusterReplicas
}

func splitHostPort(flag, addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%s %q: %w", flag, addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%s %q: bad port", flag, addr)
	}
	return host, port, nil
}

// hubMaxStore is JetStream's store limit when the stream has a cap: more
// than any disk, so that the cap alone bounds the store. nats-server's own
// default, 75 % of the disk free at its start, shrinks as the stream
// fills: after a restart it can be less than the stream holds (every
// event refused) or than the cap it reserved (no new cap taken).
const hubMaxStore = 1 << 50

// maxStore is JetStream's store limit for a hub that holds the stream l
// bounds: 0 (the server's default) for a stream without a cap.
func maxStore(l natsbus.StreamLimits) int64 {
	n := natsbus.StreamConfig(l).MaxBytes
	if n <= 0 {
		return 0
	}
	return max(hubMaxStore, n+n/4)
}
