package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/events/natsbus"
)

// addReplicasFlag defines --nats-replicas, the replicas of the stream
// vigil creates.
func addReplicasFlag(fs *pflag.FlagSet, l *natsbus.StreamLimits) {
	fs.Var(natsbus.ReplicasFlag{L: l}, "nats-replicas", "when vigil creates "+natsbus.StreamName+": how many servers of a NATS cluster hold it, 1 to 5; "+
		"auto: 3 where the cluster can place them, else 1; an existing stream is used as it is")
}

// streamCheck is vigil check --stream: the nats CLI command that creates
// the stream as vigil run would with the same flags, for an administrator
// (a guard that may only publish cannot create it).
type streamCheck struct {
	print  bool
	limits natsbus.StreamLimits
}

func addStreamCheck(fs *pflag.FlagSet) *streamCheck {
	s := &streamCheck{}
	fs.BoolVar(&s.print, "stream", false, "print the nats CLI command that creates the stream "+natsbus.StreamName+" as vigil run would with these flags, instead of checking a file")
	fs.Var(natsbus.AgeFlag{L: &s.limits}, "stream-max-age", "with --stream: the stream's max age (30d, 720h; 0: no limit)")
	fs.Var(natsbus.SizeFlag{L: &s.limits}, "stream-max-bytes", "with --stream: the stream's max size (10GiB, 500MB, bytes; 0: no limit)")
	addReplicasFlag(fs, &s.limits)
	return s
}

// run prints the command; under auto replicas, the one for a cluster,
// and what to change for a single server.
func (s *streamCheck) run(args []string) int {
	if len(args) > 0 {
		fail("check: --stream takes no file, got %q", args[0])
		return exitError
	}
	fmt.Println(natsbus.StreamAddCommand(s.limits))
	if s.limits.Replicas == 0 {
		fmt.Printf("# --replicas 1 on a single server, or on a cluster of fewer than %d JetStream servers\n", natsbus.ClusterReplicas)
	}
	return exitOK
}
