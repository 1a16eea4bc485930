package hub

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// listEvents serves GET /api/events.
func (h *Hub) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := parseFilter(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	before, limit, err := parsePage(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	page, next := h.view.page(f, before, limit)
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	for i, e := range page {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.raw) // as it was on the bus
	}
	b.WriteByte(']')
	if next != "" {
		b.WriteString(`,"next":"` + next + `"`) // an id: nothing to escape
	}
	b.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.Bytes()) //nolint:errcheck // the client went away
}

// getEvent serves GET /api/events/{id}.
func (h *Hub) getEvent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, ok := h.view.get(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no event "+quote(id)+" held")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(e.raw[:len(e.raw):len(e.raw)], '\n')) //nolint:errcheck // the client went away
}

// listWorkloads serves GET /api/workloads.
func (h *Hub) listWorkloads(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Workloads []Workload `json:"workloads"`
	}{h.guards.list()})
}

// listRules serves GET /api/rules.
func (h *Hub) listRules(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := parseFilter(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	window, step, err := parseWindow(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, h.series(f, time.Now(), window, step))
}

// health serves GET /api/health, without credentials: whether the hub
// reads the stream, and nothing else.
func (h *Hub) health(w http.ResponseWriter, _ *http.Request) {
	status, code := "ok", http.StatusOK
	switch {
	case !h.cfg.Conn.IsConnected():
		status, code = "disconnected", http.StatusServiceUnavailable
	case !h.ready.Load():
		status, code = "starting", http.StatusServiceUnavailable
	}
	writeJSON(w, code, struct {
		Status string `json:"status"`
	}{status})
}

func notFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusNotFound, "no such API")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n')) //nolint:errcheck // the client went away
}

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, struct {
		Error string `json:"error"`
	}{msg})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
