package admin_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/token"
)

// jwtPart decodes part i (0 header, 1 payload) of a compact JWS.
func jwtPart(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// jwksKids returns the kids of the key set at url.
func jwksKids(t *testing.T, url string) (map[string]bool, jose.JSONWebKeySet, response) {
	t.Helper()
	r := send(t, "GET", url, "", nil, nil)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.raw, &set); err != nil {
		t.Fatalf("%s: %v (%d %s)", url, err, r.status, r.raw)
	}
	kids := map[string]bool{}
	for _, k := range set.Keys {
		kids[k.KeyID] = true
	}
	return kids, set, r
}

func TestRuntimeTokens(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	minter := mustKey(t, s, acme.ID, gatehouse.APIScopeRuntimeTokensWrite)
	noScope := mustKey(t, s, acme.ID, gatehouse.APIScopeTenantRead, gatehouse.APIScopeTenantWrite, gatehouse.APIScopeAPIKeysWrite)
	otherMinter := mustKey(t, s, other.ID, gatehouse.APIScopeRuntimeTokensWrite)
	revokedKey, revoked, err := s.App.Admin.CreateAPIKey(ctx, gatehousetest.Actor(), acme.ID,
		admin.APIKeyInput{Name: "old backend", Scopes: []string{gatehouse.APIScopeRuntimeTokensWrite}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.App.Admin.RevokeAPIKey(ctx, gatehousetest.Actor(), acme.ID, revokedKey.ID); err != nil {
		t.Fatal(err)
	}
	mint := s.URL + "/api/v1/runtime/tokens"
	verify := s.URL + "/api/v1/runtime/tokens/verify"

	minted := send(t, "POST", mint, minter, map[string]any{
		"external_id": "crm-42", "display_name": "Ada Lovelace", "services": []string{"video", "chat", "chat"},
	}, nil)
	if minted.status != http.StatusOK {
		t.Fatalf("mint: %d %s", minted.status, minted.raw)
	}
	rt := minted.str("token")
	now := s.Clock.Now()
	if minted.str("token_type") != "Bearer" || minted.doc["expires_in"] != float64(900) ||
		minted.str("expires_at") != now.Add(15*time.Minute).UTC().Format(time.RFC3339) {
		t.Errorf("mint answer: %s; want Bearer, 900 and %s", minted.raw, now.Add(15*time.Minute).UTC().Format(time.RFC3339))
	}
	if got := minted.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("mint Cache-Control: got %q, want no-store", got)
	}
	h, claims := jwtPart(t, rt, 0), jwtPart(t, rt, 1)
	if h["typ"] != "runtime+jwt" || h["alg"] != "ES256" {
		t.Errorf("header: got %v, want typ runtime+jwt, alg ES256", h)
	}
	wantClaims := map[string]any{
		"iss": s.URL, "sub": acme.ID + ":crm-42", "aud": "urn:gatehouse:runtime", "tenant_id": acme.ID,
		"external_id": "crm-42", "name": "Ada Lovelace", "services": []any{"chat", "video"},
		"iat": float64(now.Unix()), "exp": float64(now.Add(15 * time.Minute).Unix()),
	}
	for k, v := range wantClaims {
		if got, _ := json.Marshal(claims[k]); string(got) != string(mustMarshal(t, v)) {
			t.Errorf("claim %s: got %s, want %s", k, got, mustMarshal(t, v))
		}
	}
	if jti, _ := claims["jti"].(string); len(jti) < 16 {
		t.Errorf("jti: got %q, want a random id", jti)
	}

	if r := send(t, "POST", mint, minter, map[string]any{"external_id": "u", "services": []string{"ai"}, "ttl_seconds": 3600}, nil); r.status != http.StatusOK || r.doc["expires_in"] != float64(3600) {
		t.Errorf("mint for an hour: %d %s", r.status, r.raw)
	}
	if r := send(t, "POST", mint, minter, map[string]any{"external_id": "u", "services": []string{"reports"}, "ttl_seconds": 60}, nil); r.status != http.StatusOK || r.doc["expires_in"] != float64(60) {
		t.Errorf("mint for a minute: %d %s", r.status, r.raw)
	}

	// A runtime service checks it at the verify endpoint...
	v := send(t, "POST", verify, "", map[string]any{"token": rt}, nil)
	if v.status != http.StatusOK || v.doc["active"] != true {
		t.Fatalf("verify: %d %s", v.status, v.raw)
	}
	for k, want := range wantClaims {
		if got, _ := json.Marshal(v.doc[k]); string(got) != string(mustMarshal(t, want)) {
			t.Errorf("verify %s: got %s, want %s", k, got, mustMarshal(t, want))
		}
	}
	if v.doc["jti"] != claims["jti"] {
		t.Errorf("verify jti: got %v, want %v", v.doc["jti"], claims["jti"])
	}

	// ... or locally with the runtime JWKS, which holds no OAuth key.
	rtKids, rtSet, jw := jwksKids(t, s.URL+"/api/v1/runtime/jwks.json")
	if jw.status != http.StatusOK || jw.header.Get("Access-Control-Allow-Origin") != "*" ||
		jw.header.Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("runtime JWKS: %d, CORS %q, Cache-Control %q", jw.status, jw.header.Get("Access-Control-Allow-Origin"), jw.header.Get("Cache-Control"))
	}
	oauthKids, _, _ := jwksKids(t, s.URL+"/oauth/jwks.json")
	if !rtKids[h["kid"].(string)] || oauthKids[h["kid"].(string)] {
		t.Errorf("the token's kid %v: in the runtime JWKS %v, in the OAuth JWKS %v; want only the former",
			h["kid"], rtKids[h["kid"].(string)], oauthKids[h["kid"].(string)])
	}
	for kid := range oauthKids {
		if rtKids[kid] {
			t.Errorf("OAuth key %s is in the runtime JWKS", kid)
		}
	}
	jws, err := jose.ParseSigned(rt, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(rtSet.Key(h["kid"].(string))[0].Public()); err != nil {
		t.Errorf("verifying with the runtime JWKS: %v", err)
	}

	// OAuth credentials of the same tenant, for the cross-use checks.
	c := s.MustClient(t, acme.ID, func(c *gatehouse.Client) {
		c.GrantTypes = []string{"client_credentials"}
		c.Scopes = []string{"profile"}
	})
	oauthTok, err := (&clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: s.URL + "/oauth/token"}).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	accessToken := oauthTok.AccessToken
	if v := send(t, "POST", verify, "", map[string]any{"token": accessToken}, nil); v.doc["active"] != false {
		t.Errorf("an OAuth access token at runtime verify: %s, want inactive", v.raw)
	}

	body := func(fields map[string]any) map[string]any {
		b := map[string]any{"external_id": "crm-42", "services": []string{"chat"}}
		for k, v := range fields {
			if v == nil {
				delete(b, k)
				continue
			}
			b[k] = v
		}
		return b
	}
	validation := []struct {
		name      string
		body      any
		wantField string
	}{
		{"no external id", body(map[string]any{"external_id": nil}), "external_id"},
		{"empty external id", body(map[string]any{"external_id": ""}), "external_id"},
		{"external id too long", body(map[string]any{"external_id": strings.Repeat("x", 256)}), "external_id"},
		{"external id with a control character", body(map[string]any{"external_id": "a\nb"}), "external_id"},
		{"external id with surrounding spaces", body(map[string]any{"external_id": " a"}), "external_id"},
		{"external id not a string", body(map[string]any{"external_id": 42}), "external_id"},
		{"display name too long", body(map[string]any{"display_name": strings.Repeat("n", 201)}), "display_name"},
		{"display name with a control character", body(map[string]any{"display_name": "Ada\x00"}), "display_name"},
		{"no services", body(map[string]any{"services": nil}), "services"},
		{"empty services", body(map[string]any{"services": []string{}}), "services"},
		{"an unknown service", body(map[string]any{"services": []string{"chat", "billing"}}), "services[1]"},
		{"services not a list", body(map[string]any{"services": "chat"}), "services"},
		{"lifetime zero", body(map[string]any{"ttl_seconds": 0}), "ttl_seconds"},
		{"lifetime negative", body(map[string]any{"ttl_seconds": -900}), "ttl_seconds"},
		{"lifetime under a minute", body(map[string]any{"ttl_seconds": 59}), "ttl_seconds"},
		{"lifetime over an hour", body(map[string]any{"ttl_seconds": 3601}), "ttl_seconds"},
		{"lifetime as a string", body(map[string]any{"ttl_seconds": "900"}), "ttl_seconds"},
		{"lifetime a fraction", body(map[string]any{"ttl_seconds": 90.5}), "ttl_seconds"},
		{"an unknown field", body(map[string]any{"tenant_id": other.ID}), "tenant_id"},
	}
	for _, tt := range validation {
		t.Run("validation/"+tt.name, func(t *testing.T) {
			r := send(t, "POST", mint, minter, tt.body, nil)
			if r.status != http.StatusUnprocessableEntity || errorCode(r.doc) != "invalid" || !slices.Contains(r.fields(), tt.wantField) {
				t.Errorf("got %d %q fields %v (%s), want 422 invalid naming %s", r.status, errorCode(r.doc), r.fields(), r.raw, tt.wantField)
			}
		})
	}
	if r := send(t, "POST", mint, minter, map[string]any{"external_id": "", "services": []string{"x"}, "ttl_seconds": 1}, nil); !slices.Equal(r.fields(), []string{"external_id", "services[0]", "ttl_seconds"}) {
		t.Errorf("several problems: got fields %v, want each named", r.fields())
	}

	refusals := []struct {
		name     string
		path     string
		key      string
		body     any
		header   http.Header
		wantCode int
		wantErr  string
	}{
		{"no key", "/api/v1/runtime/tokens", "", body(nil), nil, 401, "unauthorized"},
		{"a key without the scope", "/api/v1/runtime/tokens", noScope, body(nil), nil, 403, "forbidden"},
		{"a revoked key", "/api/v1/runtime/tokens", revoked, body(nil), nil, 401, "unauthorized"},
		{"a key from a browser", "/api/v1/runtime/tokens", minter, body(nil), http.Header{"Origin": {"https://app.example.com"}}, 403, "forbidden"},
		{"a key with browser fetch metadata", "/api/v1/runtime/tokens", minter, body(nil), http.Header{"Sec-Fetch-Mode": {"cors"}}, 403, "forbidden"},
		{"a runtime token as an API key", "/api/v1/runtime/tokens", rt, body(nil), nil, 401, "unauthorized"},
		{"a runtime token at the management API", "/api/v1/installkeys", rt, nil, nil, 401, "unauthorized"},
		{"an OAuth access token as an API key", "/api/v1/runtime/tokens", accessToken, body(nil), nil, 401, "unauthorized"},
		{"a client secret as an API key", "/api/v1/runtime/tokens", c.ClientSecret, body(nil), nil, 401, "unauthorized"},
		{"another tenant's key at this tenant's issuer", "/t/acme/api/v1/runtime/tokens", otherMinter, body(nil), nil, 403, "forbidden"},
		{"a body that is not JSON", "/api/v1/runtime/tokens", minter, "external_id=crm-42", nil, 400, "malformed"},
		{"no body", "/api/v1/runtime/tokens", minter, nil, nil, 400, "malformed"},
	}
	for _, tt := range refusals {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			method := "POST"
			if tt.body == nil && strings.HasPrefix(tt.path, "/api/v1/installkeys") {
				method = "GET"
			}
			r := send(t, method, s.URL+tt.path, tt.key, tt.body, tt.header)
			if r.status != tt.wantCode || errorCode(r.doc) != tt.wantErr {
				t.Errorf("got %d %q (%s), want %d %q", r.status, errorCode(r.doc), r.raw, tt.wantCode, tt.wantErr)
			}
			if strings.Contains(string(r.raw), "eyJ") {
				t.Errorf("a refusal carries a token: %s", r.raw)
			}
		})
	}

	// A tenant issuer mints with its own iss, and only its issuer verifies
	// the token.
	ti := send(t, "POST", s.URL+"/t/acme/api/v1/runtime/tokens", minter, body(nil), nil)
	if ti.status != http.StatusOK || jwtPart(t, ti.str("token"), 1)["iss"] != s.URL+"/t/acme" {
		t.Fatalf("mint at the tenant issuer: %d %s", ti.status, ti.raw)
	}
	verifyCases := []struct {
		name   string
		path   string
		token  string
		active bool
	}{
		{"the tenant issuer's token at its issuer", "/t/acme/api/v1/runtime/tokens/verify", ti.str("token"), true},
		{"the tenant issuer's token at the platform", "/api/v1/runtime/tokens/verify", ti.str("token"), false},
		{"the platform's token at the tenant issuer", "/t/acme/api/v1/runtime/tokens/verify", rt, false},
		{"the platform's token at another tenant's issuer", "/t/other/api/v1/runtime/tokens/verify", rt, false},
		{"an OAuth access token", "/api/v1/runtime/tokens/verify", accessToken, false},
		{"a server API key", "/api/v1/runtime/tokens/verify", minter, false},
		{"a client secret", "/api/v1/runtime/tokens/verify", c.ClientSecret, false},
		{"garbage", "/api/v1/runtime/tokens/verify", "a.b.c", false},
		{"a tampered token", "/api/v1/runtime/tokens/verify", tamper(t, rt, "services", []string{"chat", "video", "ai"}), false},
		{"a tampered subject", "/api/v1/runtime/tokens/verify", tamper(t, rt, "external_id", "crm-1"), false},
	}
	for _, tt := range verifyCases {
		t.Run("verify/"+tt.name, func(t *testing.T) {
			r := send(t, "POST", s.URL+tt.path, "", map[string]any{"token": tt.token}, nil)
			if r.status != http.StatusOK || r.doc["active"] != tt.active {
				t.Errorf("got %d %s, want active %v", r.status, r.raw, tt.active)
			}
			if !tt.active && len(r.doc) != 1 {
				t.Errorf("an inactive answer says more than active: %s", r.raw)
			}
		})
	}
	for name, b := range map[string]any{
		"no token":      map[string]any{},
		"empty token":   map[string]any{"token": ""},
		"unknown field": map[string]any{"token": rt, "token_type_hint": "runtime"},
	} {
		if r := send(t, "POST", verify, "", b, nil); r.status != http.StatusUnprocessableEntity {
			t.Errorf("verify with %s: %d %s, want 422", name, r.status, r.raw)
		}
	}

	// A runtime token is not an OAuth token.
	if r := send(t, "GET", s.URL+"/oauth/userinfo", rt, nil, nil); r.status != http.StatusUnauthorized {
		t.Errorf("a runtime token at userinfo: %d %s, want 401", r.status, r.raw)
	}
	introspect := httptest.NewRequest("POST", s.URL+"/oauth/introspect", strings.NewReader("token="+rt))
	introspect.RequestURI = ""
	introspect.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	introspect.SetBasicAuth(c.ClientID, c.ClientSecret)
	resp, err := http.DefaultClient.Do(introspect)
	if err != nil {
		t.Fatal(err)
	}
	var in map[string]any
	json.NewDecoder(resp.Body).Decode(&in)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || in["active"] != false {
		t.Errorf("a runtime token at introspection: %d %v, want inactive", resp.StatusCode, in)
	}

	// A disabled tenant mints nothing.
	if r := send(t, "POST", mint, otherMinter, body(nil), nil); r.status != http.StatusOK {
		t.Fatalf("the other tenant's key: %d %s, want 200", r.status, r.raw)
	}
	setTenant(t, s, other.ID, func(tn *gatehouse.Tenant) { tn.Status = gatehouse.StatusDisabled })
	s.Clock.Advance(time.Minute) // past the tenant status cache
	if r := send(t, "POST", mint, otherMinter, body(nil), nil); r.status != http.StatusForbidden {
		t.Errorf("a disabled tenant's key: %d %s, want 403", r.status, r.raw)
	}

	// Minting is audited with the key, the user and the services, never
	// the token.
	evs := s.MustAuditEvents(t, acme.ID, "runtime.token.issue")
	if len(evs) != 4 {
		t.Fatalf("runtime.token.issue events: got %d, want 4 (one per token minted)", len(evs))
	}
	ev := evs[0]
	if ev.Actor != "apikey:"+apiKeyID(t, s, acme.ID, minter) || ev.Result != gatehouse.ResultSuccess || ev.IP == "" ||
		ev.Details["external_id"] != "crm-42" || ev.Details["services"] != "chat video" || ev.Target != "runtime:"+acme.ID+":crm-42" {
		t.Errorf("audit event: %+v", ev)
	}
	for _, e := range evs {
		raw, _ := json.Marshal(e)
		if strings.Contains(string(raw), "eyJ") {
			t.Errorf("an audit event holds a token: %s", raw)
		}
	}

	// Expiry: a token past its lifetime (and the leeway) is inactive.
	s.Clock.Advance(15*time.Minute + token.Leeway)
	if v := send(t, "POST", verify, "", map[string]any{"token": rt}, nil); v.doc["active"] != false {
		t.Errorf("an expired token: %s, want inactive", v.raw)
	}
}

// tamper returns raw with one claim changed and the signature kept.
func tamper(t *testing.T, raw, claim string, value any) string {
	t.Helper()
	claims := jwtPart(t, raw, 1)
	claims[claim] = value
	parts := strings.Split(raw, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(mustMarshal(t, claims))
	return strings.Join(parts, ".")
}

// apiKeyID finds the id of the tenant's API key with value.
func apiKeyID(t *testing.T, s *gatehousetest.Server, tenantID, value string) string {
	t.Helper()
	k, err := s.App.Admin.AuthenticateAPIKey(context.Background(), value)
	if err != nil || k.TenantID != tenantID {
		t.Fatalf("API key: %v", err)
	}
	return k.ID
}

func TestRuntimeVerifyRateLimit(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	verify := s.URL + "/api/v1/runtime/tokens/verify"
	// The server's clock stands still, so the bucket does not refill
	// while the test runs.
	const burst = 100
	for i := range burst {
		if r := send(t, "POST", verify, "", map[string]any{"token": "a.b.c"}, nil); r.status != http.StatusOK {
			t.Fatalf("request %d: %d %s, want 200", i+1, r.status, r.raw)
		}
	}
	r := send(t, "POST", verify, "", map[string]any{"token": "a.b.c"}, nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || errorCode(r.doc) != "rate_limited" {
		t.Errorf("request %d: %d Retry-After %q %s, want 429 with Retry-After", burst+1, r.status, r.header.Get("Retry-After"), r.raw)
	}
	// Minting is not limited by verification traffic.
	acme := s.MustTenant(t, "acme")
	minter := mustKey(t, s, acme.ID, gatehouse.APIScopeRuntimeTokensWrite)
	if r := send(t, "POST", s.URL+"/api/v1/runtime/tokens", minter, map[string]any{"external_id": "u", "services": []string{"chat"}}, nil); r.status != http.StatusOK {
		t.Errorf("mint after the verify limit: %d", r.status)
	}
	s.Clock.Advance(time.Second)
	if r := send(t, "POST", verify, "", map[string]any{"token": "a.b.c"}, nil); r.status != http.StatusOK {
		t.Errorf("a second later: %d, want 200", r.status)
	}
}

// BenchmarkRuntimeTokenMint measures minting through the handler: API key
// authentication, the tenant check, one ES256 signature and a queued audit
// event.
func BenchmarkRuntimeTokenMint(b *testing.B) {
	s := gatehousetest.MustRunServer(b)
	acme := s.MustTenant(b, "acme")
	_, key, err := s.App.Admin.CreateAPIKey(context.Background(), gatehousetest.Actor(), acme.ID,
		admin.APIKeyInput{Name: "backend", Scopes: []string{gatehouse.APIScopeRuntimeTokensWrite}})
	if err != nil {
		b.Fatal(err)
	}
	h := s.App.Handler()
	body := `{"external_id":"crm-42","display_name":"Ada Lovelace","services":["chat","video"]}`
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		req := httptest.NewRequest("POST", s.URL+"/api/v1/runtime/tokens", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("mint: %d %s", w.Code, w.Body)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "ops/s")
}
