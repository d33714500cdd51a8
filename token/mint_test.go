package token

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/keys"
	jose "github.com/go-jose/go-jose/v4"
)

// jwksServer serves the shared OAuth JWKS the way the provider does.
func jwksServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(sharedKeys.Current().JWKS(gatehouse.KeyPurposeOAuth))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// header decodes the protected header of a compact JWS.
func header(t *testing.T, raw string) map[string]any {
	t.Helper()
	h, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("decode header: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode header: %v", err)
	}
	return m
}

// payload decodes the payload of a compact JWS without checking it.
func payload(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d parts, want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	return m
}

// TestIDTokenWithGoOIDC checks that a relying party using go-oidc accepts
// our ID tokens of every algorithm, from the JWKS over HTTP and from a
// static key set, and that at_hash matches the access token.
func TestIDTokenWithGoOIDC(t *testing.T) {
	t.Parallel()
	srv := jwksServer(t)
	ctx := context.Background()
	remote := oidc.NewRemoteKeySet(ctx, srv.URL)
	tok := newTokens("")
	for _, alg := range keys.Algorithms() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			at, err := tok.AccessToken(AccessClaims{
				Issuer: testIssuer, Subject: "user-1", Audience: []string{testAudience},
				ClientID: testClient, Scope: "openid profile", Expiry: t0.Add(time.Hour),
			})
			if err != nil {
				t.Fatalf("AccessToken: %v", err)
			}
			atHash, err := AtHash(alg, at)
			if err != nil {
				t.Fatalf("AtHash: %v", err)
			}
			raw, err := tok.IDToken(IDClaims{
				Issuer: testIssuer, Subject: "user-1", Audience: testClient,
				Expiry: t0.Add(time.Hour), AuthTime: t0.Add(-time.Minute),
				Nonce: "n-0S6_WzA2Mj", AtHash: atHash, SessionID: "sid-1", ACR: "0", AMR: []string{"pwd"},
				Extra: map[string]any{
					"email": "ada@example.com", "email_verified": true, "name": "Ada <Lovelace>",
					"tenant_id": "t-1", "roles": []string{"admin", "editor"},
				},
			}, alg)
			if err != nil {
				t.Fatalf("IDToken: %v", err)
			}
			h := header(t, raw)
			if h["alg"] != alg || h["typ"] != "JWT" || h["kid"] != activeKey(t, gatehouse.KeyPurposeOAuth, alg).ID {
				t.Errorf("got header %v, want alg %s, typ JWT and the active kid", h, alg)
			}

			keySets := map[string]oidc.KeySet{
				"remote JWKS": remote,
				"static key":  &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{activeKey(t, gatehouse.KeyPurposeOAuth, alg).Public}},
			}
			for name, ks := range keySets {
				v := oidc.NewVerifier(testIssuer, ks, &oidc.Config{
					ClientID: testClient, SupportedSigningAlgs: []string{alg}, Now: fixedClock(t0),
				})
				idt, err := v.Verify(ctx, raw)
				if err != nil {
					t.Fatalf("%s: go-oidc Verify: %v", name, err)
				}
				if idt.Subject != "user-1" || idt.Nonce != "n-0S6_WzA2Mj" || !slices.Equal(idt.Audience, []string{testClient}) {
					t.Errorf("%s: got sub %q nonce %q aud %v", name, idt.Subject, idt.Nonce, idt.Audience)
				}
				if err := idt.VerifyAccessToken(at); err != nil {
					t.Errorf("%s: at_hash: %v", name, err)
				}
				if err := idt.VerifyAccessToken(at + "x"); err == nil {
					t.Errorf("%s: at_hash matched another access token", name)
				}
				var claims struct {
					AuthTime int64    `json:"auth_time"`
					SID      string   `json:"sid"`
					AMR      []string `json:"amr"`
					Email    string   `json:"email"`
					Verified bool     `json:"email_verified"`
					Name     string   `json:"name"`
					Roles    []string `json:"roles"`
					TenantID string   `json:"tenant_id"`
				}
				if err := idt.Claims(&claims); err != nil {
					t.Fatal(err)
				}
				if claims.AuthTime != t0.Add(-time.Minute).Unix() || claims.SID != "sid-1" || !slices.Equal(claims.AMR, []string{"pwd"}) ||
					claims.Email != "ada@example.com" || !claims.Verified || claims.Name != "Ada <Lovelace>" ||
					!slices.Equal(claims.Roles, []string{"admin", "editor"}) || claims.TenantID != "t-1" {
					t.Errorf("%s: got claims %+v", name, claims)
				}
			}

			// Another client, another issuer, or after expiry: go-oidc
			// refuses, so the claims above are what it checks.
			for name, cfg := range map[string]*oidc.Config{
				"other client": {ClientID: "app-2", SupportedSigningAlgs: []string{alg}, Now: fixedClock(t0)},
				"expired":      {ClientID: testClient, SupportedSigningAlgs: []string{alg}, Now: fixedClock(t0.Add(2 * time.Hour))},
			} {
				if _, err := oidc.NewVerifier(testIssuer, remote, cfg).Verify(ctx, raw); err == nil {
					t.Errorf("go-oidc accepted the token for %s", name)
				}
			}
		})
	}
}

func TestIDTokenClaims(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	raw, err := tok.IDToken(IDClaims{Issuer: testIssuer, Subject: "u", Audience: testClient, Expiry: t0.Add(time.Hour)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := header(t, raw)["alg"]; got != "RS256" {
		t.Errorf("got default alg %v, want RS256", got)
	}
	p := payload(t, raw)
	want := map[string]any{
		"iss": testIssuer, "sub": "u", "aud": testClient,
		"exp": float64(t0.Add(time.Hour).Unix()), "iat": float64(t0.Unix()),
	}
	if len(p) != len(want) {
		t.Errorf("got claims %v, want exactly %v", p, want)
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("got %s %v, want %v", k, p[k], v)
		}
	}
}

func TestIDTokenRefuses(t *testing.T) {
	t.Parallel()
	good := IDClaims{Issuer: testIssuer, Subject: "u", Audience: testClient, Expiry: t0.Add(time.Hour)}
	with := func(f func(*IDClaims)) IDClaims { c := good; f(&c); return c }
	tests := []struct {
		name     string
		claims   IDClaims
		alg      string
		wantCode string
	}{
		{"no issuer", with(func(c *IDClaims) { c.Issuer = "" }), "ES256", gatehouse.EINTERNAL},
		{"no subject", with(func(c *IDClaims) { c.Subject = "" }), "ES256", gatehouse.EINTERNAL},
		{"no audience", with(func(c *IDClaims) { c.Audience = "" }), "ES256", gatehouse.EINTERNAL},
		{"no expiry", with(func(c *IDClaims) { c.Expiry = time.Time{} }), "ES256", gatehouse.EINTERNAL},
		{"expiry before issue", with(func(c *IDClaims) { c.IssuedAt = t0.Add(2 * time.Hour) }), "ES256", gatehouse.EINTERNAL},
		{"extra replaces sub", with(func(c *IDClaims) { c.Extra = map[string]any{"sub": "admin"} }), "ES256", gatehouse.EINTERNAL},
		{"extra replaces aud", with(func(c *IDClaims) { c.Extra = map[string]any{"name": "x", "aud": "other"} }), "ES256", gatehouse.EINTERNAL},
		{"extra cannot be encoded", with(func(c *IDClaims) { c.Extra = map[string]any{"x": math.NaN()} }), "ES256", gatehouse.EINTERNAL},
		{"alg none", good, "none", gatehouse.EINVALID},
		{"alg HS256", good, "HS256", gatehouse.EINVALID},
		{"alg lower case", good, "rs256", gatehouse.EINVALID},
	}
	tok := newTokens("")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := tok.IDToken(tt.claims, tt.alg)
			if err == nil {
				t.Fatalf("got token %q, want an error", raw)
			}
			if got := gatehouse.ErrorCode(err); got != tt.wantCode {
				t.Errorf("got code %q (%v), want %q", got, err, tt.wantCode)
			}
		})
	}
}

func TestAccessToken(t *testing.T) {
	t.Parallel()
	for _, alg := range keys.Algorithms() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			tok := newTokens(alg)
			in := AccessClaims{
				Issuer: testIssuer, Subject: "user-1", Audience: []string{testAudience, "https://api.example.com"},
				ClientID: testClient, Scope: "openid email", JTI: "jti-1", GrantID: "g-1", TenantID: "t-1",
				Expiry: t0.Add(time.Hour), IssuedAt: t0, AuthTime: t0.Add(-time.Minute), AMR: []string{"pwd", "otp"},
				ACR: "1", CredentialID: "cred-1",
			}
			raw, err := tok.AccessToken(in)
			if err != nil {
				t.Fatalf("AccessToken: %v", err)
			}
			h := header(t, raw)
			if h["alg"] != alg || h["typ"] != "at+jwt" || h["kid"] != activeKey(t, gatehouse.KeyPurposeOAuth, alg).ID {
				t.Errorf("got header %v, want alg %s, typ at+jwt and the active kid", h, alg)
			}
			got, err := tok.VerifyAccessToken(raw, testIssuer, testAudience)
			if err != nil {
				t.Fatalf("VerifyAccessToken: %v", err)
			}
			if !equalAccess(got, &in) {
				t.Errorf("got claims\n%+v\nwant\n%+v", got, in)
			}
			// Any audience of the token will do.
			if _, err := tok.VerifyAccessToken(raw, testIssuer, "https://api.example.com"); err != nil {
				t.Errorf("second audience: %v", err)
			}
		})
	}
}

func equalAccess(a, b *AccessClaims) bool {
	return a.Issuer == b.Issuer && a.Subject == b.Subject && slices.Equal(a.Audience, b.Audience) &&
		a.ClientID == b.ClientID && a.Scope == b.Scope && a.JTI == b.JTI && a.GrantID == b.GrantID &&
		a.TenantID == b.TenantID && a.Expiry.Equal(b.Expiry) && a.IssuedAt.Equal(b.IssuedAt) &&
		a.AuthTime.Equal(b.AuthTime) && slices.Equal(a.AMR, b.AMR) && a.ACR == b.ACR && a.CredentialID == b.CredentialID
}

func TestAccessTokenDefaults(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	if got := tok.AccessTokenAlg(); got != "ES256" {
		t.Errorf("got default alg %q, want ES256", got)
	}
	c := AccessClaims{Issuer: testIssuer, Subject: testClient, Audience: []string{testAudience}, ClientID: testClient, Expiry: t0.Add(time.Minute)}
	seen := map[string]bool{}
	for range 5 {
		raw, err := tok.AccessToken(c)
		if err != nil {
			t.Fatal(err)
		}
		p := payload(t, raw)
		jti, _ := p["jti"].(string)
		if b, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(b) != 16 || seen[jti] {
			t.Errorf("got jti %q, want 128 fresh random bits", jti)
		}
		seen[jti] = true
		if p["aud"] != testAudience {
			t.Errorf("got aud %v, want the single audience as a string", p["aud"])
		}
		if p["iat"] != float64(t0.Unix()) {
			t.Errorf("got iat %v, want the clock's %d", p["iat"], t0.Unix())
		}
		// A client_credentials token: no sign-in claims.
		for _, k := range []string{"auth_time", "amr", "acr", "nbf", "gid", "scope", "credential_id"} {
			if _, ok := p[k]; ok {
				t.Errorf("got claim %s = %v, want it left out", k, p[k])
			}
		}
	}
}

// TestAccessTokenWithGoOIDC checks that a generic JWT verifier, go-oidc
// reading the JWKS, accepts our access tokens: resource servers verify
// them the same way.
func TestAccessTokenWithGoOIDC(t *testing.T) {
	t.Parallel()
	srv := jwksServer(t)
	ks := oidc.NewRemoteKeySet(context.Background(), srv.URL)
	for _, alg := range keys.Algorithms() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			raw, err := newTokens(alg).AccessToken(AccessClaims{Issuer: testIssuer, Subject: "u", Audience: []string{testAudience},
				ClientID: testClient, Expiry: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			v := oidc.NewVerifier(testIssuer, ks, &oidc.Config{ClientID: testAudience, SupportedSigningAlgs: []string{alg}, Now: fixedClock(t0)})
			if _, err := v.Verify(context.Background(), raw); err != nil {
				t.Errorf("go-oidc: %v", err)
			}
		})
	}
}

func TestAccessTokenRefuses(t *testing.T) {
	t.Parallel()
	good := AccessClaims{Issuer: testIssuer, Subject: "u", Audience: []string{testAudience}, ClientID: testClient, Expiry: t0.Add(time.Hour)}
	with := func(f func(*AccessClaims)) AccessClaims {
		c := good
		c.Audience = slices.Clone(good.Audience)
		f(&c)
		return c
	}
	tests := []struct {
		name     string
		claims   AccessClaims
		alg      string
		wantCode string
	}{
		{"no issuer", with(func(c *AccessClaims) { c.Issuer = "" }), "", gatehouse.EINTERNAL},
		{"no subject", with(func(c *AccessClaims) { c.Subject = "" }), "", gatehouse.EINTERNAL},
		{"no audience", with(func(c *AccessClaims) { c.Audience = nil }), "", gatehouse.EINTERNAL},
		{"empty audience", with(func(c *AccessClaims) { c.Audience = []string{""} }), "", gatehouse.EINTERNAL},
		{"no client", with(func(c *AccessClaims) { c.ClientID = "" }), "", gatehouse.EINTERNAL},
		{"no expiry", with(func(c *AccessClaims) { c.Expiry = time.Time{} }), "", gatehouse.EINTERNAL},
		{"expiry before issue", with(func(c *AccessClaims) { c.Expiry = t0.Add(-time.Second) }), "", gatehouse.EINTERNAL},
		{"HMAC algorithm", good, "HS256", gatehouse.EINVALID},
		{"alg none", good, "none", gatehouse.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := newTokens(tt.alg).AccessToken(tt.claims)
			if err == nil {
				t.Fatalf("got token %q, want an error", raw)
			}
			if got := gatehouse.ErrorCode(err); got != tt.wantCode {
				t.Errorf("got code %q (%v), want %q", got, err, tt.wantCode)
			}
		})
	}
}

func TestKeysNotLoaded(t *testing.T) {
	t.Parallel()
	unloaded := keys.NewManager(nil, nil, fixedClock(t0), nil)
	for name, tok := range map[string]*Tokens{
		"nil manager":      New(Options{Clock: fixedClock(t0)}),
		"unloaded manager": New(Options{Keys: unloaded, Clock: fixedClock(t0)}),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := tok.IDToken(IDClaims{Issuer: testIssuer, Subject: "u", Audience: testClient, Expiry: t0.Add(time.Hour)}, "ES256")
			if got := gatehouse.ErrorCode(err); got != gatehouse.EUNAVAILABLE {
				t.Errorf("IDToken: got code %q (%v), want %q", got, err, gatehouse.EUNAVAILABLE)
			}
			_, err = tok.AccessToken(AccessClaims{Issuer: testIssuer, Subject: "u", Audience: []string{testAudience}, ClientID: testClient, Expiry: t0.Add(time.Hour)})
			if got := gatehouse.ErrorCode(err); got != gatehouse.EUNAVAILABLE {
				t.Errorf("AccessToken: got code %q (%v), want %q", got, err, gatehouse.EUNAVAILABLE)
			}
			_, err = tok.VerifyAccessToken("a.b.c", testIssuer, testAudience)
			if got := gatehouse.ErrorCode(err); got != gatehouse.EUNAVAILABLE {
				t.Errorf("VerifyAccessToken: got code %q (%v), want %q", got, err, gatehouse.EUNAVAILABLE)
			}
		})
	}
}

// TestSignerFollowsRotation checks that signing switches to the new
// active key as soon as the manager's set changes, that tokens of the
// retired key verify while it is published, and not once it is withdrawn.
func TestSignerFollowsRotation(t *testing.T) {
	t.Parallel()
	mgr := mustManager(t)
	tok := New(Options{Keys: mgr, Clock: fixedClock(t0)})
	ctx := context.Background()
	claims := AccessClaims{Issuer: testIssuer, Subject: "u", Audience: []string{testAudience}, ClientID: testClient, Expiry: t0.Add(time.Hour)}

	before, err := tok.AccessToken(claims)
	if err != nil {
		t.Fatal(err)
	}
	firstCache := tok.signers.Load()
	again, err := tok.AccessToken(claims)
	if err != nil {
		t.Fatal(err)
	}
	if tok.signers.Load() != firstCache {
		t.Errorf("signers were rebuilt without a key change")
	}
	if header(t, again)["kid"] != header(t, before)["kid"] {
		t.Errorf("kid changed without a key change")
	}

	if _, err := mgr.Rotate(ctx, gatehouse.KeyPurposeOAuth, time.Hour); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	after, err := tok.AccessToken(claims)
	if err != nil {
		t.Fatal(err)
	}
	newKID := header(t, after)["kid"]
	if newKID == header(t, before)["kid"] {
		t.Fatalf("still signing with kid %v after rotation", newKID)
	}
	active, err := mgr.Current().Signer(gatehouse.KeyPurposeOAuth, "ES256")
	if err != nil || newKID != active.ID {
		t.Errorf("got kid %v, want the new active %v (%v)", newKID, active, err)
	}
	for name, raw := range map[string]string{"retired key": before, "new key": after} {
		if _, err := tok.VerifyAccessToken(raw, testIssuer, testAudience); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Withdrawn at once (after a compromise): the retired key's tokens
	// no longer verify.
	if _, err := mgr.Rotate(ctx, gatehouse.KeyPurposeOAuth, 0); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if _, err := tok.VerifyAccessToken(after, testIssuer, testAudience); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("token of a withdrawn key: got %v, want EUNAUTHORIZED", err)
	}
}

// TestSignerCacheIsPerTyp checks that ID tokens and access tokens signed
// with the same key carry their own typ.
func TestSignerCacheIsPerTyp(t *testing.T) {
	t.Parallel()
	tok := newTokens("ES256")
	id, err := tok.IDToken(IDClaims{Issuer: testIssuer, Subject: "u", Audience: testClient, Expiry: t0.Add(time.Hour)}, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	at, err := tok.AccessToken(AccessClaims{Issuer: testIssuer, Subject: "u", Audience: []string{testAudience}, ClientID: testClient, Expiry: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if hi, ha := header(t, id), header(t, at); hi["kid"] != ha["kid"] || hi["typ"] != "JWT" || ha["typ"] != "at+jwt" {
		t.Errorf("got ID token header %v and access token header %v", hi, ha)
	}
	// Each is refused where the other belongs.
	if _, err := tok.VerifyAccessToken(id, testIssuer, testClient); err == nil {
		t.Errorf("an ID token verified as an access token")
	}
	if _, err := tok.VerifyIDTokenHint(at, testIssuer); err == nil {
		t.Errorf("an access token verified as an ID token hint")
	}
}

// TestAllowedAlgs checks that the verification allow-list is exactly the
// three algorithms Gatehouse signs with.
func TestAllowedAlgs(t *testing.T) {
	t.Parallel()
	want := []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}
	if got := allowedAlgs(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestConcurrentSigning signs from several goroutines with a fresh
// Tokens, so that the signer cache is built concurrently; run with -race.
func TestConcurrentSigning(t *testing.T) {
	t.Parallel()
	tok := newTokens("EdDSA")
	claims := AccessClaims{Issuer: testIssuer, Subject: "u", Audience: []string{testAudience}, ClientID: testClient, Expiry: t0.Add(time.Hour)}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			raw, err := tok.AccessToken(claims)
			if err == nil {
				_, err = tok.VerifyAccessToken(raw, testIssuer, testAudience)
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
