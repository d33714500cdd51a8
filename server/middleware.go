package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
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

// Header values every response of a class carries, built once. Each is a
// slice of one element with no spare capacity, so that a handler calling
// Header().Add on one gets a new slice rather than writing into the
// shared one; handlers replace them with Set.
var (
	valNoSniff      = []string{"nosniff"}
	valNoReferrer   = []string{"no-referrer"}
	valHSTS         = []string{hsts}
	valNoStore      = []string{"no-store"}
	valNoCache      = []string{"no-cache"}
	valPageCSP      = []string{pageCSP}
	valAPICSP       = []string{apiCSP}
	valFrameDeny    = []string{"DENY"}
	valJSON         = []string{"application/json"}
	valPreflightHdr = []string{"Authorization, Content-Type, DPoP"}
	valPreflightAge = []string{"600"}
)

// serveHTTP is the outermost handler: it gives the request an id,
// recovers from a panic in anything inside, and writes one access log
// line and the metrics once the response is done (finish). In between it
// caps the request body, chooses the request's issuer (resolve) and sets
// the headers every response carries, then hands the request to the mux.
// Everything the request needs on the way in goes into one copy of the
// request with one context, since each copy costs an allocation on every
// request.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	st := &requestState{start: s.clock(), id: s.requestID(r.Header["X-Request-Id"]), clientIP: s.clientIP(r)}
	st.rw.ResponseWriter = w
	rw := &st.rw
	h := w.Header()
	h["X-Request-Id"] = []string{st.id}
	h["X-Content-Type-Options"] = valNoSniff
	h["Referrer-Policy"] = valNoReferrer
	s.metrics.inFlight.Inc()
	defer s.finish(r, st)
	if !s.limitBody(rw, r) {
		return
	}
	r2, ok := s.resolve(rw, r, st)
	if !ok {
		return
	}
	s.mux.ServeHTTP(rw, r2)
}

// finish runs when the response is done, deferred by serveHTTP: it
// recovers from a panic, and records the metrics and the access log line.
func (s *Server) finish(r *http.Request, st *requestState) {
	s.metrics.inFlight.Dec()
	p := recover()
	aborted := p == http.ErrAbortHandler
	rw := &st.rw
	if p != nil && !aborted {
		s.metrics.panics.Inc()
		s.log.Error("panic serving request", "request_id", st.id, "panic", fmt.Sprint(p),
			"stack", string(debug.Stack()))
		if !rw.wroteHeader {
			writeJSONError(rw, http.StatusInternalServerError, "server_error", "internal error")
		}
	}
	status := rw.statusCode()
	elapsed := s.clock().Sub(st.start)
	if st.routeMetrics == nil {
		st.routeMetrics = s.metrics.unmatched
	}
	st.routeMetrics.observe(status, elapsed)
	level := slog.LevelInfo
	if slices.Contains(probeRoutes, st.route) {
		level = slog.LevelDebug
	}
	if s.log.Enabled(r.Context(), level) {
		attrs := make([]slog.Attr, 0, 10+len(st.attrs))
		attrs = append(attrs,
			slog.String("request_id", st.id),
			slog.String("method", r.Method),
			slog.String("path", truncate(r.URL.Path, maxLoggedPath)),
			slog.String("route", st.route),
			slog.Int("status", status),
			slog.Int64("bytes", rw.bytes),
			slog.Duration("latency", elapsed),
			slog.String("client_ip", st.clientIP.String()),
		)
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
}

// requestID returns the incoming id when it is well formed, else a new
// one. Well formed means 1-64 characters that cannot break a log line or
// a header: letters, digits, '.', '_', '-'. A new id is this process's
// random prefix and a counter: unique, and cheaper than reading random
// bytes for every request. It is a correlation id, never a secret.
func (s *Server) requestID(in []string) string {
	if len(in) == 1 {
		if v := in[0]; len(v) >= 1 && len(v) <= 64 && validRequestID(v) {
			return v
		}
	}
	var digits [13]byte
	n := strconv.AppendUint(digits[:0], s.requests.Add(1), 36)
	b := make([]byte, 0, len(s.idPrefix)+max(len(n), minIDDigits))
	b = append(b, s.idPrefix...)
	for range minIDDigits - len(n) {
		b = append(b, '0')
	}
	return string(append(b, n...))
}

// minIDDigits pads the counter of a new request id, so that ids sort and
// line up in logs.
const minIDDigits = 7

func validRequestID(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// limitBody caps the request body, answering 413 itself for a body
// declared too large, and reports whether the request may go on; a
// handler reading past the cap gets an *http.MaxBytesError. A request
// without a body is left as it is.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength > s.opt.MaxBodyBytes {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "invalid_request", "request body too large")
		return false
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes)
	}
	return true
}

func (s *Server) pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Security-Policy"] = valPageCSP
		h["X-Frame-Options"] = valFrameDeny
		h["Cache-Control"] = valNoStore
		next.ServeHTTP(w, r)
	})
}

func (s *Server) protocolHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Cache-Control"] = valNoStore
		h["Pragma"] = valNoCache
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
		h["Access-Control-Allow-Headers"] = valPreflightHdr
		h["Access-Control-Max-Age"] = valPreflightAge
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiHeaders sets the headers of the admin API and, when jsonOnly, refuses
// a body that is not declared as JSON.
func (s *Server) apiHeaders(next http.Handler, jsonOnly bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Cache-Control"] = valNoStore
		h["Content-Security-Policy"] = valAPICSP
		h["X-Frame-Options"] = valFrameDeny
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
	h["Content-Type"] = valJSON
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h["Cache-Control"] = valNoStore
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
