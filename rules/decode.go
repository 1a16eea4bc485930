package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// positions records where each key of a mapping was read ("" is the mapping
// itself, "names.2" the third item of names) and which keys did not decode
// ("" when the value was not a mapping at all),
// so that Validate neither repeats nor contradicts the decoder's problems.
type positions struct {
	at     map[string]Position
	failed map[string]bool
}

func (p positions) of(key string) Position { return p.at[key] }

// parsed tells whether the value came from a file, where a missing key can
// be told from a zero value.
func (p positions) parsed() bool { return p.at != nil }

// has tells whether key was in the file (decoded or not).
func (p positions) has(key string) bool {
	_, ok := p.at[key]
	return ok || p.failed[key]
}

// decoder walks a yaml.Node tree into Go values, collecting problems.
type decoder struct {
	file     string
	problems []*Problem
	// dropped counts the problems past maxProblems.
	dropped int
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	if len(d.problems) >= maxProblems {
		d.dropped++
		return
	}
	d.problems = append(d.problems, &Problem{
		File:     d.file,
		Position: Position{n.Line, n.Column},
		Msg:      fmt.Sprintf(format, args...),
	})
}

// field decodes one key's value; it returns false when the value is wrong
// (and reported).
type field func(*yaml.Node) bool

// mapping decodes n as a mapping with exactly the keys of fields, in the
// order written, recording positions in pos. want lists the keys for the unknown-key message.
func (d *decoder) mapping(n *yaml.Node, want string, pos *positions, fields map[string]field) {
	*pos = positions{at: map[string]Position{"": {n.Line, n.Column}}, failed: map[string]bool{}}
	if !d.kind(n, yaml.MappingNode, "a mapping") {
		pos.failed[""] = true
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := fields[k.Value]
		switch {
		case k.Kind != yaml.ScalarNode || !ok:
			d.fail(k, "unknown key %q: want %s", k.Value, want)
		case pos.has(k.Value):
			d.fail(k, "duplicate key %q", k.Value)
		case d.plain(v) && f(v):
			pos.at[k.Value] = Position{v.Line, v.Column}
		default:
			pos.failed[k.Value] = true
		}
	}
}

// plain rejects aliases: they could multiply a small file into a huge
// policy, and a policy is read more often than written.
func (d *decoder) plain(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.fail(n, "anchors and aliases are not supported")
		return false
	}
	return true
}

func (d *decoder) kind(n *yaml.Node, k yaml.Kind, what string) bool {
	if n.Kind != k {
		d.fail(n, "want %s, not %s", what, describe(n))
		return false
	}
	return true
}

// describe names what n is, for "want X, not Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%s %q", strings.TrimPrefix(n.ShortTag(), "!!"), n.Value)
	}
	return "an alias"
}

// str decodes a string scalar (a quoted number is a string, 123 is not).
func (d *decoder) str(dst *string) field {
	return func(n *yaml.Node) bool {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.fail(n, "want a string, not %s", describe(n))
			return false
		}
		if len(n.Value) > maxString {
			d.fail(n, "a string of %d bytes: want at most %d", len(n.Value), maxString)
			return false
		}
		*dst = n.Value
		return true
	}
}

// list decodes a sequence of at most limit items, calling item for each
// element.
func (d *decoder) list(n *yaml.Node, limit int, item func(i int, n *yaml.Node) bool) bool {
	if !d.kind(n, yaml.SequenceNode, "a list") {
		return false
	}
	if len(n.Content) > limit {
		d.fail(n, "a list of %d items: want at most %d", len(n.Content), limit)
		return false
	}
	ok := true
	for i, e := range n.Content {
		ok = d.plain(e) && item(i, e) && ok
	}
	return ok
}

// strs decodes a list of strings, recording each item's position as
// "key.i" in pos.
func (d *decoder) strs(dst *[]string, pos *positions, key string) field {
	return func(n *yaml.Node) bool {
		return d.list(n, maxItems, func(i int, e *yaml.Node) bool {
			var s string
			if !d.str(&s)(e) {
				return false
			}
			*dst = append(*dst, s)
			pos.at[fmt.Sprintf("%s.%d", key, i)] = Position{e.Line, e.Column}
			return true
		})
	}
}

// number matches the integers a policy may write: decimal or 0x hex.
// Compiled at first use, as the other patterns of this package: every
// vigil start initializes this package, few parse a policy.
var number = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)$`) })

// uint decodes an unsigned integer of at most max.
func (d *decoder) uint(n *yaml.Node, max uint64) (uint64, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!str" || !number().MatchString(n.Value) {
		d.fail(n, "want a decimal or 0x hex number, not %s", describe(n))
		return 0, false
	}
	v, err := strconv.ParseUint(n.Value, 0, 64)
	if err != nil || v > max {
		d.fail(n, "%s is out of range: want at most %d", n.Value, max)
		return 0, false
	}
	return v, true
}

// errno decodes an errno: a number, kept as its decimal text, or a name
// (Validate checks both).
func (d *decoder) errno(dst *string) field {
	return func(n *yaml.Node) bool {
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
			if number().MatchString(n.Value) {
				d.fail(n, "want an unquoted number or an errno name, not %q", n.Value)
				return false
			}
			*dst = n.Value
			return true
		}
		v, ok := d.uint(n, maxErrno)
		*dst = strconv.FormatUint(v, 10)
		return ok
	}
}
