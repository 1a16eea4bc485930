package main_test

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// screen collects what a terminal shows.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// TestInteractiveShell runs an interactive shell under vigil on a terminal,
// as docker run -it does: vigil is a session leader with the terminal as its
// controlling terminal. Ctrl-C must reach the shell's foreground job, not
// end the shell, and the shell's exit code must be vigil's.
func TestInteractiveShell(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Fatalf("opening a pty: %v", err)
			}
			defer ptmx.Close()
			cmd := vigil(m, append(quiet, "sh", "-i")...)
			cmd.Env = append(cmd.Env, "PS1=$ ", "ENV=")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
			cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty = true, true
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			tty.Close()
			var out screen
			go io.Copy(&out, ptmx)
			see := func(want string) {
				t.Helper()
				if !eventually(10*time.Second, func() bool { return strings.Contains(out.String(), want) }) {
					t.Fatalf("terminal never showed %q; it shows:\n%s", want, out.String())
				}
			}
			type_ := func(s string) {
				if _, err := ptmx.Write([]byte(s)); err != nil {
					t.Fatal(err)
				}
			}
			type_("echo ready-$((20+22))\n")
			see("ready-42")
			mark := marker(t)
			type_("sleep " + mark + "\n")
			if !eventually(10*time.Second, func() bool { return len(withCmdline(t, "sleep "+mark)) == 1 }) {
				t.Fatalf("the shell did not start sleep; terminal:\n%s", out.String())
			}
			type_("\x03") // Ctrl-C
			if !eventually(10*time.Second, func() bool { return len(withCmdline(t, "sleep "+mark)) == 0 }) {
				t.Fatalf("Ctrl-C did not stop the foreground job; terminal:\n%s", out.String())
			}
			type_("echo alive-$((2+3))\n")
			see("alive-5")
			type_("exit 7\n")
			if code := exitCode(t, cmd, 10*time.Second); code != 7 {
				t.Errorf("vigil exited %d, want the shell's 7; terminal:\n%s", code, out.String())
			}
		})
	}
}
