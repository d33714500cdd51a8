package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/server"
)

// memTenants is an in-memory tenant table standing in for the store, with
// a call counter and an injectable failure.
type memTenants struct {
	mu      sync.Mutex
	tenants []*gatehouse.Tenant
	calls   int
	err     error
	// during, when set, runs inside a lookup, before it returns.
	during func()
}

func (m *memTenants) find(match func(*gatehouse.Tenant) bool) (*gatehouse.Tenant, error) {
	m.mu.Lock()
	m.calls++
	err, during := m.err, m.during
	var found *gatehouse.Tenant
	for _, t := range m.tenants {
		if match(t) {
			found = t
		}
	}
	m.mu.Unlock()
	if during != nil {
		during()
	}
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "tenant not found")
	}
	return found, nil
}

func (m *memTenants) GetTenant(_ context.Context, id string) (*gatehouse.Tenant, error) {
	return m.find(func(t *gatehouse.Tenant) bool { return t.ID == id })
}

func (m *memTenants) GetTenantBySlug(_ context.Context, slug string) (*gatehouse.Tenant, error) {
	return m.find(func(t *gatehouse.Tenant) bool { return t.Slug == slug })
}

func (m *memTenants) GetTenantByDomain(_ context.Context, host string) (*gatehouse.Tenant, error) {
	return m.find(func(t *gatehouse.Tenant) bool {
		for _, d := range t.Domains {
			if d == host {
				return true
			}
		}
		return false
	})
}

func (m *memTenants) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

func (m *memTenants) SetErr(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const (
	acmeID     = "0192f5a0-0000-7000-8000-000000000001"
	disabledID = "0192f5a0-0000-7000-8000-000000000002"
)

func testTenants() *memTenants {
	return &memTenants{tenants: []*gatehouse.Tenant{
		{ID: acmeID, Slug: "acme", Name: "Acme", Status: gatehouse.StatusActive, Domains: []string{"login.acme.example"}},
		{ID: disabledID, Slug: "gone", Name: "Gone", Status: gatehouse.StatusDisabled, Domains: []string{"login.gone.example"}},
	}}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines returns the JSON log lines whose msg is msg.
func (s *syncBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(s.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// fixture is a running server with a probe route that reports what the
// handler saw.
type fixture struct {
	srv     *server.Server
	url     string
	logs    *syncBuffer
	tenants *memTenants
	clock   *testClock
}

// seen is what the probe handler reports.
type seen struct {
	Issuer   string `json:"issuer"`
	TenantID string `json:"tenant_id"`
	Path     string `json:"path"`
	ClientIP string `json:"client_ip"`
	ID       string `json:"request_id"`
}

func probe(w http.ResponseWriter, r *http.Request) {
	iss, ok := gatehouse.IssuerFrom(r.Context())
	if !ok {
		http.Error(w, "no issuer in context", http.StatusInternalServerError)
		return
	}
	server.AddLogAttrs(r.Context(), slog.String("client_id", "probe-client"))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(seen{
		Issuer: iss.URL, TenantID: iss.TenantID(), Path: r.URL.Path,
		ClientIP: server.ClientIP(r.Context()).String(), ID: server.RequestID(r.Context()),
	})
}

// newFixture starts a server on 127.0.0.1 with modify applied to its
// options; the probe is registered at GET /whoami and GET
// /.well-known/openid-configuration.
func newFixture(t *testing.T, modify func(*server.Options)) *fixture {
	t.Helper()
	f := &fixture{logs: &syncBuffer{}, tenants: testTenants(), clock: newTestClock()}
	opt := server.Options{
		Issuer:  "http://127.0.0.1:8080",
		Tenants: server.NewTenantCache(f.tenants, 30*time.Second, f.clock.Now),
		Logger:  slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:   f.clock.Now,
	}
	if modify != nil {
		modify(&opt)
	}
	srv, err := server.New(opt)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	srv.HandleProtocol("GET /whoami", http.HandlerFunc(probe))
	srv.HandleProtocol("GET /.well-known/openid-configuration", http.HandlerFunc(probe))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	f.srv, f.url = srv, hs.URL
	return f
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, body
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

// errStore is a store failure that is not ENOTFOUND.
var errStore = errors.New("connection refused")
