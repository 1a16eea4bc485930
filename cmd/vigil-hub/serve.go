package main

import (
	"context"

	"github.com/nats-io/nats.go"
)

// serve is what the hub does once the bus is up, until ctx ends (SIGINT,
// SIGTERM). nc is its one connection to the bus: in process to the
// embedded server, or to the --nats servers. The dashboard and the
// forwarders (package hub) are to start here, on nc.
func serve(ctx context.Context, nc *nats.Conn, o *options) error {
	<-ctx.Done()
	return nil
}
