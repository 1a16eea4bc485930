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
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
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
	return buildVigil()
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

// buildVigil builds the binary as it ships: static, trimmed and stripped.
func buildVigil() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	buildDir, err = os.MkdirTemp("", "vigil-bench-")
	if err != nil {
		return "", fmt.Errorf("creating build directory: %w", err)
	}
	out := filepath.Join(buildDir, "vigil")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./cmd/vigil")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building vigil in %s: %w\n%s", root, err, msg)
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
