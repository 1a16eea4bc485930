//go:build e2e

package examples_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// labelKey marks the containers of the e2e tests; its value is the runID.
const labelKey = "vigil-e2e"

var containerSeq atomic.Int32

// newContainer names a container for t and removes it when t ends. opts
// are the options of docker run or create that give it its name and label.
func newContainer(t *testing.T) (name string, opts []string) {
	t.Helper()
	name = fmt.Sprintf("vigil-e2e-%s-%d", runID, containerSeq.Add(1))
	t.Cleanup(func() {
		_, err := docker("rm", "--force", name)
		if err != nil && !strings.Contains(err.Error(), "No such container") { // gone with --rm
			t.Errorf("removing the container: %v", err)
		}
	})
	return name, []string{"--name", name, "--label", labelKey + "=" + runID}
}

// startContainer runs image in the background with the environment env
// and, if given, cmd instead of its CMD. It returns the container's name.
func startContainer(t *testing.T, image string, env []string, cmd ...string) string {
	t.Helper()
	var opts []string
	for _, e := range env {
		opts = append(opts, "--env", e)
	}
	return startContainerWith(t, opts, image, cmd...)
}

// startContainerWith is startContainer with any options of docker run.
func startContainerWith(t *testing.T, runOpts []string, image string, cmd ...string) string {
	t.Helper()
	name, opts := newContainer(t)
	args := append(append([]string{"run", "--detach"}, opts...), runOpts...)
	args = append(append(args, image), cmd...)
	mustDocker(t, args...)
	return name
}

// waitExit waits for the container to end and returns its exit code.
func waitExit(t *testing.T, name string) int {
	t.Helper()
	out := mustDocker(t, "wait", name)
	code, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("docker wait %s: want an exit code, got %q", name, out)
	}
	return code
}

// containerLogs returns what the app (stdout) and vigil (stderr) printed.
func containerLogs(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := dockerCmd(ctx, "logs", name).CombinedOutput()
	if err != nil {
		t.Fatalf("docker logs %s: %v\n%s", name, err, out)
	}
	return string(out)
}

// waitForLog waits until the container's logs match re, and returns the
// match and its submatches.
func waitForLog(t *testing.T, name string, re *regexp.Regexp) []string {
	t.Helper()
	var m []string
	eventually(t, fmt.Sprintf("the logs of %s match %q", name, re), func() (bool, string) {
		logs := containerLogs(t, name)
		m = re.FindStringSubmatch(logs)
		return m != nil, logs
	})
	return m
}

// wantLogs checks that the container's logs contain every one of wants.
func wantLogs(t *testing.T, name string, wants ...string) {
	t.Helper()
	logs := containerLogs(t, name)
	var missing []string
	for _, want := range wants {
		if !strings.Contains(logs, want) {
			missing = append(missing, strconv.Quote(want))
		}
	}
	if len(missing) > 0 {
		t.Errorf("the logs of %s lack %s:\n%s", name, strings.Join(missing, ", "), logs)
	}
}

// waitTimeout bounds every wait for a container to reach some state.
const waitTimeout = 20 * time.Second

// eventually calls check until it reports that the condition described by
// what holds, and fails the test if it still does not after waitTimeout,
// showing the state check reported last.
func eventually(t *testing.T, what string, check func() (ok bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, state := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, still not true that %s:\n%s", waitTimeout, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
