package supervisor

import (
	"errors"
	"net/netip"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/netwatch"
)

// netCalls is the network concern of the notify loop: for now the
// default pack's net.kubernetes-api, a connect to the cluster's API
// server. Every connect is reported to vigil for it (a filter cannot look
// at an address in memory), so it is on only in Kubernetes.
type netCalls struct{ targets netwatch.Targets }

func (netCalls) calls() []specs.LinuxSyscall {
	return []specs.LinuxSyscall{{Names: []string{"connect"}}}
}

// handle reads the destination while the call is held, lets it go on,
// and reports it when it is a target.
func (c netCalls) handle(n *notifier, req *linux.SeccompNotif, _ string) {
	pid := int(req.Pid)
	var dst string
	n.asOwner(ownerOf(pid), func() { dst, _ = readSockaddr(pid, uintptr(req.Data.Args[1]), req.Data.Args[2]) })
	ap, err := netip.ParseAddrPort(dst)
	target := err == nil && c.targets.Has(ap)
	var proc *events.Process
	if target {
		proc = n.heldProcess(pid) // before the answer: nc -z is gone after
	}
	valid := linux.NotifIDValid(n.listener, req.ID) == nil
	n.answerContinue(req)
	if !valid || !target {
		return
	}
	ev := events.New(events.KindNetwork, netwatch.RuleKubernetesAPI, events.SeverityHigh, events.ActionAlert)
	ev.Workload, ev.Container = n.cfg.Workload, events.Container{Hostname: n.cfg.Hostname}
	ev.Process = proc
	d := events.NetworkDetails{Direction: "egress", Syscall: "connect", Address: ap.Addr().Unmap().String(), Port: int(ap.Port())}
	if err := ev.SetDetails(d); err != nil {
		n.log.Error("bug: network details", zap.Error(err))
		return
	}
	if err := n.cfg.Events.Emit(ev); err != nil && !errors.Is(err, events.ErrDropped) {
		n.log.Warn("emitting an event", zap.Error(err))
	}
}
