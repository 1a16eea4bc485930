package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/net/netutil"

	"github.com/vigilsec/vigil/hub"
	"github.com/vigilsec/vigil/hub/forward"
	"github.com/vigilsec/vigil/hub/web"
)

// serve is what the hub does once the bus is up, until ctx ends (SIGINT,
// SIGTERM). nc is its one connection to the bus: in process to the
// embedded server, or to the --nats servers. On it run the forwarders
// (each its own durable consumer) and the dashboard.
func serve(ctx context.Context, nc *nats.Conn, o *options) error {
	if o.web.forwarders != nil {
		fw, err := forward.Start(ctx, nc, o.web.forwarders, reportForward)
		if err != nil {
			return fmt.Errorf("starting the forwarders of %s: %w", o.web.forwardFile, err)
		}
		defer fw.Stop()
		fmt.Fprintf(os.Stderr, "vigil-hub: forwarding to %d targets of %s\n", len(o.web.forwarders.Forwarders), o.web.forwardFile)
	}
	if o.web.http == "" {
		<-ctx.Done()
		return nil
	}
	return serveDashboard(ctx, nc, &o.web)
}

// serveDashboard serves the dashboard and its API on w.http until ctx
// ends, then lets the answers under way finish (SSE streams end with ctx).
func serveDashboard(ctx context.Context, nc *nats.Conn, w *webOptions) error {
	ctx, stop := context.WithCancel(ctx) // the view too, when the server fails
	defer stop()
	h, err := hub.New(hub.Config{Conn: nc, Auth: w.auth, Silence: w.silence, Assets: web.FS(), CSP: web.CSP, Report: func(err error) {
		fmt.Fprintf(os.Stderr, "vigil-hub: dashboard: %v\n", err)
	}})
	if err != nil {
		return fmt.Errorf("the dashboard: %w", err)
	}
	ln, err := net.Listen("tcp", w.http)
	if err != nil {
		return fmt.Errorf("--http %s: %w", w.http, err)
	}
	ln = netutil.LimitListener(ln, maxConns)
	srv := dashboardServer(h.Handler())
	served := make(chan error, 1)
	go func() {
		if w.tlsCert != "" {
			served <- srv.ServeTLS(ln, w.tlsCert, w.tlsKey)
		} else {
			served <- srv.Serve(ln)
		}
	}()
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	scheme := "http"
	if w.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(os.Stderr, "vigil-hub: dashboard on %s://%s\n", scheme, ln.Addr())
	select {
	case err = <-served: // a certificate that does not load, say
	case err = <-ran:
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shut) //nolint:errcheck // what is left is cut
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Bounds of the dashboard's connections, which anyone may open: what one
// without credentials can hold.
const (
	// maxConns bounds the connections served at once; those past it wait
	// in the kernel's backlog.
	maxConns = 1024
	// readTimeout bounds the reading of a request, its body included
	// (SSE streams lift it: they read nothing after their request).
	readTimeout = 30 * time.Second
)

// dashboardServer is the http.Server of the dashboard.
func dashboardServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: readTimeout, IdleTimeout: 2 * time.Minute}
}

// reportForward says what a forwarder could not do, and when it
// recovered.
func reportForward(s forward.Status) {
	switch {
	case s.Err == nil:
		fmt.Fprintf(os.Stderr, "vigil-hub: forwarder %s: delivering again\n", s.Forwarder)
	case s.Permanent:
		fmt.Fprintf(os.Stderr, "vigil-hub: forwarder %s: event %s refused for good: %v\n", s.Forwarder, s.EventID, s.Err)
	default:
		fmt.Fprintf(os.Stderr, "vigil-hub: forwarder %s: event %s: %v (again in %s)\n", s.Forwarder, s.EventID, s.Err, s.RetryIn)
	}
}
