package hub

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxAuthFileBytes bounds the auth file: it holds secrets, not data.
const maxAuthFileBytes = 1 << 20

// LoadAuth reads an auth file (see docs/hub.md#the-auth-file): YAML with
// a list of tokens and a map of users to passwords,
//
//	tokens:
//	  - 6f1c0e7b2a9d4c58b3e1f0a7d6c5b4a3
//	users:
//	  alice: correct-horse-battery-staple
//
// Every problem is reported at once, each as file:line: problem.
func LoadAuth(path string) (Auth, error) {
	f, err := os.Open(path)
	if err != nil {
		return Auth{}, fmt.Errorf("loading auth file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAuthFileBytes+1))
	if err != nil {
		return Auth{}, fmt.Errorf("loading auth file %s: %w", path, err)
	}
	if len(b) > maxAuthFileBytes {
		return Auth{}, fmt.Errorf("loading auth file %s: larger than %d bytes", path, maxAuthFileBytes)
	}
	return parseAuth(path, b)
}

// authParser collects the problems of one auth file.
type authParser struct {
	path string
	errs []error
	a    Auth
}

func (p *authParser) bad(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.path, n.Line, fmt.Sprintf(format, args...)))
}

// parseAuth parses an auth file's content; path is for the errors.
func parseAuth(path string, data []byte) (Auth, error) {
	p := &authParser{path: path}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Auth{}, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return Auth{}, fmt.Errorf("%s: empty: want tokens and/or users", path)
	}
	p.top(doc.Content[0])
	if len(p.errs) == 0 && len(p.a.Tokens) == 0 && len(p.a.Users) == 0 {
		p.errs = append(p.errs, fmt.Errorf("%s: no tokens and no users", path))
	}
	if err := errors.Join(p.errs...); err != nil {
		return Auth{}, err
	}
	return p.a, nil
}

func (p *authParser) top(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		p.bad(n, "want a mapping with tokens and/or users")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.bad(k, "%s given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "tokens":
			p.tokens(v)
		case "users":
			p.users(v)
		default:
			p.bad(k, "unknown key %q: want tokens or users", k.Value)
		}
	}
}

func (p *authParser) tokens(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		p.bad(n, "tokens: want a list of strings")
		return
	}
	for _, t := range n.Content {
		switch {
		case t.Kind != yaml.ScalarNode || t.Tag == "!!null":
			p.bad(t, "token: want a string")
		case len(t.Value) < MinTokenLen:
			p.bad(t, "token of %d characters: want at least %d", len(t.Value), MinTokenLen)
		default:
			p.a.Tokens = append(p.a.Tokens, t.Value)
		}
	}
}

func (p *authParser) users(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		p.bad(n, "users: want a mapping of user names to passwords")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode || k.Value == "" || strings.ContainsAny(k.Value, ":\r\n"):
			p.bad(k, "user %q: a user name is not empty and has no ':' or line break", k.Value)
		case p.a.Users[k.Value] != "":
			p.bad(k, "user %q given twice", k.Value)
		case v.Kind != yaml.ScalarNode || v.Tag == "!!null":
			p.bad(v, "user %q: want a password (a string)", k.Value)
		case len(v.Value) < MinPasswordLen:
			p.bad(v, "user %q: password of %d characters, want at least %d", k.Value, len(v.Value), MinPasswordLen)
		default:
			if p.a.Users == nil {
				p.a.Users = map[string]string{}
			}
			p.a.Users[k.Value] = v.Value
		}
	}
}
