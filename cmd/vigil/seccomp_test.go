package main_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// dockerProfile is Docker's default seccomp profile, by absolute path: some
// tests run vigil in another directory.
var dockerProfile, _ = filepath.Abs("../../supervisor/seccomp/profiles/docker-default.json")

// syscallEvents decodes the events among vigil's stderr lines, failing on
// an event line that does not decode.
func syscallEvents(t *testing.T, stderr string) []events.Event {
	t.Helper()
	var evs []events.Event
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, `"schema"`) {
			continue
		}
		ev, err := events.Decode([]byte(line))
		if err != nil {
			t.Fatalf("an event line that does not decode: %v\n%s", err, line)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestSeccompProfileReportsEveryViolation(t *testing.T) {
	dir := t.TempDir()
	profile := func(name, json string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(json), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// dash calls getppid as it starts, to set $PPID.
	killGetppid := profile("kill.json", `{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"}]}`)
	denyMkdirConnect := profile("deny.json", `{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat", "connect"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`)
	logUnshare := profile("log.json", `{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_LOG"}]}`)
	tests := []struct {
		name        string
		giveProfile string
		giveScript  string
		// giveEnv is for the PID 1 helper: dockerCaps keeps Docker's
		// capabilities, for which Docker's profile is resolved. The
		// case is skipped in the other mode.
		giveEnv    []string
		wantCode   int
		wantStdout string
		wantEvents []string // "syscall rule action errno exe decoded...", one per event
	}{
		{name: "docker default: an ordinary workload", giveProfile: dockerProfile,
			giveScript: "ls / >/dev/null && cat /etc/hostname >/dev/null && sh -c 'echo ok'", wantStdout: "ok\n"},
		{name: "docker default: unshare denied", giveProfile: dockerProfile, giveEnv: dockerCaps,
			giveScript: "unshare -U true 2>/dev/null; echo rc=$?", wantStdout: "rc=1\n",
			wantEvents: []string{"unshare seccomp.default deny 1 unshare 0=CLONE_NEWUSER"}},
		{name: "paths and addresses decoded", giveProfile: denyMkdirConnect,
			giveScript: "mkdir /vigil-test-dir 2>/dev/null; busybox nc 127.0.0.1 9 </dev/null 2>/dev/null; echo done",
			wantStdout: "done\n",
			wantEvents: []string{"mkdir seccomp.profile.0 deny 13 mkdir 0=/vigil-test-dir", "connect seccomp.profile.0 deny 13 busybox 1=127.0.0.1:9"}},
		{name: "kill", giveProfile: killGetppid, giveScript: "echo never", wantCode: 137,
			wantEvents: []string{"getppid seccomp.profile.0 kill 1 dash"}},
		{name: "log lets the call through", giveProfile: logUnshare,
			giveScript: "unshare -U true; echo rc=$?", wantStdout: "rc=0\n",
			wantEvents: []string{"unshare seccomp.profile.0 alert 0 unshare 0=CLONE_NEWUSER"}},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				if tt.giveEnv != nil && !m.pid1 {
					t.Skip("only the PID 1 helper keeps Docker's capabilities; with the test's, Docker's profile allows unshare")
				}
				// Without the rule pack, which reports busybox nc as a
				// network tool (TestPack*).
				code, stdout, stderr := runVigil(t, m, tt.giveEnv, "run", "--log-level=warn", "--rules=off",
					"--seccomp-profile", tt.giveProfile, "--workload", "test", "--", "sh", "-c", tt.giveScript)
				if code != tt.wantCode || stdout != tt.wantStdout {
					t.Fatalf("exit %d, stdout %q; want %d, %q; stderr:\n%s", code, stdout, tt.wantCode, tt.wantStdout, stderr)
				}
				var got []string
				for _, ev := range syscallEvents(t, stderr) {
					var d events.SyscallDetails
					if err := ev.DetailsAs(&d); err != nil {
						t.Fatal(err)
					}
					if ev.Kind != events.KindSyscall || ev.Workload != "test" || ev.Process == nil {
						t.Errorf("event %+v: want a syscall event of workload test with its process", ev)
						continue
					}
					fields := []string{d.Name, ev.Rule, string(ev.Action), strconv.Itoa(d.Errno), filepath.Base(ev.Process.Exe)}
					for _, k := range slices.Sorted(maps.Keys(d.Decoded)) {
						fields = append(fields, k+"="+d.Decoded[k])
					}
					got = append(got, strings.Join(fields, " "))
				}
				if strings.Join(got, "\n") != strings.Join(tt.wantEvents, "\n") {
					t.Errorf("events\n%s\nwant\n%s\nstderr:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantEvents, "\n"), stderr)
				}
			})
		}
	}
}

func TestSeccompProfileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [ oops ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	started := filepath.Join(dir, "started")
	tests := []struct {
		name        string
		giveProfile string
		giveCmd     []string
		wantCode    int
		wantErr     string
	}{
		{name: "malformed", giveProfile: bad, giveCmd: []string{"touch", started}, wantCode: 125, wantErr: bad + ":3:17"},
		{name: "missing", giveProfile: dir + "/none.json", giveCmd: []string{"touch", started}, wantCode: 125, wantErr: "none.json"},
		{name: "command not found", giveProfile: dockerProfile, giveCmd: []string{"vigil-no-such-command"}, wantCode: 127, wantErr: "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runVigil(t, modes[1], nil, append([]string{"run", "--seccomp-profile", tt.giveProfile, "--"}, tt.giveCmd...)...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line containing %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			if _, err := os.Stat(started); err == nil {
				t.Errorf("the app was started despite the error")
			}
		})
	}
}

// TestSandboxOwnCallsUnreported: the calls the sandbox makes between
// loading the filter and running the app (it sleeps in futex until PID 1
// has the listener, restores its signal mask, execs the app) are vigil's,
// not the app's: they run whatever the profile says and are not reported.
// A profile that denies all of them still starts the app, and denies them
// to the app.
func TestSandboxOwnCallsUnreported(t *testing.T) {
	profile := writeFile(t, "deny.json", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["futex", "rt_sigprocmask", "execve", "sendmsg"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			code, stdout, stderr := runVigil(t, m, nil, "run", "--log-level=warn", "--seccomp-profile", profile,
				"--", "/bin/sh", "-c", "echo started; /bin/true 2>/dev/null || echo denied")
			if code != 0 || stdout != "started\ndenied\n" {
				t.Fatalf("exit %d, stdout %q; want 0 and %q; stderr:\n%s", code, stdout, "started\ndenied\n", stderr)
			}
			var execs int
			for _, ev := range syscallEvents(t, stderr) {
				d, err := ev.Syscall()
				if err != nil {
					t.Fatal(err)
				}
				if ev.Process.Exe == vigilBin || slices.Contains(ev.Process.Argv, "__sandbox") {
					t.Errorf("a call of the sandbox reported: %s by %+v", d.Name, ev.Process)
				}
				if d.Name == "execve" {
					execs++
				}
			}
			// The shell's child execs /bin/true: denied and reported.
			if execs != 1 {
				t.Errorf("%d execve events, want 1 (the shell's); stderr:\n%s", execs, stderr)
			}
		})
	}
}
