// Package docs_test checks what the documentation shows a user: every
// policy in README.md, docs/ and the examples' READMEs is one vigil accepts.
package docs_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	file   string
	line   int // of its first line of code
	lang   string
	code   string
	marker string // the last non-blank line before its fence, trimmed
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
		last   string
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			indent = line[:len(line)-len(trimmed)]
			cur = &block{file: file, line: n + 1, lang: strings.TrimPrefix(trimmed, "```"), marker: last}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
			last = trimmed // a block right after this one has no marker of its own
		case cur != nil:
			cur.code += strings.TrimPrefix(line, indent) + "\n"
		case trimmed != "":
			last = strings.TrimSpace(line)
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

// A shell block's marker, the line before its fence, says how a test runs
// what a user would paste from it:
//
//	<!-- doc-test: run -->                the e2e test TestDocCommands runs it, from the repository's root
//	<!-- doc-test: by TestA TestB -->     those tests run the same commands (they must exist)
//	<!-- doc-test: not run: REASON -->    nothing here can (a cluster, a host of the user's)
//
// Every block's syntax is checked (bash -n), and every vigil and vigil-hub
// command in it uses only flags the binaries have, marked or not.
var markerRE = regexp.MustCompile(`^<!-- doc-test: (run|by [A-Za-z0-9_ ]+|not run: .+) -->$`)

// shellBlocks returns the sh blocks of the docs.
func shellBlocks(t *testing.T) []block {
	t.Helper()
	var out []block
	for _, file := range markdownFiles(t) {
		for _, b := range blocks(t, file) {
			if b.lang == "sh" {
				out = append(out, b)
			}
		}
	}
	if len(out) < 30 {
		t.Fatalf("found %d sh blocks in the docs, want at least 30: is the extraction broken?", len(out))
	}
	return out
}

// testFuncs returns the names of the repository's test functions.
func testFuncs(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`(?m)^func (Test\w+)\(`)
	names := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := os.ReadFile(path)
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			names[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestCommandsInDocs: every sh block says how it is tested, is valid shell,
// and calls vigil and vigil-hub with flags they have.
func TestCommandsInDocs(t *testing.T) {
	bin := t.TempDir()
	for _, cmd := range []string{"vigil", "vigil-hub"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, cmd), "../cmd/"+cmd).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", cmd, err, out)
		}
	}
	help := map[string]string{}
	helpOf := func(argv ...string) string {
		key := strings.Join(argv, " ")
		if h, ok := help[key]; ok {
			return h
		}
		out, err := exec.Command(filepath.Join(bin, argv[0]), append(argv[1:], "--help")...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s --help: %v\n%s", key, err, out)
		}
		help[key] = string(out)
		return help[key]
	}
	tests := testFuncs(t)
	counts := map[string]int{}
	for _, b := range shellBlocks(t) {
		pos := fmt.Sprintf("%s:%d", b.file, b.line)
		m := markerRE.FindStringSubmatch(b.marker)
		switch {
		case m == nil:
			t.Errorf("%s: a sh block without a <!-- doc-test: run|by TestX|not run: why --> line before it (got %q)", pos, b.marker)
		case strings.HasPrefix(m[1], "by "):
			for _, name := range strings.Fields(strings.TrimPrefix(m[1], "by ")) {
				if !tests[name] {
					t.Errorf("%s: marked as run by %s, which is no test of the repository", pos, name)
				}
			}
		}
		if m != nil {
			counts[strings.Fields(m[1])[0]]++
		}
		if out, err := exec.Command("bash", "-n", "-c", b.code).CombinedOutput(); err != nil {
			t.Errorf("%s: not valid shell: %v\n%s", pos, err, out)
		}
		for _, c := range commands(b.code) {
			argv := []string{c.name}
			if c.name == "vigil" && len(c.args) > 0 && !strings.HasPrefix(c.args[0], "-") {
				argv = append(argv, c.args[0])
			}
			h := helpOf(argv...)
			for _, f := range c.flags {
				if !strings.Contains(h, "--"+f+" ") && !strings.Contains(h, "--"+f+"[=") {
					t.Errorf("%s: %s has no flag --%s", pos, strings.Join(argv, " "), f)
				}
			}
		}
	}
	t.Logf("sh blocks: %d run by TestDocCommands, %d by other tests, %d not run", counts["run"], counts["by"], counts["not"])
}

// command is one call of vigil or vigil-hub in a shell block.
type command struct {
	name  string   // vigil or vigil-hub
	args  []string // what follows it, up to the end of the command
	flags []string // the names of its own flags (before --)
}

// commands finds the calls of vigil and vigil-hub in shell code: by words,
// with quotes, continuation lines and comments as the shell reads them,
// enough for the docs' one-line commands.
func commands(code string) []command {
	var out []command
	code = strings.ReplaceAll(code, "\\\n", " ")
	for _, line := range strings.Split(code, "\n") {
		var seg []string
		flush := func() {
			for len(seg) > 0 && (seg[0] == "$" || strings.Contains(seg[0], "=") && !strings.HasPrefix(seg[0], "-")) {
				seg = seg[1:] // a prompt, or VAR=value
			}
			if len(seg) > 0 && (filepath.Base(seg[0]) == "vigil" || filepath.Base(seg[0]) == "vigil-hub") {
				c := command{name: filepath.Base(seg[0]), args: seg[1:]}
				for _, a := range c.args {
					if a == "--" {
						break
					}
					if strings.HasPrefix(a, "--") {
						c.flags = append(c.flags, strings.SplitN(strings.TrimPrefix(a, "--"), "=", 2)[0])
					}
				}
				out = append(out, c)
			}
			seg = nil
		}
		for _, w := range shellWords(line) {
			if w == "|" || w == "||" || w == "&&" || w == ";" {
				flush()
				continue
			}
			if strings.HasSuffix(w, ";") {
				seg = append(seg, strings.TrimSuffix(w, ";"))
				flush()
				continue
			}
			seg = append(seg, w)
		}
		flush()
	}
	return out
}

// shellWords splits a line into words: quotes kept together (and dropped),
// a word starting with # ends the line.
func shellWords(line string) []string {
	var (
		words []string
		cur   strings.Builder
		quote rune
		in    bool
	)
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case r == '#' && !in:
			return words
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// TestCommandsFinder: the flag check sees vigil's and vigil-hub's flags
// where the docs put them, and only theirs.
func TestCommandsFinder(t *testing.T) {
	for _, tt := range []struct {
		give string
		want string // name [args...] | flags, one command a line
	}{
		{give: "vigil tail --all --json | jq .", want: "vigil tail --all --json | all json"},
		{give: "VIGIL_X=1 ../../bin/vigil run --nats=nats://h:4222 -- /app --port 8080", want: "vigil run --nats=nats://h:4222 -- /app --port 8080 | nats"},
		{give: "$ vigil check --stream   # prints --replicas", want: "vigil check --stream | stream"},
		{give: "vigil-hub --listen 0.0.0.0:4222 \\\n    --store /var/lib/vigil-hub", want: "vigil-hub --listen 0.0.0.0:4222 --store /var/lib/vigil-hub | listen store"},
		{give: "docker run --rm IMAGE; vigil verify --quiet", want: "vigil verify --quiet | quiet"},
		{give: "echo 'vigil tail --nope' && nats stream add --replicas 3", want: ""},
	} {
		var got []string
		for _, c := range commands(tt.give) {
			got = append(got, strings.Join(append([]string{c.name}, c.args...), " ")+" | "+strings.Join(c.flags, " "))
		}
		if strings.Join(got, "\n") != tt.want {
			t.Errorf("commands(%q) = %q, want %q", tt.give, strings.Join(got, "\n"), tt.want)
		}
	}
}
