package rules

import (
	"cmp"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Validate reports every problem of p at once (see Problem). Parse has
// already called it; it is for policies built or changed in Go.
func (p *Policy) Validate() error {
	return errors.Join(sorted(p.problems())...)
}

// checker collects the problems of one policy.
type checker struct {
	file     string
	problems []*Problem
}

func (c *checker) add(at Position, format string, args ...any) {
	c.problems = append(c.problems, &Problem{File: c.file, Position: at, Msg: fmt.Sprintf(format, args...)})
}

// missing reports a required key that is absent; it tells whether it was.
func (c *checker) missing(pos positions, key string, zero bool) bool {
	if !zero || pos.has(key) {
		return false
	}
	c.add(pos.of(""), "missing %s", key)
	return true
}

func (p *Policy) problems() []*Problem {
	c := &checker{file: cmp.Or(p.file, "policy")}
	if !c.missing(p.pos, "apiVersion", p.APIVersion == "") && !p.pos.failed["apiVersion"] && p.APIVersion != APIVersion {
		c.add(p.pos.of("apiVersion"), "unknown apiVersion %q: want %s", p.APIVersion, APIVersion)
	}
	if !c.missing(p.pos, "kind", p.Kind == "") && !p.pos.failed["kind"] && p.Kind != Kind {
		c.add(p.pos.of("kind"), "unknown kind %q: want %s", p.Kind, Kind)
	}
	if _, _, ok := p.UserIDs(); !ok && (p.User != "" || p.pos.has("user")) && !p.pos.failed["user"] {
		c.add(p.pos.of("user"), "invalid user %q: want uid:gid, two numbers below 4294967295", p.User)
	}
	for i, name := range p.Capabilities {
		if _, ok := capabilityName(name); !ok {
			c.add(p.pos.of(fmt.Sprintf("capabilities.%d", i)), "unknown capability %q: want a Linux capability such as NET_BIND_SERVICE or CAP_NET_BIND_SERVICE", name)
		}
	}
	if p.Seccomp != nil {
		p.Seccomp.check(c)
	}
	if p.Exec != nil {
		p.Exec.check(c)
	}
	if p.Files != nil {
		p.Files.check(c)
	}
	if p.Network != nil {
		p.Network.check(c)
	}
	if p.Rules != nil {
		p.Rules.check(c)
	}
	return c.problems
}

func (s *RulesSection) check(c *checker) {
	if (s.Pack != "" || s.pos.has("pack")) && !s.pos.failed["pack"] && s.Pack != PackDefault && s.Pack != PackOff {
		c.add(s.pos.of("pack"), "unknown pack %q: want %s or %s", s.Pack, PackDefault, PackOff)
	}
	for i, n := range s.Enable {
		if !slices.Contains(OptInRules, n) {
			c.add(s.pos.of(fmt.Sprintf("enable.%d", i)), "%q is not a rule to enable (the pack's other rules are on by default): want %s", n, oneOf(OptInRules))
		}
	}
	if len(s.Disable) == 0 {
		return
	}
	pack, err := DefaultPack()
	if err != nil {
		c.add(s.pos.of(""), "bug: the default rule pack: %v", err)
		return
	}
	names := pack.Names()
	for i, n := range s.Disable {
		if !slices.Contains(names, n) {
			c.add(s.pos.of(fmt.Sprintf("disable.%d", i)), "unknown rule %q: want a rule of the default pack (docs/rules.md): %s", n, oneOf(names))
		}
	}
}

func (f *FilesSection) check(c *checker) {
	if (f.Protect != "" || f.pos.has("protect")) && !f.pos.failed["protect"] && f.Protect != ProtectDetect && f.Protect != ProtectEnforce {
		c.add(f.pos.of("protect"), "unknown protect %q: want %s or %s", f.Protect, ProtectDetect, ProtectEnforce)
	}
	for i, p := range f.Paths {
		if !strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "/" {
			c.add(f.pos.of(fmt.Sprintf("paths.%d", i)), "path %q: want an absolute, clean path other than /", p)
		}
	}
	for i, p := range f.Trees {
		if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
			c.add(f.pos.of(fmt.Sprintf("trees.%d", i)), "tree %q: want an absolute, clean path", p)
		}
	}
	for i, p := range f.Sensitive {
		if !strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "/" {
			c.add(f.pos.of(fmt.Sprintf("sensitive.%d", i)), "path %q: want an absolute, clean path other than /", p)
		}
	}
	if f.Protect == ProtectEnforce && len(f.Paths) == 0 && !f.pos.failed["paths"] {
		c.add(f.pos.of(""), "protect: enforce needs paths: the trees to make read-only for the app")
	}
}

func (s *SeccompSection) check(c *checker) {
	switch {
	case s.pos.failed["profile"] || s.pos.failed["defaultAction"]:
	case s.Profile == "" && s.pos.has("profile"):
		c.add(s.pos.of("profile"), "empty profile: want %s or a path to a Docker/OCI JSON profile", DockerDefault)
	case s.Profile == "" && s.DefaultAction == "":
		c.add(s.pos.of(""), "seccomp needs a profile, a defaultAction or both")
	}
	if (s.DefaultAction != "" || s.pos.has("defaultAction")) && !s.pos.failed["defaultAction"] && !slices.Contains(defaultActions, s.DefaultAction) {
		c.add(s.pos.of("defaultAction"), "unknown defaultAction %q: want %s", s.DefaultAction, oneOf(defaultActions))
	}
	c.errno(s.pos, "defaultErrno", s.DefaultErrno, s.DefaultAction, "defaultAction")
	seen := map[string]bool{}
	for i := range s.Rules {
		r := &s.Rules[i]
		r.check(c)
		if r.Name != "" && seen[r.Name] {
			c.add(r.pos.of("name"), "rule name %q is used twice: events could not tell the rules apart", r.Name)
		}
		seen[r.Name] = true
	}
}

// ruleName is what a rule's name may be: what events and logs can carry
// without quoting.
var ruleName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`) })

// ruleName checks a rule's name, when it has one.
func (c *checker) ruleName(pos positions, name string) {
	if (name != "" || pos.has("name")) && !pos.failed["name"] && !ruleName().MatchString(name) {
		c.add(pos.of("name"), "invalid rule name %q: want 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit", name)
	}
}

// errno checks an errno and that it goes with the errno action.
func (c *checker) errno(pos positions, key, errno string, action Action, actionKey string) {
	if errno == "" || pos.failed[key] {
		return
	}
	if _, ok := errnoValue(errno); !ok {
		c.add(pos.of(key), "unknown errno %q: want 1..%d or a name such as EACCES", errno, maxErrno)
	}
	if action != ActionErrno && !pos.failed[actionKey] {
		c.add(pos.of(key), "%s needs %s errno, not %q", key, actionKey, action)
	}
}

func (r *Rule) check(c *checker) {
	c.ruleName(r.pos, r.Name)
	if len(r.Names) == 0 && !r.pos.failed["names"] && !c.missing(r.pos, "names", true) {
		c.add(r.pos.of("names"), "empty names: want at least one syscall name")
	}
	for i, name := range r.Names {
		if strings.TrimSpace(name) == "" {
			c.add(r.pos.of(fmt.Sprintf("names.%d", i)), "empty syscall name")
		}
	}
	if !c.missing(r.pos, "action", r.Action == "") && !r.pos.failed["action"] && !slices.Contains(ruleActions, r.Action) {
		c.add(r.pos.of("action"), "unknown action %q: want %s", r.Action, oneOf(ruleActions))
	}
	c.errno(r.pos, "errno", r.Errno, r.Action, "action")
	for i := range r.Args {
		r.Args[i].check(c)
	}
}

func (a *ArgCondition) check(c *checker) {
	if !c.missing(a.pos, "index", a.pos.parsed()) && (a.Index < 0 || a.Index > 5) {
		c.add(a.pos.of("index"), "index %d is out of range: want 0..5", a.Index)
	}
	if !c.missing(a.pos, "op", a.Op == "") && !a.pos.failed["op"] && !slices.Contains(ops, a.Op) {
		c.add(a.pos.of("op"), "unknown op %q: want %s", a.Op, oneOf(ops))
	}
	c.missing(a.pos, "value", a.pos.parsed())
	switch {
	case a.pos.failed["op"] || a.pos.failed["valueTwo"]:
	case a.Op == OpMaskedEq && a.ValueTwo == nil:
		c.add(a.pos.of("op"), "masked-eq needs valueTwo, the value (argument & value) must equal")
	case a.Op != OpMaskedEq && a.ValueTwo != nil:
		c.add(a.pos.of("valueTwo"), "valueTwo is only for masked-eq")
	}
}

// oneOf lists names as "a, b or c".
func oneOf[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
