//go:build e2e

package examples_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
)

// The compose test runs examples/compose/docker-compose.yml as a user
// would, with docker compose (v2) or docker-compose (1.29), under a
// project of its own and with this run's images.

const (
	composeFile     = "compose/docker-compose.yml"
	composeWorkload = "vulnerable-web" // the file's VIGIL_WORKLOAD
	composeGrace    = 10 * time.Second // the file's VIGIL_GRACE
	composeRule     = "proc.shell-from-app"
	composeToken    = "e2e-compose-token-0123456789"
)

// compose is the compose tool found, asked once.
var compose struct {
	once sync.Once
	argv []string // "docker compose" or "docker-compose"
	err  error
}

// requireCompose returns the command of the compose tool. It skips the
// test when there is none, or fails it under CI=true.
func requireCompose(t *testing.T) []string {
	t.Helper()
	requireDocker(t)
	compose.once.Do(func() { compose.argv, compose.err = findCompose() })
	switch {
	case compose.err == nil:
		return compose.argv
	case os.Getenv("CI") == "true":
		t.Fatalf("no compose tool, and CI=true requires one: %v", compose.err)
	default:
		t.Skipf("no compose tool: %v", compose.err)
	}
	return nil
}

// findCompose prefers the CLI plugin, docker compose, to docker-compose.
func findCompose() ([]string, error) {
	errPlugin := composeVersion("docker", "compose")
	if errPlugin == nil {
		return []string{"docker", "compose"}, nil
	}
	errV1 := composeVersion("docker-compose")
	if errV1 == nil {
		return []string{"docker-compose"}, nil
	}
	return nil, fmt.Errorf("docker compose: %v; docker-compose: %v (Debian: apt-get install docker-compose)", errPlugin, errV1)
}

// composeVersion runs the tool's version command.
func composeVersion(tool ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	return exec.CommandContext(ctx, tool[0], append(tool[1:], "version")...).Run()
}

// composeProject is one project of the compose file: its own network,
// volumes and containers, removed with `down -v` when the test ends.
type composeProject struct {
	t     *testing.T
	tool  []string
	name  string
	files []string
	env   []string
}

func newComposeProject(t *testing.T, tool []string, hubImage, appImage string) *composeProject {
	t.Helper()
	p := &composeProject{
		t:     t,
		tool:  tool,
		name:  "vigil-e2e-" + runID + "-" + strconv.Itoa(int(containerSeq.Add(1))),
		files: []string{composeFile, writeLabelsOverride(t)},
		env: []string{
			"VIGIL_HUB_IMAGE=" + hubImage,
			"VIGIL_APP_IMAGE=" + appImage,
			"VIGIL_HUB_AUTH_TOKEN=" + composeToken,
			// Ports of the host chosen by the engine: 127.0.0.1::8080.
			"VIGIL_HUB_HTTP_PORT=127.0.0.1:",
			"VIGIL_HUB_NATS_PORT=127.0.0.1:",
			"VIGIL_APP_PORT=127.0.0.1:",
		},
	}
	t.Cleanup(func() {
		if _, err := p.run("down", "--volumes", "--timeout", "1"); err != nil {
			t.Errorf("removing the compose project: %v", err)
		}
	})
	return p
}

// writeLabelsOverride writes a compose file that labels the project's
// containers, network and volumes as this run's, as the other tests'.
func writeLabelsOverride(t *testing.T) string {
	t.Helper()
	label := "{" + labelKey + ": \"" + runID + "\"}"
	override := "services:\n  hub: {labels: " + label + "}\n  app: {labels: " + label + "}\n" +
		"networks:\n  default: {labels: " + label + "}\n" +
		"volumes:\n  hub-store: {labels: " + label + "}\n  outbox: {labels: " + label + "}\n"
	path := filepath.Join(t.TempDir(), "labels.yml")
	if err := os.WriteFile(path, []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs the compose tool on the project and returns its output.
func (p *composeProject) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	argv := append([]string{}, p.tool[1:]...)
	argv = append(argv, "--project-name", p.name)
	for _, f := range p.files {
		argv = append(argv, "--file", f)
	}
	cmd := exec.CommandContext(ctx, p.tool[0], append(argv, args...)...)
	cmd.Env = append(os.Environ(), p.env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("no answer after %s: %w", cmdTimeout, ctx.Err())
	}
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return string(out), nil
}

func (p *composeProject) mustRun(args ...string) string {
	p.t.Helper()
	out, err := p.run(args...)
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// container returns the id of the service's container, by the labels
// both compose tools give it (their names differ: app_1, app-1) and the
// run's label.
func (p *composeProject) container(service string) string {
	p.t.Helper()
	out := strings.TrimSpace(mustDocker(p.t, "ps", "--all", "--quiet", "--filter", "label="+labelKey+"="+runID,
		"--filter", "label=com.docker.compose.project="+p.name,
		"--filter", "label=com.docker.compose.service="+service))
	if out == "" || strings.Contains(out, "\n") {
		p.t.Fatalf("compose service %s: want one container, got %q", service, out)
	}
	return out
}

// network is the project's default network, where the services' names
// resolve.
func (p *composeProject) network() string { return p.name + "_default" }

// hostAddr returns the host address a container's port is published on.
func hostAddr(t *testing.T, container, port string) string {
	t.Helper()
	out := mustDocker(t, "port", container, port)
	addr, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	if addr == "" {
		t.Fatalf("docker port %s %s: nothing published", container, port)
	}
	return addr
}

// TestComposeExample: the compose file's hub and guarded app
// (vulnerable-web) come up; the app's command injection raises an event
// that reaches the stream with the file's workload; the dashboard answers
// with the token only; compose stop ends the app within vigil's grace,
// with vigil's stopped event; the hub keeps the stream in its volume.
func TestComposeExample(t *testing.T) {
	tool := requireCompose(t)
	imgs := testImages(t)
	app := buildVulnerableWeb(t, imgs)
	start := time.Now()
	p := newComposeProject(t, tool, imgs.hub, app)
	p.mustRun("up", "--detach")
	hubID, appID := p.container("hub"), p.container("app")
	dashboard := "http://" + hostAddr(t, hubID, "8080/tcp")
	waitHealthy(t, dashboard)
	wantStatus(t, dashboard+"/api/workloads", "", http.StatusUnauthorized)
	wantStatus(t, dashboard+"/api/workloads", composeToken, http.StatusOK)

	// The injection runs sh -c: proc.shell-from-app.
	web := "http://" + hostAddr(t, appID, "8080/tcp")
	eventually(t, "the app answers /ping", func() (bool, string) {
		body, code := get(t, web+"/ping?host=127.0.0.1%3Bid", "")
		return code == http.StatusOK, fmt.Sprintf("%d %s", code, body)
	})
	eventually(t, "the hub holds the app's "+composeRule+" event", func() (bool, string) {
		body, code := get(t, dashboard+"/api/events?rule="+composeRule+"&workload="+composeWorkload, composeToken)
		return code == http.StatusOK && strings.Contains(body, `"`+composeRule+`"`), body
	})

	stopped := time.Now()
	p.mustRun("stop")
	took := stopTime(t, appID, stopped)
	t.Logf("%s stop took %v; the app, from SIGTERM to its end, %v", strings.Join(tool, " "),
		time.Since(stopped).Round(time.Millisecond), took.Round(time.Millisecond))
	if took > composeGrace {
		t.Errorf("the app took %v to stop, over VIGIL_GRACE (%v)", took, composeGrace)
	}
	if code := strings.TrimSpace(mustDocker(t, "inspect", "--format", "{{.State.ExitCode}}", appID)); code != "0" {
		t.Errorf("the app's container exited %s, want 0:\n%s", code, containerLogs(t, appID))
	}

	mustDocker(t, "start", hubID) // the stream is in the hub's volume
	waitHealthy(t, "http://"+hostAddr(t, hubID, "8080/tcp"))
	checkComposeStream(t, imgs, p.network())
	t.Logf("the compose project took %v", time.Since(start).Round(time.Millisecond))
}

// buildVulnerableWeb builds examples/vulnerable-web's image on this run's
// base and busybox; it is removed when the test ends.
func buildVulnerableWeb(t *testing.T, imgs images) string {
	t.Helper()
	start := time.Now()
	if err := goBuild(requireDocker(t), "bin/vulnerable-web", "./examples/vulnerable-web"); err != nil {
		t.Fatal(err)
	}
	image := "vigil-e2e-vulnerable-web:" + runID
	mustDocker(t, "build", "--network=none", "--force-rm", "--tag", image,
		"--build-arg", "VIGIL_BASE="+imgs.base, "--build-arg", "BUSYBOX="+imgs.busybox,
		"--file", filepath.Join(repoRoot, "examples/vulnerable-web/Dockerfile"), repoRoot)
	t.Cleanup(func() {
		if _, err := docker("image", "rm", image); err != nil {
			t.Errorf("removing the image: %v", err)
		}
	})
	t.Logf("built the vulnerable-web image in %v", time.Since(start).Round(time.Millisecond))
	return image
}

// stopTime is the time the container took from the engine's first kill
// (compose stop's SIGTERM) to its death, from the engine's events.
func stopTime(t *testing.T, container string, since time.Time) time.Duration {
	t.Helper()
	out := mustDocker(t, "events", "--since", strconv.FormatInt(since.Add(-time.Second).Unix(), 10),
		"--until", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10),
		"--filter", "container="+container, "--format", "{{.TimeNano}} {{.Action}}")
	var kill, die int64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		nano, action, _ := strings.Cut(line, " ")
		n, err := strconv.ParseInt(nano, 10, 64)
		switch {
		case err != nil:
			t.Fatalf("docker events: %q: %v", line, err)
		case action == "kill" && kill == 0:
			kill = n
		case action == "die":
			die = n
		}
	}
	if kill == 0 || die == 0 {
		t.Fatalf("docker events: no kill and die of %s:\n%s", container, out)
	}
	return time.Duration(die - kill)
}

// checkComposeStream reads the whole stream with vigil tail from a third
// container on the project's network: the app's events are there with
// the file's workload, between started and stopped.
func checkComposeStream(t *testing.T, imgs images, network string) {
	t.Helper()
	_, opts := newContainer(t)
	args := append([]string{"run"}, opts...)
	args = append(args, "--network", network, "--entrypoint", "/bin/timeout", imgs.hello,
		"4", "/usr/local/bin/vigil", "tail", "--nats", "nats://hub:4222", "--all", "--json")
	out, _ := docker(args...) // timeout ends it: its exit code is not tail's
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		e, err := events.Decode([]byte(line))
		if err != nil {
			t.Fatalf("vigil tail printed a line that is not an event: %v\n%s", err, out)
		}
		if e.Workload != composeWorkload {
			t.Errorf("event %s %s of workload %q, want %q", e.ID, e.Rule, e.Workload, composeWorkload)
		}
		got = append(got, describe(t, e))
	}
	all := strings.Join(got, " ")
	t.Logf("the stream: %s", all)
	for _, want := range []string{"lifecycle:started", composeRule, "lifecycle:stopped:0"} {
		if !strings.Contains(all, want) {
			t.Errorf("the stream lacks %s: %s", want, all)
		}
	}
	if i, j := strings.Index(all, composeRule), strings.Index(all, "lifecycle:stopped"); i > j {
		t.Errorf("the stream's stopped event comes before the app's: %s", all)
	}
}

// describe names an event by its rule, or for a lifecycle event by what
// happened and the app's exit code.
func describe(t *testing.T, e events.Event) string {
	t.Helper()
	if e.Kind != events.KindLifecycle {
		return e.Rule
	}
	var d events.LifecycleDetails
	if err := e.DetailsAs(&d); err != nil {
		t.Fatal(err)
	}
	if d.ExitCode != nil {
		return fmt.Sprintf("lifecycle:%s:%d", d.What, *d.ExitCode)
	}
	return "lifecycle:" + d.What
}

// waitHealthy waits for the hub's GET /api/health to answer 200.
func waitHealthy(t *testing.T, base string) {
	t.Helper()
	eventually(t, "the hub is healthy", func() (bool, string) {
		body, code := get(t, base+"/api/health", "")
		return code == http.StatusOK, fmt.Sprintf("%d %s", code, body)
	})
}

// wantStatus checks the status of a GET with the token (none when empty).
func wantStatus(t *testing.T, url, token string, want int) {
	t.Helper()
	if body, code := get(t, url, token); code != want {
		t.Errorf("GET %s (token %t): %d %s, want %d", url, token != "", code, body, want)
	}
}

// get returns the body and status of a GET, with a bearer token unless
// it is empty; status 0 when the hub cannot be reached.
func get(t *testing.T, url, token string) (string, int) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err.Error(), 0
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error(), 0
	}
	return string(body), resp.StatusCode
}
