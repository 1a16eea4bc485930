package natsbus

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/vigilsec/vigil/internal/boundedfile"
)

// Defaults.
const (
	DefaultOutbox       = "/var/lib/vigil/outbox"
	DefaultHeartbeat    = 10 * time.Second
	DefaultFlushTimeout = 5 * time.Second
	// DefaultMaxInflight bounds the events published and not yet
	// acknowledged.
	DefaultMaxInflight = 4096
	// ackTimeout is how long an acknowledgement may take before the event
	// is published again (with the same id: the stream keeps one).
	ackTimeout = 5 * time.Second
)

// Conn is how to reach and authenticate to the NATS servers; shared by
// publishers (the guard) and subscribers (vigil tail).
type Conn struct {
	// URLs are the servers, comma-separated (nats://host:4222,...).
	URLs string
	// Name is the connection's name in the server's monitoring.
	Name string
	// User and Password, or Token, authenticate by secret. They may also
	// be in the URL.
	User, Password, Token string
	// NKeySeed is a file holding an NKey seed (SU...).
	NKeySeed string
	// Creds is a .creds file (a user JWT and its NKey seed).
	Creds string
	// CA is a PEM file of the CAs to trust; Cert and Key a client
	// certificate and its key, for servers that verify clients.
	CA, Cert, Key string
	// InboxPrefix replaces "_INBOX" in reply subjects, so that a guard's
	// account needs subscribe rights on its own inbox only.
	InboxPrefix string
	// Log receives a publisher's diagnostics (the connection's state, its
	// errors); Connect, a subscriber's, does not use it.
	Log *zap.Logger
}

// maxSecretFile bounds a credentials, NKey, certificate or CA file: far
// above a real one (a CA bundle is a few hundred KiB).
const maxSecretFile = 4 << 20

// Validate reports every problem of c at once.
func (c Conn) Validate() error {
	var errs []error
	if strings.TrimSpace(c.URLs) == "" {
		errs = append(errs, errors.New("no NATS server URL"))
	}
	secrets := 0
	for _, set := range []bool{c.User != "" || c.Password != "", c.Token != "", c.NKeySeed != "", c.Creds != ""} {
		if set {
			secrets++
		}
	}
	if secrets > 1 {
		errs = append(errs, errors.New("more than one way to authenticate (user/password, token, NKey seed, creds): pick one"))
	}
	if (c.Cert == "") != (c.Key == "") {
		errs = append(errs, errors.New("a client certificate needs both --nats-cert and --nats-key"))
	}
	for _, f := range []struct{ flag, path string }{
		{"--nats-nkey", c.NKeySeed}, {"--nats-creds", c.Creds}, {"--nats-ca", c.CA},
		{"--nats-cert", c.Cert}, {"--nats-key", c.Key},
	} {
		if f.path == "" {
			continue
		}
		// nats.go reads these whole at every connect: a device or a huge
		// file would have PID 1 read without end.
		if _, err := boundedfile.Read(f.path, maxSecretFile); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.flag, err))
		}
	}
	if strings.ContainsAny(c.InboxPrefix, " *>") {
		errs = append(errs, fmt.Errorf("inbox prefix %q: no spaces or wildcards", c.InboxPrefix))
	}
	return errors.Join(errs...)
}

// options returns the nats.go options of c (name, authentication, TLS),
// with extra appended: the connection's handlers are its user's.
func (c Conn) options(extra ...nats.Option) ([]nats.Option, error) {
	opts := []nats.Option{nats.Name(c.Name)}
	if c.User != "" || c.Password != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.Token != "" {
		opts = append(opts, nats.Token(c.Token))
	}
	if c.NKeySeed != "" {
		o, err := nats.NkeyOptionFromSeed(c.NKeySeed)
		if err != nil {
			return nil, fmt.Errorf("NKey seed %s: %w", c.NKeySeed, err)
		}
		opts = append(opts, o)
	}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	if c.CA != "" {
		opts = append(opts, nats.RootCAs(c.CA))
	}
	if c.Cert != "" {
		opts = append(opts, nats.ClientCert(c.Cert, c.Key))
	}
	if c.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(c.InboxPrefix))
	}
	return append(opts, extra...), nil
}

// Connect connects once, failing at once when no server answers: for
// subscribers, which have nothing to keep.
func (c Conn) Connect() (*nats.Conn, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	opts, err := c.options(nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(c.URLs, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", redact(c.URLs), err)
	}
	return nc, nil
}

// redact hides the passwords of URLs for messages.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		if at := strings.LastIndex(u, "@"); at >= 0 {
			if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
				parts[i] = u[:scheme+3] + "***" + u[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}
