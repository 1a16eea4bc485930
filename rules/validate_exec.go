package rules

import (
	"fmt"
	"slices"
	"strings"
)

// drifts and verdicts are the values of exec.drift and exec.default, in
// the order error messages list them.
var (
	drifts   = []Drift{DriftOff, DriftAlert, DriftDeny}
	verdicts = []Verdict{VerdictAllow, VerdictAlert, VerdictDeny}
)

func (s *ExecSection) check(c *checker) {
	if (s.Drift != "" || s.pos.has("drift")) && !s.pos.failed["drift"] && !slices.Contains(drifts, s.Drift) {
		c.add(s.pos.of("drift"), "unknown drift %q: want %s", s.Drift, oneOf(drifts))
	}
	if (s.Default != "" || s.pos.has("default")) && !s.pos.failed["default"] && !slices.Contains(verdicts, s.Default) {
		c.add(s.pos.of("default"), "unknown default %q: want %s", s.Default, oneOf(verdicts))
	}
	// A name may not be another rule's, nor the name an unnamed rule gets.
	seen := map[string]bool{}
	lists := []struct {
		name  string
		rules []ExecRule
	}{{"deny", s.Deny}, {"allow", s.Allow}}
	for _, l := range lists {
		for i := range l.rules {
			if l.rules[i].Name == "" {
				seen[l.rules[i].ruleName(l.name, i)] = true
			}
		}
	}
	for _, l := range lists {
		for i := range l.rules {
			r := &l.rules[i]
			r.check(c)
			if r.Name != "" && seen[r.Name] {
				c.add(r.pos.of("name"), "rule name %q is used twice: events could not tell the rules apart", r.Name)
			}
			seen[r.Name] = true
		}
	}
}

func (r *ExecRule) check(c *checker) {
	c.ruleName(r.pos, r.Name)
	conditions := []struct {
		key      string
		patterns []string
	}{{"path", r.Path}, {"program", r.Program}, {"args", r.Args}, {"parent", r.Parent}, {"uid", r.UID}}
	some := false
	for _, cond := range conditions {
		some = some || len(cond.patterns) > 0 || r.pos.has(cond.key)
		if len(cond.patterns) == 0 && r.pos.has(cond.key) && !r.pos.failed[cond.key] {
			c.add(r.pos.of(cond.key), "empty %s: want at least one item, or no %s key", cond.key, cond.key)
		}
	}
	if !some && !r.pos.failed[""] {
		c.add(r.pos.of(""), "a rule without a condition: want path, program, args, parent or uid")
	}
	c.pathGlobs(r.pos, "path", r.Path)
	c.nameGlobs(r.pos, "program", r.Program)
	c.globs(r.pos, "parent", r.Parent, false)
	c.globs(r.pos, "args", r.Args, true)
	for i, u := range r.UID {
		if _, ok := parseUIDRange(u); !ok {
			c.add(r.pos.of(fmt.Sprintf("uid.%d", i)), "invalid uid %q: want a number or a first-last range (first <= last), below 4294967295", u)
		}
	}
}

// glob checks that pattern compiles; it tells whether it did.
func (c *checker) glob(pos positions, key string, i int, pattern string, flat bool) bool {
	if _, err := compileGlob(pattern, flat); err != nil {
		c.add(pos.of(fmt.Sprintf("%s.%d", key, i)), "invalid glob %q: %v", pattern, err)
		return false
	}
	return true
}

// pathGlobs checks the globs of key, which match paths: absolute, or
// starting with **.
func (c *checker) pathGlobs(pos positions, key string, patterns []string) {
	for i, p := range patterns {
		if c.glob(pos, key, i, p, false) && !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "**") {
			c.add(pos.of(fmt.Sprintf("%s.%d", key, i)), "%s %q: want an absolute path glob, or one that starts with **", key, p)
		}
	}
}

// nameGlobs checks the globs of key, which match base names: no /.
func (c *checker) nameGlobs(pos positions, key string, patterns []string) {
	for i, p := range patterns {
		if c.glob(pos, key, i, p, false) && strings.Contains(p, "/") {
			c.add(pos.of(fmt.Sprintf("%s.%d", key, i)), "%s %q: want a name without /, matched against base names (path matches paths)", key, p)
		}
	}
}

// globs checks the globs of key (flat: arguments, where / is a character).
func (c *checker) globs(pos positions, key string, patterns []string, flat bool) {
	for i, p := range patterns {
		c.glob(pos, key, i, p, flat)
	}
}
