// Package docs_test checks what the documentation shows a user: every
// policy in README.md, docs/ and the examples' READMEs is one vigil accepts.
package docs_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/rules"
	"go.yaml.in/yaml/v3"
)

// policyKeys are the top-level keys of a policy: a YAML block made of
// them only is a policy's fragment, checked as a whole policy.
var policyKeys = map[string]bool{
	"apiVersion": true, "kind": true, "seccomp": true, "exec": true, "files": true,
	"network": true, "rules": true, "user": true, "groups": true, "capabilities": true,
}

// asPolicy returns the block as a whole policy, if it is one or a fragment
// of one.
func asPolicy(code string) (string, bool) {
	var top map[string]any
	if yaml.Unmarshal([]byte(code), &top) != nil || len(top) == 0 {
		return "", false
	}
	for k := range top {
		if !policyKeys[k] {
			return "", false
		}
	}
	if top["kind"] == "Policy" {
		return code, true
	}
	if top["apiVersion"] != nil || top["kind"] != nil {
		return "", false
	}
	return "apiVersion: vigil.dev/v1\nkind: Policy\n" + code, true
}

// block is one fenced code block of a Markdown file.
type block struct {
	file string
	line int // of its first line of code
	lang string
	code string
}

// blocks returns the fenced blocks of a Markdown file, indented ones (in
// lists) included.
func blocks(t *testing.T, file string) []block {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var (
		out    []block
		cur    *block
		indent string
		n      int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			indent = line[:len(line)-len(trimmed)]
			cur = &block{file: file, line: n + 1, lang: strings.TrimPrefix(trimmed, "```")}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += strings.TrimPrefix(line, indent) + "\n"
		}
	}
	if cur != nil {
		t.Errorf("%s:%d: a code block that never ends", file, cur.line-1)
	}
	return out
}

func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"../README.md", "../examples/README.md"}
	for _, glob := range []string{"*.md", "../examples/*/README.md"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

// TestPoliciesInDocs: every YAML block that is a vigil policy (kind:
// Policy), or a fragment of one (its sections only), parses and validates
// as vigil run would read it, so a user can paste it.
func TestPoliciesInDocs(t *testing.T) {
	checked := 0
	for _, file := range markdownFiles(t) {
		for _, b := range blocks(t, file) {
			policy, ok := asPolicy(b.code)
			if b.lang != "yaml" || !ok {
				continue
			}
			checked++
			name := fmt.Sprintf("%s:%d", b.file, b.line)
			if _, err := rules.Parse(name, []byte(policy)); err != nil {
				t.Errorf("the policy at %s does not load: %v", name, err)
			}
		}
	}
	if checked < 5 {
		t.Errorf("checked %d policies in the docs, want at least 5: is the extraction broken?", checked)
	}
	t.Logf("%d policies checked", checked)
}
