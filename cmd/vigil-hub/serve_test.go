package main

import (
	"net/http"
	"testing"
)

// TestDashboardServerBounds: the dashboard's server bounds the reading
// of a whole request, body included, not its headers alone: a body
// trickled in by one without credentials does not hold a connection.
func TestDashboardServerBounds(t *testing.T) {
	srv := dashboardServer(http.NotFoundHandler())
	tests := []struct {
		name string
		got  bool
	}{
		{name: "ReadHeaderTimeout", got: srv.ReadHeaderTimeout > 0},
		{name: "ReadTimeout", got: srv.ReadTimeout > 0 && srv.ReadTimeout == readTimeout},
		{name: "IdleTimeout", got: srv.IdleTimeout > 0},
	}
	for _, tt := range tests {
		if !tt.got {
			t.Errorf("%s: not set", tt.name)
		}
	}
	if maxConns < 1 {
		t.Errorf("maxConns %d: want a bound", maxConns)
	}
}
