package natsbus

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// Replicas of the stream.
//
// How many JetStream servers a cluster has is not something an ordinary
// account can ask (the meta group's peers are shown to the system account
// only, and a connection's discovered servers include servers without
// JetStream, or none behind no_advertise). So auto replicas ask the
// server itself to place ClusterReplicas, and take 1 when it answers that
// it cannot: a single server refuses replicas outright, a cluster with
// fewer JetStream servers online says it has no peers for them. That
// answer is the one the placement will follow, whatever the topology.
const (
	// ClusterReplicas are the replicas auto asks for: a server that dies
	// for good loses nothing, and the other two keep the stream writable.
	ClusterReplicas = 3
	// MaxReplicas is the most JetStream takes.
	MaxReplicas = 5
)

// nats-server's error codes that say the replicas asked cannot be placed.
const (
	errCodeNoPeers      jetstream.ErrorCode = 10005 // JSClusterNoPeersErrF: no suitable peers for placement
	errCodeInsufficient jetstream.ErrorCode = 10023 // JSInsufficientResourcesErr
	errCodeNotClustered jetstream.ErrorCode = 10074 // JSStreamReplicasNotSupportedErr: replicas > 1 on a single server
	errCodeNotAvailable jetstream.ErrorCode = 10008 // JSClusterNotAvailErr: no meta leader (yet)
	errCodeNotActive    jetstream.ErrorCode = 10006 // JSClusterNotActiveErr: JetStream not clustered (yet)
)

// CannotPlace reports whether err is the server's answer that it cannot
// place the replicas asked for: not clustered, or not enough JetStream
// servers (or room on them) in its cluster.
func CannotPlace(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case errCodeNoPeers, errCodeInsufficient, errCodeNotClustered:
		return true
	}
	return false
}

// ClusterNotReady reports whether err says the cluster's JetStream cannot
// answer yet: no meta leader elected, or not clustered yet. (Before a
// leaderless server says so, some seconds after its start, it does not
// answer at all: the request times out.)
func ClusterNotReady(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.ErrorCode == errCodeNotAvailable || apiErr.ErrorCode == errCodeNotActive
}

// Wanted is how many replicas l asks for on a server that is clustered or
// not: its own, or under auto ClusterReplicas on a cluster and 1 on a
// single server.
func (l StreamLimits) Wanted(clustered bool) int {
	switch {
	case l.Replicas > 0:
		return l.Replicas
	case clustered:
		return ClusterReplicas
	}
	return 1
}

// LimitsOf are the limits and replicas of an existing stream's cfg, as
// StreamLimits says them (-1: no limit).
func LimitsOf(cfg jetstream.StreamConfig) StreamLimits {
	l := StreamLimits{MaxAge: cfg.MaxAge, MaxBytes: cfg.MaxBytes, Replicas: cfg.Replicas}
	if l.MaxAge <= 0 {
		l.MaxAge = -1
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = -1
	}
	return l
}

// Placed is the stream CreateStream or ApplyStream made.
type Placed struct {
	Stream jetstream.Stream
	// Fallback is the server's refusal of ClusterReplicas when auto
	// replicas fell back to fewer (1 for a new stream); nil otherwise.
	Fallback error
}

// Replicas is how many the stream has.
func (p Placed) Replicas() int { return p.Stream.CachedInfo().Config.Replicas }

// CreateStream creates the events stream as l says, when it does not
// exist: an existing stream with another configuration is an error
// matching jetstream.ErrStreamNameAlreadyInUse, and is left as it is.
// Under auto replicas it asks for ClusterReplicas, then 1 when the server
// cannot place them.
func CreateStream(ctx context.Context, js jetstream.JetStream, l StreamLimits) (Placed, error) {
	cfg := StreamConfig(l)
	choices := []int{l.Replicas}
	if l.Replicas == 0 {
		choices = []int{ClusterReplicas, 1}
	}
	return place(choices, func(r int) (jetstream.Stream, error) {
		cfg.Replicas = r
		return js.CreateStream(ctx, cfg)
	})
}

// ApplyStream creates the events stream, or updates it to l, events kept.
// Under auto replicas it never lowers the stream's: it asks for
// ClusterReplicas or the stream's own if more, and with fallBack takes
// the stream's own (1 for a new stream) when the server cannot place
// them.
func ApplyStream(ctx context.Context, js jetstream.JetStream, l StreamLimits, fallBack bool) (Placed, error) {
	cfg := StreamConfig(l)
	choices := []int{l.Replicas}
	if l.Replicas == 0 {
		have, err := replicasOf(ctx, js)
		if err != nil {
			return Placed{}, err
		}
		choices = []int{max(ClusterReplicas, have)}
		if fallBack && have < ClusterReplicas {
			choices = append(choices, max(have, 1))
		}
	}
	return place(choices, func(r int) (jetstream.Stream, error) {
		cfg.Replicas = r
		return js.CreateOrUpdateStream(ctx, cfg)
	})
}

// replicasOf is the replicas of the existing stream, 0 when there is none.
func replicasOf(ctx context.Context, js jetstream.JetStream) (int, error) {
	st, err := js.Stream(ctx, StreamName)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("reading the stream %s: %w", StreamName, err)
	}
	return st.CachedInfo().Config.Replicas, nil
}

// place tries each number of replicas in turn while the server cannot
// place them.
func place(choices []int, try func(replicas int) (jetstream.Stream, error)) (Placed, error) {
	var p Placed
	for i, r := range choices {
		st, err := try(r)
		if err == nil {
			p.Stream = st
			return p, nil
		}
		if i == len(choices)-1 || !CannotPlace(err) {
			return Placed{}, fmt.Errorf("%s with %s: %w", StreamName, pluralReplicas(r), err)
		}
		p.Fallback = err
	}
	return Placed{}, errors.New("bug: no replicas to ask for")
}

func pluralReplicas(n int) string {
	if n == 1 {
		return "1 replica"
	}
	return strconv.Itoa(n) + " replicas"
}

// ReplicasFlag is l's Replicas as a flag (flag.Value, pflag.Value): 1 to
// MaxReplicas, or auto.
type ReplicasFlag struct{ L *StreamLimits }

func (f ReplicasFlag) String() string {
	if f.L == nil || f.L.Replicas == 0 {
		return "auto"
	}
	return strconv.Itoa(f.L.Replicas)
}

func (f ReplicasFlag) Set(s string) error {
	if s == "auto" {
		f.L.Replicas = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxReplicas {
		return fmt.Errorf("1 to %d, or auto", MaxReplicas)
	}
	f.L.Replicas = n
	return nil
}

func (ReplicasFlag) Type() string { return "n" }
