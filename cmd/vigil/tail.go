package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// tailOptions are vigil tail's flags.
type tailOptions struct {
	conn       natsbus.Conn
	follow     natsbus.FollowOptions
	kind       string
	severity   string
	json       bool
	heartbeats bool
}

func setupTail(fs *pflag.FlagSet, _ *signals.Set) func([]string) int {
	o := &tailOptions{}
	addConnFlags(fs, &o.conn, "read events from these NATS servers, comma-separated URLs (default nats://127.0.0.1:4222, vigil-hub's)")
	fs.StringVar(&o.follow.Workload, "workload", "", "only this workload's events (default: all)")
	fs.StringVar(&o.kind, "kind", "", "only events of this kind: "+joinKinds())
	fs.StringVar(&o.severity, "severity", "", "only events of this severity or above: info, low, medium, high, critical")
	fs.DurationVar(&o.follow.Since, "since", 0, "start with the events of this long ago (e.g. 1h), then follow")
	fs.BoolVar(&o.follow.All, "all", false, "start with every event the stream holds, then follow")
	fs.BoolVar(&o.json, "json", false, "print each event as one line of JSON, as published")
	fs.BoolVar(&o.heartbeats, "heartbeats", false, "follow the guards' heartbeats instead, and say when one goes silent (none for three of its periods)")
	return func(args []string) int {
		if len(args) > 0 {
			fail("tail: unexpected argument %q (see 'vigil help tail')", args[0])
			return exitError
		}
		if err := o.check(); err != nil {
			fail("tail: %v", err)
			return exitError
		}
		o.conn.Name = "vigil tail"
		nc, err := o.conn.Connect()
		if err != nil {
			fail("tail: %v", err)
			return exitError
		}
		defer nc.Close()
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		w := bufio.NewWriter(os.Stdout)
		show := func(e events.Event) error {
			if o.json {
				line, err := events.Encode(e)
				if err != nil {
					return err
				}
				w.Write(append(line, '\n'))
			} else {
				fmt.Fprintln(w, humanLine(e))
			}
			return w.Flush() // a reader of a pipe sees each event at once
		}
		if o.heartbeats {
			err := natsbus.WatchHeartbeats(ctx, nc, o.follow.Workload, func(e events.Event) { show(e) }, //nolint:errcheck // stdout
				func(workload string, last time.Time) {
					// On stderr with --json: stdout stays events only.
					out := io.Writer(w)
					if o.json {
						out = os.Stderr
					}
					fmt.Fprintf(out, "%s  %-12s SILENT   no heartbeat since %s\n", time.Now().Format(time.DateTime), workload, last.Format(time.DateTime))
					w.Flush()
				})
			if err != nil {
				fail("tail: %v", err)
				return exitError
			}
			return exitOK
		}
		err = natsbus.Follow(ctx, nc, o.follow, func(e events.Event) error {
			if !o.wanted(e) {
				return nil
			}
			return show(e)
		}, func(err error) {
			fmt.Fprintf(os.Stderr, "vigil: tail: skipped a message that is not an event: %v\n", err)
		})
		if err != nil {
			fail("tail: %v", err)
			return exitError
		}
		return exitOK
	}
}

// check validates the options that the flag types cannot.
func (o *tailOptions) check() error {
	if o.follow.All && o.follow.Since > 0 {
		return fmt.Errorf("--all and --since exclude each other")
	}
	if o.heartbeats && (o.follow.All || o.follow.Since > 0 || o.kind != "" || o.severity != "") {
		return fmt.Errorf("--heartbeats follows live heartbeats only: no --all, --since, --kind or --severity")
	}
	if o.conn.URLs == "" {
		o.conn.URLs = "nats://127.0.0.1:4222" // vigil-hub's default
	}
	if o.kind != "" {
		o.follow.Kind = events.Kind(o.kind)
		if !o.follow.Kind.Valid() {
			return fmt.Errorf("--kind %q: want one of %s", o.kind, joinKinds())
		}
	}
	if o.severity != "" && !events.Severity(o.severity).Valid() {
		return fmt.Errorf("--severity %q: want one of info, low, medium, high, critical", o.severity)
	}
	return nil
}

// wanted applies the filters the subject cannot.
func (o *tailOptions) wanted(e events.Event) bool {
	if o.severity == "" {
		return true
	}
	return slices.Index(events.Severities, e.Severity) >= slices.Index(events.Severities, events.Severity(o.severity))
}

// humanLine is one event as vigil tail prints it: time, workload,
// severity, rule, then the process and details.
func humanLine(e events.Event) string {
	return fmt.Sprintf("%s  %-12s %-8s %-22s %s", e.Time.Local().Format(time.DateTime), e.Workload, e.Severity, e.Rule, e.Summary())
}

func joinKinds() string {
	var emitted, reserved []string
	for _, k := range events.Kinds {
		if events.Reserved(k) {
			reserved = append(reserved, string(k))
		} else {
			emitted = append(emitted, string(k))
		}
	}
	if len(reserved) == 0 {
		return strings.Join(emitted, ", ")
	}
	return strings.Join(emitted, ", ") + " (" + strings.Join(reserved, ", ") + ": reserved, nothing emits them yet)"
}
