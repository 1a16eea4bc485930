package forward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/vigilsec/vigil/events"
)

// userAgent is sent with every request.
const userAgent = "vigil-hub"

// target sends events to one URL.
type target struct {
	client  *http.Client
	url     string
	where   string // url without its path and query, for errors
	headers map[string]string
	encode  encoder
}

func newTarget(f Forwarder) *target {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2
	return &target{
		client: &http.Client{
			Transport: tr,
			Timeout:   f.Timeout,
			// A redirect is a misconfiguration to fix, not to follow: it
			// would carry the event, and maybe its credentials, elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		url:     f.URL,
		where:   redact(f.URL),
		headers: f.Headers,
		encode:  encoderOf(f.Type),
	}
}

// redact keeps a URL's scheme and host: its path or query may hold a
// secret (a Slack webhook's path is one).
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the target"
	}
	return p.Scheme + "://" + p.Host
}

// shownURL is a URL as a load error shows it: redacted, like a runtime
// error's, or a placeholder when it has no host to show.
func shownURL(u string) string {
	p, err := url.Parse(u)
	switch {
	case u == "":
		return `""`
	case err != nil || p.Host == "":
		return "(not shown)"
	}
	return p.Scheme + "://" + p.Host
}

// sendError is a target's refusal or a failure to reach it.
type sendError struct {
	status int // 0 when there was no response
	// permanent is a refusal of this event that a retry cannot change.
	permanent bool
	// retryAfter is the target's Retry-After, when it said one.
	retryAfter time.Duration
	msg        string
}

func (e *sendError) Error() string { return e.msg }

// send posts e to the target: nil when it answered 2xx.
func (t *target) send(ctx context.Context, e events.Event, raw []byte) error {
	b, err := t.encode(e, raw)
	if err != nil {
		return &sendError{permanent: true, msg: err.Error()}
	}
	req, err := t.request(ctx, b)
	if err != nil {
		// The request never left: this event cannot be sent, and a retry
		// would only hold up the events behind it.
		return &sendError{permanent: true, msg: fmt.Sprintf("POST %s: %v", t.where, err)}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return &sendError{msg: fmt.Sprintf("POST %s: %v", t.where, unwrapURL(err))}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &sendError{
		status:     resp.StatusCode,
		permanent:  permanent(resp.StatusCode),
		retryAfter: retryAfter(resp.Header.Get("Retry-After")),
		msg:        fmt.Sprintf("POST %s: %s%s", t.where, resp.Status, quoteBody(snippet)),
	}
}

// request builds the request of b. The headers of the forwarders file
// were checked when it was loaded; those made from the event are checked
// here, as the HTTP client would refuse them, but permanently.
func (t *target) request(ctx context.Context, b body) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(b.data))
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", unwrapURL(err))
	}
	for k, v := range t.headers {
		req.Header.Set(k, v)
	}
	for k, v := range b.headers {
		if !httpguts.ValidHeaderFieldName(k) || !httpguts.ValidHeaderFieldValue(v) {
			return nil, fmt.Errorf("building the request: header %s made from the event is not a valid header", k)
		}
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// unwrapURL drops the *url.Error's URL, which may hold a secret.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// permanent tells the answers that refuse the event itself (400 Bad
// Request, 413 Content Too Large, 422 …) from those that say the
// forwarder or the target is not ready: 401, 403 and 404 (wrong
// credentials or URL, fixed by a person), 408 and 425 (try again), 429
// (too many). Those, 3xx and 5xx are retried.
func permanent(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// retryAfter parses a Retry-After of seconds; 0 when absent or a date.
func retryAfter(s string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// quoteBody is the start of a refusal's body, on one line.
func quoteBody(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if s == "" {
		return ""
	}
	if len(b) == 256 {
		s += "…"
	}
	return ": " + s
}
