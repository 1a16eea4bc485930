package linux_test

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
)

// capBnd is the CapBnd mask of /proc/self/status as capability numbers.
func capBnd(t *testing.T) []int {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		hex, ok := strings.CutPrefix(line, "CapBnd:\t")
		if !ok {
			continue
		}
		mask, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			t.Fatalf("CapBnd %q: %v", hex, err)
		}
		var caps []int
		for cp := 0; cp < 64; cp++ {
			if mask&(1<<cp) != 0 {
				caps = append(caps, cp)
			}
		}
		return caps
	}
	t.Fatal("no CapBnd line in /proc/thread-self/status")
	return nil
}

// dropEnv makes the test binary a child that drops a capability from its
// bounding set before reading it.
const dropEnv = "VIGIL_LINUX_TEST_DROP_CAP"

func TestBoundingSet(t *testing.T) {
	if os.Getenv(dropEnv) != "" {
		boundingSetAfterDrop(t)
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	got, err := linux.BoundingSet()
	if err != nil {
		t.Fatal(err)
	}
	if want := capBnd(t); !slices.Equal(got, want) {
		t.Errorf("BoundingSet = %v, want CapBnd's %v", linux.CapNames(got), linux.CapNames(want))
	}
}

// TestBoundingSetDropped runs a child that drops CAP_SYS_ADMIN from its
// bounding set: BoundingSet must no longer list it.
func TestBoundingSetDropped(t *testing.T) {
	if !linux.HasCap(unix.CAP_SETPCAP) {
		t.Skip("dropping from the bounding set needs CAP_SETPCAP")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBoundingSet$", "-test.v")
	cmd.Env = append(os.Environ(), dropEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "--- SKIP") {
		t.Skipf("the child skipped:\n%s", out)
	}
	if !strings.Contains(string(out), "dropped CAP_SYS_ADMIN") {
		t.Fatalf("the child did not drop CAP_SYS_ADMIN:\n%s", out)
	}
}

func boundingSetAfterDrop(t *testing.T) {
	runtime.LockOSThread() // the bounding set is per thread; never unlocked: the thread dies
	before, err := linux.BoundingSet()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(before, unix.CAP_SYS_ADMIN) {
		t.Skip("CAP_SYS_ADMIN is not in the bounding set already")
	}
	if err := unix.Prctl(unix.PR_CAPBSET_DROP, unix.CAP_SYS_ADMIN, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	after, err := linux.BoundingSet()
	if err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(slices.Clone(before), func(cp int) bool { return cp == unix.CAP_SYS_ADMIN })
	if !slices.Equal(after, want) || !slices.Equal(after, capBnd(t)) {
		t.Fatalf("after dropping CAP_SYS_ADMIN: BoundingSet = %v, want %v (CapBnd %v)",
			linux.CapNames(after), linux.CapNames(want), linux.CapNames(capBnd(t)))
	}
	t.Log("dropped CAP_SYS_ADMIN")
}
