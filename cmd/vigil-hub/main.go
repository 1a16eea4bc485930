// Command vigil-hub is the embedded default of vigil's event bus: one NATS
// server with JetStream, holding the stream VIGIL_EVENTS that guards
// publish to and subscribers (vigil tail, forwarders) read. It is for a
// laptop, a demo or a small setup; larger ones point guards and
// subscribers at an existing NATS cluster instead.
//
//	vigil-hub [--listen HOST:PORT] [--store DIR] [--config FILE] [--monitor HOST:PORT]
//	          [--stream-max-age AGE] [--stream-max-bytes SIZE]
//
// Every flag can also be set by its VIGIL_HUB_* variable.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/events/natsbus"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 125 // a bad flag or configuration, or the server cannot start
)

// options are vigil-hub's flags.
type options struct {
	listen, store, config, monitor string
	// listenChanged and storeChanged say whether they override the
	// configuration file's.
	listenChanged, storeChanged bool
	// stream bounds the stream the hub creates, and updates at each start.
	stream natsbus.StreamLimits
}

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
	opts, err := o.serverOptions()
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil-hub: %v\n", err)
		return exitError
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil-hub: %v\n", err)
		return exitError
	}
	// Before the server starts: a SIGTERM during start-up stops it too.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	srv.ConfigureLogger()
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		fmt.Fprintf(os.Stderr, "vigil-hub: the server did not start listening on %s within 30s\n", o.listen)
		srv.Shutdown()
		return exitError
	}
	if o.config == "" {
		// One account, no authentication: the stream is made here, so that
		// guards need only publish.
		held, err := createStream(srv, o.stream)
		if err != nil {
			fmt.Fprintf(os.Stderr, "vigil-hub: creating the stream %s (%s): %v\n", natsbus.StreamName, o.stream, err)
			srv.Shutdown()
			return exitError
		}
		fmt.Fprintf(os.Stderr, "vigil-hub: listening on %s, store %s, stream %s (%s)\n", srv.ClientURL(), opts.StoreDir, natsbus.StreamName, o.stream)
		warnSmallDisk(opts.StoreDir, held, o.stream)
	} else {
		fmt.Fprintf(os.Stderr, "vigil-hub: listening on %s, store %s\n", srv.ClientURL(), opts.StoreDir)
	}
	<-sigs
	srv.Shutdown()
	srv.WaitForShutdown()
	return exitOK
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("vigil-hub", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&o.listen, "listen", "127.0.0.1:4222", "address of the NATS client port (0.0.0.0:4222 for other hosts and containers)")
	fs.StringVar(&o.store, "store", "/var/lib/vigil-hub", "JetStream's directory: the events survive restarts of the hub")
	fs.StringVar(&o.config, "config", "", "a nats-server configuration file (accounts, users, TLS; see docs/nats.md); --listen and --store override its listen and store_dir when given")
	fs.StringVar(&o.monitor, "monitor", "", "address of nats-server's HTTP monitoring endpoint (off when empty)")
	fs.Var(natsbus.AgeFlag{L: &o.stream}, "stream-max-age", "the stream discards events older than this (30d, 720h; 0: no limit); applied to the stream at each start")
	fs.Var(natsbus.SizeFlag{L: &o.stream}, "stream-max-bytes", "past this size the stream discards its oldest events (10GiB, 500MB, bytes; 0: no limit); applied to the stream at each start")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "vigil-hub: the embedded NATS server of vigil's event bus.\n\nUsage:\n  vigil-hub [flags]\n\nFlags:\n%s\nEvery flag can also be set by its VIGIL_HUB_* variable; a flag wins over its variable.\n", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		name := "VIGIL_HUB_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && !f.Changed {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	o.listenChanged = fs.Changed("listen") || os.Getenv("VIGIL_HUB_LISTEN") != ""
	o.storeChanged = fs.Changed("store") || os.Getenv("VIGIL_HUB_STORE") != ""
	if o.config != "" && (fs.Changed("stream-max-age") || fs.Changed("stream-max-bytes")) {
		return nil, errors.New("--stream-max-age and --stream-max-bytes need the hub's own stream: with --config, create or edit the stream as its administrator (see docs/nats.md)")
	}
	return o, nil
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
	opts.JetStream = true
	if o.config == "" && opts.JetStreamMaxStore == 0 {
		opts.JetStreamMaxStore = maxStore(o.stream)
	}
	opts.NoSigs = true // vigil-hub handles them
	return opts, nil
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

// createStream creates the events stream, or updates it to l, and
// returns the bytes it holds.
func createStream(srv *server.Server, l natsbus.StreamLimits) (uint64, error) {
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("vigil-hub"))
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.CreateOrUpdateStream(ctx, natsbus.StreamConfig(l))
	if err != nil {
		return 0, err
	}
	return st.CachedInfo().State.Bytes, nil
}

// warnSmallDisk says when the store's disk would be full before the
// stream reaches its cap: the cap does not protect that disk then.
func warnSmallDisk(store string, held uint64, l natsbus.StreamLimits) {
	capBytes := natsbus.StreamConfig(l).MaxBytes
	free, ok := freeBytes(store)
	if !ok || capBytes <= 0 || free+int64(held) >= capBytes {
		return
	}
	fmt.Fprintf(os.Stderr, "vigil-hub: warning: %s has %s free and the stream holds %s: the disk fills before the stream's %s cap (lower --stream-max-bytes)\n",
		store, approx(free), approx(int64(held)), natsbus.FormatSize(capBytes))
}

// approx is n bytes to one decimal of MiB or GiB.
func approx(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
}
