package forward

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder walks a yaml.Node tree into Go values, collecting problems.
type decoder struct {
	file, dir string
	getenv    func(string) (string, bool)
	problems  []*Problem
	// dropped counts the problems past maxProblems.
	dropped int
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	if len(d.problems) >= maxProblems {
		d.dropped++
		return
	}
	d.problems = append(d.problems, &Problem{File: d.file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// field decodes one key's value, reporting what is wrong with it.
type field func(*yaml.Node)

// mapping decodes n as a mapping whose keys are among fields, each at
// most once, and every one of required present. want lists the keys for
// the unknown-key message. It reports whether n was a mapping.
func (d *decoder) mapping(n *yaml.Node, want string, required []string, fields map[string]field) bool {
	if !d.kind(n, yaml.MappingNode, "a mapping") {
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := fields[k.Value]
		switch {
		case k.Kind != yaml.ScalarNode || !ok:
			d.fail(k, "unknown key %q: want %s", k.Value, want)
		case seen[k.Value]:
			d.fail(k, "duplicate key %q", k.Value)
		case d.plain(v):
			f(v)
		}
		seen[k.Value] = true
	}
	for _, r := range required {
		if !seen[r] {
			d.fail(n, "missing key %q", r)
		}
	}
	return true
}

// plain rejects aliases: they could multiply a small file into a huge one.
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
func (d *decoder) str(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.fail(n, "want a string, not %s", describe(n))
		return "", false
	}
	if len(n.Value) > maxString {
		d.fail(n, "a string of %d bytes: want at most %d", len(n.Value), maxString)
		return "", false
	}
	return n.Value, true
}

// list decodes a sequence of at most limit items, calling item for each.
func (d *decoder) list(n *yaml.Node, limit int, item func(n *yaml.Node)) {
	if !d.kind(n, yaml.SequenceNode, "a list") {
		return
	}
	if len(n.Content) > limit {
		d.fail(n, "a list of %d items: want at most %d", len(n.Content), limit)
		return
	}
	for _, e := range n.Content {
		if d.plain(e) {
			item(e)
		}
	}
}

// strs decodes a list of strings, each checked by check (nil: any) and
// appended to dst when it passes.
func (d *decoder) strs(dst *[]string, check func(string) error) field {
	return func(n *yaml.Node) {
		d.list(n, maxItems, func(e *yaml.Node) {
			s, ok := d.str(e)
			if !ok {
				return
			}
			if check != nil {
				if err := check(s); err != nil {
					d.fail(e, "%v", err)
					return
				}
			}
			*dst = append(*dst, s)
		})
	}
}

// duration decodes a Go duration ("5s", "1m30s") in [least, most].
func (d *decoder) duration(dst *time.Duration, least, most time.Duration) field {
	return func(n *yaml.Node) {
		s, ok := d.str(n)
		if !ok {
			return
		}
		v, err := time.ParseDuration(s)
		switch {
		case err != nil:
			d.fail(n, "%q is not a duration: want a number and a unit (500ms, 5s, 1m)", s)
		case v < least || v > most:
			d.fail(n, "%s is out of range: want %s to %s", s, least, most)
		default:
			*dst = v
		}
	}
}

// number decodes a number in (0, most].
func (d *decoder) number(dst *float64, most float64) field {
	return func(n *yaml.Node) {
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || tag != "!!int" && tag != "!!float" {
			d.fail(n, "want a number, not %s", describe(n))
			return
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsNaN(v) || v <= 0 || v > most {
			d.fail(n, "%s is out of range: want more than 0, at most %g", n.Value, most)
			return
		}
		*dst = v
	}
}

// integer decodes an integer in [1, most].
func (d *decoder) integer(dst *int, most int) field {
	return func(n *yaml.Node) {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.fail(n, "want an integer, not %s", describe(n))
			return
		}
		v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil || v < 1 || v > int64(most) {
			d.fail(n, "%s is out of range: want 1 to %d", n.Value, most)
			return
		}
		*dst = int(v)
	}
}
