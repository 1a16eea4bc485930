package netwatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Names keeps the addresses of DNS names current, so that a connect to an
// address can be told by the names the address stands for. vigil asks the
// servers itself (it is not filtered), with the app's resolver
// configuration, and re-asks when an answer's TTL runs out.
//
// # Asking
//
//   - A name is absolute: lower-cased, a trailing dot or none, no search
//     domains, no ndots. It must be a host name (letters, digits, '-', '_',
//     internationalized names in their xn-- form), not a wildcard or an
//     address. At most 256 names.
//   - A name that the hosts file has (as canonical name or alias, on any
//     of its lines) has the addresses of all those lines and is never
//     asked, as with the "files dns" of nsswitch.conf.
//   - The servers are NamesConfig.Servers, or else resolv.conf's first
//     three nameserver lines (IPv4 or IPv6, port 53), or else 127.0.0.1:53
//     as for glibc. They are tried in order, each once per attempt
//     (options attempts:, default 2, at most 5); each try waits
//     NamesConfig.Timeout (else options timeout:, at most 30 s, else 2 s).
//     options use-vc asks over TCP only. Other options (rotate, ndots,
//     edns0, single-request), search, domain, RES_OPTIONS and LOCALDOMAIN
//     are ignored. A missing file is an empty one, as for libc; one that
//     cannot be read makes [Names.Start] fail.
//   - A and AAAA are asked at the same time, from two sockets. A query has
//     a random id (crypto/rand), asks for recursion and offers EDNS(0) with
//     1232-byte UDP answers. The UDP socket is connected to the server, so
//     its port is the kernel's random pick and the kernel drops datagrams
//     from any other address or port; a datagram that is not the answer to
//     the query (id, question) is ignored and the wait goes on. A truncated
//     answer (TC) is asked again of the same server over TCP (with a
//     timeout of its own); truncated there too, it is a failure.
//
// # Answers
//
//   - The addresses are the A (or AAAA) records of the name, or of the end
//     of the chain of CNAMEs the answer holds for it (at most 16); records
//     of other names are ignored, and so are classes other than IN.
//     IPv4-mapped IPv6 counts as IPv4, in answers and in [Names.Lookup].
//   - An answer without addresses (NXDOMAIN, no data) means the name has
//     none of that family; it is not a failure.
//   - A failure is anything else: SERVFAIL, REFUSED or another error code,
//     no answer in time from every server, a malformed answer, a CNAME
//     chain too long. The family that failed keeps its last addresses, the
//     name is asked again after 1 s, doubling up to 30 s, and OnError is
//     called. A name that fails at start has no addresses until it is
//     answered.
//   - The TTL is the smallest along the CNAME chain and over the
//     addresses; of an answer without addresses, that of its SOA record
//     (the smaller of the record's TTL and its minimum field), or 0.
//     A TTL with its top bit set counts as 0 (RFC 2181). The name is asked
//     again when the shorter of its two TTLs runs out, bounded to
//     [MinTTL, MaxTTL].
//
// # Addresses
//
//   - [Names.Addrs] are the addresses of the name's last answers (A and
//     AAAA together). At most 64: of a larger answer, those the name had
//     before first, then in the server's order.
//   - [Names.Lookup] and [Names.Has] also count an address that dropped
//     out of the answers for Grace: apps and their libc keep answers, and
//     a connection opened just before the change must not be refused. At
//     most 64 such addresses per name (those whose grace ends first go).
//   - An answer of up to 64 KiB is read, all that DNS allows.
//   - At most 32 names are being asked at a time.
//
// # Limits
//
//   - The app asks on its own: after a change of the name's records it can
//     get the new address a little before vigil does, up to MinTTL after
//     the server's TTL ran out when that TTL is shorter than MinTTL.
//   - resolv.conf and the hosts file are read once: a change to them is
//     seen at the next start.
//   - A name the app resolves through its search domains (a short name,
//     ndots) is another name: the policy must write it in full.
type Names struct {
	cfg   NamesConfig
	names []string // canonical, sorted
	snap  atomic.Pointer[snapshot]

	mu     sync.Mutex
	closed bool
	cancel context.CancelFunc
	done   chan struct{} // closed when the refresh goroutine has ended
}

// NamesConfig configures [Names]; a zero field takes its default.
type NamesConfig struct {
	// Names are the DNS names to keep, as the policy writes them.
	Names []string
	// Servers are the DNS servers to ask, in order; none: ResolvConf's.
	Servers []netip.AddrPort
	// ResolvConf is the resolver configuration, read (servers and
	// options) only when Servers is empty; default /etc/resolv.conf.
	ResolvConf string
	// Hosts is the hosts file; default /etc/hosts.
	Hosts string
	// Timeout is how long a query waits for an answer from one server;
	// default ResolvConf's options timeout: if read, else 2 s.
	Timeout time.Duration
	// MinTTL is the shortest an answer is kept before its name is asked
	// again, so that a TTL of 0 or 1 does not make a query storm (a
	// failure is retried sooner: see [Names]); default 5 s.
	MinTTL time.Duration
	// MaxTTL is the longest; default 1 h.
	MaxTTL time.Duration
	// Grace is how long an address that dropped out of a name's answer
	// still counts as the name's; default 60 s.
	Grace time.Duration
	// OnChange, if set, is called from the refresh goroutine after a
	// name's addresses changed, with the new ones. It must not block.
	OnChange func(name string, addrs []netip.Addr)
	// OnError, if set, is called from the refresh goroutine when a name
	// could not be resolved. It must not block.
	OnError func(name string, err error)
}

// Defaults and bounds; see [Names].
const (
	defaultResolvConf = "/etc/resolv.conf"
	defaultHosts      = "/etc/hosts"
	defaultTimeout    = 2 * time.Second
	defaultAttempts   = 2
	defaultMinTTL     = 5 * time.Second
	defaultMaxTTL     = time.Hour
	defaultGrace      = time.Minute
	firstBackoff      = time.Second
	maxBackoff        = 30 * time.Second
	maxNames          = 256
	maxAddrs          = 64
	maxAsking         = 32
)

func (c NamesConfig) withDefaults() NamesConfig {
	c.ResolvConf = cmp.Or(c.ResolvConf, defaultResolvConf)
	c.Hosts = cmp.Or(c.Hosts, defaultHosts)
	c.MinTTL = cmp.Or(c.MinTTL, defaultMinTTL)
	c.MaxTTL = cmp.Or(c.MaxTTL, defaultMaxTTL)
	c.Grace = cmp.Or(c.Grace, defaultGrace)
	return c
}

// validate reports every problem of c at once, and the canonical names.
func (c NamesConfig) validate() ([]string, error) {
	names, errs := canonicalNames(c.Names)
	if len(names) > maxNames {
		errs = append(errs, fmt.Errorf("%d DNS names, at most %d", len(names), maxNames))
	}
	for _, s := range c.Servers {
		if !s.Addr().IsValid() || s.Port() == 0 {
			errs = append(errs, fmt.Errorf("DNS server %q: want an address and a port", s))
		}
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"timeout", c.Timeout}, {"minimum TTL", c.MinTTL}, {"maximum TTL", c.MaxTTL}, {"grace", c.Grace}} {
		if d.d < 0 {
			errs = append(errs, fmt.Errorf("DNS %s %s: negative", d.name, d.d))
		}
	}
	if c.MinTTL > c.MaxTTL {
		errs = append(errs, fmt.Errorf("DNS minimum TTL %s above the maximum %s", c.MinTTL, c.MaxTTL))
	}
	return names, errors.Join(errs...)
}

// NewNames returns Names for cfg, or every problem of cfg.
func NewNames(cfg NamesConfig) (*Names, error) {
	cfg = cfg.withDefaults()
	names, err := cfg.validate()
	if err != nil {
		return nil, fmt.Errorf("configuring DNS names: %w", err)
	}
	n := &Names{cfg: cfg, names: names}
	n.snap.Store(&snapshot{})
	return n, nil
}

// Start reads the resolver configuration and the hosts file, asks for
// every name, and returns when each has been answered or has failed once,
// or when ctx is done: names not answered by then are in the background.
// The refresh goroutine runs until [Names.Close], not until ctx is done.
// A name that fails is no error; a file that cannot be read is.
func (n *Names) Start(ctx context.Context) error {
	ready, done, err := n.start(ctx)
	if err != nil {
		return fmt.Errorf("starting DNS names: %w", err)
	}
	select {
	case <-ready:
	case <-done:
	case <-ctx.Done():
	}
	return nil
}

func (n *Names) start(ctx context.Context) (ready, done <-chan struct{}, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || n.done != nil {
		return nil, nil, errors.New("started before or closed")
	}
	r, err := newRefresher(n.cfg, n.names, &n.snap)
	if err != nil {
		return nil, nil, err
	}
	loop, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel, n.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		r.run(loop)
	}(n.done)
	return r.ready, n.done, nil
}

// Close stops the refresh goroutine and waits for it and its queries.
func (n *Names) Close() {
	n.mu.Lock()
	n.closed = true
	cancel, done := n.cancel, n.done
	n.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Lookup returns the names addr belongs to (grace included), sorted; nil
// if none.
func (n *Names) Lookup(addr netip.Addr) []string {
	return slices.Clone(n.snap.Load().byAddr[addrKey(addr)])
}

// Has reports whether addr belongs to name (grace included).
func (n *Names) Has(name string, addr netip.Addr) bool {
	return slices.Contains(n.snap.Load().byAddr[addrKey(addr)], lowerASCII(strings.TrimSuffix(name, ".")))
}

// Addrs returns the addresses of name's last answers, sorted; nil if none.
func (n *Names) Addrs(name string) []netip.Addr {
	return slices.Clone(n.snap.Load().byName[lowerASCII(strings.TrimSuffix(name, "."))])
}

// snapshot is what the names stand for at one moment; never modified.
type snapshot struct {
	byAddr map[netip.Addr][]string // current and in grace
	byName map[string][]netip.Addr // current
}

// addrKey is addr as the snapshot has it: unmapped, without a zone.
func addrKey(addr netip.Addr) netip.Addr {
	return addr.Unmap().WithZone("")
}
