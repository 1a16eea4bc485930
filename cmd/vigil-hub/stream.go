package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events/natsbus"
)

// attemptTimeout bounds one request to JetStream while the hub waits.
const attemptTimeout = 5 * time.Second

// applyStream creates the events stream, or updates it to o's flags,
// waiting for the cluster's JetStream (a meta leader is elected once a
// majority of the nodes are up) for --stream-wait at most. A node of a
// cluster of 3 or more (expectCluster) also waits for the servers for 3
// replicas under auto, instead of making a stream of 1 that no server's
// death should cost.
func applyStream(ctx context.Context, nc *nats.Conn, o *options, expectCluster bool) (natsbus.Placed, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return natsbus.Placed{}, err
	}
	transient := func(err error) bool { return notYet(err) || (expectCluster && natsbus.CannotPlace(err)) }
	var p natsbus.Placed
	err = untilReady(ctx, o.streamWait, transient, func(ctx context.Context) error {
		var aerr error
		p, aerr = natsbus.ApplyStream(ctx, js, o.stream, !expectCluster)
		return aerr
	})
	if err != nil {
		return natsbus.Placed{}, fmt.Errorf("creating the stream %s (%s): %w", natsbus.StreamName, o.stream, err)
	}
	return p, nil
}

// externalStream creates the events stream on the --nats servers when it
// does not exist, and otherwise uses it as it is (and says it existed):
// there the stream is their administrator's.
func externalStream(ctx context.Context, nc *nats.Conn, o *options) (natsbus.Placed, bool, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return natsbus.Placed{}, false, err
	}
	var p natsbus.Placed
	existed := false
	err = untilReady(ctx, o.streamWait, notYet, func(ctx context.Context) error {
		var cerr error
		if p, cerr = natsbus.CreateStream(ctx, js, o.stream); cerr == nil {
			return nil
		}
		// Another configuration, or no right to create it.
		st, serr := js.Stream(ctx, natsbus.StreamName)
		if serr != nil {
			return cerr
		}
		p, existed = natsbus.Placed{Stream: st}, true
		return nil
	})
	if err != nil {
		return natsbus.Placed{}, false, fmt.Errorf("creating the stream %s (%s): %w", natsbus.StreamName, o.stream, err)
	}
	return p, existed, nil
}

// notYet reports whether err says that JetStream cannot answer yet: no
// meta leader (said, or the request not answered), or no JetStream yet.
func notYet(err error) bool {
	return natsbus.ClusterNotReady(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}

// untilReady runs try until it succeeds, fails for good (not transient),
// ctx ends, or wait passes; each try has attemptTimeout at most.
func untilReady(ctx context.Context, wait time.Duration, transient func(error) bool, try func(context.Context) error) error {
	deadline := time.Now().Add(wait)
	for {
		actx, cancel := context.WithTimeout(ctx, min(attemptTimeout, max(time.Until(deadline), time.Second)))
		err := try(actx)
		cancel()
		switch {
		case err == nil || !transient(err):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			return fmt.Errorf("not ready after --stream-wait %s (a cluster elects its JetStream leader once most of its nodes are up, "+
				"and places 3 replicas on 3 JetStream servers: are the other nodes up and their --routes right?): %w", wait, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// describe says a stream's limits and replicas: "VIGIL_EVENTS (max age
// 30d, max bytes 10GiB, replicas 3)".
func describe(st jetstream.Stream) string {
	info := st.CachedInfo()
	return fmt.Sprintf("%s (%s)", info.Config.Name, natsbus.LimitsOf(info.Config))
}

// fallbackWarning says when auto replicas got fewer than 3 from a
// cluster.
func fallbackWarning(p natsbus.Placed, nc *nats.Conn) []string {
	if p.Fallback == nil || nc.ConnectedClusterName() == "" {
		return nil
	}
	return []string{fmt.Sprintf("the cluster cannot place %d replicas (%v): the stream has %d; raise it once it can with "+
		"nats stream edit %s --replicas %d", natsbus.ClusterReplicas, p.Fallback, p.Replicas(), natsbus.StreamName, natsbus.ClusterReplicas)}
}

// fewReplicas says when an existing stream has fewer replicas than the
// hub asks for: a server that dies for good may lose events.
func fewReplicas(p natsbus.Placed, o *options, nc *nats.Conn) []string {
	want := o.stream.Wanted(nc.ConnectedClusterName() != "")
	if have := p.Replicas(); have < want {
		return []string{fmt.Sprintf("the stream %s has %d replicas, fewer than the %d asked: a server that dies for good may lose events; "+
			"used as it is (nats stream edit %s --replicas %d)", natsbus.StreamName, have, want, natsbus.StreamName, want)}
	}
	return nil
}

// smallDisk says when the store's disk would be full before the stream
// reaches its cap: the cap does not protect that disk then.
func smallDisk(store string, held uint64, l natsbus.StreamLimits) []string {
	capBytes := natsbus.StreamConfig(l).MaxBytes
	free, ok := freeBytes(store)
	if !ok || capBytes <= 0 || free+int64(held) >= capBytes {
		return nil
	}
	return []string{fmt.Sprintf("%s has %s free and the stream holds %s: the disk fills before the stream's %s cap (lower --stream-max-bytes)",
		store, approx(free), approx(int64(held)), natsbus.FormatSize(capBytes))}
}

// approx is n bytes to one decimal of MiB or GiB.
func approx(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
}
