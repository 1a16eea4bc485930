package hub

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuth checks who gets in, and that a refusal says nothing but 401.
func TestAuth(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{Auth: Auth{Tokens: []string{testToken}, Users: map[string]string{"alice": "correct-horse"}}})
	srv := serve(t, h.Hub)
	tests := []struct {
		name     string
		givePath string
		give     func(*http.Request)
		wantCode int
	}{
		{name: "no credentials", givePath: "/api/events", wantCode: http.StatusUnauthorized},
		{name: "bad token", givePath: "/api/events", give: bearer(testToken + "x"), wantCode: http.StatusUnauthorized},
		{name: "empty token", givePath: "/api/events", give: bearer(""), wantCode: http.StatusUnauthorized},
		{name: "token", givePath: "/api/events", give: bearer(testToken), wantCode: http.StatusOK},
		{name: "bearer in lower case", givePath: "/api/workloads", give: header("Authorization", "bearer "+testToken), wantCode: http.StatusOK},
		{name: "basic", givePath: "/api/workloads", give: basic("alice", "correct-horse"), wantCode: http.StatusOK},
		{name: "basic, bad password", givePath: "/api/workloads", give: basic("alice", "wrong-horse"), wantCode: http.StatusUnauthorized},
		{name: "basic, unknown user", givePath: "/api/workloads", give: basic("bob", "correct-horse"), wantCode: http.StatusUnauthorized},
		{name: "basic, the token as password", givePath: "/api/workloads", give: basic("alice", testToken), wantCode: http.StatusUnauthorized},
		{name: "token as query parameter", givePath: "/api/events/stream?access_token=" + testToken, wantCode: http.StatusUnauthorized},
		{name: "stream", givePath: "/api/events/stream", wantCode: http.StatusUnauthorized},
		{name: "one event", givePath: "/api/events/01KAQ4Z3M8R6X2W9T5B7C1D0EF", wantCode: http.StatusUnauthorized},
		{name: "unknown API path", givePath: "/api/secret", wantCode: http.StatusUnauthorized},
		{name: "forged cookie", givePath: "/api/events", give: cookie("forged"), wantCode: http.StatusUnauthorized},
		{name: "health needs none", givePath: "/api/health", wantCode: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+tt.givePath, nil)
			if tt.give != nil {
				tt.give(req)
			}
			resp, body := do(t, srv, req)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if tt.wantCode != http.StatusUnauthorized {
				return
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate on a 401")
			}
			if body != "unauthorized\n" {
				t.Errorf("401 body %q: it must say nothing else", body)
			}
		})
	}
}

// TestLogin checks the dashboard's session cookie: set by a login with a
// token or a user, taken by the API and the stream, ended by a logout.
func TestLogin(t *testing.T) {
	url := startNATS(t)
	h := startHub(t, url, Config{Auth: Auth{Tokens: []string{testToken}, Users: map[string]string{"alice": "correct-horse"}}})
	srv := serve(t, h.Hub)
	tests := []struct {
		name        string
		giveBody    string
		giveType    string
		wantCode    int
		wantSession bool
	}{
		{name: "token", giveBody: `{"token":"` + testToken + `"}`, giveType: "application/json", wantCode: http.StatusNoContent, wantSession: true},
		{name: "user", giveBody: `{"user":"alice","password":"correct-horse"}`, giveType: "application/json; charset=utf-8", wantCode: http.StatusNoContent, wantSession: true},
		{name: "bad token", giveBody: `{"token":"nope-nope-nope-nope"}`, giveType: "application/json", wantCode: http.StatusUnauthorized},
		{name: "bad password", giveBody: `{"user":"alice","password":"x"}`, giveType: "application/json", wantCode: http.StatusUnauthorized},
		{name: "empty", giveBody: `{}`, giveType: "application/json", wantCode: http.StatusUnauthorized},
		{name: "a form", giveBody: "token=" + testToken, giveType: "application/x-www-form-urlencoded", wantCode: http.StatusBadRequest},
		{name: "not JSON", giveBody: "{", giveType: "application/json", wantCode: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/login", strings.NewReader(tt.giveBody))
			req.Header.Set("Content-Type", tt.giveType)
			resp, _ := do(t, srv, req)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantCode)
			}
			var session *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == SessionCookie {
					session = c
				}
			}
			if (session != nil) != tt.wantSession {
				t.Fatalf("session cookie %v, want one: %v", session, tt.wantSession)
			}
			if session == nil {
				return
			}
			if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
				t.Errorf("cookie %v: want HttpOnly and SameSite=Strict", session)
			}
			for _, path := range []string{"/api/workloads", "/api/events/stream"} {
				if code := getWithCookie(t, srv, path, session.Value); code != http.StatusOK {
					t.Errorf("GET %s with the cookie: %d", path, code)
				}
			}
			req, _ = http.NewRequest(http.MethodPost, srv.URL+"/api/logout", nil)
			cookie(session.Value)(req)
			do(t, srv, req)
			if code := getWithCookie(t, srv, "/api/workloads", session.Value); code != http.StatusUnauthorized {
				t.Errorf("GET with the cookie after logout: %d, want 401", code)
			}
		})
	}
}

// TestNoAuth checks that a hub with no credentials must say Insecure.
func TestNoAuth(t *testing.T) {
	url := startNATS(t)
	nc := connect(t, url)
	if _, err := New(Config{Conn: nc}); !errors.Is(err, ErrNoAuth) {
		t.Errorf("New without auth: %v, want ErrNoAuth", err)
	}
	if _, err := New(Config{Conn: nc, Auth: Auth{Tokens: []string{"short"}}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New with a short token: %v, want ErrInvalidConfig", err)
	}
	h := startHub(t, url, Config{Conn: nc, Auth: Auth{Insecure: true}})
	srv := serve(t, h.Hub)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/events", nil)
	if resp, _ := do(t, srv, req); resp.StatusCode != http.StatusOK {
		t.Errorf("insecure hub without credentials: %d, want 200", resp.StatusCode)
	}
}

// TestLoadAuth checks the auth file: what it gives, and every problem
// with its line.
func TestLoadAuth(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantTokens int
		wantUsers  int
		wantErrs   []string
	}{
		{name: "tokens and users", give: "tokens:\n  - 0123456789abcdef0123\n  - \"fedcba9876543210\"\nusers:\n  alice: correct-horse\n", wantTokens: 2, wantUsers: 1},
		{name: "users only", give: "users: {alice: correct-horse, bob: battery-staple}\n", wantUsers: 2},
		{name: "numeric token", give: "tokens: [12345678901234567890]\n", wantTokens: 1},
		{name: "empty", give: "", wantErrs: []string{"empty"}},
		{name: "nothing in it", give: "tokens: []\n", wantErrs: []string{"no tokens and no users"}},
		{name: "short token", give: "tokens:\n  - short\n", wantErrs: []string{"auth.yaml:2: token of 5 characters"}},
		{name: "null token", give: "tokens:\n  -\n", wantErrs: []string{"auth.yaml:2: token: want a string"}},
		{name: "unknown key", give: "tokens: [0123456789abcdef]\ninsecure: true\n", wantErrs: []string{`auth.yaml:2: unknown key "insecure"`}},
		{name: "short password", give: "users:\n  alice: x\n", wantErrs: []string{`auth.yaml:2: user "alice": password of 1 characters`}},
		{name: "colon in user", give: "users:\n  \"a:b\": correct-horse\n", wantErrs: []string{`auth.yaml:2: user "a:b"`}},
		{name: "user twice", give: "users:\n  alice: correct-horse\n  alice: battery-staple\n", wantErrs: []string{`auth.yaml:3: user "alice" given twice`}},
		{name: "every problem at once", give: "tokens: [a, b]\nusers: {c: d}\n", wantErrs: []string{"auth.yaml:1: token of 1", "auth.yaml:1: token of 1", `auth.yaml:2: user "c"`}},
		{name: "not a mapping", give: "- a\n", wantErrs: []string{"auth.yaml:1: want a mapping"}},
		{name: "tokens not a list", give: "tokens: abc\n", wantErrs: []string{"auth.yaml:1: tokens: want a list"}},
		{name: "not YAML", give: "tokens: [\n", wantErrs: []string{"auth.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "auth.yaml")
			if err := os.WriteFile(path, []byte(tt.give), 0o600); err != nil {
				t.Fatal(err)
			}
			a, err := LoadAuth(path)
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if len(a.Tokens) != tt.wantTokens || len(a.Users) != tt.wantUsers || a.Validate() != nil {
					t.Errorf("auth %+v: want %d tokens, %d users, valid", a, tt.wantTokens, tt.wantUsers)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErrs)
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q, want it to say %q", err, want)
				}
			}
		})
	}
	if _, err := LoadAuth(filepath.Join(t.TempDir(), "none.yaml")); err == nil || !strings.Contains(err.Error(), "loading auth file") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParseAuth: the parser never panics, and what it accepts is valid.
func FuzzParseAuth(f *testing.F) {
	f.Add([]byte("tokens:\n  - 0123456789abcdef0123\nusers:\n  alice: correct-horse\n"))
	f.Add([]byte("users: {a: b}\n"))
	f.Add([]byte("tokens: [&a x, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := parseAuth("fuzz.yaml", data)
		if err == nil {
			if verr := a.Validate(); verr != nil {
				t.Fatalf("accepted %q, invalid: %v", data, verr)
			}
		}
	})
}

func do(t *testing.T, srv *httptest.Server, req *http.Request) (*http.Response, string) {
	t.Helper()
	if strings.HasSuffix(req.URL.Path, "/stream") {
		// A stream does not end: read what comes first, then hang up.
		ctx, cancel := contextWithCancel(req)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && strings.HasSuffix(req.URL.Path, "/stream") {
		return resp, ""
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func getWithCookie(t *testing.T, srv *httptest.Server, path, value string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	cookie(value)(req)
	resp, _ := do(t, srv, req)
	return resp.StatusCode
}

func bearer(token string) func(*http.Request) {
	return header("Authorization", "Bearer "+token)
}

func header(k, v string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(k, v) }
}

func basic(user, password string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, password) }
}

func cookie(value string) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: SessionCookie, Value: value}) }
}
