package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/boundedfile"
	"github.com/vigilsec/vigil/internal/yamldoc"
)

// Load reads and validates the policy file at path, a regular file of at
// most MaxPolicyBytes. See Parse.
func Load(path string) (*Policy, error) {
	data, err := boundedfile.Read(path, MaxPolicyBytes)
	if err != nil {
		return nil, fmt.Errorf("loading policy: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a policy. name labels problems and anchors
// relative profile paths (its directory); Load passes the file's path. The
// error joins every Problem, in file order.
func Parse(name string, data []byte) (*Policy, error) {
	if len(data) > MaxPolicyBytes {
		return nil, errors.Join(&Problem{File: name, Msg: fmt.Sprintf("%d bytes: a policy is at most %d (%s)", len(data), MaxPolicyBytes, boundedfile.Size(MaxPolicyBytes))})
	}
	d := &decoder{file: name}
	root, err := document(data)
	if err != nil {
		return nil, errors.Join(yamlProblem(name, err))
	}
	p := &Policy{file: name}
	d.policy(root, p)
	problems := sorted(d.problems, p.problems())
	if len(problems) > maxProblems || d.dropped > 0 {
		more := len(problems) - maxProblems + d.dropped
		problems = append(problems[:min(len(problems), maxProblems)], &Problem{File: name, Msg: fmt.Sprintf("%d more problems not shown", more)})
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return p, nil
}

// document parses the one YAML document of data.
func document(data []byte) (*yaml.Node, error) {
	root, err := yamldoc.Parse(data)
	if errors.Is(err, yamldoc.ErrEmpty) {
		return nil, errors.New("empty policy")
	}
	return root, err
}

func yamlProblem(name string, err error) *Problem {
	line, msg := yamldoc.Where(err)
	pr := &Problem{File: name, Msg: msg}
	pr.Line = line
	return pr
}

// sorted merges the decoder's and the validator's problems in file order.
func sorted(lists ...[]*Problem) []error {
	all := slices.Concat(lists...)
	slices.SortStableFunc(all, func(a, b *Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	errs := make([]error, len(all))
	for i, p := range all {
		errs[i] = p
	}
	return errs
}

func (d *decoder) policy(n *yaml.Node, p *Policy) {
	d.mapping(n, "apiVersion, kind, seccomp, exec, files, network, rules, user, groups or capabilities", &p.pos, map[string]field{
		"apiVersion":   d.str(&p.APIVersion),
		"kind":         d.str(&p.Kind),
		"seccomp":      d.seccomp(&p.Seccomp),
		"exec":         d.exec(&p.Exec),
		"files":        d.files(&p.Files),
		"network":      d.network(&p.Network),
		"rules":        d.rulesSection(&p.Rules),
		"user":         d.str(&p.User),
		"groups":       d.groups(&p.Groups),
		"capabilities": d.strs(&p.Capabilities, &p.pos, "capabilities"),
	})
}

func (d *decoder) groups(dst *[]uint32) field {
	return func(n *yaml.Node) bool {
		return d.list(n, maxItems, func(_ int, e *yaml.Node) bool {
			g, ok := d.uint(e, 1<<32-2)
			*dst = append(*dst, uint32(g))
			return ok
		})
	}
}

func (d *decoder) files(dst **FilesSection) field {
	return func(n *yaml.Node) bool {
		f := &FilesSection{}
		d.mapping(n, "trees, protect, paths or sensitive", &f.pos, map[string]field{
			"trees":     d.strs(&f.Trees, &f.pos, "trees"),
			"protect":   d.str((*string)(&f.Protect)),
			"paths":     d.strs(&f.Paths, &f.pos, "paths"),
			"sensitive": d.strs(&f.Sensitive, &f.pos, "sensitive"),
		})
		*dst = f
		return n.Kind == yaml.MappingNode
	}
}

func (d *decoder) rulesSection(dst **RulesSection) field {
	return func(n *yaml.Node) bool {
		s := &RulesSection{}
		d.mapping(n, "pack, disable or enable", &s.pos, map[string]field{
			"pack":    d.str(&s.Pack),
			"disable": d.strs(&s.Disable, &s.pos, "disable"),
			"enable":  d.strs(&s.Enable, &s.pos, "enable"),
		})
		*dst = s
		return n.Kind == yaml.MappingNode
	}
}

func (d *decoder) exec(dst **ExecSection) field {
	return func(n *yaml.Node) bool {
		s := &ExecSection{}
		d.mapping(n, "drift, default, deny or allow", &s.pos, map[string]field{
			"drift":   d.str((*string)(&s.Drift)),
			"default": d.str((*string)(&s.Default)),
			"deny":    d.execRules(&s.Deny),
			"allow":   d.execRules(&s.Allow),
		})
		*dst = s
		return n.Kind == yaml.MappingNode
	}
}

func (d *decoder) execRules(dst *[]ExecRule) field {
	return func(n *yaml.Node) bool {
		return d.list(n, maxRules, func(_ int, e *yaml.Node) bool {
			var r ExecRule
			d.mapping(e, "name, path, program, args, parent or uid", &r.pos, map[string]field{
				"name":    d.str(&r.Name),
				"path":    d.strs(&r.Path, &r.pos, "path"),
				"program": d.strs(&r.Program, &r.pos, "program"),
				"args":    d.strs(&r.Args, &r.pos, "args"),
				"parent":  d.strs(&r.Parent, &r.pos, "parent"),
				"uid":     d.uids(&r.UID, &r.pos, "uid"),
			})
			*dst = append(*dst, r)
			return e.Kind == yaml.MappingNode
		})
	}
}

// uids decodes a list of uids, each a number (0) or a string ("1-999", a
// range), kept as text: Validate checks them.
func (d *decoder) uids(dst *[]string, pos *positions, key string) field {
	return d.numbersOrRanges(dst, pos, key, "a uid or a first-last range")
}

// numbersOrRanges decodes a list whose items are numbers or strings (a
// range such as "1-999"), kept as text for Validate; what names an item in
// messages.
func (d *decoder) numbersOrRanges(dst *[]string, pos *positions, key, what string) field {
	return func(n *yaml.Node) bool {
		return d.list(n, maxItems, func(i int, e *yaml.Node) bool {
			if e.Kind != yaml.ScalarNode || e.ShortTag() != "!!str" && e.ShortTag() != "!!int" {
				d.fail(e, "want %s, not %s", what, describe(e))
				return false
			}
			if len(e.Value) > maxString {
				d.fail(e, "a string of %d bytes: want at most %d", len(e.Value), maxString)
				return false
			}
			*dst = append(*dst, e.Value)
			pos.at[fmt.Sprintf("%s.%d", key, i)] = Position{e.Line, e.Column}
			return true
		})
	}
}

func (d *decoder) seccomp(dst **SeccompSection) field {
	return func(n *yaml.Node) bool {
		s := &SeccompSection{}
		d.mapping(n, "profile, defaultAction, defaultErrno or rules", &s.pos, map[string]field{
			"profile":       d.str(&s.Profile),
			"defaultAction": d.str((*string)(&s.DefaultAction)),
			"defaultErrno":  d.errno(&s.DefaultErrno),
			"rules":         d.rules(&s.Rules),
		})
		*dst = s
		return n.Kind == yaml.MappingNode
	}
}

func (d *decoder) rules(dst *[]Rule) field {
	return func(n *yaml.Node) bool {
		return d.list(n, maxRules, func(_ int, e *yaml.Node) bool {
			var r Rule
			d.mapping(e, "name, names, action, errno or args", &r.pos, map[string]field{
				"name":   d.str(&r.Name),
				"names":  d.strs(&r.Names, &r.pos, "names"),
				"action": d.str((*string)(&r.Action)),
				"errno":  d.errno(&r.Errno),
				"args":   d.args(&r.Args),
			})
			*dst = append(*dst, r)
			return e.Kind == yaml.MappingNode
		})
	}
}

func (d *decoder) args(dst *[]ArgCondition) field {
	return func(n *yaml.Node) bool {
		return d.list(n, maxItems, func(_ int, e *yaml.Node) bool {
			var a ArgCondition
			d.mapping(e, "index, op, value or valueTwo", &a.pos, map[string]field{
				"index":    d.index(&a.Index),
				"op":       d.str((*string)(&a.Op)),
				"value":    d.value(&a.Value),
				"valueTwo": d.valueTwo(&a.ValueTwo),
			})
			*dst = append(*dst, a)
			return e.Kind == yaml.MappingNode
		})
	}
}

func (d *decoder) index(dst *int) field {
	return func(n *yaml.Node) bool {
		v, ok := d.uint(n, 5)
		*dst = int(v)
		return ok
	}
}

func (d *decoder) value(dst *uint64) field {
	return func(n *yaml.Node) bool {
		v, ok := d.uint(n, 1<<64-1)
		*dst = v
		return ok
	}
}

func (d *decoder) valueTwo(dst **uint64) field {
	return func(n *yaml.Node) bool {
		v, ok := d.uint(n, 1<<64-1)
		*dst = &v
		return ok
	}
}
