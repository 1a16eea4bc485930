package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestLearn learns a workload, runs the same workload under the learned
// policy without a single violation, and sees a syscall outside it denied
// and reported.
func TestLearn(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "learned")
	workload := "ls / >/dev/null; cat /etc/hostname >/dev/null; mkdir " + dir + "/d && rmdir " + dir + "/d; echo ok"
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			code, stdout, stderr := runVigil(t, m, nil, "learn", "--log-level=warn", "--out", prefix, "--", "sh", "-c", workload)
			if code != 0 || stdout != "ok\n" || !strings.Contains(stderr, "wrote "+prefix+".json") {
				t.Fatalf("learn: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
			for _, f := range []string{prefix + ".json", prefix + ".yaml"} {
				if _, err := os.Stat(f); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr = runVigil(t, m, nil, "run", "--log-level=warn", "--policy", prefix+".yaml", "--", "sh", "-c", workload)
			if code != 0 || stdout != "ok\n" || len(syscallEvents(t, stderr)) != 0 {
				t.Fatalf("the learned workload: exit %d, stdout %q, events in stderr:\n%s", code, stdout, stderr)
			}
			// What the app ran is the learned exec allow-list (no event
			// above); a program it did not run is reported.
			code, _, stderr = runVigil(t, m, nil, "run", "--log-level=warn", "--rules=off", "--policy", prefix+".yaml", "--", "sh", "-c", workload+"; id >/dev/null 2>&1; true")
			var unlearned []string
			for _, ev := range syscallEvents(t, stderr) {
				if d, err := ev.Exec(); err == nil && ev.Rule == "exec.default" && len(d.Argv) > 0 {
					unlearned = append(unlearned, d.Argv[0])
				}
			}
			if code != 0 || strings.Join(unlearned, " ") != "id" {
				t.Fatalf("a program not learned: exit %d, exec.default for %q, want id alone; stderr:\n%s", code, unlearned, stderr)
			}
			code, stdout, stderr = runVigil(t, m, nil, "run", "--log-level=warn", "--seccomp-profile", prefix+".json", "--",
				"sh", "-c", workload+"; unshare -U true 2>/dev/null; echo rc=$?")
			evs := syscallEvents(t, stderr)
			if code != 0 || stdout != "ok\nrc=1\n" || len(evs) == 0 {
				t.Fatalf("outside the learned profile: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
			for _, ev := range evs {
				if ev.Action != "deny" {
					t.Errorf("event %+v: want deny", ev)
				}
			}
		})
	}
}

// TestLearnedProfileForDocker checks what Docker reads in a learned
// profile: EPERM for what was not learned, only the architecture learned
// on (the learning filter kills calls of any other ABI), and the calls runc
// makes after loading it (examples/learn_test.go runs it under Docker).
func TestLearnedProfileForDocker(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "learned")
	code, _, stderr := runVigil(t, modes[0], nil, "learn", "--log-level=warn", "--out", prefix, "--", "true")
	if code != 0 {
		t.Fatalf("learn: exit %d, stderr:\n%s", code, stderr)
	}
	b, err := os.ReadFile(prefix + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var got specs.LinuxSeccomp
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", prefix+".json", err)
	}
	native := map[string]specs.Arch{"amd64": specs.ArchX86_64, "arm64": specs.ArchAARCH64}[runtime.GOARCH]
	if native == "" {
		t.Skipf("no seccomp architecture name known for %s", runtime.GOARCH)
	}
	if got.DefaultAction != specs.ActErrno || got.DefaultErrnoRet == nil || *got.DefaultErrnoRet != 1 ||
		!slices.Equal(got.Architectures, []specs.Arch{native}) || len(got.Syscalls) != 1 || got.Syscalls[0].Action != specs.ActAllow {
		t.Fatalf("want one allow rule, default EPERM, architectures [%s]; got:\n%s", native, b)
	}
	names := got.Syscalls[0].Names
	for _, want := range []string{"openat", "fstatfs", "getdents64", "capset", "prctl", "setgroups", "fchown", "faccessat2", "execve"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s does not allow %s, which runc calls after loading the profile", prefix+".json", want)
		}
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("names not sorted or repeated: %v", names)
	}
}
