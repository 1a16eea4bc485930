package forward

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/events"
)

// namePattern is what a forwarder's name may be: it ends the name of its
// durable consumer, "vigil-forward-<name>", and labels its stats.
var namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`) })

// Bounds of the durations and rates a file may set.
const (
	maxTimeout   = 10 * time.Minute
	maxRetry     = 24 * time.Hour
	maxPerSecond = 100000
	maxBurst     = 100000
)

func (d *decoder) config(n *yaml.Node, cfg *Config) {
	var apiVersion, kind string
	d.mapping(n, "apiVersion, kind or forwarders", []string{"apiVersion", "kind", "forwarders"}, map[string]field{
		"apiVersion": d.literal(&apiVersion, APIVersion),
		"kind":       d.literal(&kind, FileKind),
		"forwarders": d.forwarders(&cfg.Forwarders),
	})
}

// literal decodes a string that must be want.
func (d *decoder) literal(dst *string, want string) field {
	return func(n *yaml.Node) {
		s, ok := d.str(n)
		switch {
		case !ok:
		case s != want:
			d.fail(n, "%q: want %q", s, want)
		default:
			*dst = s
		}
	}
}

func (d *decoder) forwarders(dst *[]Forwarder) field {
	return func(n *yaml.Node) {
		names := map[string]int{}
		d.list(n, maxForwarders, func(e *yaml.Node) {
			f, nameNode := d.forwarder(e)
			if nameNode != nil {
				if line, dup := names[f.Name]; dup {
					d.fail(nameNode, "duplicate forwarder name %q (first at line %d)", f.Name, line)
				} else {
					names[f.Name] = nameNode.Line
				}
			}
			*dst = append(*dst, f)
		})
	}
}

// forwarder decodes one forwarder with its defaults; nameNode is where its
// name was, nil when it had none.
func (d *decoder) forwarder(n *yaml.Node) (f Forwarder, nameNode *yaml.Node) {
	f = Forwarder{Timeout: DefaultTimeout, Retry: Retry{DefaultRetryInitial, DefaultRetryMax}}
	var headers, fileHeaders map[string]string
	var headersNode *yaml.Node
	d.mapping(n, "name, type, url, headers, headersFile, filter, rateLimit, timeout or retry", []string{"name", "type", "url"}, map[string]field{
		"name":        d.name(&f.Name, &nameNode),
		"type":        d.typ(&f.Type),
		"url":         d.url(&f.URL),
		"headers":     d.headers(&headers, &headersNode),
		"headersFile": d.headersFile(&fileHeaders),
		"filter":      d.filter(&f.Filter),
		"rateLimit":   d.rateLimit(&f.RateLimit),
		"timeout":     d.duration(&f.Timeout, time.Millisecond, maxTimeout),
		"retry":       d.retry(&f.Retry),
	})
	f.Headers = d.mergeHeaders(headersNode, headers, fileHeaders)
	return f, nameNode
}

func (d *decoder) name(dst *string, at **yaml.Node) field {
	return func(n *yaml.Node) {
		s, ok := d.str(n)
		if !ok {
			return
		}
		if !namePattern().MatchString(s) {
			d.fail(n, "name %q: want 1 to 63 letters, digits, '-' or '_', starting with a letter or digit", s)
			return
		}
		*dst, *at = s, n
	}
}

func (d *decoder) typ(dst *Type) field {
	return func(n *yaml.Node) {
		s, ok := d.str(n)
		if !ok {
			return
		}
		if !slices.Contains(Types, Type(s)) {
			d.fail(n, "unknown type %q: want webhook, slack or falco", s)
			return
		}
		*dst = Type(s)
	}
}

func (d *decoder) url(dst *string) field {
	return func(n *yaml.Node) {
		s, ok := d.str(n)
		if !ok {
			return
		}
		v, err := expand(s, d.getenv)
		if err != nil {
			d.fail(n, "url: %v", err)
			return
		}
		if err := checkURL(v); err != nil {
			d.fail(n, "url %s: %v", shownURL(v), err)
			return
		}
		*dst = v
	}
}

// checkURL accepts an absolute http or https URL with a host. It never
// quotes u: an expanded URL may hold a secret.
func checkURL(u string) error {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Errorf("scheme %q: want http or https", p.Scheme)
	case p.Host == "" || p.Hostname() == "":
		return errors.New("no host")
	case p.Fragment != "":
		return errors.New("a fragment (#…) is never sent: remove it")
	}
	return nil
}

func (d *decoder) filter(dst *Filter) field {
	return func(n *yaml.Node) {
		var kinds, actions []string
		var sev string
		d.mapping(n, "workloads, kinds, minSeverity, rules or actions", nil, map[string]field{
			"workloads":   d.strs(&dst.Workloads, checkGlob),
			"kinds":       d.strs(&kinds, oneOf(events.Kinds, "kind")),
			"minSeverity": d.oneStr(&sev, oneOf(events.Severities, "severity")),
			"rules":       d.strs(&dst.Rules, checkGlob),
			"actions":     d.strs(&actions, oneOf(events.Actions, "action")),
		})
		dst.Kinds, dst.Actions = as[events.Kind](kinds), as[events.Action](actions)
		dst.MinSeverity = events.Severity(sev)
	}
}

// oneStr decodes one string checked by check.
func (d *decoder) oneStr(dst *string, check func(string) error) field {
	return func(n *yaml.Node) {
		s, ok := d.str(n)
		if !ok {
			return
		}
		if err := check(s); err != nil {
			d.fail(n, "%v", err)
			return
		}
		*dst = s
	}
}

// checkGlob accepts a path.Match pattern.
func checkGlob(s string) error {
	if s == "" {
		return errors.New("an empty pattern matches nothing")
	}
	if _, err := path.Match(s, ""); err != nil {
		return fmt.Errorf("pattern %q: %v", s, err)
	}
	return nil
}

// oneOf accepts the values of valid, named what in the message.
func oneOf[T ~string](valid []T, what string) func(string) error {
	return func(s string) error {
		if slices.Contains(valid, T(s)) {
			return nil
		}
		names := make([]string, len(valid))
		for i, v := range valid {
			names[i] = string(v)
		}
		return fmt.Errorf("unknown %s %q: want one of %s", what, s, strings.Join(names, ", "))
	}
}

func as[T ~string](ss []string) []T {
	if ss == nil {
		return nil
	}
	out := make([]T, len(ss))
	for i, s := range ss {
		out[i] = T(s)
	}
	return out
}

func (d *decoder) rateLimit(dst **RateLimit) field {
	return func(n *yaml.Node) {
		r := &RateLimit{}
		if !d.mapping(n, "perSecond or burst", []string{"perSecond"}, map[string]field{
			"perSecond": d.number(&r.PerSecond, maxPerSecond),
			"burst":     d.integer(&r.Burst, maxBurst),
		}) {
			return
		}
		if r.Burst == 0 {
			r.Burst = max(1, int(math.Ceil(r.PerSecond)))
		}
		*dst = r
	}
}

func (d *decoder) retry(dst *Retry) field {
	return func(n *yaml.Node) {
		r := *dst
		d.mapping(n, "initial or max", nil, map[string]field{
			"initial": d.duration(&r.Initial, time.Millisecond, maxRetry),
			"max":     d.duration(&r.Max, time.Millisecond, maxRetry),
		})
		if r.Initial > r.Max {
			d.fail(n, "retry.initial %s is more than retry.max %s", r.Initial, r.Max)
			return
		}
		*dst = r
	}
}
