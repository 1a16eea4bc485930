package main_test

// Black-box tests of the built vigil binary. TestMain builds it, and the
// helper in testdata/pid1 that makes it PID 1 of a new PID namespace with
// a /proc of its own. The test binary also plays apps under vigil, chosen by
// VIGILTEST_ROLE (see apps_test.go).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

var (
	// vigilBin is the binary under test and pid1Bin the PID 1 helper, built
	// once by TestMain.
	vigilBin, pid1Bin string
	// filelessBin is examples/testdata/fileless, static: a payload run
	// from a memfd and from a deleted file.
	filelessBin string
	// buildRace builds it with the race detector (see race_test.go).
	buildRace bool
)

func TestMain(m *testing.M) {
	if role := os.Getenv("VIGILTEST_ROLE"); role != "" {
		os.Exit(playRole(role, os.Args[1:]))
	}
	if slices.Contains(os.Args[1:], "-test.fuzzworker") {
		// A fuzz worker runs FuzzParseFlags in process: building vigil
		// in every worker held fuzzing back ~10 s.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "vigil-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vigilBin = filepath.Join(dir, "vigil")
	pid1Bin = filepath.Join(dir, "pid1")
	build := exec.Command("go", "build", "-o", vigilBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if buildRace {
		build = exec.Command("go", "build", "-race", "-o", vigilBin, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=1")
		// The race runtime sleeps 1s at exit by default: 2,000 runs of
		// vigil would take half an hour.
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	helper := exec.Command("go", "build", "-o", pid1Bin, "./testdata/pid1")
	helper.Env = append(os.Environ(), "CGO_ENABLED=0")
	filelessBin = filepath.Join(dir, "fileless")
	probe := exec.Command("go", "build", "-o", filelessBin, "../../examples/testdata/fileless")
	probe.Env = append(os.Environ(), "CGO_ENABLED=0")
	for _, cmd := range []*exec.Cmd{build, helper, probe} {
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n%s", cmd, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
