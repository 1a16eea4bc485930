package supervisor

import (
	"encoding/binary"
	"errors"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor/netwatch"
)

// netCalls is the network concern of the notify loop: every connect, and
// with network policy every bind and send with an address, is read while
// it is held and judged by the policy (package netwatch). A filter cannot
// look at an address in memory, so each such call is held; Landlock
// enforces what it can of the policy beforehand (the TCP ports).
type netCalls struct {
	policy *netwatch.Policy
	// learned, in a learning run, is told every address; every network
	// call is held then.
	learned func(netwatch.Attempt)
}

// netCall is where a call keeps its address: the index of the pointer
// and of the length among its arguments, or of the struct msghdr (and of
// the number of struct mmsghdr).
type netCall struct {
	direction netwatch.Direction
	addr, len int
	msg       bool // args[addr] is a struct msghdr (or mmsghdr array)
	vector    bool // sendmmsg: args[len] is how many
}

var netCallsByName = map[string]netCall{
	"connect":  {direction: netwatch.Egress, addr: 1, len: 2},
	"bind":     {direction: netwatch.Ingress, addr: 1, len: 2},
	"sendto":   {direction: netwatch.Egress, addr: 4, len: 5},
	"sendmsg":  {direction: netwatch.Egress, addr: 1, msg: true},
	"sendmmsg": {direction: netwatch.Egress, addr: 1, len: 2, msg: true, vector: true},
}

// calls holds connect always (the built-in rules look at it), sendto with
// an address, and sendmsg, sendmmsg (whose address a filter cannot see)
// and bind only when the policy of their direction says anything.
func (c netCalls) calls() []specs.LinuxSyscall {
	calls := []specs.LinuxSyscall{
		{Names: []string{"connect"}},
		{Names: []string{"sendto"}, Args: []specs.LinuxSeccompArg{{Index: 4, Value: 0, Op: specs.OpNotEqual}}},
	}
	if !c.policy.Trivial(netwatch.Egress) || c.learned != nil {
		calls = append(calls, specs.LinuxSyscall{Names: []string{"sendmsg", "sendmmsg"}})
	}
	if !c.policy.Trivial(netwatch.Ingress) || c.learned != nil {
		calls = append(calls, specs.LinuxSyscall{Names: []string{"bind"}})
	}
	return calls
}

// judged is one address of a held call and the policy's verdict on it.
type judged struct {
	attempt netwatch.Attempt
	addr    netwatch.Sockaddr
	verdict netwatch.Verdict
}

// handle reads the call's addresses and the socket's protocol while the
// call is held, judges them, answers, and reports what the policy does
// not let through silently. A call is refused when one of its addresses is.
func (c netCalls) handle(n *notifier, req *linux.SeccompNotif, name string) {
	nc := netCallsByName[name]
	pid := int(req.Pid)
	// Read with vigil's own ids until they have once been refused: an app
	// of vigil's user (or a vigil with CAP_SYS_PTRACE) then needs no
	// look-up of its owner: three calls, 40 % of vigil's time on a
	// connect (measured: p50 of a loopback connect 47 -> 41 µs, bare 20).
	var found []judged
	denied := true
	if !n.otherOwners {
		found, denied = c.read(pid, nc, &req.Data.Args)
		n.otherOwners = denied
	}
	if denied {
		n.asOwner(ownerOf(pid), func() { found, _ = c.read(pid, nc, &req.Data.Args) })
	}
	if c.learned != nil {
		n.cfg.Learn(name) // the learned profile must allow it
		for _, j := range found {
			c.learned(j.attempt)
		}
	}
	var reported []judged
	deny := false
	for _, j := range found {
		if j.verdict.Rule != "" && !containsAddr(reported, j.addr) {
			reported = append(reported, j)
		}
		deny = deny || j.verdict.Action == rules.VerdictDeny
	}
	if len(reported) == 0 {
		n.answerContinue(req)
		return
	}
	proc := n.heldProcess(pid) // before the answer: a short-lived client is gone after
	valid := linux.NotifIDValid(n.listener, req.ID) == nil
	errno := 0
	if deny {
		errno = int(deniedErrno(name))
		if err := linux.NotifSend(n.listener, &linux.SeccompNotifResp{ID: req.ID, Error: -int32(errno)}); err != nil {
			n.log.Debug("answering a network call", zap.Error(err))
		}
	} else {
		n.answerContinue(req)
	}
	if !valid {
		return // what was read may be another process's
	}
	for _, j := range reported {
		n.emitNetwork(name, j, proc, errno)
	}
}

// deniedErrno is what a refused call returns: ECONNREFUSED for a
// connect, as a firewall that rejects; EACCES otherwise, as Landlock.
func deniedErrno(name string) syscall.Errno {
	if name == "connect" {
		return syscall.ECONNREFUSED
	}
	return syscall.EACCES
}

func containsAddr(js []judged, a netwatch.Sockaddr) bool {
	for _, j := range js {
		if j.addr == a {
			return true
		}
	}
	return false
}

// maxMmsg bounds the messages of one sendmmsg vigil reads (the kernel's
// UIO_MAXIOV): every one is judged.
const maxMmsg = 1024

// Sizes on 64-bit Linux: struct msghdr, struct mmsghdr.
const (
	msghdrSize  = 56
	mmsghdrSize = 64
)

// read decodes and judges the addresses of the call: none when it has
// none the policy judges (AF_NETLINK, an unnamed Unix socket, a sendmsg
// without a name). denied says that vigil's ids could not read them: the
// caller tries again with the process's owner's.
func (c netCalls) read(pid int, nc netCall, args *[6]uint64) (found []judged, denied bool) {
	mem := linux.OpenMem(pid)
	defer mem.Close()
	var addrs []netwatch.Sockaddr
	switch {
	case !nc.msg:
		if sa, ok := readSockaddrAt(mem, uintptr(args[nc.addr]), args[nc.len]); ok {
			addrs = append(addrs, sa)
		}
	case !nc.vector:
		addrs = msgNames(mem, uintptr(args[nc.addr]), 1, msghdrSize)
	default:
		addrs = msgNames(mem, uintptr(args[nc.addr]), min(args[nc.len], maxMmsg), mmsghdrSize)
	}
	var out []judged
	proto, protoRead := netwatch.ProtoOther, false
	protocol := func() netwatch.Proto {
		if !protoRead {
			name, err := linux.SocketProtocol("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.FormatUint(uint64(int32(args[0])), 10))
			proto, protoRead = netwatch.ProtoOf(name), true
			denied = denied || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
		}
		return proto
	}
	for _, sa := range addrs {
		if !sa.IP() && (!sa.IsUnix() || sa.Unix == "") {
			continue
		}
		a := netwatch.Attempt{Direction: nc.direction, Proto: netwatch.ProtoUnix, Addr: sa.Addr, Unix: sa.Unix}
		if sa.IP() {
			a.Proto = netwatch.ProtoOther // unread: no verdict depends on it
			if c.policy.NeedsProtocol() {
				a.Proto = protocol()
			}
		}
		j := judged{attempt: a, addr: sa, verdict: c.policy.Judge(a)}
		if sa.IP() && (j.verdict.Rule != "" || c.learned != nil) {
			j.attempt.Proto = protocol() // for the event, or what is learned
		}
		out = append(out, j)
	}
	return out, denied || mem.Denied()
}

// msgNames reads the msg_name of count headers of size bytes at addr.
func msgNames(mem *linux.Mem, addr uintptr, count uint64, size uintptr) []netwatch.Sockaddr {
	var out []netwatch.Sockaddr
	hdr := make([]byte, 16) // msg_name, msg_namelen
	for i := uintptr(0); i < uintptr(count); i++ {
		if mem.ReadAt(hdr, addr+i*size) < len(hdr) {
			break
		}
		name, nameLen := binary.NativeEndian.Uint64(hdr), binary.NativeEndian.Uint32(hdr[8:])
		if name == 0 {
			continue // a connected socket's
		}
		if sa, ok := readSockaddrAt(mem, uintptr(name), uint64(nameLen)); ok {
			out = append(out, sa)
		}
	}
	return out
}

// emitNetwork reports one judged address of a call.
func (n *notifier) emitNetwork(call string, j judged, proc *events.Process, errno int) {
	action, sev := events.ActionAlert, events.SeverityMedium
	if j.verdict.Action == rules.VerdictDeny {
		action = events.ActionDeny
	}
	if j.verdict.Rule == netwatch.RuleCloudMetadata || j.verdict.Rule == netwatch.RuleKubernetesAPI {
		sev = events.SeverityHigh
	}
	ev := events.New(events.KindNetwork, j.verdict.Rule, sev, action)
	ev.Workload, ev.Container = n.cfg.Workload, events.Container{Hostname: n.cfg.Hostname}
	ev.Process = proc
	d := events.NetworkDetails{Direction: j.attempt.Direction.String(), Syscall: call, Protocol: j.attempt.Proto.String(),
		Address: j.addr.String(), Name: j.verdict.Name, Errno: errno}
	if j.addr.IP() {
		d.Address, d.Port = j.addr.Addr.Addr().String(), int(j.addr.Addr.Port())
	}
	if err := ev.SetDetails(d); err != nil {
		n.log.Error("bug: network details", zap.Error(err))
		return
	}
	n.emit(ev)
}
