//go:build e2e

package examples_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// orphanMaker leaves 60 orphans behind, reports how many it saw adopted by
// vigil (its parent), kills them and stays up as `sleep 100`. They are counted
// by parent alone, less the app itself (an orphan whose exec of sleep vigil is
// still judging is a shell for a few milliseconds more), and they live until
// counted: orphans that exited on their own on a timer were gone before the
// count on a loaded machine.
const orphanMaker = `for i in $(seq 60); do (sleep 300 &); done
orphans=$(ps -o pid,ppid | awk -v vigil=$PPID -v app=$$ '$2 == vigil && $1 != app { print $1 }')
echo "orphans adopted by vigil (pid $PPID): $(echo $orphans | wc -w)"
kill $orphans
exec sleep 100`

// adoptedRE matches the report of orphanMaker, not its script in vigil's log.
var adoptedRE = regexp.MustCompile(`orphans adopted by vigil \(pid (\d+)\): (\d+)`)

// TestZombies checks that vigil reaps the orphans it adopts, as PID 1 and,
// under docker run --init (docker-init is PID 1, vigil its child), as a child
// subreaper: once they have been killed, only vigil and the app are left (and
// docker-init), and no zombie.
func TestZombies(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		runOpts  []string
		wantPID1 bool // whether vigil is PID 1 in the container
	}{
		{name: "pid1", wantPID1: true},
		{name: "under docker-init", runOpts: []string{"--init"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			imgs := testImages(t)
			name := startContainerWith(t, tt.runOpts, imgs.hello, "sh", "-c", orphanMaker)
			adopted := waitForLog(t, name, adoptedRE)
			if (adopted[1] == "1") != tt.wantPID1 {
				t.Fatalf("vigil is pid %s; want PID 1: %v", adopted[1], tt.wantPID1)
			}
			if n, _ := strconv.Atoi(adopted[2]); n != 60 {
				t.Fatalf("%d orphans adopted by vigil, want all 60:\n%s",
					n, containerLogs(t, name))
			}
			eventually(t, "only vigil and the app are left once the orphans are killed", func() (bool, string) {
				ps, others := otherProcesses(t, name)
				return len(others) == 0, fmt.Sprintf("%d other processes, %d of them zombies:\n%s", len(others), zombies(others), ps)
			})
		})
	}
}

// otherProcesses lists the container's processes (as `ps` lines: PID STAT
// ARGS) other than PID 1, vigil, the app and ps itself. It also returns the whole
// output of ps.
func otherProcesses(t *testing.T, name string) (ps string, others [][]string) {
	t.Helper()
	ps = mustDocker(t, "exec", name, "ps", "-o", "pid,stat,args")
	for _, line := range strings.Split(strings.TrimSpace(ps), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Fatalf("docker exec %s ps: unexpected line %q in\n%s", name, line, ps)
		}
		args := strings.Join(f[2:], " ")
		if f[0] == "1" || strings.HasPrefix(args, "/usr/local/bin/vigil ") || args == "sleep 100" || strings.HasPrefix(args, "ps ") {
			continue
		}
		others = append(others, f)
	}
	return ps, others
}

func zombies(procs [][]string) int {
	n := 0
	for _, p := range procs {
		if strings.HasPrefix(p[1], "Z") {
			n++
		}
	}
	return n
}
