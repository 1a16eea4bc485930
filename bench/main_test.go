package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// binEnv names a vigil binary to measure instead of building one, so that
// run.sh reports on exactly the binary it built.
const binEnv = "VIGIL_BENCH_BIN"

// buildDir holds the vigil binary built for this run; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	if calls := os.Getenv(notifyChildEnv); calls != "" {
		n, _ := strconv.Atoi(calls)
		os.Exit(notifyChild(n))
	}
	if calls := os.Getenv(allowedCallsEnv); calls != "" {
		n, _ := strconv.Atoi(calls)
		os.Exit(allowedChild(n))
	}
	if calls := os.Getenv(execChildEnv); calls != "" {
		n, _ := strconv.Atoi(calls)
		os.Exit(execChild(n))
	}
	code := m.Run()
	stopSharedHub()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	if execDir != "" {
		os.RemoveAll(execDir)
	}
	if allowedDir != "" {
		os.RemoveAll(allowedDir)
	}
	os.Exit(code)
}

// vigilOnce builds vigil at most once per test binary, and only when a
// benchmark asks for it, so that plain `go test ./...` stays fast.
var vigilOnce = sync.OnceValues(func() (string, error) {
	if path := os.Getenv(binEnv); path != "" {
		return filepath.Abs(path)
	}
	return buildStatic("./cmd/vigil", "vigil")
})

// vigilBinary returns the path of the vigil binary under measurement.
func vigilBinary(tb testing.TB) string {
	tb.Helper()
	path, err := vigilOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// floorOnce builds bench/floor, the lower bound of vigil's start-up, at
// most once per test binary.
var floorOnce = sync.OnceValues(func() (string, error) {
	return buildStatic("./bench/floor", "floor")
})

// floorBinary returns the path of the floor program (see bench/floor).
func floorBinary(tb testing.TB) string {
	tb.Helper()
	path, err := floorOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// buildMu serializes the builds into buildDir.
var buildMu sync.Mutex

// buildStatic builds the main package pkg (relative to the module root)
// as vigil ships: static, trimmed and stripped, into buildDir as name.
func buildStatic(pkg, name string) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	if buildDir == "" {
		if buildDir, err = os.MkdirTemp("", "vigil-bench-"); err != nil {
			return "", fmt.Errorf("creating build directory: %w", err)
		}
	}
	out := filepath.Join(buildDir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s in %s: %w\n%s", pkg, root, err, msg)
	}
	return out, nil
}

// moduleRoot returns the directory of vigil's go.mod; tests run in bench/.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root (go env GOMOD): %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("finding the module root: not inside a module")
	}
	return filepath.Dir(gomod), nil
}
