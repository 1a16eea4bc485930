package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/internal/linux/linuxtest"
	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor/filewatch"
	"github.com/vigilsec/vigil/supervisor/procwatch"
)

// The exec watch's benchmarks (issue 11): what a judged exec costs the app.
const (
	// trueBin is coreutils' true: busybox sh must fork and exec it (a
	// path with a slash is never one of its applets or builtins).
	trueBin    = "/usr/bin/true"
	busyboxBin = "/usr/bin/busybox"
	// loopExecs are the executions of one BenchmarkExecLoop op.
	loopExecs = 2000
	// execPolicyEnv names a policy (--policy) for the vigil-policy
	// variants: the default rule pack, once it is written.
	execPolicyEnv = "VIGIL_BENCH_EXEC_POLICY"
	// execChildEnv makes the test binary the exec timer of
	// BenchmarkJudgedExec; its value is how many execs to time.
	execChildEnv = "VIGIL_BENCH_EXEC_CALLS"
	// execFilterEnv makes that child load a filter that notifies execve
	// and send its listener on linuxtest.ChildSocket first.
	execFilterEnv = "VIGIL_BENCH_EXEC_FILTER"
	// execSettleEnv makes it wait until its parent (vigil) is idle before
	// timing: vigil run --baseline first compares every file of the
	// baseline (all of /usr/bin: ~0.5 s of CPU, spread over ~5 s here),
	// which would compete with the execs on a 2-core machine.
	execSettleEnv = "VIGIL_BENCH_EXEC_SETTLE"
	// execWarmups are the untimed execs each child makes first (the
	// drift hash of trueBin is then cached).
	execWarmups = 50
	// settleTick and settleMax bound waitParentIdle: idle is no CPU
	// used over two ticks in a row.
	settleTick = 250 * time.Millisecond
	settleMax  = 30 * time.Second
)

var loopScript = fmt.Sprintf(`i=0; while [ $i -lt %d ]; do %s; i=$((i+1)); done`, loopExecs, trueBin)

// execLauncher is one way to start the app of the exec benchmarks.
type execLauncher struct {
	name string
	// prefix is the command line before the app; nil runs it bare.
	prefix func(testing.TB) []string
	// settle makes the JudgedExec child wait until vigil is idle.
	settle bool
}

// execLaunchers are compared side by side, in this order.
var execLaunchers = []execLauncher{
	{name: "bare"},
	{name: "tini", prefix: func(tb testing.TB) []string {
		return []string{installed("tini", "apt-get install tini")(tb), "--"}
	}},
	{name: "vigil-no-watch", prefix: vigilPrefix("run", "--exec-watch=false", "--")},
	{name: "vigil", prefix: vigilPrefix("run", "--")},
	{name: "vigil-drift", prefix: func(tb testing.TB) []string {
		return []string{vigilBinary(tb), "run", "--baseline", usrBinBaseline(tb), "--"}
	}, settle: true},
	// The default rule pack is not written yet: this measures any policy
	// named by VIGIL_BENCH_EXEC_POLICY, with the drift alert.
	{name: "vigil-policy", prefix: func(tb testing.TB) []string {
		policy := os.Getenv(execPolicyEnv)
		if policy == "" {
			tb.Skipf("no policy to measure: set %s to a policy file (the default rule pack, once written)", execPolicyEnv)
		}
		return []string{vigilBinary(tb), "run", "--policy", policy, "--baseline", usrBinBaseline(tb), "--"}
	}, settle: true},
}

func vigilPrefix(args ...string) func(testing.TB) []string {
	return func(tb testing.TB) []string { return append([]string{vigilBinary(tb)}, args...) }
}

func (l execLauncher) argv(tb testing.TB, cmd ...string) []string {
	tb.Helper()
	if l.prefix == nil {
		return cmd
	}
	return append(l.prefix(tb), cmd...)
}

// execDir holds the baseline of /usr/bin; TestMain removes it.
var execDir string

// baselineOnce records /usr/bin with vigil baseline, once per test binary.
var baselineOnce = sync.OnceValues(func() (string, error) {
	bin, err := vigilOnce()
	if err != nil {
		return "", err
	}
	if execDir, err = os.MkdirTemp("", "vigil-bench-exec-"); err != nil {
		return "", err
	}
	out := filepath.Join(execDir, "usr-bin.baseline")
	if msg, err := exec.Command(bin, "baseline", "--out", out, "/usr/bin").CombinedOutput(); err != nil {
		return "", fmt.Errorf("vigil baseline --out %s /usr/bin: %w\n%s", out, err, msg)
	}
	return out, nil
})

// usrBinBaseline returns the path of the baseline of /usr/bin.
func usrBinBaseline(tb testing.TB) string {
	tb.Helper()
	path, err := baselineOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// needExecTools skips without busybox or coreutils' true, and stops when
// trueBin would not be a real exec (busybox sh runs its applets in-process).
func needExecTools(tb testing.TB) {
	tb.Helper()
	for _, p := range []string{busyboxBin, trueBin} {
		if _, err := os.Stat(p); err != nil {
			tb.Skipf("%s: %v (apt-get install busybox-static coreutils)", p, err)
		}
	}
	if real, err := filepath.EvalSymlinks(trueBin); err != nil || strings.Contains(filepath.Base(real), "busybox") {
		tb.Fatalf("%s is busybox's (%q, %v): the loop would time no exec", trueBin, real, err)
	}
}

// checkLoopExecs counts, with strace when installed, that the loop's
// shell execs trueBin as often as it runs it.
var checkLoopExecs = sync.OnceValue(func() error {
	strace, err := exec.LookPath("strace")
	if err != nil {
		return nil // not checked: needExecTools' check stands
	}
	log := filepath.Join(os.TempDir(), "vigil-bench-strace-"+strconv.Itoa(os.Getpid()))
	defer os.Remove(log)
	script := strings.Replace(loopScript, strconv.Itoa(loopExecs), "3", 1)
	if msg, err := exec.Command(strace, "-f", "-qq", "-e", "trace=execve", "-o", log, busyboxBin, "sh", "-c", script).CombinedOutput(); err != nil {
		return fmt.Errorf("strace of the loop: %w\n%s", err, msg)
	}
	out, err := os.ReadFile(log)
	if err != nil {
		return err
	}
	if n := strings.Count(string(out), `execve("`+trueBin+`"`); n != 3 {
		return fmt.Errorf("a loop of 3 %s made %d execs of it, want 3", trueBin, n)
	}
	return nil
})

// BenchmarkExecLoop measures a shell loop of 2,000 execs of /usr/bin/true
// (one op), bare and under each init. Each op of an init is paired with
// an untimed bare loop, in alternating order, so that added-% compares
// runs seconds apart on a noisy machine; us/exec and bare-us/exec are
// medians per exec (the init's start-up included: ~3 ms over ~1 s),
// added-% the median of the pairs'.
func BenchmarkExecLoop(b *testing.B) {
	needExecTools(b)
	if err := checkLoopExecs(); err != nil {
		b.Fatal(err)
	}
	null := openDevNull(b)
	bare := []string{busyboxBin, "sh", "-c", loopScript}
	for _, l := range execLaunchers {
		b.Run(l.name, func(b *testing.B) {
			argv := l.argv(b, bare...)
			runOnce(b, argv, null) // warm-up
			var took, base []time.Duration
			var added []float64
			i := 0
			for b.Loop() {
				if l.prefix == nil {
					took = append(took, runOnce(b, argv, null))
					continue
				}
				var t, t0 time.Duration
				if i%2 == 0 {
					b.StopTimer()
					t0 = runOnce(b, bare, null)
					b.StartTimer()
					t = runOnce(b, argv, null)
				} else {
					t = runOnce(b, argv, null)
					b.StopTimer()
					t0 = runOnce(b, bare, null)
					b.StartTimer()
				}
				i++
				took, base = append(took, t), append(base, t0)
				added = append(added, 100*(float64(t)/float64(t0)-1))
			}
			b.ReportMetric(perExecUs(median(took)), "us/exec")
			if l.prefix != nil {
				b.ReportMetric(perExecUs(median(base)), "bare-us/exec")
				b.ReportMetric(medianFloat(added), "added-%")
			}
		})
	}
}

func perExecUs(loop time.Duration) float64 {
	return float64(loop.Nanoseconds()) / loopExecs / 1e3
}

// BenchmarkJudgedExec measures one fork+exec+wait of /usr/bin/true from a
// Go program (the test binary again) that times each of b.N of them after
// 50 untimed: started bare and under vigil, so vigil's start-up is not in
// the number. p50-us is its median; each init's run is paired with a bare
// child's, and added-us is the difference of their medians: the cost of
// one judged exec.
//
// The split-* sub-benchmarks take vigil out: this process is the listener
// of a filter that notifies the child's execve, and does one step more of
// vigil's exec concern each: answer at once (split-notify), Inspect first
// (split-inspect), then Decide under drift: deny against the baseline of
// /usr/bin, which hashes the file (split-decide-drift; Report is timed
// after the answer, as vigil runs it beside), each paired with a bare
// child as the inits are. inspect-us, decide-us,
// decide-first-us (the first exec's, which hashes true) and report-us are
// this process's medians of each step.
func BenchmarkJudgedExec(b *testing.B) {
	needExecTools(b)
	for _, l := range execLaunchers {
		if l.name == "tini" {
			continue // an init that sees no exec adds nothing to one
		}
		b.Run(l.name, func(b *testing.B) {
			argv := l.argv(b, os.Args[0], "-test.run=^$", "-test.bench=^$")
			p50 := timedExecs(b, argv, b.N, l.settle)
			b.ReportMetric(us(p50), "p50-us")
			if l.prefix != nil {
				bare := timedExecs(b, []string{os.Args[0], "-test.run=^$", "-test.bench=^$"}, b.N, false)
				b.ReportMetric(us(bare), "bare-p50-us")
				b.ReportMetric(us(p50-bare), "added-us")
			}
		})
	}
	for _, mode := range []string{"split-notify", "split-inspect", "split-decide-drift"} {
		b.Run(mode, func(b *testing.B) { judgedSplit(b, mode) })
	}
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// timedExecs runs the exec timer child with argv and returns its p50.
func timedExecs(b *testing.B, argv []string, n int, settle bool) time.Duration {
	b.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), execChildEnv+"="+strconv.Itoa(n))
	if settle {
		cmd.Env = append(cmd.Env, execSettleEnv+"=1")
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%q: %v\n%s", argv, err, stderr.String())
	}
	p50, _, err := parseExecChild(string(out))
	if err != nil {
		b.Fatalf("%q: %v\n%s", argv, err, stderr.String())
	}
	return p50
}

// parseExecChild reads the last line of the child's stdout: its p50 and
// p99 in ns.
func parseExecChild(out string) (p50, p99 time.Duration, err error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if _, err := fmt.Sscan(lines[len(lines)-1], &p50, &p99); err != nil {
		return 0, 0, fmt.Errorf("reading the exec timer's percentiles from %q: %w", out, err)
	}
	return p50, p99, nil
}

// execveNotifies turns execve into a user notification and allows the rest.
var execveNotifies = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: unix.AUDIT_ARCH_X86_64},
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_EXECVE},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
}

// execChild is the exec timer: with execFilterEnv it first puts execve
// under a notifying filter and sends the listener; with execSettleEnv it
// waits until its parent is idle. Then it makes execWarmups untimed execs,
// times calls fork+exec+wait of trueBin and prints their p50 and p99 in ns.
func execChild(calls int) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 1 }
	if os.Getenv(execFilterEnv) != "" {
		if err := linux.SetNoNewPrivs(); err != nil {
			return fail(err)
		}
		listener, err := linux.InstallNotifyFilter(execveNotifies)
		if err != nil {
			return fail(err)
		}
		if err := linux.SendFd(linuxtest.ChildSocket, listener); err != nil {
			return fail(err)
		}
		unix.Close(listener)
	}
	if os.Getenv(execSettleEnv) != "" {
		waitParentIdle()
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fail(err)
	}
	attr := &os.ProcAttr{Files: []*os.File{null, null, null}}
	run := func() error {
		p, err := os.StartProcess(trueBin, []string{trueBin}, attr)
		if err != nil {
			return err
		}
		st, err := p.Wait()
		if err == nil && !st.Success() {
			err = errors.New(st.String())
		}
		return err
	}
	for range execWarmups {
		if err := run(); err != nil {
			return fail(err)
		}
	}
	samples := make([]time.Duration, calls)
	for i := range samples {
		start := time.Now()
		if err := run(); err != nil {
			return fail(err)
		}
		samples[i] = time.Since(start)
	}
	fmt.Println(int64(percentile(samples, 50)), int64(percentile(samples, 99)))
	return 0
}

// waitParentIdle waits until the parent has used no CPU time for two
// ticks in a row, at most settleMax.
func waitParentIdle() {
	stat := "/proc/" + strconv.Itoa(os.Getppid()) + "/stat"
	last, quiet := "", 0
	for deadline := time.Now().Add(settleMax); quiet < 2 && time.Now().Before(deadline); {
		time.Sleep(settleTick)
		b, err := os.ReadFile(stat)
		if err != nil {
			return
		}
		// Fields 14 and 15 (utime, stime) after the comm, which may hold spaces.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if cpu := f[11] + " " + f[12]; cpu == last {
			quiet++
		} else {
			last, quiet = cpu, 0
		}
	}
}

// judgedSplit runs the exec timer under a filter whose listener is this
// process, and does mode's share of vigil's exec concern on each execve.
func judgedSplit(b *testing.B, mode string) {
	var x *procwatch.Execs
	if mode == "split-decide-drift" {
		m, _, err := filewatch.ReadFile(usrBinBaseline(b))
		if err != nil {
			b.Fatal(err)
		}
		x = procwatch.NewExecs(procwatch.ExecConfig{Drift: rules.DriftDeny, Self: os.Getpid()})
		x.SetBaseline(m)
	}
	cmd, out, listener := linuxtest.StartFiltered(b, execChildEnv+"="+strconv.Itoa(b.N), execFilterEnv+"=1")
	if err := linux.SetSyncWakeUp(listener); err != nil {
		b.Skipf("kernel without SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6+): %v", err)
	}
	inspector := x
	if inspector == nil {
		inspector = procwatch.NewExecs(procwatch.ExecConfig{})
	}
	var inspect, decide, report []time.Duration
	for {
		ready, err := linux.WaitReadable(listener)
		if err != nil {
			b.Fatal(err)
		}
		if !ready {
			break // the child and its children are gone
		}
		var req linux.SeccompNotif
		if err := linux.NotifRecv(listener, &req); errors.Is(err, unix.ENOENT) {
			continue
		} else if err != nil {
			b.Fatal(err)
		}
		resp := linux.SeccompNotifResp{ID: req.ID, Flags: linux.SeccompContinue}
		var e *procwatch.Exec
		var v procwatch.Verdict
		if mode != "split-notify" {
			t := time.Now()
			e = inspector.Inspect(int(req.Pid), false, req.Data.Args, nil)
			inspect = append(inspect, time.Since(t))
			if x != nil {
				t = time.Now()
				v = x.Decide(e)
				if x.NeedsReport(e, v) {
					e.ReadCaller() // as vigil does, while held
				}
				decide = append(decide, time.Since(t))
				if v.Errno != 0 {
					b.Errorf("drift: deny refused %s (%v): the benchmark would time the wrong path", e.Path, v.Errno)
				}
			}
			if linux.NotifIDValid(listener, req.ID) != nil {
				continue
			}
		}
		if err := linux.NotifSend(listener, &resp); err != nil && !errors.Is(err, unix.ENOENT) {
			b.Fatal(err)
		}
		if x != nil {
			t := time.Now()
			x.Report(e, v)
			report = append(report, time.Since(t))
		}
	}
	b.StopTimer()
	printed, err := io.ReadAll(out)
	if err != nil {
		b.Fatalf("reading the exec timer's output: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("exec timer: %v", err)
	}
	p50, _, err := parseExecChild(string(printed))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(us(p50), "p50-us")
	bare := timedExecs(b, []string{os.Args[0], "-test.run=^$", "-test.bench=^$"}, b.N, false)
	b.ReportMetric(us(bare), "bare-p50-us")
	b.ReportMetric(us(p50-bare), "added-us")
	if len(inspect) > 0 {
		b.ReportMetric(us(median(inspect)), "inspect-us")
	}
	if len(decide) > 0 {
		b.ReportMetric(us(decide[0]), "decide-first-us")
		b.ReportMetric(us(median(decide[1:])), "decide-us")
		b.ReportMetric(us(median(report)), "report-us")
	}
}
