package linux

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// TestReadTaskIDs reads a child's ids both ways (a pidfd's info and
// /proc/TID/status) and checks them against what the child was given:
// another uid and gid, real and effective, and this process as parent.
func TestReadTaskIDs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not root: the child cannot be given other ids")
	}
	cmd := exec.Command("/bin/sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 1234, Gid: 4321}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	want := TaskIDs{Tgid: cmd.Process.Pid, PPid: os.Getpid(), UID: 1234, GID: 4321, EUID: 1234, EGID: 4321}
	pidfd, err := pidfdTaskIDs(cmd.Process.Pid)
	if err != nil {
		t.Logf("no pidfd info on this kernel (6.13+): %v", err)
	} else if pidfd != want {
		t.Errorf("pidfd info: got %+v, want %+v", pidfd, want)
	}
	status, err := statusTaskIDs(cmd.Process.Pid)
	if err != nil || status != want {
		t.Errorf("status: got %+v, %v; want %+v", status, err, want)
	}
	got, err := ReadTaskIDs(cmd.Process.Pid)
	if err != nil || got != want {
		t.Errorf("ReadTaskIDs: got %+v, %v; want %+v", got, err, want)
	}
	// A thread's tid names its process.
	tid := syscall.Gettid()
	self, err := ReadTaskIDs(tid)
	if err != nil || self.Tgid != os.Getpid() {
		t.Errorf("ReadTaskIDs(tid %d of %d): got %+v, %v", tid, os.Getpid(), self, err)
	}
	if _, err := ReadTaskIDs(1 << 30); err == nil {
		t.Error("ReadTaskIDs of a pid that cannot exist: no error")
	}
}

func FuzzParseStatusIDs(f *testing.F) {
	f.Add([]byte("Name:\tsh\nTgid:\t12\nPid:\t12\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t5\t6\t5\t5\n"))
	f.Add([]byte("Tgid:\nUid:\t99999999999\n"))
	f.Fuzz(func(t *testing.T, status []byte) {
		ids, err := ParseStatusIDs(status)
		if err != nil && ids != (TaskIDs{}) {
			t.Errorf("an error with ids %+v", ids)
		}
	})
}

// TestReadTaskIDsOfPidZero: pid 0 (the kernel's "no pid in your namespace")
// is an error, and does not make later reads give up on pidfd info.
func TestReadTaskIDsOfPidZero(t *testing.T) {
	if noPidfdInfo.Load() {
		t.Skip("this kernel has no pidfd info")
	}
	if _, err := ReadTaskIDs(0); err == nil {
		t.Fatal("ReadTaskIDs(0) = nil error, want one")
	}
	if noPidfdInfo.Load() {
		t.Error("reading pid 0 sent every later read to /proc")
	}
}
