package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"
)

// SessionCookie is the cookie POST /api/login sets: the browser sends it
// with every request of the dashboard, EventSource included, which
// cannot set headers.
const SessionCookie = "vigil_hub_session"

// maxSessions bounds the logins held; past it, the oldest is forgotten.
const maxSessions = 10_000

// sessions are the logins of dashboards, in memory: a restart of the hub
// or a logout ends them. They are held by the digest of their secret,
// so that looking one up says nothing of the others.
type sessions struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[[sha256.Size]byte]time.Time // expiry
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, m: map[[sha256.Size]byte]time.Time{}}
}

// open starts a session and returns its secret.
func (s *sessions) open(now time.Time) string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if len(s.m) >= maxSessions {
		s.dropOldest()
	}
	s.m[digest(secret)] = now.Add(s.ttl)
	return secret
}

func (s *sessions) valid(secret string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[digest(secret)]
	return ok && now.Before(exp)
}

func (s *sessions) close(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, digest(secret))
}

func (s *sessions) expire(now time.Time) {
	for k, exp := range s.m {
		if !now.Before(exp) {
			delete(s.m, k)
		}
	}
}

func (s *sessions) dropOldest() {
	var oldest [sha256.Size]byte
	var at time.Time
	for k, exp := range s.m {
		if at.IsZero() || exp.Before(at) {
			oldest, at = k, exp
		}
	}
	delete(s.m, oldest)
}

// loginRequest is POST /api/login's body: a token, or a user and its
// password.
type loginRequest struct {
	Token    string `json:"token"`
	User     string `json:"user"`
	Password string `json:"password"`
}

// maxLoginBytes bounds a login's body.
const maxLoginBytes = 4 << 10

// loginReadWait bounds the reading of a login's body: anyone may send
// one, and a body that trickles in must not hold a connection for long.
// A variable for the tests.
var loginReadWait = 10 * time.Second

// errNotJSON is a login whose body is not a JSON object; its
// Content-Type must say so, which keeps other sites' forms out (a
// cross-site request with that type needs CORS, which the hub denies).
var errNotJSON = errors.New("want Content-Type application/json")

func readLogin(w http.ResponseWriter, r *http.Request) (loginRequest, error) {
	var req loginRequest
	if !isJSON(r.Header.Get("Content-Type")) {
		return req, errNotJSON
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(loginReadWait)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return req, fmt.Errorf("bounding the read of the body: %w", err)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLoginBytes))
	if err != nil {
		return req, fmt.Errorf("reading the body: %w", err)
	}
	return req, json.Unmarshal(body, &req)
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// login checks the credentials of a login and sets the session cookie.
func (h *Hub) login(w http.ResponseWriter, r *http.Request) {
	req, err := readLogin(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "login: "+err.Error())
		return
	}
	if h.creds.open {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ok := (req.Token != "" && h.creds.token(req.Token)) || (req.User != "" && h.creds.user(req.User, req.Password))
	if !ok {
		unauthorized(w)
		return
	}
	http.SetCookie(w, h.sessionCookie(r, h.sessions.open(time.Now()), int(h.cfg.Session/time.Second)))
	w.WriteHeader(http.StatusNoContent)
}

// logout ends the request's session, if any, and clears its cookie. A
// body, which it does not read, must be JSON as a login's: another site's
// form cannot log a browser out. No body (no Content-Type) is taken, as
// the dashboard sends it.
func (h *Hub) logout(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		writeError(w, http.StatusBadRequest, "logout: "+errNotJSON.Error())
		return
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		h.sessions.close(c.Value)
	}
	http.SetCookie(w, h.sessionCookie(r, "", -1))
	w.WriteHeader(http.StatusNoContent)
}

func (h *Hub) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	}
}

// authorized reports whether r may read: the hub is Insecure, or r
// carries a valid Authorization header or session cookie.
func (h *Hub) authorized(r *http.Request) bool {
	if h.creds.open || h.creds.header(r) {
		return true
	}
	c, err := r.Cookie(SessionCookie)
	return err == nil && h.sessions.valid(c.Value, time.Now())
}
