package procwatch

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/internal/linux/linuxtest"
)

// execArgsEnv makes the test binary an exec'er: it puts execve under a
// notifying filter, sends the listener, and execs /bin/true with the
// arguments it names (separated by execArgsSep).
const (
	execArgsEnv = "VIGIL_TEST_INSPECT_ARGS"
	execArgsSep = "\x1f"
)

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(execArgsEnv); ok {
		os.Exit(execWithArgs(strings.Split(args, execArgsSep)))
	}
	os.Exit(m.Run())
}

func execWithArgs(argv []string) int {
	fail := func(err error) int { os.Stderr.WriteString(err.Error() + "\n"); return 1 }
	if err := linux.SetNoNewPrivs(); err != nil {
		return fail(err)
	}
	listener, err := linux.InstallNotifyFilter(execveOnly)
	if err != nil {
		return fail(err)
	}
	if err := linux.SendFd(linuxtest.ChildSocket, listener); err != nil {
		return fail(err)
	}
	unix.Close(listener)
	return fail(syscall.Exec("/bin/true", argv, nil))
}

// execveOnly notifies execve and allows the rest.
var execveOnly = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_EXECVE},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
}

// TestInspectHeld reads real held execs: the path and argv from the
// caller's memory, however many and long its arguments, within bounds.
func TestInspectHeld(t *testing.T) {
	if !linux.SeccompNotifyAvailable() {
		t.Skip("no seccomp user notification on this kernel")
	}
	many := make([]string, 300)
	for i := range many {
		many[i] = "arg" + strconv.Itoa(i)
	}
	long := strings.Repeat("x", maxArgLen+100)
	tests := []struct {
		name     string
		giveArgv []string
		wantArgv []string
	}{
		{name: "one", giveArgv: []string{"true"}, wantArgv: []string{"true"}},
		{name: "many", giveArgv: many, wantArgv: many},
		{name: "long", giveArgv: []string{"true", long, "after"}, wantArgv: []string{"true", long[:maxArgLen] + "…", "after"}},
		{name: "empty args", giveArgv: []string{"", "", "x"}, wantArgv: []string{"", "", "x"}},
	}
	x := NewExecs(ExecConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, _, listener := linuxtest.StartFiltered(t, execArgsEnv+"="+strings.Join(tt.giveArgv, execArgsSep))
			var req linux.SeccompNotif
			for {
				if err := linux.NotifRecv(listener, &req); err == nil {
					break
				} else if !errors.Is(err, unix.ENOENT) {
					t.Fatal(err)
				}
			}
			e := x.Inspect(int(req.Pid), false, req.Data.Args, nil)
			e.ReadCaller()
			if err := linux.NotifSend(listener, &linux.SeccompNotifResp{ID: req.ID, Flags: linux.SeccompContinue}); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("the exec'er: %v", err)
			}
			if !e.Exists || e.Requested != "/bin/true" || e.Path == "" {
				t.Errorf("file: requested %q, path %q, exists %v", e.Requested, e.Path, e.Exists)
			}
			if !slices.Equal(e.Argv, tt.wantArgv) {
				t.Errorf("argv: %d arguments %.200q, want %d %.200q", len(e.Argv), e.Argv, len(tt.wantArgv), tt.wantArgv)
			}
			if e.Caller == nil || e.Caller.PID != int32(cmd.Process.Pid) || e.Caller.PPID != int32(os.Getpid()) || e.ParentExe == "" || len(e.Caller.Argv) == 0 {
				t.Errorf("caller: %+v (parent exe %q); want pid %d, ppid %d, exe and argv", e.Caller, e.ParentExe, cmd.Process.Pid, os.Getpid())
			}
		})
	}
}
