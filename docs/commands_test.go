//go:build e2e

package docs_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDocCommands runs every sh block marked <!-- doc-test: run --> as a
// user would paste it: in bash (-e, pipefail), from the repository's root,
// with bin/ on the PATH, in the order of the docs (examples/README.md builds
// the images the later blocks use). The blocks leave the checkout as they
// found it: the files they regenerate must come out the same.
func TestDocCommands(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the docs' commands build images and learn profiles as root; run as root (CI does)")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Docker engine, and CI=true requires one: %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// What a failed block may leave behind (the containers and network of
		// examples/README.md and examples/vulnerable-web/README.md).
		_ = exec.Command("docker", "rm", "-f", "hello", "vw").Run()
		_ = exec.Command("docker", "network", "rm", "vw").Run()
	})
	before := gitStatus(t, root)
	ran := 0
	for _, b := range shellBlocks(t) {
		if b.marker != "<!-- doc-test: run -->" {
			continue
		}
		ran++
		pos := fmt.Sprintf("%s:%d", strings.TrimPrefix(b.file, "../"), b.line)
		t.Run(pos, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", b.code)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "bin")+":"+os.Getenv("PATH"))
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the block at %s failed after %v: %v\n--- the block:\n%s--- its output:\n%s",
					pos, time.Since(start).Round(time.Millisecond), err, b.code, out)
			}
			t.Logf("ran in %v", time.Since(start).Round(time.Millisecond))
		})
	}
	if ran < 10 {
		t.Errorf("ran %d blocks, want at least 10: are the markers lost?", ran)
	}
	if after := gitStatus(t, root); after != before {
		t.Errorf("the docs' commands changed the checkout:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// gitStatus is git status --porcelain of the checkout, or "" when the
// tests do not run in one.
func gitStatus(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "status", "--porcelain").Output()
	if err != nil {
		t.Logf("git status: %v: the checkout is not compared", err)
		return ""
	}
	return string(out)
}

// TestQuickStart follows README.md's quick start as a newcomer would, on
// a clean clone: the files git would check out of this tree (tracked and
// new, nothing it ignores: no bin/, no build output), copied to a new
// directory, where the block's commands run. The clone itself (no network
// here) and make test (the suite this test is in) are left out.
func TestQuickStart(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the quick start runs as root (the demo makes network and PID namespaces)")
	}
	var quick *block
	for _, b := range blocks(t, "../README.md") {
		if b.lang == "sh" && strings.Contains(b.code, "git clone") {
			quick = &b
			break
		}
	}
	if quick == nil {
		t.Fatal("no quick start in README.md: no sh block with git clone")
	}
	var steps []string
	for _, line := range strings.Split(quick.code, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] != "git" && !(f[0] == "make" && len(f) > 1 && f[1] == "test") {
			steps = append(steps, line)
		}
	}
	if !strings.Contains(strings.Join(steps, "\n"), "make demo") {
		t.Fatalf("the quick start at README.md:%d has no make demo:\n%s", quick.line, quick.code)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not in a git checkout (git ls-files: %v): no clean clone to make", err)
	}
	clone := filepath.Join(t.TempDir(), "vigil")
	n := 0
	for _, name := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the tree, not yet in the index
		}
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(clone, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
		n++
	}
	t.Logf("a clean clone of %d files in %s", n, clone)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", strings.Join(steps, "\n"))
	cmd.Dir = clone
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the quick start (README.md:%d) failed in the clone after %v: %v\n%s", quick.line, time.Since(start).Round(time.Second), err, out)
	}
	for _, want := range []string{"| deny  | tmp-binary", "| yes ", "the dashboard: http://"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the quick start's output has no %q:\n%s", want, out)
		}
	}
	t.Logf("make demo on a clean clone: %v", time.Since(start).Round(time.Second))
}
