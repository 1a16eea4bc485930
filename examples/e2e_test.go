//go:build e2e

// Package examples_test holds vigil's end-to-end tests: with the local
// Docker engine they build the base layer (Dockerfile.base) and the example
// image on top of it, and check what vigil promises as a container's PID 1:
// exit codes, a graceful docker stop, an interactive shell, no zombies.
//
// Run them with
//
//	go test -tags e2e -count=1 -v ./examples/...
//
// They skip when no Docker engine answers, except under CI=true, where
// they fail. They rebuild bin/vigil, and remove every image and container
// they create.
package examples_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// cmdTimeout bounds every docker command, so that a hung container fails
// its test instead of the whole run.
const cmdTimeout = 2 * time.Minute

// runID makes the names of this run's images and containers unique.
var runID = newRunID()

func newRunID() string {
	b := make([]byte, 4)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := removeImages(); err != nil {
		fmt.Fprintln(os.Stderr, "removing the test images:", err)
	}
	os.Exit(code)
}

// engine is the answer of the Docker engine, asked once.
var engine struct {
	once     sync.Once
	platform platform
	err      error
}

// platform is the engine's OS and architecture, which bin/vigil is built for.
type platform struct{ os, arch string }

// requireDocker returns the engine's platform. It skips the test when no
// engine answers, or fails it under CI=true, where the tests must run.
func requireDocker(t *testing.T) platform {
	t.Helper()
	engine.once.Do(func() { engine.platform, engine.err = probeDocker() })
	switch {
	case engine.err == nil:
		return engine.platform
	case os.Getenv("CI") == "true":
		t.Fatalf("no Docker engine, and CI=true requires one: %v", engine.err)
	default:
		t.Skipf("no Docker engine: %v", engine.err)
	}
	return platform{}
}

func probeDocker() (platform, error) {
	if _, err := exec.LookPath("docker"); err != nil {
		return platform{}, err
	}
	out, err := docker("version", "--format", "{{.Server.Os}}/{{.Server.Arch}}")
	if err != nil {
		return platform{}, err
	}
	goos, arch, ok := strings.Cut(strings.TrimSpace(out), "/")
	if !ok {
		return platform{}, fmt.Errorf("docker version: want OS/ARCH, got %q", out)
	}
	return platform{os: goos, arch: arch}, nil
}

// dockerCmd prepares a docker command that is killed after cmdTimeout. The
// legacy builder is chosen because it needs no buildx plugin.
func dockerCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	return cmd
}

// docker runs the docker CLI and returns its standard output. Its error
// quotes the command and everything docker printed.
func docker(args ...string) (string, error) {
	return dockerWithInput(nil, args...)
}

// dockerWithInput is docker with stdin read from r.
func dockerWithInput(r io.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := dockerCmd(ctx, args...)
	cmd.Stdin = r
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("no answer after %s: %w", cmdTimeout, ctx.Err())
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err,
			strings.TrimSpace(stdout.String()+stderr.String()))
	}
	return stdout.String(), nil
}

// mustDocker is docker for a test: a failure ends the test.
func mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := docker(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
