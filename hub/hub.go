package hub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// Hub holds the view of the events and guards, fed by Run, and serves it
// by Handler. Its methods are safe for concurrent use.
type Hub struct {
	cfg      Config
	creds    *credentials
	sessions *sessions
	view     *view
	guards   *guards
	broker   *broker

	running atomic.Bool
	checks  atomic.Int64 // silence checks made
	ready   atomic.Bool  // the view is rebuilt and the stream read
	// ended is closed when the context of Run ends: SSE streams end
	// with it, so that http.Server.Shutdown can finish.
	ended   chan struct{}
	endOnce sync.Once
}

// New validates cfg and returns a Hub; Run feeds it.
func New(cfg Config) (*Hub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Hub{
		cfg:      cfg,
		creds:    newCredentials(cfg.Auth),
		sessions: newSessions(cfg.Session),
		view:     newView(cfg.MaxEvents, cfg.MaxBytes),
		guards:   newGuards(cfg.MaxWorkloads, cfg.Silence),
		broker:   newBroker(),
		ended:    make(chan struct{}),
	}, nil
}

// Run reads the stream with the hub's durable consumer (rebuilding the
// view from the stream first) and follows the heartbeats, until ctx ends
// (nil) or the connection is closed. When ctx ends, the SSE streams end
// too, so that an http.Server's Shutdown does not wait for them.
func (h *Hub) Run(ctx context.Context) error {
	if !h.running.CompareAndSwap(false, true) {
		return errors.New("running the hub: Run is already running")
	}
	defer h.running.Store(false)
	stop := context.AfterFunc(ctx, func() { h.endOnce.Do(func() { close(h.ended) }) })
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	beats := make(chan error, 1)
	go func() { beats <- h.watchBeats(ctx) }()
	err := h.consumeLoop(ctx)
	cancel()
	return errors.Join(err, <-beats)
}

// apply takes one event into the view and the workloads, and tells the
// SSE clients; it reports whether the event was new to the view.
func (h *Hub) apply(e events.Event, raw []byte, seq uint64, subject string) bool {
	en := newEntry(e, raw, seq)
	if !h.view.add(en) {
		return false
	}
	h.broker.send(message{pos: en.pos, kind: "event", id: en.id, data: en.raw, e: en})
	if !fromSubject(subject, natsbus.EventsPrefix, e) {
		h.cfg.Report(fmt.Errorf("event %s of workload %q came on %s: not counted for the workload", e.ID, e.Workload, subject))
		return true
	}
	if w, ok := h.guards.event(e, time.Now()); ok {
		h.broker.send(workloadMessage(w))
	}
	return true
}

// Handler serves the API, the SSE stream and the Assets (see
// docs/hub.md). Every /api path needs credentials but GET /api/health
// and the login and logout; the assets do not (the dashboard's login
// page is one of them; they hold no data).
func (h *Hub) Handler() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("GET /api/events", h.listEvents)
	api.HandleFunc("GET /api/events/stream", h.stream)
	api.HandleFunc("GET /api/events/{id}", h.getEvent)
	api.HandleFunc("GET /api/workloads", h.listWorkloads)
	api.HandleFunc("GET /api/rules", h.listRules)
	api.HandleFunc("/api/", notFound)

	top := http.NewServeMux()
	top.HandleFunc("GET /api/health", h.health)
	top.HandleFunc("POST /api/login", h.login)
	top.HandleFunc("POST /api/logout", h.logout)
	top.Handle("/api/", h.requireAuth(api))
	if h.cfg.Assets != nil {
		top.Handle("/", assets(h.cfg.Assets))
	} else {
		top.HandleFunc("/", http.NotFound)
	}
	return headers(h.cfg.CSP, top)
}

// requireAuth answers 401 to a request without valid credentials.
func (h *Hub) requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.authorized(r) {
			unauthorized(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// DefaultCSP is the Content-Security-Policy of the assets: their own
// files only, no inline script or style, no framing.
const DefaultCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// headers sets the security headers of every answer.
func headers(csp string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			hd.Set("Cache-Control", "no-store")
		} else {
			hd.Set("Content-Security-Policy", csp)
		}
		next.ServeHTTP(w, r)
	})
}

// assets serves files of fsys, and no directory listings.
func assets(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		if st, err := fs.Stat(fsys, name); err == nil && st.IsDir() {
			if _, err := fs.Stat(fsys, path.Join(name, "index.html")); err != nil {
				http.NotFound(w, r)
				return
			}
		}
		files.ServeHTTP(w, r)
	})
}
