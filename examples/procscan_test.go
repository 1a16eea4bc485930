//go:build e2e

package examples_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// TestProcessScanInDocker: in a plain docker run, as root and as a non-root
// user, the /proc scan reports a shell entered with docker exec -t (an
// outsider, with its tty and argv), a reverse shell (a shell whose stdio is
// a TCP connection, made with busybox nc -e) and the listener it connects
// to.
func TestProcessScanInDocker(t *testing.T) {
	imgs := testImages(t)
	app := "nc -ll -p 4444 -e cat & sleep 0.5; nc 127.0.0.1 4444 -e sh & sleep 30"
	for _, user := range []string{"", "1000:1000"} {
		t.Run("user="+user, func(t *testing.T) {
			opts := []string{"--env", "VIGIL_WORKLOAD=e2e", "--env", "VIGIL_LOG_LEVEL=warn"}
			if user != "" {
				opts = append(opts, "--user", user)
			}
			name := startContainerWith(t, opts, imgs.hello, "sh", "-c", app)
			waitForLog(t, name, regexp.MustCompile(`"rule":"proc.reverse-shell"`))
			mustDocker(t, "exec", "-t", name, "sh", "-c", "sleep 2.5")
			// A shell that stays a shell on its terminal: proc.terminal-shell.
			mustDocker(t, "exec", "-t", name, "sh", "-c", "sleep 2.5; true")
			waitForLog(t, name, regexp.MustCompile(`"rule":"proc.outsider"`))
			found := map[string]events.ProcessDetails{}
			var outsider *events.Process
			logs := containerLogs(t, name)
			defer func() {
				if t.Failed() {
					t.Logf("the container's logs:\n%s", logs)
				}
			}()
			for _, line := range strings.Split(logs, "\n") {
				if !strings.Contains(line, `"kind":"process"`) {
					continue
				}
				ev, err := events.Decode([]byte(line))
				if err != nil {
					t.Fatalf("an event that does not decode: %v\n%s", err, line)
				}
				d, err := ev.ProcessDetails()
				if err != nil || ev.Process == nil {
					t.Fatalf("a process event without details or process (%v):\n%s", err, line)
				}
				if ev.Rule == "proc.reverse-shell" && strings.Join(ev.Process.Argv, " ") == "sh" {
					found["shell"] = d // the cat serving the listener's side is one too
				} else if ev.Rule != "proc.reverse-shell" {
					found[ev.Rule] = d
				}
				// sh -c execs its last command in place: the shell is sleep.
				if ev.Rule == "proc.outsider" && strings.Join(ev.Process.Argv, " ") == "sleep 2.5" {
					outsider = ev.Process
					found["exec-t"] = d
				}
			}
			if d := found["exec-t"]; outsider == nil || !strings.HasPrefix(d.TTY, "/dev/pts/") || !strings.Contains(d.Entered, "docker exec") {
				t.Errorf("the docker exec -t shell: %+v %+v; want proc.outsider with a /dev/pts tty, entered by docker exec", outsider, d)
			}
			if d, ok := found["proc.terminal-shell"]; !ok || !strings.HasPrefix(d.TTY, "/dev/pts/") {
				t.Errorf("terminal shell: %+v (found %v); want the shell docker exec -t started, with its tty", d, ok)
			}
			if d, ok := found["shell"]; !ok || !strings.HasSuffix(d.RemoteAddress, ":4444") {
				t.Errorf("reverse shell: %+v (found %v); want one connected to port 4444", d, ok)
			}
			if d, ok := found["proc.listener"]; !ok || d.ListenPort != 4444 {
				t.Errorf("listener: %+v (found %v); want port 4444", d, ok)
			}
		})
	}
}
