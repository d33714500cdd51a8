package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/server"
)

func TestNewRejectsBadIssuer(t *testing.T) {
	t.Parallel()
	for _, iss := range []string{"", "login.example.com", "https://login.example.com/", "https://login.example.com/auth", "ftp://x.example.com"} {
		if _, err := server.New(server.Options{Issuer: iss}); err == nil {
			t.Errorf("New(Issuer: %q): got nil error, want one", iss)
		}
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tests := []struct {
		name     string
		incoming string
		wantKept bool
	}{
		{"none", "", false},
		{"well formed", "req-0192f5a0.abc_DEF", true},
		{"with spaces", "bad id", false},
		{"with a newline", "bad\nid", false},
		{"too long", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, http.MethodGet, f.url+"/whoami", nil)
			if tt.incoming != "" {
				req.Header["X-Request-Id"] = []string{tt.incoming}
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				// net/http refuses to send a header with a newline, which
				// protects the server as well as any check here could.
				if strings.Contains(tt.incoming, "\n") {
					return
				}
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("X-Request-Id")
			if tt.wantKept && got != tt.incoming {
				t.Errorf("X-Request-Id: got %q, want the incoming %q", got, tt.incoming)
			}
			if !tt.wantKept && (got == tt.incoming || len(got) < 20) {
				t.Errorf("X-Request-Id: got %q, want a new random id", got)
			}
		})
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	req := newRequest(t, http.MethodGet, f.url+"/t/acme/whoami?code=sensitive-code-value", nil)
	req.Header.Set("X-Request-Id", "trace-123")
	do(t, req)
	do(t, newRequest(t, http.MethodGet, f.url+"/healthz", nil))
	do(t, newRequest(t, http.MethodGet, f.url+"/nothing-here", nil))

	lines := f.logs.lines(t, "http request")
	if len(lines) != 3 {
		t.Fatalf("got %d access log lines, want 3:\n%s", len(lines), f.logs.String())
	}
	want := map[string]any{
		"level": "INFO", "request_id": "trace-123", "method": "GET", "path": "/t/acme/whoami",
		"route": "GET /whoami", "status": float64(200), "tenant": acmeID, "client_ip": "127.0.0.1",
		"client_id": "probe-client",
	}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("access log %s: got %v, want %v", k, lines[0][k], v)
		}
	}
	if b, _ := lines[0]["bytes"].(float64); b <= 0 {
		t.Errorf("access log bytes: got %v, want the body size", lines[0]["bytes"])
	}
	if _, ok := lines[0]["latency"]; !ok {
		t.Errorf("access log has no latency: %v", lines[0])
	}
	if strings.Contains(f.logs.String(), "sensitive-code-value") {
		t.Errorf("the log contains the query string:\n%s", f.logs.String())
	}
	if lines[1]["level"] != "DEBUG" || lines[1]["route"] != "GET /healthz" {
		t.Errorf("probe line: got level %v route %v, want DEBUG and GET /healthz", lines[1]["level"], lines[1]["route"])
	}
	if lines[2]["status"] != float64(404) || lines[2]["route"] != "" {
		t.Errorf("unmatched line: got status %v route %q, want 404 and no route", lines[2]["status"], lines[2]["route"])
	}
	if _, ok := lines[2]["tenant"]; ok {
		t.Errorf("platform request logged a tenant: %v", lines[2])
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	f := newFixture(t, func(o *server.Options) { o.Registry = reg })
	// A second server on the same registry shares its collectors.
	if _, err := server.New(server.Options{Issuer: "http://127.0.0.1:1", Registry: reg}); err != nil {
		t.Fatalf("second New on one registry: %v", err)
	}
	for _, p := range []string{"/whoami", "/t/acme/whoami", "/missing"} {
		do(t, newRequest(t, http.MethodGet, f.url+p, nil))
	}
	resp, body := do(t, newRequest(t, http.MethodGet, f.url+"/metrics", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: got %d, want 200", resp.StatusCode)
	}
	text := string(body)
	for _, want := range []string{
		`gatehouse_http_requests_total{code="2xx",route="GET /whoami"} 2`,
		`gatehouse_http_requests_total{code="4xx",route="unmatched"} 1`,
		`gatehouse_http_request_duration_seconds_count{route="GET /whoami"} 2`,
		`gatehouse_http_requests_in_flight 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, text)
		}
	}
	for _, leak := range []string{acmeID, "acme", "/missing"} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics contains %q: labels must not name tenants or raw paths", leak)
		}
	}
}

func TestRouteClasses(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	setup := func(o *server.Options) {
		o.AllowOrigin = func(r *http.Request, origin string) bool { return origin == "https://app.example.com" }
	}
	plain := newFixture(t, setup)
	secure := newFixture(t, func(o *server.Options) { setup(o); o.Issuer = "https://login.example.com" })
	for _, f := range []*fixture{plain, secure} {
		f.srv.HandlePage("GET /page", ok)
		f.srv.HandlePage("POST /page", ok)
		f.srv.HandleCrossSiteCallback("POST /callback", ok)
		f.srv.HandleProtocol("POST /token", ok)
		f.srv.HandleAPI("POST /api/thing", ok)
		f.srv.HandleAPI("GET /api/thing", ok)
		f.srv.HandleAPIUpload("PUT /api/thing/logo", ok)
	}
	tests := []struct {
		name       string
		f          *fixture
		method     string
		path       string
		header     http.Header
		body       string
		wantStatus int
		wantHeader map[string]string // "" means absent
		wantBody   string            // checked when set
	}{
		{
			name: "page headers", f: plain, method: "GET", path: "/page", wantStatus: 200,
			wantHeader: map[string]string{
				"X-Frame-Options": "DENY", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
				"Referrer-Policy": "no-referrer", "Strict-Transport-Security": "",
			},
		},
		{
			name: "HSTS for an https issuer", f: secure, method: "GET", path: "/page", wantStatus: 200,
			wantHeader: map[string]string{"Strict-Transport-Security": "max-age=31536000"},
		},
		{
			name: "HSTS for a custom domain", f: plain, method: "GET", path: "/page", header: http.Header{"Host": {"login.acme.example"}},
			wantStatus: 200, wantHeader: map[string]string{"Strict-Transport-Security": "max-age=31536000"},
		},
		{
			name: "cross-site form post to a page is refused", f: plain, method: "POST", path: "/page",
			header: http.Header{"Sec-Fetch-Site": {"cross-site"}}, wantStatus: 403,
		},
		{
			name: "a browser refused by CSRF protection sees a page", f: plain, method: "POST", path: "/page",
			header:     http.Header{"Sec-Fetch-Site": {"cross-site"}, "Accept": {"text/html,application/xhtml+xml"}},
			wantStatus: 403, wantHeader: map[string]string{"Content-Type": "text/html; charset=utf-8"},
		},
		{
			name: "cross-origin post without Sec-Fetch-Site is refused", f: plain, method: "POST", path: "/page",
			header: http.Header{"Origin": {"https://evil.example.com"}}, wantStatus: 403,
		},
		{
			name: "same-origin post to a page", f: plain, method: "POST", path: "/page",
			header: http.Header{"Sec-Fetch-Site": {"same-origin"}}, wantStatus: 200,
		},
		{
			name: "same-origin post to a tenant page", f: plain, method: "POST", path: "/t/acme/page",
			header: http.Header{"Sec-Fetch-Site": {"same-origin"}}, wantStatus: 200,
		},
		{
			name: "cross-site post to a callback", f: plain, method: "POST", path: "/callback",
			header: http.Header{"Sec-Fetch-Site": {"cross-site"}}, wantStatus: 200,
			wantHeader: map[string]string{"X-Frame-Options": "DENY"},
		},
		{
			name: "protocol endpoint", f: plain, method: "POST", path: "/token", wantStatus: 200,
			wantHeader: map[string]string{"Cache-Control": "no-store", "Pragma": "no-cache", "Access-Control-Allow-Origin": ""},
		},
		{
			name: "protocol endpoint from an allowed origin", f: plain, method: "POST", path: "/token",
			header: http.Header{"Origin": {"https://app.example.com"}}, wantStatus: 200,
			wantHeader: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Vary": "Origin"},
		},
		{
			name: "protocol endpoint from another origin", f: plain, method: "POST", path: "/token",
			header: http.Header{"Origin": {"https://evil.example.com"}}, wantStatus: 200,
			wantHeader: map[string]string{"Access-Control-Allow-Origin": ""},
		},
		{
			name: "preflight from an allowed origin", f: plain, method: "OPTIONS", path: "/token",
			header:     http.Header{"Origin": {"https://app.example.com"}, "Access-Control-Request-Method": {"POST"}},
			wantStatus: 204,
			wantHeader: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "POST"},
		},
		{
			name: "preflight from another origin", f: plain, method: "OPTIONS", path: "/token",
			header:     http.Header{"Origin": {"https://evil.example.com"}, "Access-Control-Request-Method": {"POST"}},
			wantStatus: 204, wantHeader: map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""},
		},
		{
			name: "preflight for an unregistered method", f: plain, method: "OPTIONS", path: "/token",
			header:     http.Header{"Origin": {"https://app.example.com"}, "Access-Control-Request-Method": {"DELETE"}},
			wantStatus: 204, wantHeader: map[string]string{"Access-Control-Allow-Origin": ""},
		},
		{
			name: "API with JSON", f: plain, method: "POST", path: "/api/thing", body: `{}`,
			header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, wantStatus: 200,
			wantHeader: map[string]string{"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"},
		},
		{
			name: "API with a form body", f: plain, method: "POST", path: "/api/thing", body: `a=b`,
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, wantStatus: 415,
			wantBody: `{"error":{"code":"unsupported_media_type","message":"the request body must be JSON (Content-Type: application/json)"}}`,
		},
		{
			name: "API upload with an image body", f: plain, method: "PUT", path: "/api/thing/logo", body: "\x89PNG\r\n\x1a\n",
			header: http.Header{"Content-Type": {"image/png"}}, wantStatus: 200,
			wantHeader: map[string]string{"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
				"X-Frame-Options": "DENY"},
		},
		{name: "API read without body", f: plain, method: "GET", path: "/api/thing", wantStatus: 200},
		{name: "wrong method", f: plain, method: "DELETE", path: "/api/thing", wantStatus: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req := newRequest(t, tt.method, tt.f.url+tt.path, body)
			for k, v := range tt.header {
				if k == "Host" {
					req.Host = v[0]
					continue
				}
				req.Header[k] = v
			}
			resp, respBody := do(t, req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, respBody)
			}
			if tt.wantBody != "" && string(respBody) != tt.wantBody {
				t.Errorf("body: got %s, want %s", respBody, tt.wantBody)
			}
			for k, want := range tt.wantHeader {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
		})
	}
	t.Run("page CSP", func(t *testing.T) {
		t.Parallel()
		resp, _ := do(t, newRequest(t, http.MethodGet, plain.url+"/page", nil))
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "script-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
	})
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *server.Options) { o.MaxBodyBytes = 1024 })
	f.srv.HandleProtocol("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "too big", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write([]byte("ok"))
	}))
	tests := []struct {
		name       string
		body       io.Reader
		wantStatus int
	}{
		{"within the limit", strings.NewReader(strings.Repeat("a", 1024)), 200},
		{"declared too large", strings.NewReader(strings.Repeat("a", 1025)), 413},
		// A reader of unknown length is sent chunked: the limit applies
		// while the handler reads.
		{"chunked too large", io.MultiReader(strings.NewReader(strings.Repeat("a", 2000))), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, newRequest(t, http.MethodPost, f.url+"/echo", tt.body))
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status: got %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, body)
			}
		})
	}
}

func TestPanicRecovery(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	f := newFixture(t, func(o *server.Options) { o.Registry = reg })
	f.srv.HandleProtocol("GET /boom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("database password is hunter2")
	}))
	req := newRequest(t, http.MethodGet, f.url+"/boom", nil)
	req.Header.Set("X-Request-Id", "boom-1")
	resp, body := do(t, req)
	if resp.StatusCode != 500 {
		t.Fatalf("status: got %d, want 500", resp.StatusCode)
	}
	if got, want := string(body), `{"error":"server_error","error_description":"internal error"}`; got != want {
		t.Errorf("body: got %s, want %s", got, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", ct)
	}
	panics := f.logs.lines(t, "panic serving request")
	if len(panics) != 1 || panics[0]["request_id"] != "boom-1" || !strings.Contains(panics[0]["stack"].(string), "server_test") {
		t.Errorf("panic log: got %v, want one line with the request id and stack", panics)
	}
	access := f.logs.lines(t, "http request")
	if len(access) != 1 || access[0]["status"] != float64(500) {
		t.Errorf("access log: got %v, want one line with status 500", access)
	}
	// The server keeps serving.
	if resp, _ := do(t, newRequest(t, http.MethodGet, f.url+"/whoami", nil)); resp.StatusCode != 200 {
		t.Errorf("after a panic: got %d, want 200", resp.StatusCode)
	}
	_, metrics := do(t, newRequest(t, http.MethodGet, f.url+"/metrics", nil))
	if !strings.Contains(string(metrics), "gatehouse_http_panics_total 1") {
		t.Errorf("/metrics lacks gatehouse_http_panics_total 1")
	}
}

type pinger struct {
	mu  sync.Mutex
	err error
}

func (p *pinger) Ping(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func TestHealth(t *testing.T) {
	t.Parallel()
	up, down := &pinger{}, &pinger{err: errors.New("dial tcp: connection refused")}
	tests := []struct {
		name       string
		ready      server.Pinger
		path       string
		wantStatus int
		wantBody   string
	}{
		{"healthz", down, "/healthz", 200, `{"status":"ok"}`},
		{"ready", up, "/readyz", 200, `{"status":"ready"}`},
		{"no pinger is ready", nil, "/readyz", 200, `{"status":"ready"}`},
		{"store down", down, "/readyz", 503, `{"status":"unavailable"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(o *server.Options) { o.Ready = tt.ready })
			resp, body := do(t, newRequest(t, http.MethodGet, f.url+tt.path, nil))
			if resp.StatusCode != tt.wantStatus || strings.TrimSpace(string(body)) != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if strings.Contains(string(body), "refused") {
				t.Errorf("the body reveals the error: %s", body)
			}
		})
	}
}

// serve runs s on a fresh loopback listener until the returned cancel is
// called; wait returns Serve's result.
func serve(t *testing.T, s *server.Server) (addr string, cancel func(), wait func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(cancel)
	wait = func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return")
			return nil
		}
	}
	return ln.Addr().String(), cancel, wait
}

func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		release  bool // the slow request finishes during shutdown
		wantErr  bool
		shutdown time.Duration
	}{
		{name: "waits for requests in flight", release: true, shutdown: 5 * time.Second},
		{name: "gives up after the timeout", release: false, wantErr: true, shutdown: 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := server.New(server.Options{Issuer: "http://127.0.0.1:8080", ShutdownTimeout: tt.shutdown})
			if err != nil {
				t.Fatal(err)
			}
			started, finish := make(chan struct{}), make(chan struct{})
			t.Cleanup(func() { close(finish) })
			s.HandleProtocol("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(started)
				select {
				case <-finish:
				case <-r.Context().Done():
					return
				}
				w.Write([]byte("done"))
			}))
			addr, cancel, wait := serve(t, s)
			type result struct {
				status int
				err    error
			}
			got := make(chan result, 1)
			go func() {
				resp, err := http.Get("http://" + addr + "/slow")
				if err != nil {
					got <- result{err: err}
					return
				}
				resp.Body.Close()
				got <- result{status: resp.StatusCode}
			}()
			<-started
			cancel()
			if tt.release {
				// Give Shutdown a moment to close the listener first.
				time.Sleep(50 * time.Millisecond)
				finish <- struct{}{}
			}
			err = wait()
			if tt.wantErr != (err != nil) {
				t.Errorf("Serve: got %v, want error %v", err, tt.wantErr)
			}
			r := <-got
			if tt.release && (r.err != nil || r.status != 200) {
				t.Errorf("in-flight request: got %d, %v, want 200", r.status, r.err)
			}
			if !tt.release && r.err == nil {
				t.Errorf("in-flight request after the timeout: got %d, want a closed connection", r.status)
			}
			if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
				t.Errorf("the listener still accepts after shutdown")
			}
		})
	}
}

func TestServeTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	s, err := server.New(server.Options{
		Issuer: "https://127.0.0.1", TLSCertFile: certFile, TLSKeyFile: keyFile,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, cancel, wait := serve(t, s)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	var resp *http.Response
	for range 50 { // the listener exists already; Serve may not have started
		resp, err = client.Get("https://" + addr + "/healthz")
		if err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("got %d over %v, want 200 over TLS 1.2+", resp.StatusCode, resp.TLS)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("no HSTS header for an https issuer")
	}
	cancel()
	if err := wait(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestServeBadCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := server.New(server.Options{
		Issuer: "https://127.0.0.1", TLSCertFile: filepath.Join(dir, "none.pem"), TLSKeyFile: filepath.Join(dir, "none.key"),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, wait := serve(t, s)
	if err := wait(); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Serve with missing certificate files: got %v, want a not-exist error", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "gatehouse test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
