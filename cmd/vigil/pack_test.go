package main_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/events"
)

// packEvent is what a test asserts of a rule pack event.
type packEvent struct {
	rule     string
	severity events.Severity
	action   events.Action
}

// packEvents are the rule pack's events (rules proc.*) in stderr, sorted.
func packEvents(t *testing.T, stderr string) []packEvent {
	t.Helper()
	var out []packEvent
	for _, ev := range syscallEvents(t, stderr) {
		if strings.HasPrefix(ev.Rule, "proc.") {
			out = append(out, packEvent{ev.Rule, ev.Severity, ev.Action})
		}
	}
	slices.SortFunc(out, func(a, b packEvent) int { return strings.Compare(a.rule, b.rule) })
	return out
}

// packBin is a directory of programs named like the tools the pack looks
// for (apt, nc, ssh…), each a symlink to busybox: the pack judges by name,
// and busybox runs the applet its argv[0] names (or says it has none).
// Their files resolve to busybox's, outside /tmp.
func packBin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"apt", "pip3", "nc", "find", "shred", "ssh", "grep"} {
		if err := os.Symlink(busybox(t), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tmpDir is a directory under /tmp, whatever $TMPDIR says.
func tmpDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "vigil-pack-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestPackRules: each rule of the default pack, on by default, reports the
// behaviour it is named for, performed by a guarded process (busybox, or
// the test binary for the syscall rules and for an app that is not a
// shell), with its severity and action; its ordinary neighbour is silent.
func TestPackRules(t *testing.T) {
	bb := busybox(t)
	bin, tmp := packBin(t), tmpDir(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary as the app itself: its own start is not judged (it
	// is under /tmp: proc.exec-from-tmp otherwise).
	role := func(args ...string) []string { return append([]string{self}, args...) }
	sh := func(script string) []string { return []string{bb, "sh", "-c", script} }
	alert := func(rule string, sev events.Severity) packEvent { return packEvent{rule, sev, events.ActionAlert} }
	tests := []struct {
		name       string
		giveArgv   []string
		giveEnv    []string
		givePolicy string
		wantStdout string // lines, spaces between; "" to skip
		want       []packEvent
	}{
		{name: "shell-from-app", giveArgv: role("spawn", bb, "sh", "-c", "true"), wantStdout: "spawn=ok",
			want: []packEvent{alert("proc.shell-from-app", events.SeverityHigh)}},
		{name: "shell-from-app-busybox-env", giveArgv: []string{bb, "env", bb, "sh", "-c", "true"},
			want: []packEvent{alert("proc.shell-from-app", events.SeverityHigh)}},
		{name: "shell-from-shell", giveArgv: sh(bb + " sh -c true; /bin/sh -c true")},
		{name: "package-manager", giveArgv: sh(bin + "/apt update 2>/dev/null; true"),
			want: []packEvent{alert("proc.package-manager", events.SeverityMedium)}},
		{name: "pip-install", giveArgv: sh(bin + "/pip3 install requests 2>/dev/null; true"),
			want: []packEvent{alert("proc.package-manager", events.SeverityMedium)}},
		{name: "pip-list", giveArgv: sh(bin + "/pip3 list 2>/dev/null; true")},
		{name: "network-tool", giveArgv: sh(bin + "/nc -w 1 127.0.0.1 1 2>/dev/null; true"),
			want: []packEvent{alert("proc.network-tool", events.SeverityMedium)}},
		{name: "netcat-exec", giveArgv: sh(bin + "/nc -w 1 -e /bin/true 127.0.0.1 1 2>/dev/null; true"),
			want: []packEvent{alert("proc.netcat-exec", events.SeverityCritical), alert("proc.network-tool", events.SeverityMedium)}},
		// Mounted noexec in the app's mount namespace: the kernel refuses
		// the second exec (126), after vigil saw it.
		{name: "exec-from-tmp", giveArgv: sh(strings.Join([]string{
			"cp " + bb + " " + tmp + "/true", tmp + "/true; echo dir=$?",
			"mkdir " + tmp + "/noexec", "mount -t tmpfs -o noexec tmpfs " + tmp + "/noexec",
			"cp " + bb + " " + tmp + "/noexec/true", tmp + "/noexec/true 2>/dev/null; echo noexec=$?"}, "; ")),
			wantStdout: "dir=0 noexec=126",
			want:       []packEvent{alert("proc.exec-from-tmp", events.SeverityHigh), alert("proc.exec-from-tmp", events.SeverityHigh)}},
		{name: "credential-search", giveArgv: sh(bin + "/find /nonexistent -name id_rsa 2>/dev/null; " + bin + "/grep -r key /nonexistent/.aws/credentials 2>/dev/null; true"),
			want: []packEvent{alert("proc.credential-search", events.SeverityHigh), alert("proc.credential-search", events.SeverityHigh)}},
		{name: "search-other", giveArgv: sh(bin + "/find /nonexistent -name '*.go' 2>/dev/null; " + bin + "/grep -q root /etc/passwd; true")},
		{name: "bulk-removal", giveArgv: sh("echo x > " + tmp + "/f; " + bin + "/shred -u " + tmp + "/f"),
			want: []packEvent{alert("proc.bulk-removal", events.SeverityMedium)}},
		{name: "ssh-nonstandard-port", giveArgv: sh(bin + "/ssh -p 2222 example.com 2>/dev/null; true"),
			want: []packEvent{alert("proc.ssh-nonstandard-port", events.SeverityMedium)}},
		{name: "ssh-port-22", giveArgv: sh(bin + "/ssh -p 22 example.com 2>/dev/null; true")},
		{name: "ptrace", giveArgv: role("ptrace"), wantStdout: "seize=EPERM traceme=EPERM",
			want: []packEvent{{"proc.ptrace", events.SeverityHigh, events.ActionDeny}, {"proc.ptrace", events.SeverityHigh, events.ActionDeny}}},
		{name: "packet-socket", giveArgv: role("packet"), wantStdout: "inet=ok packet=ok",
			want: []packEvent{alert("proc.packet-socket", events.SeverityMedium)}},
		{name: "kernel-module", giveArgv: role("module"), wantStdout: "finit=EPERM delete=EPERM",
			want: []packEvent{{"proc.kernel-module", events.SeverityCritical, events.ActionDeny}, {"proc.kernel-module", events.SeverityCritical, events.ActionDeny}}},
		{name: "setuid-bit", giveArgv: sh("touch " + tmp + "/s; chmod u+s " + tmp + "/s; chmod g+s " + tmp + "/s; chmod 755 " + tmp + "/s"),
			want: []packEvent{alert("proc.setuid-bit", events.SeverityHigh), alert("proc.setuid-bit", events.SeverityHigh)}},
		// Under Docker's profile too: a pack alert lets through only what
		// the profile allows.
		{name: "setuid-bit-docker-profile", giveArgv: sh("touch " + tmp + "/d; chmod u+s " + tmp + "/d"),
			givePolicy: "seccomp:\n  profile: docker-default\n", giveEnv: dockerCaps,
			want: []packEvent{alert("proc.setuid-bit", events.SeverityHigh)}},
		{name: "ordinary", giveArgv: sh(bb + " ls / >/dev/null; chmod 644 " + tmp + "/f2 2>/dev/null; " + bb + " sh -c true; echo ok"), wantStdout: "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"run", "--log-level=warn", "--workload", "test"}
			if tt.givePolicy != "" {
				args = append(args, "--policy", writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\n"+tt.givePolicy))
			}
			env := append([]string{"VIGILTEST_ROLE=pack"}, tt.giveEnv...)
			code, stdout, stderr := runVigil(t, modes[0], env, append(append(args, "--"), tt.giveArgv...)...)
			if code != 0 {
				t.Fatalf("exit %d; stdout %q, stderr:\n%s", code, stdout, stderr)
			}
			if got := strings.Join(strings.Fields(stdout), " "); tt.wantStdout != "" && got != tt.wantStdout {
				t.Errorf("stdout %q, want %q", got, tt.wantStdout)
			}
			if got := packEvents(t, stderr); !slices.Equal(got, tt.want) {
				t.Errorf("pack events %v, want %v; stderr:\n%s", got, tt.want, stderr)
			}
		})
	}
}

// TestPackSystemUserShell: a shell whose standard input is a terminal,
// started by a system user (uid 100), is reported; without the terminal,
// or as root, it is not.
func TestPackSystemUserShell(t *testing.T) {
	bb := busybox(t)
	tests := []struct {
		name     string
		giveUser string
		giveTTY  bool
		want     []packEvent
	}{
		{name: "system-user-on-a-terminal", giveUser: "100:100", giveTTY: true,
			want: []packEvent{{"proc.system-user-shell", events.SeverityHigh, events.ActionAlert}}},
		{name: "system-user-no-terminal", giveUser: "100:100"},
		{name: "root-on-a-terminal", giveUser: "0:0", giveTTY: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nuser: \""+tt.giveUser+"\"\n")
			cmd := vigil(modes[0], "run", "--log-level=warn", "--workload", "test", "--policy", policy, "--", bb, "sh", "-c", bb+" sh -c true")
			cmd.Env = append(cmd.Env, dockerCaps...)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = nil, &stderr
			if tt.giveTTY {
				ptmx, tty, err := pty.Open()
				if err != nil {
					t.Fatalf("opening a pty: %v", err)
				}
				defer ptmx.Close()
				defer tty.Close()
				cmd.Stdin = tty
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(t, cmd, 30*time.Second); code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
			}
			if got := packEvents(t, stderr.String()); !slices.Equal(got, tt.want) {
				t.Errorf("pack events %v, want %v; stderr:\n%s", got, tt.want, stderr.String())
			}
		})
	}
}

// TestPackOff: the policy's rules.disable turns single rules off (an exec
// rule and a syscall rule here: the call then gets the kernel's own
// answer), rules.pack: off and --rules=off (VIGIL_RULES) the whole pack;
// without any, both rules report.
func TestPackOff(t *testing.T) {
	bin := packBin(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The kernel's own answers, without the rule (ENOSYS without module
	// support).
	kernel := "spawn=exit status 127 finit=" + result(unix.FinitModule(-1, "", 0)) + " delete=" + result(unix.DeleteModule("vigil_test_none", unix.O_NONBLOCK))
	argv := []string{self, "spawn", bin + "/apt", "update", ";", "module"}
	t.Setenv("VIGILTEST_QUIET", "1") // the spawned program's stderr: not between events
	tests := []struct {
		name       string
		givePolicy string
		giveFlags  []string
		giveEnv    []string
		wantStdout string
		want       []packEvent
	}{
		{name: "on", wantStdout: "spawn=exit status 127 finit=EPERM delete=EPERM", want: []packEvent{
			{"proc.kernel-module", events.SeverityCritical, events.ActionDeny}, {"proc.kernel-module", events.SeverityCritical, events.ActionDeny},
			{"proc.package-manager", events.SeverityMedium, events.ActionAlert}}},
		{name: "disable", givePolicy: "rules:\n  disable: [proc.package-manager, proc.kernel-module]\n", wantStdout: kernel},
		{name: "disable-one", givePolicy: "rules:\n  disable: [proc.kernel-module]\n", wantStdout: kernel,
			want: []packEvent{{"proc.package-manager", events.SeverityMedium, events.ActionAlert}}},
		{name: "policy-pack-off", givePolicy: "rules:\n  pack: off\n", wantStdout: kernel},
		{name: "flag-off", giveFlags: []string{"--rules=off"}, wantStdout: kernel},
		{name: "env-off", giveEnv: []string{"VIGIL_RULES=off"}, wantStdout: kernel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--log-level=warn", "--workload", "test"}, tt.giveFlags...)
			if tt.givePolicy != "" {
				args = append(args, "--policy", writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\n"+tt.givePolicy))
			}
			env := append([]string{"VIGILTEST_ROLE=pack"}, tt.giveEnv...)
			code, stdout, stderr := runVigil(t, modes[0], env, append(append(args, "--"), argv...)...)
			if got := strings.Join(strings.Fields(stdout), " "); code != 0 || got != tt.wantStdout {
				t.Fatalf("exit %d, stdout %q; want 0, %q; stderr:\n%s", code, got, tt.wantStdout, stderr)
			}
			if got := packEvents(t, stderr); !slices.Equal(got, tt.want) {
				t.Errorf("pack events %v, want %v; stderr:\n%s", got, tt.want, stderr)
			}
		})
	}
}

// TestPackBadConfig: an unknown rule in rules.disable, or a bad --rules,
// is vigil's own error (125), with the place.
func TestPackBadConfig(t *testing.T) {
	policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\nrules:\n  disable: [proc.nope]\n")
	for _, tt := range []struct {
		name       string
		giveArgs   []string
		wantStderr string
	}{
		{name: "unknown-rule", giveArgs: []string{"--policy", policy}, wantStderr: policy + `:4:13: unknown rule "proc.nope"`},
		{name: "bad-flag", giveArgs: []string{"--rules=some"}, wantStderr: `--rules "some": want default or off`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runVigil(t, modes[1], nil, append(append([]string{"run"}, tt.giveArgs...), "--", "true")...)
			if code != 125 || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("exit %d, stderr %q; want 125 and %q", code, stderr, tt.wantStderr)
			}
		})
	}
}
