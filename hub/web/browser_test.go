//go:build linux

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/hub"
	"github.com/vigilsec/vigil/hub/web"
	"github.com/vigilsec/vigil/internal/natstest"
)

// The test's limits.
const (
	// streamToPage is the requirement: a violation is on the live
	// page within 2 s of its arrival in the stream.
	streamToPage = 2 * time.Second
	// wait bounds everything else the test waits for (a hang guard).
	wait = 30 * time.Second
	// token is the hub's credential; the browser signs in with it.
	token = "dashboard-test-token-0123456789"
	// violation is the rule the guarded app breaks: a shell started by a
	// program that is not one (timeout).
	violation = "proc.shell-from-app"
)

// chromium is Debian's browser, which CI installs.
const chromium = "/usr/bin/chromium"

// TestDashboardBrowser drives the dashboard in a real browser against the
// real hub, a real NATS server and real guards: a guarded app that starts
// shells shows on the live page within 2 s of the event's arrival in the
// stream, with its ancestry drawn as a tree in the detail; a guard killed
// with SIGKILL becomes SILENT on the workloads page; the rules page
// charts the rule. It saves a screenshot of each page (see
// docs/dashboard.md).
func TestDashboardBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test builds vigil and drives a browser")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("no browser: %v (apt-get install chromium)", err)
	}
	srv := natstest.Start(t)
	createStream(t, srv.URL())
	base := startHub(t, srv.URL())
	vigil := buildVigil(t)
	b := newBrowser(t)

	b.signIn(base)
	b.do(chromedp.Evaluate[chromedp.Void](watchRowsJS))
	arrived := firstArrival(t, srv.URL(), "web-test", violation)
	// timeout (not a shell) runs sh; that sh runs timeout again, which
	// runs sh once more: two violations, the second with a deeper
	// ancestry; find looking for keys is a third rule.
	g := startGuard(t, vigil, srv.URL(), "web-test", "/usr/bin/timeout", "20", "/bin/sh", "-c",
		"/usr/bin/timeout 10 /bin/sh -c true; /usr/bin/find /nonexistent -name id_rsa 2>/dev/null; true")
	g.exit(t, 0)
	t0 := receive(t, arrived)
	seen := time.UnixMilli(evaluate[int64](b, `window.__vigilSeen[`+strconv.Quote(violation)+`] || 0`, true))
	delay := seen.Sub(t0)
	t.Logf("%s: in the stream at %s, on the page %v later", violation, t0.Format("15:04:05.000"), delay.Round(time.Millisecond))
	if delay > streamToPage {
		t.Errorf("%s reached the live page %v after the stream, want within %v", violation, delay, streamToPage)
	}

	detail := b.checkDetail()
	b.checkSilent(vigil, srv.URL())
	b.screenshot("dashboard-workloads.png")
	b.checkRules()
	b.screenshot("dashboard-rules.png")
	// Back to the violation's detail, the hub's silent alert now listed
	// too.
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = ` + strconv.Quote(detail)))
	b.until("the detail again", `document.querySelectorAll('#detail .tree [role="treeitem"]').length >= 5 && !!document.querySelector('#events-body tr[data-rule="hub.guard-silent"]')`)
	b.screenshot("dashboard-events.png")
	b.checkEscaping(srv.URL())
	b.checkCrafted(srv.URL())
	b.checkBadAddress()
	b.checkConsole()
}

// watchRowsJS records in window.__vigilSeen when the first row of each
// rule enters the events table (Date.now(): the same clock as the test's).
const watchRowsJS = `(() => {
  window.__vigilSeen = {};
  const body = document.getElementById('events-body');
  const mark = () => {
    for (const tr of body.querySelectorAll('tr[data-rule]')) {
      window.__vigilSeen[tr.dataset.rule] ??= Date.now();
    }
  };
  new MutationObserver(mark).observe(body, { childList: true });
  mark();
})()`

func createStream(t *testing.T, url string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := js.CreateStream(ctx, natsbus.StreamConfig(natsbus.StreamLimits{MaxAge: time.Hour, MaxBytes: 64 << 20})); err != nil {
		t.Fatalf("creating %s: %v", natsbus.StreamName, err)
	}
}

// startHub runs the hub on the server at url, serving the dashboard; it
// returns the dashboard's URL.
func startHub(t *testing.T, url string) string {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	h, err := hub.New(hub.Config{Conn: nc, Assets: web.FS(), Auth: hub.Auth{Tokens: []string{token}}, Name: "dashboard-test",
		Report: func(err error) { t.Logf("hub: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("hub: %v", err)
		}
	})
	s := httptest.NewServer(h.Handler())
	t.Cleanup(s.Close)
	return s.URL
}

// buildVigil builds the guard from this module's source.
func buildVigil(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("go env GOMOD: %v %s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "vigil")
	build := exec.Command("go", "build", "-o", bin, "./cmd/vigil")
	build.Dir = filepath.Dir(string(bytes.TrimSpace(out)))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building vigil: %v\n%s", err, out)
	}
	return bin
}

// firstArrival reports when the first event of workload with rule
// reaches the server (a subscriber on the stream's subjects gets it as
// the stream stores it).
func firstArrival(t *testing.T, url, workload, rule string) <-chan time.Time {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ch := make(chan time.Time, 1)
	var once sync.Once
	_, err = nc.Subscribe(natsbus.EventsPrefix+"."+natsbus.Token(workload)+".>", func(m *nats.Msg) {
		at := time.Now()
		var e events.Event
		if json.Unmarshal(m.Data, &e) == nil && e.Rule == rule {
			once.Do(func() { ch <- at })
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return ch
}

func receive(t *testing.T, ch <-chan time.Time) time.Time {
	t.Helper()
	select {
	case at := <-ch:
		return at
	case <-time.After(wait):
		t.Fatalf("no %s event in the stream after %v", violation, wait)
		return time.Time{}
	}
}

// guard is a running vigil.
type guard struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan error
}

func startGuard(t *testing.T, vigil, url, workload string, app ...string) *guard {
	t.Helper()
	args := []string{"run", "--nats", url, "--workload", workload, "--heartbeat", "1s",
		"--outbox", t.TempDir(), "--log-level=error", "--"}
	g := &guard{cmd: exec.Command(vigil, append(args, app...)...), done: make(chan error, 1)}
	g.cmd.Stderr = &g.stderr
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.done <- g.cmd.Wait() }()
	t.Cleanup(func() {
		killTree(g.cmd.Process.Pid)
		<-g.done
	})
	return g
}

// exit waits for the guard to end, and checks its exit code.
func (g *guard) exit(t *testing.T, want int) {
	t.Helper()
	select {
	case <-g.done:
		g.done <- nil // for the cleanup
	case <-time.After(wait):
		t.Fatalf("vigil still runs after %v; stderr:\n%s", wait, g.stderr.String())
	}
	if code := g.cmd.ProcessState.ExitCode(); code != want {
		t.Fatalf("vigil exited %d, want %d; stderr:\n%s", code, want, g.stderr.String())
	}
}

// killTree sends SIGKILL to pid and its descendants, found first: once
// vigil is dead its app is no longer its child.
func killTree(pid int) {
	children := map[int][]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		p, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 {
			ppid, _ := strconv.Atoi(fields[1])
			children[ppid] = append(children[ppid], p)
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	for _, p := range tree {
		syscall.Kill(p, syscall.SIGKILL) //nolint:errcheck // gone already
	}
}

// browser is one tab of a headless chromium.
type browser struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	problems []string // uncaught exceptions, CSP refusals
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1440, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no deadline
		t.Fatalf("starting %s: %v", chromium, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				b.mu.Lock()
				b.problems = append(b.problems, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return b
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// evaluate returns the value of js; with poll, the first truthy one.
func evaluate[T any](b *browser, js string, poll bool) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	var v T
	var err error
	if poll {
		v, err = chromedp.Run(ctx, chromedp.Poll[T](js, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(wait)))
	} else {
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](js))
	}
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// until waits until js is true, saying what it waited for when it is
// not.
func (b *browser) until(what, js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(wait)))
	if err != nil {
		b.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// signIn opens the dashboard, which asks for credentials (the hub
// answers 401), and gives the token.
func (b *browser) signIn(base string) {
	b.t.Helper()
	b.do(chromedp.Navigate(base + "/#/events"))
	b.until("the sign-in form", `document.getElementById('login').open`)
	b.do(chromedp.SendKeys(chromedp.CSS(`#login input[name="token"]`), token),
		chromedp.Click(chromedp.CSS(`#login button[type="submit"]`)))
	b.until("the live stream", `!document.getElementById('login').open && document.getElementById('conn').dataset.state === 'live'`)
	// The session cookie (HTTP-only) is the only credential the page has.
	stored := evaluate[string](b, `JSON.stringify([sessionStorage, localStorage].map(st => Object.entries(st)))`, false)
	if strings.Contains(stored, token) {
		b.t.Errorf("web storage holds the token: %s", stored)
	}
}

// checkDetail opens the newest violation: its ancestry is a tree from
// the app down to the process that ran the shell, and the shell it ran.
// It returns the page's address, which names the event.
func (b *browser) checkDetail() string {
	b.t.Helper()
	b.until("both violations", `document.querySelectorAll('#events-body tr[data-rule="`+violation+`"]').length === 2`)
	b.do(chromedp.Click(chromedp.CSS(`#events-body tr[data-rule="` + violation + `"]`)))
	b.until("the ancestry tree", `document.querySelectorAll('#detail .tree [role="treeitem"]').length >= 5`)
	nodes := evaluate[[]string](b, `[...document.querySelectorAll('#detail .tree .node')].map(n =>
		[...n.querySelectorAll('.exe, .role')].map(e => e.textContent).join(' '))`, false)
	// The app (timeout) → sh → timeout → timeout (the caller) → sh, by
	// its real name.
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		b.t.Fatal(err)
	}
	sh = filepath.Base(sh)
	want := []string{"timeout", sh, "timeout", "timeout this process", sh + " exec"}
	if len(nodes) != len(want) {
		b.t.Fatalf("ancestry tree %q, want %d nodes like %q", nodes, len(want), want)
	}
	for i, n := range nodes {
		if exe, role, _ := strings.Cut(want[i], " "); filepath.Base(strings.Fields(n)[0]) != exe || !strings.HasSuffix(n, role) {
			b.t.Errorf("ancestry node %d is %q, want %q", i, n, want[i])
		}
	}
	if box := evaluate[string](b, `document.querySelector('#detail .rulebox').textContent`, false); !strings.Contains(box, "docs/rules.md#"+violation) || !strings.Contains(box, "alert") || !strings.Contains(box, "high") {
		b.t.Errorf("rule box %q, want the rule's docs section, its action and severity", box)
	}
	if js := evaluate[string](b, `document.querySelector('#detail pre.json').textContent`, false); !strings.Contains(js, `"ancestry": [`) {
		b.t.Errorf("detail JSON %q, want the event pretty-printed", js)
	}
	hash := evaluate[string](b, `location.hash`, false)
	if !strings.HasPrefix(hash, "#/events/") {
		b.t.Errorf("address %q after a click on an event, want #/events/<id>", hash)
	}
	return hash
}

// checkSilent starts a guard with a long-running app, waits until the
// workloads page shows it live with its heartbeats' period, kills it and
// its app with SIGKILL, and waits for SILENT.
func (b *browser) checkSilent(vigil, url string) {
	b.t.Helper()
	g := startGuard(b.t, vigil, url, "web-silent", "/bin/sleep", "600")
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/workloads'`))
	row := `document.querySelector('#workloads-body tr[data-workload="web-silent"]')`
	b.until("web-silent live, beating", row+`?.dataset.state === 'live' && `+row+`.textContent.includes('every')`)
	killTree(g.cmd.Process.Pid)
	killed := time.Now()
	b.until("web-silent SILENT", row+`?.dataset.state === 'silent' && `+row+`.querySelector('.badge').textContent === 'SILENT'`)
	b.t.Logf("web-silent: SILENT on the page %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
	b.until("web-test STOPPED", `document.querySelector('#workloads-body tr[data-workload="web-test"]')?.dataset.state === 'stopped'`)
}

// checkRules waits for the rules page's chart to have bars of the
// violation, and its total.
func (b *browser) checkRules() {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/rules'`))
	b.until("bars of "+violation, `document.querySelectorAll('#rules-chart svg rect.bar[data-rule="`+violation+`"]').length > 0`)
	total := evaluate[string](b, `document.querySelector('#rules-body tr[data-rule="`+violation+`"] td.num').textContent`, false)
	if total != "2" {
		b.t.Errorf("%s total %q on the rules page, want 2", violation, total)
	}
}

func (b *browser) checkConsole() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("browser console: %s", p)
	}
}

// screenshot saves the page as name under $VIGIL_TEST_ARTIFACTS (a
// temporary directory by default), and in docs/img with
// VIGIL_UPDATE_SCREENSHOTS=1.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	time.Sleep(300 * time.Millisecond) // the row highlight's fade
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	dirs := []string{os.Getenv("VIGIL_TEST_ARTIFACTS")}
	if dirs[0] == "" {
		dirs[0] = b.t.TempDir()
	}
	if os.Getenv("VIGIL_UPDATE_SCREENSHOTS") == "1" {
		dirs = append(dirs, filepath.Join("..", "..", "docs", "img"))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot %s", filepath.Join(d, name))
	}
}

// hostileArgv is what an attacker can make a guard report: markup, and a
// right-to-left override that would show "exe.png" as "gnp.exe".
var hostileArgv = []string{"sh", "-c", `<img src=x onerror="window.__vigilPwned=1"><b>bold</b>`, "photo\u202egnp.exe"}

// checkEscaping publishes an event whose argv holds markup: the page
// shows it as text, in the list and in the detail, and runs nothing.
func (b *browser) checkEscaping(url string) {
	b.t.Helper()
	e := events.New(events.KindExec, violation, events.SeverityHigh, events.ActionAlert)
	e.Workload = "web-hostile"
	e.Process = &events.Process{PID: 7, PPID: 1, Exe: "/bin/<i>x</i>", Argv: hostileArgv, Ancestry: []events.Ancestor{{PID: 1, Exe: "<script>alert(1)</script>"}}}
	if err := e.SetDetails(events.ExecDetails{Path: "/bin/sh", Argv: hostileArgv, Baseline: "unknown"}); err != nil {
		b.t.Fatal(err)
	}
	raw, err := json.Marshal(e)
	if err == nil {
		err = e.Validate()
	}
	if err != nil {
		b.t.Fatal(err)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		b.t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := js.Publish(ctx, natsbus.Subject(e.Workload, e.Kind), raw, jetstream.WithMsgID(e.ID)); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/events/` + e.ID + `'`))
	b.until("the hostile event's detail", `document.querySelector('#detail .tree .self .argv')?.textContent.includes('onerror')`)
	found := evaluate[[]string](b, `[
		String(document.querySelectorAll('#events-body img, #events-body b, #detail img, #detail b, #detail i, #detail script').length),
		String(window.__vigilPwned || 0),
		document.querySelector('#events-body tr[data-id="`+e.ID+`"] td.proc').textContent,
		document.querySelector('#detail .tree .self .argv').textContent,
		document.querySelector('#detail .tree .node .exe').textContent]`, false)
	if found[0] != "0" || found[1] != "0" {
		b.t.Errorf("the event's markup became %s elements, ran: %s", found[0], found[1])
	}
	for _, text := range found[2:4] {
		if !strings.Contains(text, `<img src=x onerror=`) || !strings.Contains(text, `photo\u{202e}gnp.exe`) {
			b.t.Errorf("shown %q, want the argv as text, the override made visible", text)
		}
	}
	if found[4] != "<script>alert(1)</script>" {
		b.t.Errorf("ancestor shown as %q, want its exe as text", found[4])
	}
}

// craftedObject is a value that String(), a template and a join throw on.
var craftedObject = map[string]any{"toString": 1}

// craftedDetails are details the hub serves as they are (it checks only
// that details are an object), with objects where text is expected.
var craftedDetails = []struct {
	kind    events.Kind
	details map[string]any
}{
	{kind: events.KindFile, details: map[string]any{"op": craftedObject, "path": craftedObject, "change": []any{craftedObject}, "by": craftedObject}},
	{kind: events.KindExec, details: map[string]any{"path": craftedObject, "argv": []any{craftedObject}, "intended": craftedObject, "errno": craftedObject}},
	{kind: events.KindNetwork, details: map[string]any{"address": craftedObject, "port": craftedObject, "name": craftedObject, "direction": []any{nil}}},
	{kind: events.KindSyscall, details: map[string]any{"name": craftedObject, "decoded": map[string]any{"0": craftedObject}, "errno": craftedObject}},
}

// checkCrafted publishes events whose details hold objects where the page
// expects text: each is listed, as a row, live and after a reload, with
// the events before them, and its detail opens. The process's argv and
// ancestry, which the hub checks itself, are drawn from the page's own
// modules.
func (b *browser) checkCrafted(url string) {
	b.t.Helper()
	var ids []string
	for _, c := range craftedDetails {
		ids = append(ids, b.publishRaw(url, craftedEvent(b.t, c.kind, c.details)))
	}
	// Full rows: their summary drawn, not the fallback of an event that
	// could not be.
	rows := `[` + strings.Join(quoteAll(ids), ",") + `].every(id => document.querySelector('#events-body tr[data-id="' + id + '"]:not(.broken) td.proc'))`
	older := `document.querySelectorAll('#events-body tr[data-rule="` + violation + `"]').length >= 2`
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/events'`))
	b.until("the crafted events, live", rows+` && `+older)
	for _, id := range ids {
		b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/events/` + id + `'`))
		b.until("the crafted event's detail", `document.querySelector('#detail .rulebox') && document.querySelector('#detail pre.json')?.textContent.includes('`+id+`')`)
	}
	b.do(chromedp.Reload())
	b.until("the crafted events and the older ones after a reload", rows+` && `+older+` && document.getElementById('events-empty').hidden`)
	if msg := evaluate[string](b, `document.getElementById('pending').hidden ? '' : document.getElementById('pending').textContent`, false); msg != "" {
		b.t.Errorf("after a reload the page says %q", msg)
	}
	got := evaluate[[]string](b, craftedProcessJS, true)
	if len(got) != 3 || !strings.Contains(got[0], `toString`) || got[1] != "2" || !strings.Contains(got[2], "Process ancestry") {
		b.t.Errorf("a crafted process drawn as %q: want its argv as text, a tree of 2 nodes, the full detail", got)
	}
	row := evaluate[[]string](b, brokenRowJS, true)
	if len(row) != 2 || row[0] != "broken" || !strings.Contains(row[1], `"rule":"crafted"`) {
		b.t.Errorf("an event whose row throws drawn as %q: want the fallback row with its JSON", row)
	}
}

// brokenRowJS draws the row of an event whose drawing throws (a getter,
// standing for what no check foresaw): it gets the fallback row.
const brokenRowJS = `(async () => {
  const { EventsPage } = await import(new URL('js/events.js', document.baseURI));
  const page = Object.assign(Object.create(EventsPage.prototype), { selected: '' });
  const ev = { id: '01KAQ4Z3M8R6X2W9T5B7C1D0EF', rule: 'crafted', get kind() { throw new Error('no kind'); } };
  const tr = page.safeRow(ev, '{"rule":"crafted"}', false);
  return [tr.className, tr.textContent];
})()`

// craftedProcessJS draws an event whose process holds an object in argv
// and null in ancestry (which the hub refuses) with the page's modules.
const craftedProcessJS = `(async () => {
  const o = { toString: 1 };
  const ev = { id: '01KAQ4Z3M8R6X2W9T5B7C1D0EF', rule: 'crafted', kind: 'process', severity: o, action: o, count: o, time: o,
    container: { id: o }, process: { pid: o, uid: o, exe: o, argv: [o], ancestry: [null, 7, { pid: o, exe: o }] }, details: { what: o } };
  const { summary } = await import(new URL('js/summary.js', document.baseURI));
  const { renderDetail } = await import(new URL('js/detail.js', document.baseURI));
  const nodes = renderDetail(ev, JSON.stringify(ev), { onClose() {} }).filter(Boolean);
  const box = document.createElement('div');
  box.append(...nodes);
  return [summary(ev), String(box.querySelectorAll('.tree [role="treeitem"]').length), box.textContent];
})()`

// checkBadAddress: an address with a malformed escape leaves the page
// working.
func (b *browser) checkBadAddress() {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/events/%'`))
	b.until("the events page", `!document.getElementById('view-events').hidden`)
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/workloads'`))
	b.until("the workloads page", `!document.getElementById('view-workloads').hidden && document.getElementById('view-events').hidden`)
}

// craftedEvent is a valid event of kind whose details are replaced by
// details, as JSON.
func craftedEvent(t *testing.T, kind events.Kind, details map[string]any) []byte {
	t.Helper()
	e := events.New(kind, "crafted."+string(kind), events.SeverityHigh, events.ActionAlert)
	e.Workload = "web-crafted"
	e.Process = &events.Process{PID: 9, PPID: 1, Exe: "/bin/sh", Argv: []string{"sh"}, Ancestry: []events.Ancestor{{PID: 1, Exe: "/sbin/init"}}}
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["details"] = details
	if raw, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return raw
}

// publishRaw publishes raw, an event's JSON, as a guard would; it returns
// the event's id.
func (b *browser) publishRaw(url string, raw []byte) string {
	b.t.Helper()
	var e struct {
		ID       string      `json:"id"`
		Workload string      `json:"workload"`
		Kind     events.Kind `json:"kind"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		b.t.Fatal(err)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		b.t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := js.Publish(ctx, natsbus.Subject(e.Workload, e.Kind), raw, jetstream.WithMsgID(e.ID)); err != nil {
		b.t.Fatal(err)
	}
	return e.ID
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
