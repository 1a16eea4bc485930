package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// launcher is one way to start a command: bare, or under an init program.
type launcher struct {
	name string
	bin  func(testing.TB) string // the init's path; nil runs the command bare
	args []string                // the init's arguments before the command
	// more adds arguments known only at run time, after args.
	more func(testing.TB) []string
	// floor marks a lower bound rather than an init: it forwards no
	// signal, so it is only started, never measured idle.
	floor bool
}

// launchers are compared side by side, in this order, by every benchmark
// that starts processes.
var launchers = []launcher{
	{name: "bare"},
	{name: "vigil", bin: vigilBinary, args: []string{"run", "--"}},
	{name: "vigil-seccomp", bin: vigilBinary, args: []string{"run", "--seccomp-profile"}, more: dockerProfile},
	// Publishing to vigil-hub (a process of its own): start-up with the
	// connection, and the idle memory with it live.
	{name: "vigil-nats", bin: vigilBinary, args: []string{"run"}, more: natsArgs},
	{name: "tini", bin: installed("tini", "apt-get install tini"), args: []string{"--"}},
	{name: "dumb-init", bin: installed("dumb-init", "apt-get install dumb-init")},
	// The lower bounds of the two vigil lines (see bench/floor).
	{name: "floor", bin: floorBinary, args: []string{"--"}, floor: true},
	{name: "floor-seccomp", bin: floorBinary, args: []string{"--seccomp-profile", "docker-default", "--"}, floor: true},
}

// argv returns the command line that starts cmd under l; it skips tb when
// l's init is not installed.
func (l launcher) argv(tb testing.TB, cmd ...string) []string {
	tb.Helper()
	if l.bin == nil {
		return cmd
	}
	argv := append([]string{l.bin(tb)}, l.args...)
	if l.more != nil {
		argv = append(argv, l.more(tb)...)
	}
	return append(argv, cmd...)
}

// dockerProfile is Docker's default seccomp profile, the one most apps run
// under, followed by the "--" that ends vigil's flags.
func dockerProfile(tb testing.TB) []string {
	tb.Helper()
	root, err := moduleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return []string{filepath.Join(root, "supervisor/seccomp/profiles/docker-default.json"), "--"}
}

// installed finds a third-party init in $PATH, or skips with how to get it:
// a comparison is optional, vigil's own numbers are not.
func installed(name, hint string) func(testing.TB) string {
	return func(tb testing.TB) string {
		tb.Helper()
		path, err := exec.LookPath(name)
		if err != nil {
			tb.Skipf("%s not installed: %s", name, hint)
		}
		return path
	}
}

// start starts argv with stdio on /dev/null, so that what the inits log
// (vigil's two JSON lines, tini's warning that it is not PID 1) costs the
// same for all and never reaches the benchmark output.
func start(argv []string, null *os.File) (*os.Process, error) {
	return os.StartProcess(argv[0], argv, &os.ProcAttr{Files: []*os.File{null, null, null}})
}

// openDevNull opens /dev/null for the children's stdio, closed at cleanup.
func openDevNull(tb testing.TB) *os.File {
	tb.Helper()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		tb.Fatalf("opening %s for the children's stdio: %v", os.DevNull, err)
	}
	tb.Cleanup(func() { null.Close() })
	return null
}

// reportOnce reports a value measured once rather than per iteration: the
// loop runs empty, and the meaningless ns/op is suppressed.
func reportOnce(b *testing.B, value float64, unit string) {
	for b.Loop() {
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(value, unit)
}
