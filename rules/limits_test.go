package rules

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/boundedfile"
)

// padded is a valid policy of exactly size bytes (a comment fills it).
func padded(size int) string {
	const body = header + "capabilities: [NET_BIND_SERVICE]\n#"
	return body + strings.Repeat("x", size-len(body)-1) + "\n"
}

func TestLoadSize(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		givePath string
		wantErr  error // nil: loads
		wantMsg  string
	}{
		{name: "at the limit", givePath: write("at.yaml", padded(MaxPolicyBytes))},
		{name: "one byte over", givePath: write("over.yaml", padded(MaxPolicyBytes+1)), wantErr: boundedfile.ErrTooLarge,
			wantMsg: "loading policy: " + dir + "/over.yaml: larger than the 256 KiB limit"},
		{name: "endless device", givePath: "/dev/zero", wantErr: boundedfile.ErrNotRegular,
			wantMsg: "loading policy: /dev/zero: not a regular file (a character device)"},
		{name: "FIFO", givePath: fifo, wantErr: boundedfile.ErrNotRegular, wantMsg: "fifo.yaml: not a regular file (a FIFO)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := Load(tt.givePath)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Minute): // a hang guard, not a measurement
				t.Fatal("Load still reading after a minute")
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("Load: %v", err)
			case tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !strings.Contains(fmt.Sprint(err), tt.wantMsg)):
				t.Errorf("Load: %v; want %v saying %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

// TestParseBounds: every list and string has a bound, said with its
// position, and the problems reported are capped.
func TestParseBounds(t *testing.T) {
	list := func(n int, item string) string { return "[" + strings.Repeat(item+",", n-1) + item + "]" }
	rules := func(n int) string {
		return header + "seccomp:\n  defaultAction: allow\n  rules:\n" + strings.Repeat("  - {names: [read], action: allow}\n", n)
	}
	tests := []struct {
		name     string
		give     string
		wantErrs []string // nil: parses
	}{
		{name: "over the size", give: padded(MaxPolicyBytes + 1), wantErrs: []string{"policy.yaml: 262145 bytes: a policy is at most 262144 (256 KiB)"}},
		{name: "rules at the limit", give: rules(maxRules)},
		{name: "one rule too many", give: rules(maxRules + 1), wantErrs: []string{"policy.yaml:6:3: a list of 4097 items: want at most 4096"}},
		{name: "names at the limit", give: header + "seccomp: {defaultAction: allow, rules: [{names: " + list(maxItems, "read") + ", action: allow}]}\n"},
		{name: "one name too many", give: header + "seccomp: {defaultAction: allow, rules: [{names: " + list(maxItems+1, "read") + ", action: allow}]}\n",
			wantErrs: []string{"policy.yaml:3:49: a list of 4097 items: want at most 4096"}},
		{name: "one group too many", give: header + "groups: " + list(maxItems+1, "1") + "\n", wantErrs: []string{"policy.yaml:3:9: a list of 4097 items: want at most 4096"}},
		{name: "one path too many", give: header + "files: {sensitive: " + list(maxItems+1, "/a") + "}\n", wantErrs: []string{"policy.yaml:3:20: a list of 4097 items: want at most 4096"}},
		{name: "one arg too many", give: header + "seccomp: {defaultAction: allow, rules: [{names: [read], action: allow, args: " + list(maxItems+1, "{index: 0, op: eq, value: 1}") + "}]}\n",
			wantErrs: []string{"policy.yaml:3:78: a list of 4097 items: want at most 4096"}},
		{name: "exec rules at the limit", give: header + "exec:\n  deny:\n" + strings.Repeat("  - {program: [nc]}\n", maxRules)},
		{name: "one exec rule too many", give: header + "exec:\n  allow:\n" + strings.Repeat("  - {program: [nc]}\n", maxRules+1), wantErrs: []string{"policy.yaml:5:3: a list of 4097 items: want at most 4096"}},
		{name: "one exec uid too many", give: header + "exec: {deny: [{uid: " + list(maxItems+1, "0") + "}]}\n", wantErrs: []string{"policy.yaml:3:21: a list of 4097 items: want at most 4096"}},
		{name: "exec glob one byte too long", give: header + "exec: {deny: [{path: [/" + strings.Repeat("a", maxString) + "]}]}\n", wantErrs: []string{"policy.yaml:3:23: a string of 4097 bytes: want at most 4096"}},
		{name: "string at the limit", give: header + "files: {sensitive: [/" + strings.Repeat("a", maxString-1) + "]}\n"},
		{name: "one byte too long", give: header + "files: {sensitive: [/" + strings.Repeat("a", maxString) + "]}\n", wantErrs: []string{"policy.yaml:3:21: a string of 4097 bytes: want at most 4096"}},
		{name: "problems capped", give: unknownKeys(maxProblems+50, 1<<20), wantErrs: append(unknownKeyErrs(maxProblems), "policy.yaml: 50 more problems not shown")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("policy.yaml", []byte(tt.give))
			if got := errLines(err); !equal(got, tt.wantErrs) {
				t.Errorf("Parse errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantErrs, "\n"))
			}
		})
	}
}

// unknownKeys is n keys "k0: 1", "k1: 1"…, or as many as fit in size
// bytes with the header.
func unknownKeys(n, size int) string {
	var b strings.Builder
	b.WriteString(header)
	for i := 0; i < n; i++ {
		line := fmt.Sprintf("k%d: 1\n", i)
		if b.Len()+len(line) > size {
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

func unknownKeyErrs(n int) []string {
	errs := make([]string, n)
	for i := range errs {
		errs[i] = fmt.Sprintf("policy.yaml:%d:1: unknown key \"k%d\": want apiVersion, kind, seccomp, exec, files, network, rules, user, groups or capabilities", i+3, i)
	}
	return errs
}

// TestParseMemory: what Parse allocates stays proportional to the policy,
// whatever it holds: at the size limit, a list of one-letter items (the
// most YAML nodes a byte can make) or the most problems; a "billion
// laughs" of nested aliases is refused without being expanded.
func TestParseMemory(t *testing.T) {
	laughs := header + "capabilities: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i := 1; i <= 9; i++ {
		laughs += fmt.Sprintf("groups%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 9), ","))
	}
	fill := func(prefix, item, suffix string) string {
		n := (MaxPolicyBytes - len(prefix) - len(suffix)) / len(item)
		return prefix + strings.Repeat(item, n) + suffix
	}
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{name: "billion laughs", give: laughs, wantErr: "anchors and aliases are not supported"},
		{name: "one-letter items", give: fill(header+"capabilities: [a", ",a", "]\n"), wantErr: "want at most 4096"},
		{name: "one-letter invalid items", give: fill(header+"capabilities:\n", "- a\n", ""), wantErr: "want at most 4096"},
		{name: "unknown keys", give: unknownKeys(MaxPolicyBytes, MaxPolicyBytes), wantErr: "more problems not shown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.give) > MaxPolicyBytes {
				t.Fatalf("the test's policy is %d bytes, over the limit", len(tt.give))
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Parse("policy.yaml", []byte(tt.give))
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse: %v; want an error saying %q", err, tt.wantErr)
			}
			// go-yaml's nodes take about 200 bytes for a 2-byte item.
			got, limit := after.TotalAlloc-before.TotalAlloc, uint64(200*len(tt.give)+1<<20)
			t.Logf("%d bytes of policy: %d bytes allocated", len(tt.give), got)
			if got > limit {
				t.Errorf("Parse of %d bytes allocated %d bytes, want at most %d", len(tt.give), got, limit)
			}
			if lines := strings.Count(err.Error(), "\n") + 1; lines > maxProblems+1 {
				t.Errorf("%d problems reported, want at most %d", lines, maxProblems+1)
			}
		})
	}
}
