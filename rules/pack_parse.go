package rules

import (
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// ParsePack decodes and validates a rule pack (apiVersion vigil.dev/v1,
// kind RulePack), as strictly as Parse a policy: the error joins every
// Problem, name:line:column, in file order.
func ParsePack(name string, data []byte) (*Pack, error) {
	if len(data) > MaxPolicyBytes {
		return nil, errors.Join(&Problem{File: name, Msg: fmt.Sprintf("%d bytes: a rule pack is at most %d", len(data), MaxPolicyBytes)})
	}
	root, err := document(data)
	if err != nil {
		return nil, errors.Join(yamlProblem(name, err))
	}
	d := &decoder{file: name}
	var p Pack
	var pos positions
	var apiVersion, kind string
	d.mapping(root, "apiVersion, kind or rules", &pos, map[string]field{
		"apiVersion": d.str(&apiVersion),
		"kind":       d.str(&kind),
		"rules":      d.packRules(&p.Rules),
	})
	c := &checker{file: name}
	if !c.missing(pos, "apiVersion", apiVersion == "") && !pos.failed["apiVersion"] && apiVersion != APIVersion {
		c.add(pos.of("apiVersion"), "unknown apiVersion %q: want %s", apiVersion, APIVersion)
	}
	if !c.missing(pos, "kind", kind == "") && !pos.failed["kind"] && kind != PackKind {
		c.add(pos.of("kind"), "unknown kind %q: want %s", kind, PackKind)
	}
	p.check(c)
	problems := sorted(d.problems, c.problems)
	if len(problems) > maxProblems || d.dropped > 0 {
		more := len(problems) - maxProblems + d.dropped
		problems = append(problems[:min(len(problems), maxProblems)], &Problem{File: name, Msg: fmt.Sprintf("%d more problems not shown", more)})
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return &p, nil
}

func (d *decoder) packRules(dst *[]PackRule) field {
	return func(n *yaml.Node) bool {
		return d.list(n, maxRules, func(_ int, e *yaml.Node) bool {
			var r PackRule
			d.mapping(e, "name, description, severity, action, exec or syscall", &r.pos, map[string]field{
				"name":        d.str(&r.Name),
				"description": d.str(&r.Description),
				"severity":    d.str((*string)(&r.Severity)),
				"action":      d.str((*string)(&r.Action)),
				"exec":        d.oneOrMore(func(e *yaml.Node) bool { return d.packExec(e, &r.Exec) }),
				"syscall":     d.oneOrMore(func(e *yaml.Node) bool { return d.packSyscall(e, &r.Syscall) }),
			})
			*dst = append(*dst, r)
			return e.Kind == yaml.MappingNode
		})
	}
}

// oneOrMore decodes one mapping, or a list of them (alternatives).
func (d *decoder) oneOrMore(item func(*yaml.Node) bool) field {
	return func(n *yaml.Node) bool {
		if n.Kind == yaml.SequenceNode {
			if len(n.Content) == 0 {
				d.fail(n, "an empty list: want a mapping or a list of mappings")
				return false
			}
			return d.list(n, maxItems, func(_ int, e *yaml.Node) bool { return item(e) })
		}
		return item(n)
	}
}

func (d *decoder) packExec(n *yaml.Node, dst *[]PackExec) bool {
	var x PackExec
	p := &x.pos
	d.mapping(n, "path, program, args, parent, uid, notProgram, notParent, notPath, notArgs or tty", p, map[string]field{
		"path":       d.strs(&x.Path, p, "path"),
		"program":    d.strs(&x.Program, p, "program"),
		"args":       d.strs(&x.Args, p, "args"),
		"parent":     d.strs(&x.Parent, p, "parent"),
		"uid":        d.uids(&x.UID, p, "uid"),
		"notProgram": d.strs(&x.NotProgram, p, "notProgram"),
		"notParent":  d.strs(&x.NotParent, p, "notParent"),
		"notPath":    d.strs(&x.NotPath, p, "notPath"),
		"notArgs":    d.strs(&x.NotArgs, p, "notArgs"),
		"tty":        d.boolean(&x.TTY),
	})
	*dst = append(*dst, x)
	return n.Kind == yaml.MappingNode
}

func (d *decoder) packSyscall(n *yaml.Node, dst *[]Rule) bool {
	var r Rule
	d.mapping(n, "names, args or errno", &r.pos, map[string]field{
		"names": d.strs(&r.Names, &r.pos, "names"),
		"args":  d.args(&r.Args),
		"errno": d.errno(&r.Errno),
	})
	*dst = append(*dst, r)
	return n.Kind == yaml.MappingNode
}

// boolean decodes true or false.
func (d *decoder) boolean(dst *bool) field {
	return func(n *yaml.Node) bool {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.fail(n, "want true or false, not %s", describe(n))
			return false
		}
		*dst = n.Value == "true"
		return true
	}
}

func (p *Pack) check(c *checker) {
	seen := map[string]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		r.check(c)
		if r.Name != "" && seen[r.Name] {
			c.add(r.pos.of("name"), "rule name %q is used twice: events could not tell the rules apart", r.Name)
		}
		seen[r.Name] = true
	}
}

func (r *PackRule) check(c *checker) {
	if !c.missing(r.pos, "name", r.Name == "") {
		c.ruleName(r.pos, r.Name)
	}
	c.missing(r.pos, "description", r.Description == "")
	if !c.missing(r.pos, "severity", r.Severity == "") && !r.pos.failed["severity"] && !slices.Contains(severities, r.Severity) {
		c.add(r.pos.of("severity"), "unknown severity %q: want %s", r.Severity, oneOf(severities))
	}
	if (r.Action != "" || r.pos.has("action")) && !r.pos.failed["action"] && r.Action != VerdictAlert && r.Action != VerdictDeny {
		c.add(r.pos.of("action"), "unknown action %q: want %s or %s", r.Action, VerdictAlert, VerdictDeny)
	}
	switch hasExec, hasSys := r.pos.has("exec"), r.pos.has("syscall"); {
	case hasExec && hasSys:
		c.add(r.pos.of("syscall"), "a rule has exec or syscall, not both")
	case !hasExec && !hasSys:
		c.add(r.pos.of(""), "a rule without a match: want exec or syscall")
	}
	for i := range r.Exec {
		r.Exec[i].check(c)
	}
	for i := range r.Syscall {
		sc := &r.Syscall[i]
		sc.Action = ActionLog
		if r.effectiveAction() == VerdictDeny {
			sc.Action = ActionErrno
		} else if sc.Errno != "" {
			c.add(sc.pos.of("errno"), "errno needs action: deny")
			continue
		}
		sc.check(c)
	}
}

func (x *PackExec) check(c *checker) {
	positive := ExecRule{Path: x.Path, Program: x.Program, Args: x.Args, Parent: x.Parent, UID: x.UID, pos: x.pos}
	positive.check(c)
	c.pathGlobs(x.pos, "notPath", x.NotPath)
	c.nameGlobs(x.pos, "notProgram", x.NotProgram)
	c.globs(x.pos, "notParent", x.NotParent, false)
	c.globs(x.pos, "notArgs", x.NotArgs, true)
	for _, key := range []string{"notProgram", "notParent", "notPath", "notArgs"} {
		if x.pos.has(key) && !x.pos.failed[key] && len(x.listOf(key)) == 0 {
			c.add(x.pos.of(key), "empty %s: want at least one item, or no %s key", key, key)
		}
	}
}

func (x *PackExec) listOf(key string) []string {
	switch key {
	case "notProgram":
		return x.NotProgram
	case "notParent":
		return x.NotParent
	case "notPath":
		return x.NotPath
	}
	return x.NotArgs
}
