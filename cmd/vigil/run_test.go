package main_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var quiet = []string{"run", "--log-level=warn", "--"}

func TestExitCodes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			for code := 0; code <= 255; code++ {
				got, _, stderr := runVigil(t, m, nil, append(quiet, "sh", "-c", "exit "+strconv.Itoa(code))...)
				if got != code {
					t.Fatalf("app exited %d, vigil exited %d; stderr: %s", code, got, stderr)
				}
			}
		})
	}
}

func TestExitCodeOfSignalledApp(t *testing.T) {
	// Every signal whose default action ends the process, including the
	// real-time ones; stop signals and SIGCHLD/SIGURG/SIGWINCH do not.
	sigs := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 24, 25, 26, 27, 29, 30, 31, 34, 50, 64}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			for _, sig := range sigs {
				n := strconv.Itoa(sig)
				got, _, stderr := runVigil(t, m, nil, append(quiet, "sh", "-c", "kill -"+n+" $$; sleep 5")...)
				if got != 128+sig {
					t.Errorf("app killed by signal %d: vigil exited %d, want %d; stderr: %s", sig, got, 128+sig, stderr)
				}
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	started := filepath.Join(dir, "started")
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  []string
		wantCode int
		wantErr  string
	}{
		{name: "not in PATH", giveArgs: []string{"run", "--", "vigil-no-such-command"}, wantCode: 127, wantErr: "not found"},
		{name: "no such file", giveArgs: []string{"run", "--", dir + "/missing"}, wantCode: 127, wantErr: "not found"},
		{name: "not executable", giveArgs: []string{"run", "--", notExec}, wantCode: 126, wantErr: "cannot execute"},
		{name: "directory", giveArgs: []string{"run", "--", dir}, wantCode: 126, wantErr: "cannot execute"},
		{name: "unknown flag", giveArgs: []string{"run", "--no-such-flag", "--", "touch", started}, wantCode: 125, wantErr: "unknown flag: --no-such-flag"},
		{name: "bad flag value", giveArgs: []string{"run", "--grace=soon", "--", "touch", started}, wantCode: 125, wantErr: "--grace"},
		{name: "negative grace", giveArgs: []string{"run", "--grace=-1s", "--", "touch", started}, wantCode: 125, wantErr: "negative"},
		{name: "bad env value", giveArgs: []string{"run", "--", "touch", started}, giveEnv: []string{"VIGIL_GRACE=soon"}, wantCode: 125, wantErr: "VIGIL_GRACE"},
		{name: "bad log level", giveArgs: []string{"run", "--", "touch", started}, giveEnv: []string{"VIGIL_LOG_LEVEL=loud"}, wantCode: 125, wantErr: "VIGIL_LOG_LEVEL"},
		{name: "bad log format", giveArgs: []string{"run", "--log-format=xml", "--", "touch", started}, wantCode: 125, wantErr: "log-format"},
		{name: "no command", giveArgs: []string{"run", "--"}, wantCode: 125, wantErr: "no command"},
		{name: "unknown command", giveArgs: []string{"rnu", "--", "touch", started}, wantCode: 125, wantErr: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runVigil(t, modes[1], tt.giveEnv, tt.giveArgs...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q: want one line containing %q", stderr, tt.wantErr)
			}
			if _, err := os.Stat(started); err == nil {
				t.Errorf("the app was started despite the error")
			}
		})
	}
}

func TestSignalsForwardedInOrder(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			argv, env := app(t, "signals")
			cmd := vigil(m, append(quiet, argv...)...)
			cmd.Env = append(cmd.Env, env...)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			got := lines(out)
			expectLine(t, got, "ready")
			// SIGTERM last: the app exits on it.
			var sent []syscall.Signal
			for _, s := range catchable() {
				if s != syscall.SIGTERM {
					sent = append(sent, s.(syscall.Signal))
				}
			}
			for _, sig := range append(sent, syscall.SIGTERM) {
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatalf("sending %v: %v", sig, err)
				}
				expectLine(t, got, strconv.Itoa(int(sig)))
			}
			if code := exitCode(t, cmd, 10*time.Second); code != 0 {
				t.Errorf("vigil exited %d, want the app's 0", code)
			}
		})
	}
}

func TestGroupForwarding(t *testing.T) {
	// The app and a helper in its process group; on SIGUSR1 the app asks
	// the helper (by SIGTERM) whether it saw SIGUSR1 too.
	script := `
trap 'echo app-usr1; kill -TERM $c; wait $c; exit 0' USR1
(got=no; trap 'got=yes' USR1; trap 'echo "helper-usr1=$got"; exit 0' TERM; echo helper-ready; while :; do sleep 0.02; done) &
c=$!
echo app-ready
while :; do sleep 0.02; done`
	tests := []struct {
		name       string
		giveFlags  []string
		wantHelper string
	}{
		{name: "app only", wantHelper: "helper-usr1=no"},
		{name: "flag", giveFlags: []string{"--group"}, wantHelper: "helper-usr1=yes"},
		{name: "env", giveFlags: []string{"--log-level=warn"}, wantHelper: "helper-usr1=yes"},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				args := append(append([]string{"run", "--log-level=warn"}, tt.giveFlags...), "--", "sh", "-c", script)
				cmd := vigil(m, args...)
				if tt.name == "env" {
					cmd.Env = append(cmd.Env, "VIGIL_GROUP=true")
				}
				out, _ := cmd.StdoutPipe()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				got := lines(out)
				ready := []string{<-got, <-got}
				slices.Sort(ready)
				if !slices.Equal(ready, []string{"app-ready", "helper-ready"}) {
					t.Fatalf("got %q, want both ready", ready)
				}
				cmd.Process.Signal(syscall.SIGUSR1)
				expectLine(t, got, "app-usr1")
				expectLine(t, got, tt.wantHelper)
				if code := exitCode(t, cmd, 10*time.Second); code != 0 {
					t.Errorf("vigil exited %d, want 0", code)
				}
			})
		}
	}
}

func TestOrphansReaped(t *testing.T) {
	const orphans = 60
	script := `sleep 0; echo ready; read _; for i in $(seq ` + strconv.Itoa(orphans) + `); do (sleep 1 &); done; echo spawned; read _; echo done`
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			cmd := vigil(m, append(quiet, "sh", "-c", script)...)
			out, _ := cmd.StdoutPipe()
			in, _ := cmd.StdinPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid := cmd.Process.Pid
			got := lines(out)
			// Counted while vigil is idle (it opens files for a while as it
			// judges each exec), after the app's first exec (which tells it
			// the sandbox is done: it closes its socket).
			expectLine(t, got, "ready")
			// After the scan's first pass (at 100 ms), which keeps two
			// /proc files open for each process it watches until it ends.
			time.Sleep(400 * time.Millisecond)
			fds := fdCount(t, pid)
			in.Write([]byte("\n"))
			expectLine(t, got, "spawned")
			// The orphans were adopted by vigil...
			if live, _ := childrenOf(t, pid); live < orphans/2 {
				t.Fatalf("vigil has %d live children, want the app and most of %d orphans", live, orphans)
			}
			// ...and are reaped as they exit, while the app still runs.
			if !eventually(10*time.Second, func() bool {
				live, zombies := childrenOf(t, pid)
				return live == 1 && zombies == 0
			}) {
				live, zombies := childrenOf(t, pid)
				t.Fatalf("vigil's children: %d live, %d zombies; want only the app", live, zombies)
			}
			if !eventually(5*time.Second, func() bool { return fdCount(t, pid) == fds }) {
				t.Errorf("vigil had %d fds open, now %d", fds, fdCount(t, pid))
			}
			in.Write([]byte("\n"))
			expectLine(t, got, "done")
			if code := exitCode(t, cmd, 10*time.Second); code != 0 {
				t.Errorf("vigil exited %d, want 0", code)
			}
		})
	}
}

func TestShutdownStopsWhatTheAppLeft(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			mark := marker(t)
			termed := filepath.Join(t.TempDir(), "termed")
			// Two processes outlive the app: one ends on SIGTERM (and says
			// so), one ignores it and must be killed after the grace period.
			// The app waits until both have set their traps.
			script := `
(trap 'echo polite >> ` + termed + `; exit 0' TERM; echo > ` + termed + `.ready; while :; do sleep 0.02; done) &
(trap '' TERM; echo > ` + termed + `.ready2; exec sleep ` + mark + `) &
while [ ! -e ` + termed + `.ready ] || [ ! -e ` + termed + `.ready2 ]; do sleep 0.01; done
exit 5`
			code, _, stderr := runVigil(t, m, nil, "run", "--grace=500ms", "--", "sh", "-c", script)
			if code != 5 {
				t.Errorf("vigil exited %d, want the app's 5; stderr: %s", code, stderr)
			}
			if b, _ := os.ReadFile(termed); string(b) != "polite\n" {
				t.Errorf("the process that handles SIGTERM recorded %q, want it to have got SIGTERM", b)
			}
			if left := withCmdline(t, "sleep "+mark); len(left) > 0 {
				t.Errorf("processes outlived vigil: %+v", left)
			}
			if !strings.Contains(stderr, "grace period over") {
				t.Errorf("vigil did not say it killed what was left; stderr: %s", stderr)
			}
		})
	}
}

func TestTermForwardedThenGraceKills(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			mark := marker(t)
			cmd := vigil(m, "run", "--log-level=warn", "--grace=300ms", "--", "sh", "-c",
				`trap '' TERM; echo ready; exec sleep `+mark)
			out, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			expectLine(t, lines(out), "ready")
			cmd.Process.Signal(syscall.SIGTERM)
			if code := exitCode(t, cmd, 10*time.Second); code != 128+int(syscall.SIGKILL) {
				t.Errorf("vigil exited %d, want 137: the app ignored SIGTERM and was killed", code)
			}
			if left := withCmdline(t, "sleep "+mark); len(left) > 0 {
				t.Errorf("processes outlived vigil: %+v", left)
			}
		})
	}
}

func TestTermDuringStartup(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			mark := marker(t)
			started := filepath.Join(t.TempDir(), "started")
			early, startedEarly := 0, 0
			for i := range 100 {
				os.Remove(started)
				cmd := vigil(m, append(quiet, "sh", "-c", "echo > "+started+"; exec sleep "+mark)...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if m.pid1 {
					// The kernel discards a SIGTERM sent to a PID 1 that has
					// no handler yet, as it does for every init: start the
					// clock when vigil's runtime can catch it.
					waitCatching(t, cmd.Process.Pid, syscall.SIGTERM)
				}
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				cmd.Process.Signal(syscall.SIGTERM)
				code := exitCode(t, cmd, 10*time.Second)
				_, err := os.Stat(started)
				appStarted := err == nil
				switch {
				case code == 143:
					// Forwarded to the app, or (not PID 1) vigil was killed
					// before it had started anything.
				case code == 2 && m.pid1 && stderr.Len() == 0:
					// The Go runtime's handler saw SIGTERM before vigil had
					// registered its own, and exited (status 2: a PID 1
					// ignores the default action). Usually before the app
					// starts; on a loaded machine the dying thread yields
					// long enough (runtime.dieFromSignal) for the main one to
					// have started it. A panic or a fatal error, also status
					// 2, would have printed.
					early++
					if appStarted {
						startedEarly++
					}
				default:
					t.Fatalf("run %d: exit code %d (app started: %v), want 143; stderr:\n%s", i, code, appStarted, stderr.String())
				}
				if left := withCmdline(t, "sleep "+mark); len(left) > 0 {
					t.Fatalf("run %d: processes outlived vigil: %+v", i, left)
				}
			}
			t.Logf("%d of 100 runs ended before vigil had registered its handlers (%d of them had started the app meanwhile)", early, startedEarly)
		})
	}
}

func TestTrueThousandTimes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 1000 runs take several seconds")
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			for i := range 1000 {
				code, stdout, stderr := runVigil(t, m, nil, append(quiet, "true")...)
				if code != 0 || stdout != "" || stderr != "" {
					t.Fatalf("run %d: exit code %d, stdout %q, stderr %q", i, code, stdout, stderr)
				}
			}
		})
	}
}

func TestAppSeesExactlyWhatVigilWasGiven(t *testing.T) {
	argv, roleEnv := app(t, "dump")
	bin := t.TempDir()
	if err := os.Symlink(argv[0], filepath.Join(bin, "vigil-test-app")); err != nil {
		t.Fatal(err)
	}
	for _, m := range modes {
		for _, tt := range []struct {
			viaPath bool
			flags   []string
		}{
			{viaPath: false},
			{viaPath: true},
			{viaPath: true, flags: []string{"--seccomp-profile", dockerProfile}}, // through the sandbox
		} {
			viaPath := tt.viaPath
			t.Run(m.name+"/viaPath="+strconv.FormatBool(viaPath)+"/sandbox="+strconv.FormatBool(len(tt.flags) > 0), func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "self.json")
				wantArgs := []string{argv[0], "", "two words", "--log-level=debug", "--", "ünïcödé", "a\nb"}
				if viaPath {
					wantArgs[0] = "vigil-test-app"
				}
				wantEnv := append(roleEnv, "VIGILTEST_OUT="+out, "PATH="+bin+":/usr/bin:/bin",
					"EMPTY=", "EQUALS=a=b=c", "NEWLINE=x\ny", "VIGIL_GRACE=3s", "ZZ=last")
				cwd := t.TempDir()
				args := append(append([]string{"run", "--log-level=warn"}, tt.flags...), "--")
				cmd := vigil(m, append(args, wantArgs...)...)
				cmd.Env, cmd.Dir = wantEnv, cwd
				if code := exitCodeOf(t, cmd); code != 0 {
					t.Fatalf("vigil exited %d", code)
				}
				var got self
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.Args, wantArgs) {
					t.Errorf("argv %q, want %q", got.Args, wantArgs)
				}
				if !slices.Equal(got.Env, wantEnv) {
					t.Errorf("env %q, want %q", got.Env, wantEnv)
				}
				if got.Dir != cwd {
					t.Errorf("working directory %q, want %q", got.Dir, cwd)
				}
			})
		}
	}
}

// exitCodeOf starts cmd and returns its exit code.
func exitCodeOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return exitCode(t, cmd, 30*time.Second)
}

func TestStdioPassesThrough(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			cmd := vigil(m, append(quiet, "sh", "-c", "cat; echo to-stderr >&2")...)
			input := "line one\nline two\x00binary\xff\n"
			cmd.Stdin = strings.NewReader(input)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if code := exitCodeOf(t, cmd); code != 0 {
				t.Fatalf("vigil exited %d", code)
			}
			if stdout.String() != input {
				t.Errorf("stdout %q, want %q", stdout.String(), input)
			}
			if stderr.String() != "to-stderr\n" {
				t.Errorf("stderr %q, want the app's own line only", stderr.String())
			}
		})
	}
}
