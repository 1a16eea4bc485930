package rules

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// glob is a compiled pattern of the exec section. In path mode the pattern
// is split on "/": "*", "?" and classes match within one segment, and a
// "**" segment matches any number of segments, none included. In flat mode
// (arguments) "/" is an ordinary character that "*", "?" and classes match,
// and "**" is "*". Matching follows path.Match (the fuzz test compares
// them) and never allocates.
type glob struct {
	// literal is the pattern when it has no metacharacter: compared as is.
	literal string
	isLit   bool
	// prefix is the literal text before the first metacharacter, without
	// trailing slashes ("/tmp/**" also matches "/tmp"): every name that
	// matches starts with it, and most names are refused by it alone.
	prefix string
	segs   []segment
	flat   bool
}

// segment is one "/"-separated part of a path glob (the whole glob in flat
// mode), or "**" (any).
type segment struct {
	any    bool
	chunks []chunk
}

// chunk is a run of one-character tokens and literals, possibly preceded by
// a star, as path.Match's chunks.
type chunk struct {
	star bool
	toks []token
}

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokOne               // ?
	tokClass             // [...]
)

type token struct {
	kind    tokenKind
	lit     string
	negated bool
	ranges  []runeRange
}

type runeRange struct{ lo, hi rune }

// metachars are the characters that make a pattern a glob.
const metachars = `*?[\`

var (
	errEmptyGlob  = errors.New("empty")
	errDoubleStar = errors.New("** must be a whole path segment")
	errTrailing   = errors.New(`trailing \`)
	errUnclosed   = errors.New("[ without a closing ]")
	errClassChar  = errors.New(`a class needs at least one character; escape -, ] and \ in it with \`)
	errClassUTF8  = errors.New("invalid UTF-8 in a character class")
	errClassSlash = errors.New("/ in a character class: a class matches within one path segment")
)

// compileGlob compiles pattern, in path mode or flat.
func compileGlob(pattern string, flat bool) (glob, error) {
	if pattern == "" {
		return glob{}, errEmptyGlob
	}
	if !strings.ContainsAny(pattern, metachars) {
		return glob{literal: pattern, isLit: true}, nil
	}
	g := glob{flat: flat, prefix: strings.TrimRight(pattern[:strings.IndexAny(pattern, metachars)], "/")}
	for rest, more := pattern, true; more; {
		var s segment
		var err error
		s, rest, more, err = parseSegment(rest, flat)
		if err != nil {
			return glob{}, err
		}
		g.segs = append(g.segs, s)
	}
	return g, nil
}

// parseSegment parses p up to the first "/" (none in flat mode); more tells
// whether one followed.
func parseSegment(p string, flat bool) (s segment, rest string, more bool, err error) {
	if !flat && (p == "**" || strings.HasPrefix(p, "**/")) {
		rest, more = strings.CutPrefix(p[2:], "/")
		return segment{any: true}, rest, more, nil
	}
	var lit strings.Builder
	c := chunk{}
	flush := func() {
		if lit.Len() > 0 {
			c.toks = append(c.toks, token{kind: tokLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	for len(p) > 0 {
		switch p[0] {
		case '/':
			if !flat {
				flush()
				s.chunks = append(s.chunks, c)
				return s, p[1:], true, nil
			}
			lit.WriteByte('/')
			p = p[1:]
		case '*':
			if !flat && strings.HasPrefix(p, "**") {
				return s, "", false, errDoubleStar
			}
			flush()
			if c.star || len(c.toks) > 0 {
				s.chunks = append(s.chunks, c)
			}
			c = chunk{star: true}
			p = strings.TrimLeft(p, "*")
		case '?':
			flush()
			c.toks = append(c.toks, token{kind: tokOne})
			p = p[1:]
		case '[':
			flush()
			var t token
			if t, p, err = parseClass(p[1:], flat); err != nil {
				return s, "", false, err
			}
			c.toks = append(c.toks, t)
		case '\\':
			if len(p) < 2 {
				return s, "", false, errTrailing
			}
			if p[1] == '/' && !flat {
				p = p[1:] // an escaped separator still separates
				continue
			}
			lit.WriteByte(p[1])
			p = p[2:]
		default:
			lit.WriteByte(p[0])
			p = p[1:]
		}
	}
	flush()
	s.chunks = append(s.chunks, c)
	return s, "", false, nil
}

// parseClass parses a class after its "[", as path.Match does, with "!" as
// well as "^" for negation.
func parseClass(p string, flat bool) (token, string, error) {
	t := token{kind: tokClass}
	if len(p) > 0 && (p[0] == '^' || p[0] == '!') {
		t.negated = true
		p = p[1:]
	}
	for {
		if len(p) > 0 && p[0] == ']' && len(t.ranges) > 0 {
			return t, p[1:], nil
		}
		var r runeRange
		var err error
		if r.lo, p, err = classChar(p, flat); err != nil {
			return t, "", err
		}
		r.hi = r.lo
		if p[0] == '-' {
			if r.hi, p, err = classChar(p[1:], flat); err != nil {
				return t, "", err
			}
		}
		if r.lo > r.hi {
			return t, "", fmt.Errorf("empty range %c-%c", r.lo, r.hi)
		}
		t.ranges = append(t.ranges, r)
	}
}

// classChar reads one possibly escaped character of a class; something
// must follow it (at least the closing "]").
func classChar(p string, flat bool) (rune, string, error) {
	if len(p) == 0 {
		return 0, "", errUnclosed
	}
	if p[0] == '-' || p[0] == ']' {
		return 0, "", errClassChar
	}
	if p[0] == '\\' {
		p = p[1:]
	}
	r, n := utf8.DecodeRuneInString(p)
	switch {
	case n == 0:
		return 0, "", errUnclosed
	case r == utf8.RuneError && n == 1:
		return 0, "", errClassUTF8
	case r == '/' && !flat:
		return 0, "", errClassSlash
	case n == len(p):
		return 0, "", errUnclosed
	}
	return r, p[n:], nil
}

// match reports whether name matches the whole glob.
func (g *glob) match(name string) bool {
	switch {
	case g.isLit:
		return name == g.literal
	case !strings.HasPrefix(name, g.prefix):
		return false
	case g.flat:
		return g.segs[0].match(name)
	}
	return g.matchPath(name)
}

// matchPath matches name segment by segment. Only the last "**" seen is
// backtracked to, letting it take one more segment at each mismatch: what
// follows it is segments that each match exactly one, so the earliest
// place they match is the best (as for path.Match's "*").
func (g *glob) matchPath(name string) bool {
	segs, done := g.segs, false
	var backSegs []segment
	var backName string
	back, backDone := false, false
	for {
		switch {
		case len(segs) > 0 && segs[0].any:
			for len(segs) > 0 && segs[0].any {
				segs = segs[1:]
			}
			if len(segs) == 0 {
				return true
			}
			backSegs, backName, backDone, back = segs, name, done, true
			continue
		case len(segs) > 0 && !done:
			part, rest, last := cutSegment(name)
			if segs[0].match(part) {
				segs, name, done = segs[1:], rest, last
				continue
			}
		case len(segs) == 0 && done:
			return true
		}
		if !back || backDone {
			return false
		}
		_, backName, backDone = cutSegment(backName)
		segs, name, done = backSegs, backName, backDone
	}
}

func cutSegment(name string) (part, rest string, last bool) {
	i := strings.IndexByte(name, '/')
	if i < 0 {
		return name, "", true
	}
	return name[:i], name[i+1:], false
}

// match matches a whole segment as path.Match matches a name: each starred
// chunk at the earliest place it fits, the last one at the end.
func (s *segment) match(name string) bool {
	for i := range s.chunks {
		c := &s.chunks[i]
		last := i == len(s.chunks)-1
		if c.star && len(c.toks) == 0 {
			return true // a trailing star: in a segment, it takes the rest
		}
		if rest, ok := c.matchStart(name); ok && (rest == "" || !last) {
			name = rest
			continue
		}
		if !c.star || !c.skipTo(&name, last) {
			return false
		}
	}
	return name == ""
}

// skipTo finds the first place past the start of *name where c matches (at
// the end when c is the last chunk), and moves *name past the match.
func (c *chunk) skipTo(name *string, last bool) bool {
	for j := 0; j < len(*name); j++ {
		if rest, ok := c.matchStart((*name)[j+1:]); ok && (rest == "" || !last) {
			*name = rest
			return true
		}
	}
	return false
}

// matchStart matches c's tokens at the start of s, returning what follows.
func (c *chunk) matchStart(s string) (string, bool) {
	for i := range c.toks {
		t := &c.toks[i]
		if t.kind == tokLiteral {
			if !strings.HasPrefix(s, t.lit) {
				return "", false
			}
			s = s[len(t.lit):]
			continue
		}
		if s == "" {
			return "", false
		}
		r, n := utf8.DecodeRuneInString(s)
		if t.kind == tokClass && !t.in(r) {
			return "", false
		}
		s = s[n:]
	}
	return s, true
}

func (t *token) in(r rune) bool {
	for _, rr := range t.ranges {
		if rr.lo <= r && r <= rr.hi {
			return !t.negated
		}
	}
	return t.negated
}
