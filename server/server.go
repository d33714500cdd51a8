package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Defaults for zero Options fields.
const (
	defaultMaxBodyBytes      = 1 << 20
	defaultReadHeaderTimeout = 10 * time.Second
	defaultReadTimeout       = 30 * time.Second
	defaultWriteTimeout      = 60 * time.Second
	defaultIdleTimeout       = 120 * time.Second
	defaultShutdownTimeout   = 15 * time.Second
)

// Pinger reports whether a dependency can serve; the store implements it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options are the dependencies and settings of a Server. Only Issuer is
// required.
type Options struct {
	// Issuer is the platform issuer: scheme and host, no path, no trailing
	// slash (config.Config.Validate checks it).
	Issuer string
	// Tenants finds the tenants behind tenant issuers, usually a
	// TenantCache over the store. Nil serves the platform issuer only.
	Tenants Tenants
	// TrustedProxies are the networks whose Forwarded and X-Forwarded-*
	// headers are believed. Requests from anywhere else are taken as they
	// arrive.
	TrustedProxies []netip.Prefix
	// Logger receives the access log and errors. Nil discards them.
	Logger *slog.Logger
	// Registry receives the HTTP metrics and is what /metrics serves. Nil
	// uses a private registry. The process-wide default registry is never
	// used, so two servers in one test binary do not collide.
	Registry *prometheus.Registry
	// Ready is checked by /readyz; nil is always ready.
	Ready Pinger
	// Clock measures latencies and expires cached tenants. Nil uses
	// time.Now.
	Clock gatehouse.Clock
	// AllowOrigin decides whether a browser on origin may call a protocol
	// endpoint cross-origin (CORS): the origins registered by the request's
	// client. Nil allows none.
	AllowOrigin func(r *http.Request, origin string) bool
	// MaxBodyBytes limits request bodies; zero means 1 MiB.
	MaxBodyBytes int64
	// Timeouts of the http.Server; zero means a safe default.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds the graceful shutdown in Serve.
	ShutdownTimeout time.Duration
	// TLSCertFile and TLSKeyFile make Serve speak TLS itself.
	TLSCertFile string
	TLSKeyFile  string
}

// Server is the HTTP front of Gatehouse. Register routes with HandlePage,
// HandleProtocol and HandleAPI, then run it with Serve or mount Handler.
// Registration may continue while serving.
type Server struct {
	opt      Options
	log      *slog.Logger
	clock    gatehouse.Clock
	registry *prometheus.Registry
	metrics  *metrics

	// platform is the platform issuer and platformHost its lower-case host
	// name without port.
	platform     gatehouse.Issuer
	platformHost string
	platformTLS  bool

	mux     *http.ServeMux
	handler http.Handler
	csrf    *http.CrossOriginProtection

	// idPrefix and requests make new request ids: this process's random
	// prefix and a counter.
	idPrefix string
	requests atomic.Uint64

	// draining is set once shutdown begins, so /readyz takes the node out
	// of rotation.
	draining atomic.Bool

	// preflight records, per path of a protocol route, the methods
	// registered, to answer CORS preflight requests.
	mu        sync.RWMutex
	preflight map[string][]string
}

// New builds a Server. It fails when the issuer is not an absolute URL of
// scheme and host, or when the registry holds conflicting metrics.
func New(opt Options) (*Server, error) {
	u, err := url.Parse(opt.Issuer)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("server: issuer %q must be an http(s) URL with a host and nothing after it", opt.Issuer)
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = defaultMaxBodyBytes
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&opt.ReadHeaderTimeout, defaultReadHeaderTimeout},
		{&opt.ReadTimeout, defaultReadTimeout},
		{&opt.WriteTimeout, defaultWriteTimeout},
		{&opt.IdleTimeout, defaultIdleTimeout},
		{&opt.ShutdownTimeout, defaultShutdownTimeout},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	m, err := newMetrics(opt.Registry)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		opt:          opt,
		log:          opt.Logger,
		clock:        opt.Clock,
		registry:     opt.Registry,
		metrics:      m,
		platform:     gatehouse.Issuer{URL: opt.Issuer},
		platformHost: normalizeHost(u.Host),
		platformTLS:  u.Scheme == "https",
		mux:          http.NewServeMux(),
		csrf:         http.NewCrossOriginProtection(),
		preflight:    map[string][]string{},
		idPrefix:     secret.Token(12) + "-",
	}
	// The platform origin is our own, also when a proxy rewrites the Host
	// header and browsers without Sec-Fetch-Site fall back to Origin.
	if err := s.csrf.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Page routes are the only ones behind this check: a person sees
		// a page, a script the JSON.
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, csrfPage)
			return
		}
		writeJSONError(w, http.StatusForbidden, "access_denied", "cross-origin request refused")
	}))
	s.routeHealth()
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

// Handler returns the handler that serves every request, for tests and
// for mounting in an http.Server of one's own.
func (s *Server) Handler() http.Handler { return s.handler }

// Registry returns the metrics registry the server reports to.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// HandlePage registers a browser page: cross-origin unsafe requests are
// refused (CSRF, with net/http.CrossOriginProtection), and responses carry
// a restrictive Content-Security-Policy with frame-ancestors 'none',
// X-Frame-Options DENY and Cache-Control no-store. A handler may replace
// the CSP or Cache-Control header before it writes. The pattern is a
// ServeMux pattern ("GET /login"); like ServeMux it panics on an invalid
// or conflicting pattern, a programming error caught at start-up.
func (s *Server) HandlePage(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.route(pattern, s.pageHeaders(s.csrf.Handler(h))))
}

// HandleCrossSiteCallback registers a browser endpoint that other sites
// post to by design, so it is exempt from the cross-origin check: a SAML
// assertion consumer service or an upstream provider's form_post callback.
// Such a handler must tie the request to the flow it started (state,
// InResponseTo) itself. Headers are those of HandlePage.
func (s *Server) HandleCrossSiteCallback(pattern string, h http.Handler) {
	s.csrf.AddInsecureBypassPattern(pattern)
	s.HandlePage(pattern, h)
}

// HandleProtocol registers an OAuth/OIDC protocol endpoint: no cookies are
// needed, responses are Cache-Control no-store (RFC 6749 §5.1; discovery
// and JWKS replace it), and browsers on an origin that Options.AllowOrigin
// admits may call it cross-origin. For a pattern with a method, CORS
// preflight requests to its path are answered.
func (s *Server) HandleProtocol(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.route(pattern, s.protocolHeaders(h)))
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == http.MethodOptions {
		return
	}
	path = strings.TrimSpace(path)
	s.mu.Lock()
	methods, seen := s.preflight[path]
	s.preflight[path] = append(methods, method)
	s.mu.Unlock()
	if !seen {
		s.mux.Handle("OPTIONS "+path, s.route("OPTIONS "+path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.servePreflight(w, r, path)
		})))
	}
}

// HandleAPI registers an admin API endpoint: JSON in and out, no caching,
// never framed. A request with a body must declare it as JSON.
func (s *Server) HandleAPI(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.route(pattern, s.apiHeaders(h, true)))
}

// HandleAPIUpload registers an admin API endpoint that takes a file as its
// raw body (an image upload): the headers of HandleAPI, but the body may
// be of any media type, which the handler must check itself. Its answers
// are JSON like those of every API endpoint.
func (s *Server) HandleAPIUpload(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.route(pattern, s.apiHeaders(h, false)))
}

// route records the matched pattern, and its metrics, for the access log
// and the metrics: the request the mux sees may be a copy with the tenant
// prefix stripped. pattern is the one the handler is registered under,
// which is what the mux reports as the request's Pattern.
func (s *Server) route(pattern string, h http.Handler) http.Handler {
	rm := s.metrics.forRoute(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st := stateFrom(r.Context()); st != nil {
			st.route, st.routeMetrics = pattern, rm
		}
		h.ServeHTTP(w, r)
	})
}

// Serve serves on ln until ctx ends, then shuts down gracefully: it stops
// accepting, fails readiness, and waits at most ShutdownTimeout for
// requests in flight before closing what remains. It returns nil after a
// clean shutdown. With TLSCertFile and TLSKeyFile set it speaks TLS 1.2+.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.opt.ReadHeaderTimeout,
		ReadTimeout:       s.opt.ReadTimeout,
		WriteTimeout:      s.opt.WriteTimeout,
		IdleTimeout:       s.opt.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests keep ctx's values but not its cancellation, so that
		// shutdown lets requests in flight finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	useTLS := s.opt.TLSCertFile != "" || s.opt.TLSKeyFile != ""
	if useTLS {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	errc := make(chan error, 1)
	go func() {
		if useTLS {
			errc <- srv.ServeTLS(ln, s.opt.TLSCertFile, s.opt.TLSKeyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	s.log.Info("listening", "addr", ln.Addr().String(), "issuer", s.platform.URL, "tls", useTLS)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down", "timeout", s.opt.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opt.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown: %w", err))
		if cerr := srv.Close(); cerr != nil {
			errs = append(errs, fmt.Errorf("close: %w", cerr))
		}
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve: %w", err))
	}
	return errors.Join(errs...)
}

// csrfPage is shown when a browser form was posted from another site. It
// is plain and self-contained: the pages' renderer is not the server's.
const csrfPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Request refused</title></head>
<body><main><h1>Request refused</h1>
<p>This form was sent from another website, so it was not accepted. Go back to the page you came from and try again.</p>
</main></body></html>
`
