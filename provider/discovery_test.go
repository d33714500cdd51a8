package provider_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/provider"
	"github.com/gatehouse-id/gatehouse/server"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const acmeID = "0192f5a0-0000-7000-8000-00000000ac1e"

// tenantTable is an in-memory tenant table standing in for the store.
type tenantTable []*gatehouse.Tenant

func (tt tenantTable) find(match func(*gatehouse.Tenant) bool) (*gatehouse.Tenant, error) {
	for _, t := range tt {
		if match(t) {
			return t, nil
		}
	}
	return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "tenant not found")
}

func (tt tenantTable) GetTenant(_ context.Context, id string) (*gatehouse.Tenant, error) {
	return tt.find(func(t *gatehouse.Tenant) bool { return t.ID == id })
}

func (tt tenantTable) GetTenantBySlug(_ context.Context, slug string) (*gatehouse.Tenant, error) {
	return tt.find(func(t *gatehouse.Tenant) bool { return t.Slug == slug })
}

func (tt tenantTable) GetTenantByDomain(_ context.Context, host string) (*gatehouse.Tenant, error) {
	return tt.find(func(t *gatehouse.Tenant) bool { return slices.Contains(t.Domains, host) })
}

var tenants = tenantTable{
	{ID: acmeID, Slug: "acme", Name: "Acme", Status: gatehouse.StatusActive, Domains: []string{"login.acme.example"}},
}

// startServer runs the server with the provider registered, on a
// loopback listener. An empty issuer makes the platform issuer the
// server's own URL, so that a relying party can fetch what it names.
func startServer(t *testing.T, issuer string, jwks func() []byte) (baseURL, platform string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	baseURL = "http://" + ln.Addr().String()
	if issuer == "" {
		issuer = baseURL
	}
	srv, err := server.New(server.Options{
		Issuer:  issuer,
		Tenants: server.NewTenantCache(tenants, time.Minute, time.Now),
	})
	if err != nil {
		t.Fatal(err)
	}
	provider.New(provider.Options{Scopes: gatehouse.NewScopeCatalog(), JWKS: jwks}).Register(srv)
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)
	return baseURL, issuer
}

func get(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v[0]
			continue
		}
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// document is the part of the metadata the tests look at.
type document struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	RevocationEndpoint    string   `json:"revocation_endpoint"`
	IntrospectionEndpoint string   `json:"introspection_endpoint"`
	EndSessionEndpoint    string   `json:"end_session_endpoint"`
	ScopesSupported       []string `json:"scopes_supported"`
	ClaimsSupported       []string `json:"claims_supported"`
}

func (d document) endpoints() map[string]string {
	return map[string]string{
		"authorization_endpoint": d.AuthorizationEndpoint,
		"token_endpoint":         d.TokenEndpoint,
		"userinfo_endpoint":      d.UserinfoEndpoint,
		"jwks_uri":               d.JWKSURI,
		"revocation_endpoint":    d.RevocationEndpoint,
		"introspection_endpoint": d.IntrospectionEndpoint,
		"end_session_endpoint":   d.EndSessionEndpoint,
	}
}

func TestDiscoveryGolden(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, "https://login.example.com", nil)
	tests := []struct {
		name, path, golden string
	}{
		{"OpenID Connect Discovery", "/.well-known/openid-configuration", "openid-configuration.golden.json"},
		{"RFC 8414", "/.well-known/oauth-authorization-server", "oauth-authorization-server.golden.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := get(t, base+tt.path, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status: got %d, want 200 (%s)", resp.StatusCode, body)
			}
			for k, want := range map[string]string{
				"Content-Type":                "application/json",
				"Cache-Control":               "public, max-age=300",
				"Access-Control-Allow-Origin": "*",
				"Pragma":                      "",
				"Strict-Transport-Security":   "max-age=31536000",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			var indented bytes.Buffer
			if err := json.Indent(&indented, body, "", "  "); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, body)
			}
			indented.WriteByte('\n')
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(golden, indented.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(indented.Bytes(), want) {
				t.Errorf("document differs from %s (run go test -update if the change is intended):\ngot:\n%s", golden, indented.Bytes())
			}
		})
	}
}

func TestDiscoveryAdvertisesNoPlannedScope(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, "", nil)
	catalog := gatehouse.NewScopeCatalog()
	for _, path := range []string{"/.well-known/openid-configuration", "/t/acme/.well-known/oauth-authorization-server"} {
		_, body := get(t, base+path, nil)
		var doc document
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if want := catalog.AvailableNames(); !slices.Equal(doc.ScopesSupported, want) {
			t.Errorf("%s scopes_supported: got %v, want %v", path, doc.ScopesSupported, want)
		}
		for _, s := range doc.ScopesSupported {
			if entry, ok := catalog.Lookup(s); !ok || entry.Planned {
				t.Errorf("%s advertises %q, which is not an available scope", path, s)
			}
		}
		for _, planned := range catalog.Planned() {
			prefix := strings.TrimSuffix(planned.Name, "*")
			if strings.Contains(string(body), `"`+prefix) {
				t.Errorf("%s mentions the planned scope group %q", path, planned.Name)
			}
		}
		for _, claim := range []string{"sub", "email", "tenant_slug", "roles", "iss", "nonce", "at_hash", "acr"} {
			if !slices.Contains(doc.ClaimsSupported, claim) {
				t.Errorf("%s claims_supported lacks %q: %v", path, claim, doc.ClaimsSupported)
			}
		}
	}
}

func TestDiscoveryPerIssuer(t *testing.T) {
	t.Parallel()
	const platform = "https://login.example.com"
	base, _ := startServer(t, platform, nil)
	tests := []struct {
		name       string
		path       string
		header     http.Header
		wantIssuer string
	}{
		{name: "platform", path: "/.well-known/openid-configuration", wantIssuer: platform},
		{name: "tenant issuer", path: "/t/acme/.well-known/openid-configuration", wantIssuer: platform + "/t/acme"},
		{name: "tenant issuer, RFC 8414", path: "/t/acme/.well-known/oauth-authorization-server", wantIssuer: platform + "/t/acme"},
		{name: "tenant issuer, RFC 8414 location", path: "/.well-known/oauth-authorization-server/t/acme", wantIssuer: platform + "/t/acme"},
		{
			name: "custom domain", path: "/.well-known/openid-configuration",
			header: http.Header{"Host": {"login.acme.example"}}, wantIssuer: "https://login.acme.example",
		},
		{
			name: "spoofed Host", path: "/.well-known/openid-configuration",
			header: http.Header{"Host": {"attacker.example.net"}}, wantIssuer: platform,
		},
		{
			name: "spoofed Host on a tenant issuer", path: "/t/acme/.well-known/openid-configuration",
			header: http.Header{"Host": {"attacker.example.net"}}, wantIssuer: platform + "/t/acme",
		},
		{
			name: "spoofed forwarded headers from an untrusted peer", path: "/.well-known/openid-configuration",
			header: http.Header{
				"X-Forwarded-Host": {"attacker.example.net"}, "X-Forwarded-Proto": {"http"},
				"Forwarded": {"host=attacker.example.net;proto=http"},
			},
			wantIssuer: platform,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := get(t, base+tt.path, tt.header)
			if resp.StatusCode != 200 {
				t.Fatalf("status: got %d, want 200 (%s)", resp.StatusCode, body)
			}
			var doc document
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Issuer != tt.wantIssuer {
				t.Errorf("issuer: got %q, want %q", doc.Issuer, tt.wantIssuer)
			}
			for name, u := range doc.endpoints() {
				if !strings.HasPrefix(u, tt.wantIssuer+"/oauth/") {
					t.Errorf("%s: got %q, want it under %s/oauth/", name, u, tt.wantIssuer)
				}
			}
			if strings.Contains(string(body), "attacker") {
				t.Errorf("the document names the spoofed host: %s", body)
			}
		})
	}
	t.Run("unknown tenant", func(t *testing.T) {
		t.Parallel()
		resp, body := get(t, base+"/t/nobody/.well-known/openid-configuration", nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("status: got %d, want 404 (%s)", resp.StatusCode, body)
		}
	})
}

// TestRelyingParty points the relying-party library real apps use at the
// server, for the platform and a tenant issuer: it checks that the issuer
// in the document is the one it asked for, and verifies an ID token
// against the keys the JWKS endpoint serves.
func TestRelyingParty(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	_, platform := startServer(t, "", func() []byte { return jwks })
	for _, issuer := range []string{platform, platform + "/t/acme"} {
		t.Run(issuer, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			rp, err := oidc.NewProvider(ctx, issuer)
			if err != nil {
				t.Fatalf("oidc.NewProvider(%s): %v", issuer, err)
			}
			if got, want := rp.Endpoint().AuthURL, issuer+"/oauth/authorize"; got != want {
				t.Errorf("authorization endpoint: got %q, want %q", got, want)
			}
			now := time.Now()
			claims, _ := json.Marshal(map[string]any{
				"iss": issuer, "sub": "user-1", "aud": "app", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			})
			sig, err := signer.Sign(claims)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := sig.CompactSerialize()
			if err != nil {
				t.Fatal(err)
			}
			tok, err := rp.Verifier(&oidc.Config{ClientID: "app"}).Verify(ctx, raw)
			if err != nil {
				t.Fatalf("verify an ID token through the JWKS endpoint: %v", err)
			}
			if tok.Subject != "user-1" {
				t.Errorf("subject: got %q, want user-1", tok.Subject)
			}
		})
	}
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	set := []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1","use":"sig","alg":"EdDSA"}]}`)
	loaded, _ := startServer(t, "https://login.example.com", func() []byte { return set })
	empty, _ := startServer(t, "https://login.example.com", func() []byte { return nil })
	tests := []struct {
		name       string
		url        string
		method     string
		wantStatus int
		wantBody   string
		wantCache  string
	}{
		{"platform", loaded + "/oauth/jwks.json", "GET", 200, string(set), "public, max-age=300"},
		{"tenant issuer", loaded + "/t/acme/oauth/jwks.json", "GET", 200, string(set), "public, max-age=300"},
		{"HEAD", loaded + "/oauth/jwks.json", "HEAD", 200, "", "public, max-age=300"},
		{"no keys loaded yet", empty + "/oauth/jwks.json", "GET", 503,
			`{"error":"temporarily_unavailable","error_description":"signing keys are not loaded yet"}`, "no-store"},
		{"wrong method", loaded + "/oauth/jwks.json", "POST", 405, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tt.method, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == 405 {
				return
			}
			if string(body) != tt.wantBody {
				t.Errorf("body: got %s, want %s", body, tt.wantBody)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control: got %q, want %q", got, tt.wantCache)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", got)
			}
		})
	}
}

// TestOutsideServer checks that a provider mounted without the server,
// so without an issuer in the context, fails closed.
func TestOutsideServer(t *testing.T) {
	t.Parallel()
	mux := &muxRouter{http.NewServeMux()}
	provider.New(provider.Options{JWKS: func() []byte { return []byte(`{"keys":[]}`) }}).Register(mux)
	for _, path := range []string{"/.well-known/openid-configuration", "/oauth/jwks.json"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("%s: got %d, want 500", path, rec.Code)
		}
	}
}

type muxRouter struct{ *http.ServeMux }

func (m *muxRouter) HandleProtocol(pattern string, h http.Handler) { m.Handle(pattern, h) }
