package main

import (
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
)

func newHandler(st *store, maxBytes int64) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /items", func(w http.ResponseWriter, _ *http.Request) {
		ids, err := st.list()
		if err != nil {
			serverError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ids)
	})
	mux.HandleFunc("GET /items/{id}", withID(func(w http.ResponseWriter, _ *http.Request, id string) {
		b, err := st.get(id)
		if err != nil {
			storeError(w, err)
			return
		}
		w.Write(b)
	}))
	mux.HandleFunc("PUT /items/{id}", withID(func(w http.ResponseWriter, r *http.Request, id string) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "item too large", http.StatusRequestEntityTooLarge)
			return
		} else if err != nil {
			http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := st.put(id, b); err != nil {
			serverError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("DELETE /items/{id}", withID(func(w http.ResponseWriter, _ *http.Request, id string) {
		if err := st.delete(id); err != nil {
			storeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return mux
}

// withID checks the {id} of the path before the handler sees it.
func withID(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !validID.MatchString(id) {
			http.Error(w, "bad id: want 1 to 64 letters, digits, _ or -", http.StatusBadRequest)
			return
		}
		h(w, r, id)
	}
}

func storeError(w http.ResponseWriter, err error) {
	if errors.Is(err, errNotFound) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	serverError(w, err)
}

func serverError(w http.ResponseWriter, err error) {
	log.Printf("go-service: %v", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
