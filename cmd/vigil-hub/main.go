// Command vigil-hub is the embedded default of vigil's event bus: a NATS
// server with JetStream, holding the stream VIGIL_EVENTS that guards
// publish to and subscribers (vigil tail, forwarders) read. Alone, it is
// for a laptop, a demo or a small setup; with --cluster and --routes it is
// a node of a NATS cluster, where the stream has 3 replicas; with --nats
// it starts no server and is a client of an existing cluster.
//
//	vigil-hub [--listen HOST:PORT] [--store DIR] [--config FILE] [--monitor HOST:PORT]
//	          [--cluster HOST:PORT --routes URL,URL [--name NAME] [--cluster-name NAME]]
//	          [--nats-replicas N|auto] [--stream-max-age AGE] [--stream-max-bytes SIZE] [--stream-wait DURATION]
//	vigil-hub --nats URL[,URL] [--nats-creds FILE | --nats-nkey FILE | --nats-user U --nats-password P | --nats-token T]
//	          [--nats-ca FILE] [--nats-cert FILE --nats-key FILE] [--nats-replicas N|auto] [--stream-max-age AGE] ...
//
// Every flag can also be set by its VIGIL_HUB_* variable (--nats:
// VIGIL_HUB_NATS_URL).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 125 // a bad flag or configuration, or the bus cannot start
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	o, err := parseFlags(args)
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil-hub: %v (see 'vigil-hub --help')\n", err)
		return exitError
	}
	// Before the server starts: a SIGTERM during start-up stops it too.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	b, err := openBus(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			return exitOK // stopped while it waited for the cluster
		}
		fmt.Fprintf(os.Stderr, "vigil-hub: %v\n", err)
		return exitError
	}
	defer b.close()
	fmt.Fprintf(os.Stderr, "vigil-hub: %s\n", b.said)
	for _, w := range b.warnings {
		fmt.Fprintf(os.Stderr, "vigil-hub: warning: %s\n", w)
	}
	if err := serve(ctx, b.nc, o); err != nil {
		fmt.Fprintf(os.Stderr, "vigil-hub: %v\n", err)
		return exitError
	}
	return exitOK
}
