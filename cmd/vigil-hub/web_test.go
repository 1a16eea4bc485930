package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/hub/web"
	"github.com/vigilsec/vigil/internal/natstest"
)

const testToken = "a-token-of-the-test-0123456789"

// TestServesDashboardAndForwards: with --http, --auth-token and
// --forward, the hub serves the dashboard with its CSP, refuses the API
// without the token, shows an event a guard published, and forwards it
// to a webhook.
func TestServesDashboardAndForwards(t *testing.T) {
	got := make(chan []byte, 16)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- body
	}))
	t.Cleanup(target.Close)
	fwd := filepath.Join(t.TempDir(), "forwarders.yaml")
	writeFile(t, fwd, "apiVersion: vigil.dev/v1\nkind: Forwarders\nforwarders:\n  - {name: test, type: webhook, url: "+target.URL+"}\n")
	addr, web := freeAddr(t), freeAddr(t)
	said := startHub(t, []string{"VIGIL_HUB_AUTH_TOKEN=" + testToken}, "--listen", addr, "--store", t.TempDir(), "--http", web, "--forward", fwd)
	waitSaid(t, said, "vigil-hub: dashboard on ", time.Now().Add(20*time.Second))

	page := get(t, "http://"+web+"/", "")
	if page.StatusCode != http.StatusOK || page.Header.Get("Content-Security-Policy") != webCSP() {
		t.Errorf("GET /: %s, CSP %q; want 200 and %q", page.Status, page.Header.Get("Content-Security-Policy"), webCSP())
	}
	if code := get(t, "http://"+web+"/api/events", "").StatusCode; code != http.StatusUnauthorized {
		t.Errorf("GET /api/events without the token: %d, want 401", code)
	}
	if code := get(t, "http://"+web+"/api/events", "not-"+testToken).StatusCode; code != http.StatusUnauthorized {
		t.Errorf("GET /api/events with another token: %d, want 401", code)
	}

	ev := publish(t, addr)
	deadline := time.Now().Add(20 * time.Second)
	for listed(t, "http://"+web+"/api/events")[ev.ID] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("event %s not in /api/events", ev.ID)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case body := <-got:
		var fwded events.Event
		if err := json.Unmarshal(body, &fwded); err != nil || fwded.ID != ev.ID {
			t.Errorf("the webhook got %q (%v), want event %s", body, err, ev.ID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the webhook got nothing")
	}
}

func webCSP() string { return web.CSP }

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// get GETs url, with token as a bearer token when set.
func get(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// publish publishes one event to the hub's stream as a guard does.
func publish(t *testing.T, addr string) events.Event {
	t.Helper()
	js, err := jetstream.New(connect(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	ev := natstest.Violation(t, "web-wiring")
	natstest.PublishUntilAcked(t, js, natsbus.Subject(ev.Workload, ev.Kind), []events.Event{ev})
	return ev
}

// TestBadWebInput: a bad dashboard or forwarder flag or file stops the
// hub before it starts, with one line naming it, exit 125.
func TestBadWebInput(t *testing.T) {
	dir := t.TempDir()
	badForward := filepath.Join(dir, "forwarders.yaml")
	writeFile(t, badForward, "apiVersion: vigil.dev/v1\nkind: Forwarders\nforwarders:\n  - {name: x, type: pager, url: http://127.0.0.1:1/}\n")
	badAuth := filepath.Join(dir, "auth.yaml")
	writeFile(t, badAuth, "tokens: [short]\n")
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  []string
		want     string
	}{
		{name: "no auth", giveArgs: []string{"--http", "127.0.0.1:0"}, want: "--http needs --auth-file or --auth-token"},
		{name: "auth and insecure", giveArgs: []string{"--http", "127.0.0.1:0", "--insecure-no-auth"}, giveEnv: []string{"VIGIL_HUB_AUTH_TOKEN=" + testToken}, want: "choose one"},
		{name: "auth without http", giveArgs: []string{"--auth-token", testToken}, want: "need --http"},
		{name: "short token", giveArgs: []string{"--http", "127.0.0.1:0", "--auth-token", "short"}, want: "--auth-file/--auth-token"},
		{name: "cert without key", giveArgs: []string{"--http", "127.0.0.1:0", "--insecure-no-auth", "--tls-cert", badAuth}, want: "go together"},
		{name: "bad auth file", giveArgs: []string{"--http", "127.0.0.1:0", "--auth-file", badAuth}, want: "auth.yaml:1:"},
		{name: "negative silence", giveArgs: []string{"--http", "127.0.0.1:0", "--insecure-no-auth", "--silence", "-1s"}, want: "--silence -1s: negative"},
		{name: "bad forwarder", giveArgs: []string{"--forward", badForward}, want: "forwarders.yaml:4:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			args := append([]string{"--listen", freeAddr(t), "--store", t.TempDir()}, tt.giveArgs...)
			cmd := exec.CommandContext(ctx, hubBin, args...)
			cmd.Env = append(os.Environ(), tt.giveEnv...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != exitError || !strings.Contains(string(out), tt.want) || strings.Count(string(out), "\n") != 1 {
				t.Errorf("exit %d, output %q; want %d and one line with %q", code, out, exitError, tt.want)
			}
		})
	}
}

// TestServesTLS: with --tls-cert and --tls-key the dashboard is HTTPS
// only, and the API still wants the token.
func TestServesTLS(t *testing.T) {
	cert, key := selfSigned(t)
	addr, web := freeAddr(t), freeAddr(t)
	said := startHub(t, []string{"VIGIL_HUB_AUTH_TOKEN=" + testToken}, "--listen", addr, "--store", t.TempDir(),
		"--http", web, "--tls-cert", cert, "--tls-key", key)
	if line := waitSaid(t, said, "vigil-hub: dashboard on ", time.Now().Add(20*time.Second)); !strings.Contains(line, "https://") {
		t.Errorf("the hub said %q, want an https:// address", line)
	}
	pool := x509.NewCertPool()
	certPEM, err := os.ReadFile(cert)
	if err != nil || !pool.AppendCertsFromPEM(certPEM) {
		t.Fatalf("reading %s: %v", cert, err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	for _, tt := range []struct {
		url, token string
		want       int
	}{
		{url: "https://" + web + "/api/events", want: http.StatusUnauthorized},
		{url: "https://" + web + "/api/events", token: testToken, want: http.StatusOK},
		{url: "https://" + web + "/", want: http.StatusOK},
	} {
		req, err := http.NewRequest(http.MethodGet, tt.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s (token %t): %s, want %d", tt.url, tt.token != "", resp.Status, tt.want)
		}
	}
	resp, err := http.Get("http://" + web + "/api/health")
	if err == nil && resp.StatusCode == http.StatusOK {
		resp.Body.Close()
		t.Errorf("plain HTTP answered %s on the TLS port", resp.Status)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil-hub test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "hub.pem"), filepath.Join(dir, "hub-key.pem")
	writeFile(t, cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, key, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	return cert, key
}
