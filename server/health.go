package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds the readiness check, so a hung store makes the probe
// fail instead of hang.
const readyTimeout = 2 * time.Second

// routeHealth registers /healthz, /readyz and /metrics. They belong to no
// route class: probes and scrapers send no cookies and read no pages.
func (s *Server) routeHealth() {
	s.mux.Handle("GET /healthz", s.route("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusOK, "ok")
	})))
	s.mux.Handle("GET /readyz", s.route("GET /readyz", http.HandlerFunc(s.serveReady)))
	s.mux.Handle("GET /metrics", s.route("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{s},
		ErrorHandling: promhttp.ContinueOnError,
	})))
}

// serveReady answers 200 while the store answers and the server is not
// shutting down, and 503 otherwise, so a load balancer stops sending
// requests this node cannot serve.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeStatus(w, http.StatusServiceUnavailable, "shutting_down")
		return
	}
	if s.opt.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.opt.Ready.Ping(ctx); err != nil {
			s.log.Warn("not ready: store ping failed", "request_id", RequestID(r.Context()), "err", err)
			writeStatus(w, http.StatusServiceUnavailable, "unavailable")
			return
		}
	}
	writeStatus(w, http.StatusOK, "ready")
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write([]byte(`{"status":"` + status + `"}` + "\n"))
}

// slogPrinter adapts the server's logger to promhttp's error log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) {
	p.s.log.Warn("metrics", "err", fmt.Sprint(v...))
}
