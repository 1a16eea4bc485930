//go:build e2e

package examples_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestInteractiveShell runs a shell with docker run -it, as a person at a
// terminal would: vigil must hand the terminal to the shell, so that
// Ctrl-C interrupts the command in the foreground and not the shell, and
// the shell's exit code must come back from docker run.
func TestInteractiveShell(t *testing.T) {
	t.Parallel()
	imgs := testImages(t)
	name, opts := newContainer(t)
	args := append(append([]string{"run", "--interactive", "--tty", "--rm"}, opts...), imgs.hello, "/bin/sh")
	term := startTerminal(t, args...)

	term.expect(t, "# ")
	term.send(t, "echo hello-$((6*7))\r")
	term.expect(t, "hello-42")

	term.send(t, "sleep 100\r")
	term.expect(t, "sleep 100")
	waitForProcess(t, name, "sleep 100")
	term.send(t, "\x03")
	// A new prompt long before sleep 100 ends (expect gives up after
	// waitTimeout): Ctrl-C interrupted sleep, not the shell.
	term.expect(t, "# ")
	term.send(t, "echo alive-$((2*3))\r")
	term.expect(t, "alive-6")

	term.send(t, "exit 7\r")
	if code := term.wait(t); code != 7 {
		t.Errorf("docker run -it exited %d, want the shell's 7; terminal:\n%s", code, term.output())
	}
}

// waitForProcess waits until a process of the container has the command
// line args.
func waitForProcess(t *testing.T, name, args string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s runs %q", name, args), func() (bool, string) {
		ps := mustDocker(t, "exec", name, "ps", "-o", "args")
		for _, line := range strings.Split(ps, "\n") {
			if strings.TrimSpace(line) == args {
				return true, ps
			}
		}
		return false, ps
	})
}

// terminal is a docker client running on a pseudo-terminal, with
// everything it wrote kept.
type terminal struct {
	ptm    *os.File
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
	read   chan struct{} // closed once reading has stopped

	mu   sync.Mutex
	out  []byte
	seen int // how much of out expect has matched
}

// startTerminal starts docker args... as the session leader of a new
// 24x80 pseudo-terminal, which is its stdin, stdout and stderr. When the
// test ends, the client is killed if it is still running.
func startTerminal(t *testing.T, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command("docker", args...)
	ptm, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatalf("starting %s on a pseudo-terminal: %v", strings.Join(cmd.Args, " "), err)
	}
	term := &terminal{ptm: ptm, cmd: cmd, exited: make(chan struct{}), read: make(chan struct{})}
	go term.copyOutput()
	go func() {
		cmd.Wait() //nolint:errcheck // the exit code is read from ProcessState
		close(term.exited)
	}()
	t.Cleanup(term.stop)
	return term
}

func (term *terminal) copyOutput() {
	defer close(term.read)
	buf := make([]byte, 4096)
	for {
		n, err := term.ptm.Read(buf)
		term.mu.Lock()
		term.out = append(term.out, buf[:n]...)
		term.mu.Unlock()
		if err != nil { // EIO once the client is gone, or ErrClosed
			return
		}
	}
}

func (term *terminal) stop() {
	select {
	case <-term.exited:
	default:
		term.cmd.Process.Kill() //nolint:errcheck // it may have just exited
		<-term.exited
	}
	term.ptm.Close()
	<-term.read
}

func (term *terminal) send(t *testing.T, keys string) {
	t.Helper()
	if _, err := term.ptm.WriteString(keys); err != nil {
		t.Fatalf("typing %q: %v", keys, err)
	}
}

// expect waits until the terminal shows want after what it matched last.
func (term *terminal) expect(t *testing.T, want string) {
	t.Helper()
	eventually(t, fmt.Sprintf("the terminal shows %q", want), func() (bool, string) {
		term.mu.Lock()
		defer term.mu.Unlock()
		i := bytes.Index(term.out[term.seen:], []byte(want))
		if i < 0 {
			return false, quoteTerminal(term.out)
		}
		term.seen += i + len(want)
		return true, ""
	})
}

// wait waits for the client to exit and returns its exit code.
func (term *terminal) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-term.exited:
		return term.cmd.ProcessState.ExitCode()
	case <-time.After(waitTimeout):
		t.Fatalf("docker run -it still running %v after exit; terminal:\n%s", waitTimeout, term.output())
		return 0
	}
}

// output is everything the terminal showed, quoted for a test log.
func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return quoteTerminal(term.out)
}

// quoteTerminal shows what a terminal received with control characters
// quoted and lines kept.
func quoteTerminal(out []byte) string {
	q := strconv.Quote(string(out))
	return strings.NewReplacer(`\r\n`, "\n", `\n`, "\n").Replace(q[1 : len(q)-1])
}
