package supervisor

import (
	"runtime"
	"syscall"
	"testing"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// TestHeldEventWithoutPid: the kernel names a held call's caller pid 0
// when the task has no pid in vigil's namespace; the call is still an
// event that passes validation (once, on CI, such a violation was lost).
func TestHeldEventWithoutPid(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the profile below names x86_64")
	}
	spec, err := seccomp.ParseProfile("sync.json", []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["sync"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	filter, err := seccomp.Compile(spec, "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	n := &notifier{listener: -1, filter: filter, cfg: &Config{Workload: "w"}, log: zap.NewNop()}
	req := &linux.SeccompNotif{ID: 1, Pid: 0}
	req.Data.Nr, req.Data.Arch = syscall.SYS_SYNC, unix.AUDIT_ARCH_X86_64
	out := filter.Decide(seccomp.Data(req.Data))
	ev, _ := n.heldEvent(req, out, "sync")
	if err := ev.Validate(); err != nil {
		t.Fatalf("the event of a caller without a pid: %v", err)
	}
	if ev.Process != nil || ev.Kind != events.KindSyscall || ev.Action != events.ActionDeny {
		t.Errorf("event %+v, want a denied syscall with no process", ev)
	}
}
