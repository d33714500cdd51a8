package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/server"
)

func TestIssuerResolution(t *testing.T) {
	t.Parallel()
	const platform = "http://127.0.0.1:8080"
	direct := newFixture(t, nil)
	proxied := newFixture(t, func(o *server.Options) { o.TrustedProxies = prefixes("127.0.0.0/8") })
	tests := []struct {
		name       string
		f          *fixture
		path       string
		host       string
		header     http.Header
		wantStatus int
		wantIssuer string
		wantTenant string
		wantPath   string
	}{
		{
			name: "platform", f: direct, path: "/whoami",
			wantStatus: 200, wantIssuer: platform, wantPath: "/whoami",
		},
		{
			name: "a spoofed host is served as the platform", f: direct, path: "/whoami", host: "evil.example.com",
			wantStatus: 200, wantIssuer: platform, wantPath: "/whoami",
		},
		{
			name: "custom domain", f: direct, path: "/whoami", host: "login.acme.example",
			wantStatus: 200, wantIssuer: "https://login.acme.example", wantTenant: acmeID, wantPath: "/whoami",
		},
		{
			name: "custom domain in another case, with port and trailing dot", f: direct, path: "/whoami", host: "LOGIN.Acme.Example.:443",
			wantStatus: 200, wantIssuer: "https://login.acme.example", wantTenant: acmeID, wantPath: "/whoami",
		},
		{
			name: "a disabled tenant's domain is the platform", f: direct, path: "/whoami", host: "login.gone.example",
			wantStatus: 200, wantIssuer: platform, wantPath: "/whoami",
		},
		{
			name: "tenant path", f: direct, path: "/t/acme/whoami",
			wantStatus: 200, wantIssuer: platform + "/t/acme", wantTenant: acmeID, wantPath: "/whoami",
		},
		{
			name: "tenant path with a spoofed host", f: direct, path: "/t/acme/whoami", host: "evil.example.com",
			wantStatus: 200, wantIssuer: platform + "/t/acme", wantTenant: acmeID, wantPath: "/whoami",
		},
		{
			name: "RFC 8414 metadata location of a tenant", f: direct, path: "/.well-known/openid-configuration/t/acme",
			wantStatus: 200, wantIssuer: platform + "/t/acme", wantTenant: acmeID, wantPath: "/.well-known/openid-configuration",
		},
		{
			// Redirected to the clean path under the same issuer, which
			// the client follows.
			name: "tenant path that is not clean", f: direct, path: "/t/acme//x/../whoami",
			wantStatus: 200, wantIssuer: platform + "/t/acme", wantTenant: acmeID, wantPath: "/whoami",
		},
		{name: "unknown tenant", f: direct, path: "/t/nobody/whoami", wantStatus: 404},
		{name: "disabled tenant", f: direct, path: "/t/gone/whoami", wantStatus: 404},
		{name: "malformed slug", f: direct, path: "/t/Not_A_Slug/whoami", wantStatus: 404},
		{
			name: "a custom domain takes no tenant prefix", f: direct, path: "/t/acme/whoami", host: "login.acme.example",
			wantStatus: 404,
		},
		{
			name: "forwarded host from an untrusted peer is ignored", f: direct, path: "/whoami",
			header:     http.Header{"X-Forwarded-Host": {"login.acme.example"}, "Forwarded": {"host=login.acme.example"}},
			wantStatus: 200, wantIssuer: platform, wantPath: "/whoami",
		},
		{
			name: "X-Forwarded-Host from a trusted proxy", f: proxied, path: "/whoami",
			header:     http.Header{"X-Forwarded-Host": {"login.acme.example"}, "X-Forwarded-Proto": {"https"}},
			wantStatus: 200, wantIssuer: "https://login.acme.example", wantTenant: acmeID, wantPath: "/whoami",
		},
		{
			name: "Forwarded from a trusted proxy, nearest element wins", f: proxied, path: "/whoami",
			header:     http.Header{"Forwarded": {`host=evil.example.com, for=192.0.2.1;host="login.acme.example";proto=https`}},
			wantStatus: 200, wantIssuer: "https://login.acme.example", wantTenant: acmeID, wantPath: "/whoami",
		},
		{
			name: "trusted proxy forwarding an unknown host", f: proxied, path: "/whoami",
			header:     http.Header{"X-Forwarded-Host": {"evil.example.com"}},
			wantStatus: 200, wantIssuer: platform, wantPath: "/whoami",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, http.MethodGet, tt.f.url+tt.path, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, body := do(t, req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus != 200 {
				return
			}
			var got seen
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if got.Issuer != tt.wantIssuer {
				t.Errorf("issuer: got %q, want %q", got.Issuer, tt.wantIssuer)
			}
			if got.TenantID != tt.wantTenant {
				t.Errorf("tenant: got %q, want %q", got.TenantID, tt.wantTenant)
			}
			if got.Path != tt.wantPath {
				t.Errorf("handler path: got %q, want %q", got.Path, tt.wantPath)
			}
		})
	}
}

func TestIssuerResolutionStoreDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.tenants.SetErr(errStore)
	tests := []struct {
		name, path, host string
		wantStatus       int
	}{
		{"tenant path", "/t/acme/whoami", "", http.StatusServiceUnavailable},
		{"custom domain", "/whoami", "login.acme.example", http.StatusServiceUnavailable},
		// A host that cannot be a custom domain needs no lookup.
		{"IP host", "/whoami", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, http.MethodGet, f.url+tt.path, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, body := do(t, req)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status: got %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == http.StatusServiceUnavailable && string(body) != `{"error":"temporarily_unavailable","error_description":"try again later"}` {
				t.Errorf("body: got %s, want a temporarily_unavailable error without details", body)
			}
		})
	}
}

func TestPlatformOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *server.Options) { o.Tenants = nil })
	req := newRequest(t, http.MethodGet, f.url+"/whoami", nil)
	req.Host = "login.acme.example"
	resp, body := do(t, req)
	var got seen
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %d %s, want 200 JSON", resp.StatusCode, body)
	}
	if got.Issuer != "http://127.0.0.1:8080" {
		t.Errorf("issuer: got %q, want the platform", got.Issuer)
	}
	resp, _ = do(t, newRequest(t, http.MethodGet, f.url+"/t/acme/whoami", nil))
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("tenant path without tenants: got %d, want 404", resp.StatusCode)
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	direct := newFixture(t, nil)
	proxied := newFixture(t, func(o *server.Options) { o.TrustedProxies = prefixes("127.0.0.0/8", "10.0.0.0/8") })
	tests := []struct {
		name   string
		f      *fixture
		header http.Header
		want   string
	}{
		{"no proxy", direct, nil, "127.0.0.1"},
		{"untrusted peer's header is ignored", direct, http.Header{"X-Forwarded-For": {"203.0.113.7"}}, "127.0.0.1"},
		{"trusted chain", proxied, http.Header{"X-Forwarded-For": {"203.0.113.7, 10.0.0.2"}}, "203.0.113.7"},
		{"spoofed leftmost entry", proxied, http.Header{"X-Forwarded-For": {"1.1.1.1, 203.0.113.9", "10.1.2.3"}}, "203.0.113.9"},
		{"Forwarded with IPv6 and port", proxied, http.Header{"Forwarded": {`for="[2001:db8::1]:4711"`}}, "2001:db8::1"},
		{"Forwarded wins over X-Forwarded-For", proxied, http.Header{"Forwarded": {"for=198.51.100.4"}, "X-Forwarded-For": {"203.0.113.7"}}, "198.51.100.4"},
		{"obfuscated hop stops the walk", proxied, http.Header{"Forwarded": {"for=198.51.100.4, for=_hidden, for=10.0.0.9"}}, "10.0.0.9"},
		{"only trusted hops", proxied, http.Header{"X-Forwarded-For": {"10.0.0.1"}}, "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, http.MethodGet, tt.f.url+"/whoami", nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			_, body := do(t, req)
			var got seen
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if got.ClientIP != tt.want {
				t.Errorf("client ip: got %s, want %s", got.ClientIP, tt.want)
			}
		})
	}
}

func TestTenantCache(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	t.Run("hits, misses and expiry", func(t *testing.T) {
		t.Parallel()
		store, clock := testTenants(), newTestClock()
		c := server.NewTenantCache(store, time.Minute, clock.Now)
		for range 3 {
			if got, err := c.TenantBySlug(ctx, "acme"); err != nil || got.ID != acmeID {
				t.Fatalf("TenantBySlug(acme): got %v, %v, want acme", got, err)
			}
			if _, err := c.TenantByDomain(ctx, "nowhere.example"); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
				t.Fatalf("TenantByDomain(nowhere): got %v, want ENOTFOUND", err)
			}
			if got, err := c.TenantByID(ctx, acmeID); err != nil || got.Slug != "acme" {
				t.Fatalf("TenantByID(acme's id): got %v, %v, want acme", got, err)
			}
			if _, err := c.TenantByID(ctx, "acme"); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
				t.Fatalf("TenantByID(a slug): got %v, want ENOTFOUND", err)
			}
		}
		if got := store.Calls(); got != 4 {
			t.Errorf("store calls after repeated lookups: got %d, want 4", got)
		}
		clock.Advance(time.Minute)
		if _, err := c.TenantBySlug(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if got := store.Calls(); got != 5 {
			t.Errorf("store calls after expiry: got %d, want 5", got)
		}
		c.Invalidate()
		if _, err := c.TenantByID(ctx, acmeID); err != nil {
			t.Fatal(err)
		}
		if got := store.Calls(); got != 6 {
			t.Errorf("store calls after Invalidate: got %d, want 6", got)
		}
	})
	t.Run("store errors are not cached", func(t *testing.T) {
		t.Parallel()
		store, clock := testTenants(), newTestClock()
		c := server.NewTenantCache(store, time.Minute, clock.Now)
		store.SetErr(errStore)
		if _, err := c.TenantBySlug(ctx, "acme"); err != errStore {
			t.Fatalf("got %v, want the store error", err)
		}
		store.SetErr(nil)
		if got, err := c.TenantBySlug(ctx, "acme"); err != nil || got.ID != acmeID {
			t.Fatalf("after recovery: got %v, %v, want acme", got, err)
		}
	})
	t.Run("an answer read before Invalidate is not kept", func(t *testing.T) {
		t.Parallel()
		store, clock := testTenants(), newTestClock()
		c := server.NewTenantCache(store, time.Minute, clock.Now)
		store.during = c.Invalidate
		if _, err := c.TenantBySlug(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		store.mu.Lock()
		store.during = nil
		store.mu.Unlock()
		if _, err := c.TenantBySlug(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if got := store.Calls(); got != 2 {
			t.Errorf("store calls: got %d, want 2 (the first answer must not be cached)", got)
		}
	})
}
