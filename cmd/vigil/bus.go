package main

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/boundedfile"
	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor"
)

// addConnFlags defines the flags that reach and authenticate to NATS, for
// vigil run and vigil tail.
func addConnFlags(fs *pflag.FlagSet, c *natsbus.Conn, urlUsage string) {
	fs.StringVar(&c.URLs, "nats", "", urlUsage)
	fs.StringVar(&c.Creds, "nats-creds", "", "NATS credentials: a .creds file (user JWT and NKey seed)")
	fs.StringVar(&c.NKeySeed, "nats-nkey", "", "NATS credentials: a file holding an NKey seed")
	fs.StringVar(&c.User, "nats-user", "", "NATS user name (with --nats-password)")
	fs.StringVar(&c.Password, "nats-password", "", "NATS password; prefer $VIGIL_NATS_PASSWORD to the command line")
	fs.StringVar(&c.Token, "nats-token", "", "NATS token; prefer $VIGIL_NATS_TOKEN to the command line")
	fs.StringVar(&c.CA, "nats-ca", "", "PEM file of the CAs that sign the NATS servers' certificates")
	fs.StringVar(&c.Cert, "nats-cert", "", "client certificate (PEM) for servers that verify clients, with --nats-key")
	fs.StringVar(&c.Key, "nats-key", "", "the client certificate's key (PEM)")
	fs.StringVar(&c.InboxPrefix, "nats-inbox-prefix", "", "prefix of reply subjects instead of _INBOX (e.g. _INBOX.<workload>), so an account needs rights on its own inbox only")
}

// busOptions are vigil run's flags for the event bus.
type busOptions struct {
	conn      natsbus.Conn
	outbox    string
	heartbeat time.Duration
	stream    natsbus.StreamLimits
}

func addBusFlags(fs *pflag.FlagSet) *busOptions {
	o := &busOptions{}
	addConnFlags(fs, &o.conn, "publish events to these NATS servers (comma-separated URLs), into the JetStream stream "+natsbus.StreamName+"; without it, events go to stderr")
	fs.StringVar(&o.outbox, "outbox", natsbus.DefaultOutbox, "the directory where events wait for the bus's acknowledgement, across outages and restarts")
	fs.DurationVar(&o.heartbeat, "heartbeat", natsbus.DefaultHeartbeat, "period of the heartbeats on vigil.heartbeat.<workload> (0: none)")
	fs.Var(natsbus.AgeFlag{L: &o.stream}, "stream-max-age", "when vigil creates "+natsbus.StreamName+": it discards events older than this (30d, 720h; 0: no limit); an existing stream is used as it is")
	fs.Var(natsbus.SizeFlag{L: &o.stream}, "stream-max-bytes", "when vigil creates "+natsbus.StreamName+": past this size it discards its oldest events (10GiB, 500MB, bytes; 0: no limit)")
	addReplicasFlag(fs, &o.stream)
	return o
}

// ownPaths are the bus's files the app must not read or change: the
// credentials and the outbox (Landlock hides them with files.protect:
// enforce).
func (o *busOptions) ownPaths() []string {
	if o.conn.URLs == "" {
		return nil
	}
	var files []string
	for _, f := range []string{o.conn.Creds, o.conn.NKeySeed, o.conn.Key, o.outbox} {
		if f != "" {
			files = append(files, f)
		}
	}
	return files
}

// openBus opens the NATS sink for cfg's workload; the flush at shutdown
// takes at most half the grace period, between 0.5 and 5 seconds.
func (o *busOptions) openBus(cfg *supervisor.Config, log *zap.Logger) (*natsbus.Bus, error) {
	c := o.conn
	c.Log = log
	hb := o.heartbeat
	if hb == 0 {
		hb = -1 // none
	}
	return natsbus.Open(natsbus.Config{
		Conn:         c,
		Workload:     cfg.Workload,
		Container:    events.Container{Hostname: cfg.Hostname},
		Outbox:       o.outbox,
		Heartbeat:    hb,
		FlushTimeout: min(max(cfg.Grace/2, 500*time.Millisecond), natsbus.DefaultFlushTimeout),
		Stream:       o.stream,
	})
}

// lifecycle emits vigil's own started or stopped event.
func lifecycle(cfg *supervisor.Config, d events.LifecycleDetails, log *zap.Logger) {
	ev := events.New(events.KindLifecycle, "vigil.lifecycle", events.SeverityInfo, events.ActionAlert)
	ev.Workload, ev.Container = cfg.Workload, events.Container{Hostname: cfg.Hostname}
	if err := ev.SetDetails(d); err != nil {
		log.Error("bug: lifecycle event", zap.Error(err))
		return
	}
	if err := cfg.Events.Emit(ev); err != nil {
		log.Warn("emitting the "+d.What+" event", zap.Error(err))
	}
}

// started is the details of the started event; seccompCaps are the
// capabilities the seccomp profile was resolved for, nil without one.
func started(policy string, seccompCaps []string) events.LifecycleDetails {
	notify := "no"
	if supervisor.SeccompNotifyAvailable() {
		notify = "yes"
	}
	d := events.LifecycleDetails{
		What:         "started",
		Version:      version,
		PolicyDigest: fileDigest(policy),
		Features: map[string]string{
			"seccomp_notify": notify,
			"landlock_abi":   strconv.Itoa(supervisor.LandlockABI()),
			"app_isolation":  supervisor.AppIsolation(),
		},
	}
	if seccompCaps != nil {
		d.Features["seccomp_caps"] = strings.Join(seccompCaps, ",")
	}
	return d
}

// fileDigest is "sha256:<hex>" of a file's content, "" for no file.
func fileDigest(path string) string {
	if path == "" {
		return ""
	}
	b, err := boundedfile.Read(path, rules.MaxPolicyBytes) // bounded: it may have changed since it was loaded
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
