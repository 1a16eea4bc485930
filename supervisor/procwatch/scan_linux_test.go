package procwatch_test

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/procwatch"
)

func TestScanConfigValidate(t *testing.T) {
	tests := []struct {
		name      string
		give      procwatch.ScanConfig
		wantError []string
	}{
		{name: "defaults", give: procwatch.ScanConfig{}},
		{
			name:      "every problem at once",
			give:      procwatch.ScanConfig{Interval: time.Millisecond, CPUThreshold: -1, CPUSustain: -1, CPUAllow: []string{""}},
			wantError: []string{"below 10ms", "cpu threshold", "cpu sustain", "allow list entry 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give.Validate()
			if len(tt.wantError) == 0 && err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantError {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want %q in it", err, w)
				}
			}
		})
	}
}

func TestScanOutsider(t *testing.T) {
	needBusybox(t)
	self := startBusybox(t, "sh", "-c", "sleep 30 & sleep 30 & wait")
	outsider := startBusybox(t, "sleep", "30")
	waitExec(t, outsider.Process.Pid)
	var kids []int
	for range 100 {
		if kids = children(t, self.Process.Pid); len(kids) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	tests := []struct {
		name      string
		givePID   int
		wantFound bool
	}{
		{name: "started by the test, not by self", givePID: outsider.Process.Pid, wantFound: true},
		{name: "a child of self", givePID: kids[0]},
		{name: "another child of self", givePID: kids[1]},
		{name: "self", givePID: self.Process.Pid},
	}
	s := newScanner(t, procwatch.ScanConfig{Self: self.Process.Pid})
	found, err := s.Scan()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []procwatch.Finding
			for _, f := range withRule(found, procwatch.RuleOutsider) {
				if int(f.Process.PID) == tt.givePID {
					got = append(got, f)
				}
			}
			if !tt.wantFound {
				if len(got) != 0 {
					t.Fatalf("got %+v, want no outsider finding", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d outsider findings, want 1", len(got))
			}
			f := got[0]
			if f.Details.What != "outsider" || !strings.Contains(f.Details.Entered, "not started by vigil") ||
				strings.Join(f.Process.Argv, " ") != busybox+" sleep 30" || f.Process.Exe != realBusybox(t) ||
				f.Process.PPID != int32(os.Getpid()) || len(f.Process.Ancestry) == 0 || f.Process.Ancestry[0].PID != int32(os.Getpid()) {
				t.Errorf("finding %+v", f)
			}
		})
	}
	if again := withRule(scan(t, s, outsider.Process.Pid), procwatch.RuleOutsider); len(again) != 0 {
		t.Errorf("second scan: %+v, want the outsider reported once", again)
	}
	// A vigil that does not own its PID namespace judges its own alone.
	only := newScanner(t, procwatch.ScanConfig{Self: self.Process.Pid, DescendantsOnly: true})
	found, err = only.Scan()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		if f.Process.PID == int32(outsider.Process.Pid) || f.Rule == procwatch.RuleOutsider {
			t.Errorf("DescendantsOnly: %+v, want nothing of processes vigil did not start", f)
		}
	}
}

func TestScanFileless(t *testing.T) {
	needBusybox(t)
	bin, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	memfd := func(t *testing.T) *exec.Cmd {
		f, err := linux.MemfdCreate("payload")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Write(bin); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("/proc/self/fd/3")
		cmd.Args = []string{"sleep", "30"}
		cmd.ExtraFiles = []*os.File{f}
		return start(t, cmd)
	}
	deleted := func(t *testing.T) *exec.Cmd {
		path := filepath.Join(t.TempDir(), "bb")
		if err := os.WriteFile(path, bin, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(path)
		cmd.Args = []string{"sleep", "30"} // busybox runs the applet argv[0] names
		start(t, cmd)
		waitExec(t, cmd.Process.Pid)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	plain := func(t *testing.T) *exec.Cmd { return startBusybox(t, "sleep", "30") }
	tests := []struct {
		name         string
		give         func(*testing.T) *exec.Cmd
		wantFileless string
		wantExe      string // a prefix
	}{
		{name: "memfd", give: memfd, wantFileless: "memfd", wantExe: "/memfd:payload"},
		{name: "deleted", give: deleted, wantFileless: "deleted", wantExe: "/"},
		{name: "a file on disk", give: plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := tt.give(t)
			waitExec(t, cmd.Process.Pid)
			s := newScanner(t, procwatch.ScanConfig{})
			got := withRule(scan(t, s, cmd.Process.Pid), procwatch.RuleFileless)
			if tt.wantFileless == "" {
				if len(got) != 0 {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d findings, want 1", len(got))
			}
			d := got[0].Details
			if d.Fileless != tt.wantFileless || d.ExeDeleted != (tt.wantFileless == "deleted") ||
				!strings.HasPrefix(got[0].Process.Exe, tt.wantExe) || got[0].Severity != "critical" {
				t.Errorf("finding %+v", got[0])
			}
			if again := withRule(scan(t, s, cmd.Process.Pid), procwatch.RuleFileless); len(again) != 0 {
				t.Errorf("reported twice: %+v", again)
			}
		})
	}
}

func TestScanDrift(t *testing.T) {
	needBusybox(t)
	cmd := startBusybox(t, "sleep", "30")
	waitExec(t, cmd.Process.Pid)
	tests := []struct {
		name       string
		giveKnown  bool
		giveOK     bool
		wantReport bool
	}{
		{name: "in the baseline", giveKnown: true, giveOK: true},
		{name: "outside the baseline", giveOK: true, wantReport: true},
		{name: "baseline unknown", giveOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScanner(t, procwatch.ScanConfig{InBaseline: func(path string) (bool, bool) {
				if path != realBusybox(t) {
					return true, true
				}
				return tt.giveKnown, tt.giveOK
			}})
			got := withRule(scan(t, s, cmd.Process.Pid), procwatch.RuleDrift)
			if (len(got) == 1) != tt.wantReport || len(got) > 1 {
				t.Errorf("got %+v, want reported: %v", got, tt.wantReport)
			}
		})
	}
}

func TestScanRoot(t *testing.T) {
	needBusybox(t)
	appUser := uint32(1000)
	tests := []struct {
		name       string
		giveUID    uint32
		giveApp    *uint32
		wantReport bool
	}{
		{name: "root while the app user is 1000", giveUID: 0, giveApp: &appUser, wantReport: true},
		{name: "the app user", giveUID: 1000, giveApp: &appUser},
		{name: "root with no app user", giveUID: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(busybox, "sleep", "30")
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: tt.giveUID, Gid: tt.giveUID}}
			start(t, cmd)
			waitExec(t, cmd.Process.Pid)
			s := newScanner(t, procwatch.ScanConfig{AppUser: tt.giveApp})
			got := withRule(scan(t, s, cmd.Process.Pid), procwatch.RuleRoot)
			if (len(got) == 1) != tt.wantReport || len(got) > 1 {
				t.Fatalf("got %+v, want reported: %v", got, tt.wantReport)
			}
			if tt.wantReport && (got[0].Details.UIDs != "0/0/0" || got[0].Process.UID != 0) {
				t.Errorf("finding %+v", got[0])
			}
		})
	}
}

// loopbackPeer listens on loopback, reading whatever it is sent, until t
// ends.
func loopbackPeer(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()
	return l
}

// dialFile connects to l and returns the connection as a file (to give a
// child) and its local address.
func dialFile(t *testing.T, l net.Listener) (*os.File, string) {
	t.Helper()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.(*net.TCPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	return f, c.LocalAddr().String()
}

func TestScanReverseShell(t *testing.T) {
	needBusybox(t)
	l := loopbackPeer(t)
	tcp := func(t *testing.T) (*os.File, string) { return dialFile(t, l) }
	unixPair := func(t *testing.T) (*os.File, string) {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Close(fds[1]) })
		return os.NewFile(uintptr(fds[0]), "unix"), ""
	}
	tests := []struct {
		name       string
		give       func(*testing.T) (*os.File, string)
		wantReport bool
	}{
		{name: "stdin and stdout a TCP connection", give: tcp, wantReport: true},
		{name: "stdin and stdout a UNIX socket", give: unixPair},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock, local := tt.give(t)
			defer sock.Close()
			cmd := exec.Command(busybox, "sleep", "30")
			cmd.Stdin, cmd.Stdout = sock, sock
			start(t, cmd)
			waitExec(t, cmd.Process.Pid)
			s := newScanner(t, procwatch.ScanConfig{})
			got := withRule(scan(t, s, cmd.Process.Pid), procwatch.RuleReverseShell)
			if !tt.wantReport {
				if len(got) != 0 {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d findings, want 1", len(got))
			}
			d := got[0].Details
			if d.FD == nil || *d.FD != 0 || len(d.FDs) != 2 || d.FDs[1] != 1 || d.Protocol != "tcp" ||
				d.RemoteAddress != l.Addr().String() || d.LocalAddress != local || d.State != "established" {
				t.Errorf("details %+v", d)
			}
			if again := withRule(scan(t, s, cmd.Process.Pid), procwatch.RuleReverseShell); len(again) != 0 {
				t.Errorf("reported twice: %+v", again)
			}
		})
	}
}

func TestScanListener(t *testing.T) {
	needBusybox(t)
	s := newScanner(t, procwatch.ScanConfig{})
	// Every pass's listener findings, by process: a listener that appears
	// during the pass made for another process is reported there, once.
	found := map[int32][]procwatch.Finding{}
	listeners := func(pid int) []procwatch.Finding {
		all, err := s.Scan()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range withRule(all, procwatch.RuleListener) {
			found[f.Process.PID] = append(found[f.Process.PID], f)
		}
		got := found[int32(pid)]
		delete(found, int32(pid))
		return got
	}
	steps := []struct {
		name       string
		wantReport bool // a new listener: reported once
	}{
		{name: "first listener", wantReport: true},
		{name: "second listener", wantReport: true},
	}
	var before []int
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			port := freePort(t)
			pid := startBusybox(t, "nc", "-l", "-p", strconv.Itoa(port)).Process.Pid
			var got []procwatch.Finding
			for deadline := time.Now().Add(3 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
				got = listeners(pid)
				for _, old := range before {
					if again := listeners(old); len(again) != 0 {
						t.Errorf("listener of %d reported again: %+v", old, again)
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if len(got) != 1 {
				t.Fatalf("got %d findings, want 1", len(got))
			}
			d := got[0].Details
			if d.ListenPort != port || !strings.HasPrefix(d.Protocol, "tcp") || d.What != "listener" {
				t.Errorf("details %+v, want port %d", d, port)
			}
			if again := listeners(pid); len(again) != 0 {
				t.Errorf("reported twice: %+v", again)
			}
			before = append(before, pid)
		})
	}
}

func TestScanCPUHog(t *testing.T) {
	needBusybox(t)
	spin := filepath.Join(t.TempDir(), "spin")
	bin, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spin, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		giveExe    string
		wantReport bool
	}{
		{name: "a spinning shell", giveExe: busybox, wantReport: true},
		{name: "a spinning program on the allow list", giveExe: spin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(tt.giveExe)
			cmd.Args = []string{"sh", "-c", "while :; do :; done"}
			start(t, cmd)
			waitExec(t, cmd.Process.Pid)
			s := newScanner(t, procwatch.ScanConfig{
				CPUSustain: 1500 * time.Millisecond, CPUThreshold: 0.3, CPUAllow: []string{"spin"},
			})
			// Long enough for a hog sharing a loaded machine; one more scan
			// after a finding shows it is not repeated.
			var got []procwatch.Finding
			for end := time.Now().Add(6 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
				more := len(got) > 0
				got = append(got, withRule(scan(t, s, cmd.Process.Pid), procwatch.RuleCPUHog)...)
				if more || (!tt.wantReport && time.Until(end) < 3*time.Second) {
					break
				}
			}
			if !tt.wantReport {
				if len(got) != 0 {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d findings, want 1", len(got))
			}
			d := got[0].Details
			if d.CPUPercent < 30 || d.SustainedSeconds < 1.5 || d.Threshold != 30 {
				t.Errorf("details %+v", d)
			}
		})
	}
}

// TestScanKeepsNoFileOfTheGone: the stat files a pass keeps open are
// closed once their processes are gone, and all of them by Close.
func TestScanKeepsNoFileOfTheGone(t *testing.T) {
	needBusybox(t)
	openFds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	// Only this test's processes are watched: others on the machine come
	// and go.
	s := newScanner(t, procwatch.ScanConfig{Self: os.Getpid(), DescendantsOnly: true})
	if _, err := s.Scan(); err != nil {
		t.Fatal(err)
	}
	before := openFds()
	var cmds []*exec.Cmd
	for range 20 {
		cmds = append(cmds, startBusybox(t, "sleep", "600"))
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := s.Scan(); err != nil {
		t.Fatal(err)
	}
	if kept := openFds() - before; kept < 20 {
		t.Errorf("%d more files open after a pass over 20 new processes, want at least 20 (their stat kept open)", kept)
	}
	for _, c := range cmds {
		c.Process.Kill()
		c.Wait()
	}
	if _, err := s.Scan(); err != nil {
		t.Fatal(err)
	}
	if after := openFds(); after > before {
		t.Errorf("%d files open once the 20 are gone, %d before them", after, before)
	}
	// Close, with processes still watched, closes their files.
	startBusybox(t, "sleep", "600")
	time.Sleep(100 * time.Millisecond)
	before = openFds() // os/exec holds a pidfd for the child
	if _, err := s.Scan(); err != nil {
		t.Fatal(err)
	}
	if kept := openFds() - before; kept != 2 {
		t.Fatalf("%d files kept for one watched process, want its stat and schedstat", kept)
	}
	s.Close()
	if closed := openFds(); closed != before {
		t.Errorf("%d files open after Close, %d before the pass: Close left the stat files open", closed, before)
	}
}

// TestScanReverseShellInPlace: a shell that was idle through passes and
// then turns its own stdin and stdout to a TCP connection (exec with
// redirections only: no new process, no new exe) is reported at the next
// pass. The scan skips the links of a process that has not run since it
// read them; this one ran.
func TestScanReverseShellInPlace(t *testing.T) {
	needBusybox(t)
	sock, _ := dialFile(t, loopbackPeer(t))
	defer sock.Close()
	// The shell waits on a pipe, idle, then turns to the socket (fd 3)
	// and reads from it.
	cmd := exec.Command(busybox, "sh", "-c", "read x; exec 0<&3 1>&3; read y")
	cmd.ExtraFiles = []*os.File{sock}
	wake, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer wake.Close()
	start(t, cmd)
	waitExec(t, cmd.Process.Pid)
	s := newScanner(t, procwatch.ScanConfig{})
	for range 3 { // idle passes: nothing to report
		if got := withRule(scan(t, s, cmd.Process.Pid), procwatch.RuleReverseShell); len(got) != 0 {
			t.Fatalf("reported before it turned: %+v", got)
		}
		time.Sleep(30 * time.Millisecond)
	}
	if _, err := wake.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	var got []procwatch.Finding
	for deadline := time.Now().Add(3 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(30 * time.Millisecond) {
		got = withRule(scan(t, s, cmd.Process.Pid), procwatch.RuleReverseShell)
	}
	if len(got) != 1 {
		t.Fatalf("got %d reverse-shell findings for the shell, want 1", len(got))
	}
}
