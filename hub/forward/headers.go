package forward

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/http/httpguts"

	"github.com/vigilsec/vigil/internal/boundedfile"
)

// headerName is an HTTP field name (RFC 9110 token).
var headerName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$") })

// reservedHeaders are set by vigil for every request.
var reservedHeaders = []string{"Host", "Content-Length", "Content-Type", "Transfer-Encoding"}

func (d *decoder) headers(dst *map[string]string, at **yaml.Node) field {
	return func(n *yaml.Node) {
		*at = n
		h := map[string]string{}
		if !d.kind(n, yaml.MappingNode, "a mapping of header names to values") {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name, ok := d.str(k)
			if !ok || !d.plain(v) {
				continue
			}
			if err := checkHeaderName(name, h); err != nil {
				d.fail(k, "header %v", err)
				continue
			}
			val, ok := d.str(v)
			if !ok {
				continue
			}
			val, err := expand(val, d.getenv)
			if err == nil {
				err = checkHeaderValue(val)
			}
			if err != nil {
				d.fail(v, "header %s: %v", name, err)
				continue
			}
			h[http.CanonicalHeaderKey(name)] = val
		}
		*dst = h
	}
}

// checkHeaderName accepts a field name not in have and not set by vigil.
func checkHeaderName(name string, have map[string]string) error {
	canon := http.CanonicalHeaderKey(name)
	switch {
	case !headerName().MatchString(name):
		return fmt.Errorf("%q: not a valid header name", name)
	case slicesContainsFold(reservedHeaders, name):
		return fmt.Errorf("%q: set by vigil", name)
	}
	if _, dup := have[canon]; dup {
		return fmt.Errorf("%q: given twice", name)
	}
	return nil
}

func slicesContainsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// checkHeaderValue refuses what the HTTP client would refuse to send (a
// control character other than a tab): such a header would fail every
// request. It never quotes the value: a header is often a secret.
func checkHeaderValue(v string) error {
	if !httpguts.ValidHeaderFieldValue(v) {
		return errors.New("a value cannot hold a line break, NUL or another control character")
	}
	return nil
}

// headersFile reads headers from a file, "Name: value" a line, relative to
// the forwarders file's directory: a Kubernetes Secret mounted as a file,
// say. Blank lines and lines starting with # are skipped.
func (d *decoder) headersFile(dst *map[string]string) field {
	return func(n *yaml.Node) {
		p, ok := d.str(n)
		if !ok {
			return
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(d.dir, p)
		}
		data, err := boundedfile.Read(p, maxHeadersFileBytes)
		if err != nil {
			d.fail(n, "headersFile: %v", err)
			return
		}
		h, err := parseHeaders(data)
		if err != nil {
			d.fail(n, "headersFile %s: %v", p, err)
			return
		}
		*dst = h
	}
}

// parseHeaders parses "Name: value" lines.
func parseHeaders(data []byte) (map[string]string, error) {
	h := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxHeadersFileBytes+1)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, val, ok := strings.Cut(text, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want Name: value", line)
		}
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if err := checkHeaderName(name, h); err != nil {
			return nil, fmt.Errorf("line %d: header %v", line, err)
		}
		if err := checkHeaderValue(val); err != nil {
			return nil, fmt.Errorf("line %d: header %s: %v", line, name, err)
		}
		h[http.CanonicalHeaderKey(name)] = val
	}
	return h, sc.Err()
}

// mergeHeaders joins the headers of the file and of the headersFile; a
// name in both is a problem, reported at headers.
func (d *decoder) mergeHeaders(at *yaml.Node, inline, fromFile map[string]string) map[string]string {
	if len(inline) == 0 && len(fromFile) == 0 {
		return nil
	}
	h := make(map[string]string, len(inline)+len(fromFile))
	for k, v := range fromFile {
		h[k] = v
	}
	for k, v := range inline {
		if _, dup := h[k]; dup {
			d.fail(at, "header %s is also in headersFile", k)
		}
		h[k] = v
	}
	return h
}

// expand replaces each ${NAME} in s by the environment variable NAME,
// which must be set and not empty; $$ is a "$". Another "$" stays as it is.
func expand(s string, getenv func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i == len(s)-1 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			s = s[i+2:]
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", errors.New("${ without a closing }")
			}
			name := s[i+2 : i+end]
			if !envName().MatchString(name) {
				return "", fmt.Errorf("${%s}: not a variable name", name)
			}
			v, ok := getenv(name)
			if !ok || v == "" {
				return "", fmt.Errorf("environment variable %s is not set (or empty)", name)
			}
			b.WriteString(v)
			s = s[i+end+1:]
		default:
			b.WriteByte('$')
			s = s[i+1:]
		}
	}
}

var envName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })
