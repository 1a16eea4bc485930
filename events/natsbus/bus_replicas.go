package natsbus

import "go.uber.org/zap"

// clustered reports whether the guard's server is in a cluster.
func (b *Bus) clustered() bool {
	nc := b.nc.Load()
	return nc != nil && nc.ConnectedClusterName() != ""
}

// fellBack says when auto replicas got fewer than ClusterReplicas from a
// cluster: a server that dies then loses events. From a single server,
// 1 is what auto means.
func (b *Bus) fellBack(p Placed) {
	if p.Fallback == nil || !b.clustered() {
		return
	}
	b.log.Warn("the NATS cluster cannot place 3 replicas of the stream (fewer than 3 JetStream servers online, or without room for "+
		"--stream-max-bytes): created with 1; raise it once they are with nats stream edit "+StreamName+" --replicas 3",
		zap.String("stream", StreamName), zap.NamedError("refusal", p.Fallback))
}

// fewReplicas warns when an existing stream has fewer replicas than the
// guard asks for (auto: ClusterReplicas on a cluster); it is used as it
// is.
func (b *Bus) fewReplicas(have int) {
	want := b.cfg.Stream.Wanted(b.clustered())
	if have >= want {
		return
	}
	b.log.Warn("the NATS stream has fewer replicas than asked: a server that dies for good may lose events; used as it is "+
		"(nats stream edit "+StreamName+" --replicas N; see docs/nats.md)",
		zap.String("stream", StreamName), zap.Int("replicas", have), zap.Int("asked", want))
}
