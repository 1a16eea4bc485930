package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// bus is the hub's connection to the event bus: in process to the
// embedded server, or to the --nats servers.
type bus struct {
	nc  *nats.Conn
	srv *server.Server // nil with --nats
	// said is what the hub says once the bus is up, and warnings what it
	// warns of then.
	said     string
	warnings []string
}

// openBus starts the embedded server, or connects to the --nats servers,
// and has the stream ready; it waits for them at most --stream-wait.
func openBus(ctx context.Context, o *options) (*bus, error) {
	if o.conn.URLs != "" {
		return openExternal(ctx, o)
	}
	return openEmbedded(ctx, o)
}

func openEmbedded(ctx context.Context, o *options) (*bus, error) {
	srv, opts, err := startEmbedded(o)
	if err != nil {
		return nil, err
	}
	b := &bus{srv: srv}
	if b.nc, err = nats.Connect("", nats.InProcessServer(srv), nats.Name("vigil-hub"), nats.MaxReconnects(-1)); err != nil {
		b.close()
		return nil, fmt.Errorf("connecting to the embedded server: %w", err)
	}
	b.said = fmt.Sprintf("listening on %s, store %s", srv.ClientURL(), opts.StoreDir)
	if opts.Cluster.Port != 0 {
		b.said += fmt.Sprintf(", node %s of cluster %s (routes on %s)", opts.ServerName, opts.Cluster.Name,
			net.JoinHostPort(opts.Cluster.Host, fmt.Sprint(opts.Cluster.Port)))
	}
	if o.config != "" {
		return b, nil // the stream is its administrator's
	}
	// One account, no authentication: the stream is made here, so that
	// guards need only publish.
	p, err := applyStream(ctx, b.nc, o, expectsCluster(opts))
	if err != nil {
		b.close()
		return nil, err
	}
	b.said += ", stream " + describe(p.Stream)
	b.warnings = append(b.warnings, fallbackWarning(p, b.nc)...)
	b.warnings = append(b.warnings, smallDisk(opts.StoreDir, p.Stream.CachedInfo().State.Bytes, o.stream)...)
	return b, nil
}

func openExternal(ctx context.Context, o *options) (*bus, error) {
	nc, err := connectExternal(ctx, o)
	if err != nil {
		return nil, err
	}
	b := &bus{nc: nc}
	p, existed, err := externalStream(ctx, nc, o)
	if err != nil {
		b.close()
		return nil, err
	}
	b.said = "connected to " + nc.ConnectedUrlRedacted()
	if cluster := nc.ConnectedClusterName(); cluster != "" {
		b.said += " (cluster " + cluster + ")"
	}
	b.said += ", stream " + describe(p.Stream)
	if existed {
		b.warnings = append(b.warnings, fewReplicas(p, o, nc)...)
	}
	b.warnings = append(b.warnings, fallbackWarning(p, nc)...)
	return b, nil
}

// connectExternal connects to the --nats servers, retrying while none
// answers, for --stream-wait at most.
func connectExternal(ctx context.Context, o *options) (*nats.Conn, error) {
	c := o.conn
	c.Name = "vigil-hub"
	var nc *nats.Conn
	err := untilReady(ctx, o.streamWait, unreachable, func(context.Context) error {
		var err error
		nc, err = c.Connect()
		return err
	})
	if err != nil {
		return nil, err
	}
	return nc, nil
}

// unreachable reports whether a connection failed for want of a server
// that answers, which a wait may cure (not refused credentials).
func unreachable(err error) bool {
	var netErr net.Error
	return errors.Is(err, nats.ErrNoServers) || errors.Is(err, nats.ErrTimeout) || errors.As(err, &netErr)
}

// close closes the connection, and shuts the embedded server down.
func (b *bus) close() {
	if b.nc != nil {
		b.nc.Close()
	}
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}
