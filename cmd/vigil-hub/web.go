package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/hub"
	"github.com/vigilsec/vigil/hub/forward"
)

// webOptions are the flags of what the hub serves on the bus: the
// dashboard and its API, and the forwarders.
type webOptions struct {
	http, authFile, authToken, tlsCert, tlsKey, forwardFile string
	insecureNoAuth                                          bool
	// silence is how long a guard may send no heartbeat before it is
	// silent (0: three of its periods).
	silence time.Duration

	// Loaded by load, before the bus starts: a bad file stops the hub
	// before anything runs.
	auth       hub.Auth
	forwarders *forward.Config
}

func addWebFlags(fs *pflag.FlagSet, w *webOptions) {
	fs.StringVar(&w.http, "http", "", "serve the dashboard and its HTTP API on this address (:8080); off when empty")
	fs.StringVar(&w.authFile, "auth-file", "", "with --http: who may read, a YAML file of tokens and users (see docs/hub.md)")
	fs.StringVar(&w.authToken, "auth-token", "", "with --http: a bearer token that may read (16 characters or more); prefer $VIGIL_HUB_AUTH_TOKEN to the command line")
	fs.BoolVar(&w.insecureNoAuth, "insecure-no-auth", false, "with --http: let anyone who reaches the address read every event")
	fs.StringVar(&w.tlsCert, "tls-cert", "", "with --http: serve HTTPS with this certificate (PEM), with --tls-key")
	fs.StringVar(&w.tlsKey, "tls-key", "", "the key (PEM) of --tls-cert")
	fs.DurationVar(&w.silence, "silence", 0, "with --http: a guard that sends no heartbeat this long is silent, and alerted (hub.guard-silent); 0: three of its heartbeat periods")
	fs.StringVar(&w.forwardFile, "forward", "", "forward events to the targets of this YAML file: webhooks, Slack, Falco's JSON (see docs/forwarders.md)")
}

// load checks the flags together and reads their files.
func (w *webOptions) load() error {
	hasAuth := w.authFile != "" || w.authToken != ""
	switch {
	case w.http == "" && (hasAuth || w.insecureNoAuth || w.tlsCert != "" || w.tlsKey != ""):
		return errors.New("--auth-file, --auth-token, --insecure-no-auth, --tls-cert and --tls-key are for the dashboard: they need --http")
	case w.http != "" && !hasAuth && !w.insecureNoAuth:
		return errors.New("--http needs --auth-file or --auth-token (or, to let anyone read, --insecure-no-auth)")
	case hasAuth && w.insecureNoAuth:
		return errors.New("--insecure-no-auth with --auth-file or --auth-token: choose one")
	case (w.tlsCert == "") != (w.tlsKey == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case w.silence < 0:
		return fmt.Errorf("--silence %s: negative (0: three heartbeat periods)", w.silence)
	}
	if err := w.loadAuth(); err != nil {
		return err
	}
	if w.forwardFile != "" {
		cfg, err := forward.Load(w.forwardFile)
		if err != nil {
			return err // file:line:column of each problem
		}
		w.forwarders = cfg
	}
	return nil
}

func (w *webOptions) loadAuth() error {
	w.auth.Insecure = w.insecureNoAuth
	if w.authFile != "" {
		a, err := hub.LoadAuth(w.authFile)
		if err != nil {
			return err
		}
		w.auth = a
	}
	if w.authToken != "" {
		w.auth.Tokens = append(w.auth.Tokens, w.authToken)
	}
	if w.http == "" {
		return nil
	}
	if err := w.auth.Validate(); err != nil {
		return fmt.Errorf("--auth-file/--auth-token: %w", err)
	}
	for _, f := range []string{w.tlsCert, w.tlsKey} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
	}
	return nil
}
