package hub

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Minimum lengths of credentials: a token is a random secret, not a
// word.
const (
	MinTokenLen    = 16
	MinPasswordLen = 8
)

// Auth says who may read the hub: a client presents one of Tokens
// (Authorization: Bearer), or a user and its password (HTTP Basic), or
// the session cookie a login with either gave it. Insecure lets anyone
// in, and is the only way to have no credentials.
type Auth struct {
	Tokens []string
	// Users maps a user name to its password.
	Users    map[string]string
	Insecure bool
}

// Validate reports every problem of a at once.
func (a Auth) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...)))
	}
	for i, t := range a.Tokens {
		if len(t) < MinTokenLen {
			bad("token %d: %d characters, want at least %d", i+1, len(t), MinTokenLen)
		}
	}
	for _, u := range slices.Sorted(maps.Keys(a.Users)) {
		if u == "" || strings.ContainsAny(u, ":\r\n") {
			bad("user %q: a user name is not empty and has no ':' or line break", u)
		}
		if len(a.Users[u]) < MinPasswordLen {
			bad("user %q: password of %d characters, want at least %d", u, len(a.Users[u]), MinPasswordLen)
		}
	}
	if len(a.Tokens) == 0 && len(a.Users) == 0 && !a.Insecure {
		errs = append(errs, ErrNoAuth)
	}
	return errors.Join(errs...)
}

// credentials are an Auth's secrets as digests, compared in constant
// time: equal-length inputs, and every one of them compared.
type credentials struct {
	tokens [][sha256.Size]byte
	users  [][2][sha256.Size]byte // user, password
	open   bool
}

func newCredentials(a Auth) *credentials {
	c := &credentials{open: a.Insecure}
	for _, t := range a.Tokens {
		c.tokens = append(c.tokens, digest(t))
	}
	for u, p := range a.Users {
		c.users = append(c.users, [2][sha256.Size]byte{digest(u), digest(p)})
	}
	return c
}

func digest(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

func (c *credentials) token(t string) bool {
	d := digest(t)
	ok := 0
	for i := range c.tokens {
		ok |= subtle.ConstantTimeCompare(d[:], c.tokens[i][:])
	}
	return ok == 1
}

func (c *credentials) user(u, p string) bool {
	du, dp := digest(u), digest(p)
	ok := 0
	for i := range c.users {
		ok |= subtle.ConstantTimeCompare(du[:], c.users[i][0][:]) & subtle.ConstantTimeCompare(dp[:], c.users[i][1][:])
	}
	return ok == 1
}

// header reports whether r's Authorization header holds valid
// credentials.
func (c *credentials) header(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if scheme, t, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return c.token(strings.TrimSpace(t))
	}
	if u, p, ok := r.BasicAuth(); ok {
		return c.user(u, p)
	}
	return false
}

// challenge is the WWW-Authenticate of a 401: both schemes the hub
// takes.
const challenge = `Bearer realm="vigil-hub", Basic realm="vigil-hub", charset="UTF-8"`

// unauthorized answers a request without valid credentials, and says
// nothing else.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprintln(w, "unauthorized")
}
