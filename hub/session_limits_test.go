package hub

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLoginTrickledBody: a login whose body does not come (a slowloris,
// which needs no credentials) is answered, and its connection closed,
// after loginReadWait rather than held open.
func TestLoginTrickledBody(t *testing.T) {
	was := loginReadWait
	t.Cleanup(func() { loginReadWait = was }) // after the server's end
	loginReadWait = 100 * time.Millisecond    // before its start: its goroutines see it
	h := startHub(t, startNATS(t), Config{})
	srv := serve(t, h.Hub)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(hang)) //nolint:errcheck // a guard against hangs
	_, err = io.WriteString(conn, "POST /api/login HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"+
		"Content-Length: 1000\r\n\r\n{\"tok")
	if err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading the answer to a login whose body never ends: %v (after %s: %q)", err, hang, answer)
	}
	if !strings.HasPrefix(string(answer), "HTTP/1.1 400 ") {
		t.Errorf("answer %q, want a 400", answer)
	}
}

// TestLogoutNeedsJSON: a logout with a body that is not JSON (another
// site's form) is refused, as a login is; one without a body, as the
// dashboard sends, or with JSON, is taken.
func TestLogoutNeedsJSON(t *testing.T) {
	tests := []struct {
		name     string
		giveType string
		wantCode int
	}{
		{name: "no body", wantCode: http.StatusNoContent},
		{name: "JSON", giveType: "application/json", wantCode: http.StatusNoContent},
		{name: "JSON with a charset", giveType: "application/json; charset=utf-8", wantCode: http.StatusNoContent},
		{name: "form", giveType: "application/x-www-form-urlencoded", wantCode: http.StatusBadRequest},
		{name: "multipart form", giveType: "multipart/form-data; boundary=x", wantCode: http.StatusBadRequest},
		{name: "text", giveType: "text/plain", wantCode: http.StatusBadRequest},
	}
	h := startHub(t, startNATS(t), Config{})
	srv := serve(t, h.Hub)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.giveType != "" {
				body = strings.NewReader("{}")
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/logout", body)
			if tt.giveType != "" {
				req.Header.Set("Content-Type", tt.giveType)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("POST /api/logout, Content-Type %q: %d, want %d", tt.giveType, resp.StatusCode, tt.wantCode)
			}
		})
	}
}
