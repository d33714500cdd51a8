package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Headers of the route classes.
const (
	// pageCSP allows only our own scripts and styles. Images may come from
	// any https origin, since tenants host their logos themselves. There
	// is no form-action: browsers apply it to the redirect that follows a
	// form post, which would block returning to a client's redirect URI.
	pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
	// apiCSP: JSON is never a document to render.
	apiCSP = "default-src 'none'; frame-ancestors 'none'"
	// hsts is sent for https issuers. It leaves subdomains alone: the
	// operator's other hosts are not ours to pin.
	hsts = "max-age=31536000"
)

// maxLoggedPath bounds the path in an access log line, so a client cannot
// inflate the log with one long request.
const maxLoggedPath = 256

// probeRoutes are logged at debug level: load balancers call them every
// few seconds.
var probeRoutes = []string{"GET /healthz", "GET /readyz", "GET /metrics"}

// observe is the outermost middleware: it gives the request an id,
// recovers from a panic in anything inside, and writes one access log
// line and the metrics once the response is done.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.clock()
		st := &requestState{id: requestID(r.Header.Get("X-Request-Id")), clientIP: s.clientIP(r)}
		w.Header().Set("X-Request-Id", st.id)
		rw := &responseWriter{ResponseWriter: w}
		method, path := r.Method, r.URL.Path
		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			p := recover()
			aborted := p == http.ErrAbortHandler
			if p != nil && !aborted {
				s.metrics.panics.Inc()
				s.log.Error("panic serving request", "request_id", st.id, "panic", fmt.Sprint(p),
					"stack", string(debug.Stack()))
				if !rw.wroteHeader {
					writeJSONError(rw, http.StatusInternalServerError, "server_error", "internal error")
				}
			}
			status := rw.statusCode()
			s.metrics.observe(st.route, status, s.clock().Sub(start))
			level := slog.LevelInfo
			if slices.Contains(probeRoutes, st.route) {
				level = slog.LevelDebug
			}
			if s.log.Enabled(r.Context(), level) {
				attrs := []slog.Attr{
					slog.String("request_id", st.id),
					slog.String("method", method),
					slog.String("path", truncate(path, maxLoggedPath)),
					slog.String("route", st.route),
					slog.Int("status", status),
					slog.Int64("bytes", rw.bytes),
					slog.Duration("latency", s.clock().Sub(start)),
					slog.String("client_ip", st.clientIP.String()),
				}
				if st.tenantID != "" {
					attrs = append(attrs, slog.String("tenant", st.tenantID))
				}
				if aborted {
					attrs = append(attrs, slog.Bool("aborted", true))
				}
				attrs = append(attrs, st.attrs...)
				s.log.LogAttrs(r.Context(), level, "http request", attrs...)
			}
			if aborted {
				// Let net/http drop the connection, as the handler asked.
				panic(p)
			}
		}()
		next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	})
}

// requestID returns the incoming id when it is well formed, else a new
// random one. Well formed means 1-64 characters that cannot break a log
// line or a header: letters, digits, '.', '_', '-'.
func requestID(in string) string {
	if len(in) >= 1 && len(in) <= 64 && strings.Trim(in, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == "" {
		return in
	}
	return secret.Token(16)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// limitBody caps every request body; a handler reading past the cap gets
// an *http.MaxBytesError.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.opt.MaxBodyBytes {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "invalid_request", "request body too large")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// secureHeaders sets the headers every response carries. It runs after
// issuer resolution, since HSTS depends on the issuer.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if iss, ok := issuerOf(r); ok && strings.HasPrefix(iss.URL, "https://") {
			h.Set("Strict-Transport-Security", hsts)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) protocolHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		s.allowCORS(w, r)
		next.ServeHTTP(w, r)
	})
}

// allowCORS admits the request's origin when Options.AllowOrigin does,
// and reports whether it did.
func (s *Server) allowCORS(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || s.opt.AllowOrigin == nil {
		return false
	}
	w.Header().Add("Vary", "Origin")
	if !s.opt.AllowOrigin(r, origin) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	return true
}

// servePreflight answers a CORS preflight for a protocol path. An origin
// that is not admitted gets no CORS headers, which the browser takes as a
// refusal.
func (s *Server) servePreflight(w http.ResponseWriter, r *http.Request, path string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	s.mu.RLock()
	methods := slices.Clone(s.preflight[path])
	s.mu.RUnlock()
	want := r.Header.Get("Access-Control-Request-Method")
	if want != "" && (slices.Contains(methods, want) || (want == http.MethodHead && slices.Contains(methods, http.MethodGet))) &&
		s.allowCORS(w, r) {
		h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiHeaders sets the headers of the admin API and, when jsonOnly, refuses
// a body that is not declared as JSON.
func (s *Server) apiHeaders(next http.Handler, jsonOnly bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", apiCSP)
		h.Set("X-Frame-Options", "DENY")
		if jsonOnly && hasBody(r) {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeAPIError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "the request body must be JSON (Content-Type: application/json)")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// writeJSONError writes {"error": code, "error_description": description},
// the shape of RFC 6749 §5.2, which every client of ours can read.
func writeJSONError(w http.ResponseWriter, status int, code, description string) {
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{code, description})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// writeAPIError writes an error in the admin API's own shape,
// {"error": {"code": code, "message": message}}, which its clients read
// for every answer of the API.
func writeAPIError(w http.ResponseWriter, status int, code, message string) {
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	b, _ := json.Marshal(struct {
		Error body `json:"error"`
	}{body{code, message}})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// responseWriter remembers the status and counts the bytes written.
type responseWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *responseWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 {
		w.status = code
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.status = http.StatusOK
		w.wroteHeader = true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) statusCode() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.status
}
