package token

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/keys"
)

const testTenant = "0193a5b0-0000-7000-8000-00000000ac1e"

// newRuntime returns a Runtime over the shared keys with its clock at t0.
func newRuntime(alg string) *Runtime {
	return NewRuntime(RuntimeOptions{Keys: sharedKeys, Clock: fixedClock(t0), Alg: alg})
}

func runtimeClaims() RuntimeClaims {
	return RuntimeClaims{
		Issuer: testIssuer, TenantID: testTenant, ExternalID: "crm-42", Name: "Ada Lovelace",
		Services: []string{ServiceChat, ServiceVideo}, Expiry: t0.Add(DefaultRuntimeTokenTTL),
	}
}

func TestRuntimeMintAndVerify(t *testing.T) {
	t.Parallel()
	for _, alg := range keys.Algorithms() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			rt := newRuntime(alg)
			in := runtimeClaims()
			raw, err := rt.Mint(in)
			if err != nil {
				t.Fatal(err)
			}
			h := header(t, raw)
			if h["typ"] != TypeRuntimeToken || h["alg"] != alg {
				t.Errorf("got header %v, want typ %s and alg %s", h, TypeRuntimeToken, alg)
			}
			if want := activeKey(t, gatehouse.KeyPurposeRuntime, alg).ID; h["kid"] != want {
				t.Errorf("got kid %v, want the active runtime key %s", h["kid"], want)
			}
			claims := payload(t, raw)
			if claims["aud"] != RuntimeAudience || claims["sub"] != testTenant+":crm-42" || claims["tenant_id"] != testTenant ||
				claims["name"] != "Ada Lovelace" || claims["jti"] == "" || claims["iat"] != float64(t0.Unix()) {
				t.Errorf("got claims %v", claims)
			}
			got, err := rt.Verify(raw, testIssuer)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Issuer != testIssuer || got.TenantID != testTenant || got.ExternalID != "crm-42" || got.Name != in.Name ||
				!slices.Equal(got.Services, in.Services) || got.JTI == "" || !got.IssuedAt.Equal(t0) || !got.Expiry.Equal(in.Expiry) {
				t.Errorf("got claims %+v, want those of %+v", got, in)
			}
			if got.Subject() != testTenant+":crm-42" {
				t.Errorf("got subject %q", got.Subject())
			}
		})
	}
}

func TestRuntimeMintRefuses(t *testing.T) {
	t.Parallel()
	rt := newRuntime("")
	tests := []struct {
		name string
		mod  func(*RuntimeClaims)
	}{
		{"no issuer", func(c *RuntimeClaims) { c.Issuer = "" }},
		{"no tenant", func(c *RuntimeClaims) { c.TenantID = "" }},
		{"tenant with a colon", func(c *RuntimeClaims) { c.TenantID = "a:b" }},
		{"no external id", func(c *RuntimeClaims) { c.ExternalID = "" }},
		{"no services", func(c *RuntimeClaims) { c.Services = nil }},
		{"unknown service", func(c *RuntimeClaims) { c.Services = []string{"chat", "admin"} }},
		{"no expiry", func(c *RuntimeClaims) { c.Expiry = time.Time{} }},
		{"expiry before issue", func(c *RuntimeClaims) { c.Expiry = t0.Add(-time.Second) }},
		{"lifetime over the maximum", func(c *RuntimeClaims) { c.Expiry = t0.Add(MaxRuntimeTokenTTL + time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := runtimeClaims()
			tt.mod(&c)
			if raw, err := rt.Mint(c); err == nil {
				t.Errorf("got token %.20s..., want an error", raw)
			}
		})
	}
	c := runtimeClaims()
	c.Expiry = t0.Add(MaxRuntimeTokenTTL)
	if _, err := rt.Mint(c); err != nil {
		t.Errorf("lifetime of exactly the maximum: got %v, want a token", err)
	}
	if _, err := newRuntime("HS256").Mint(runtimeClaims()); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
		t.Errorf("HS256 runtime: got %v, want EINVALID", err)
	}
	noKeys := NewRuntime(RuntimeOptions{Clock: fixedClock(t0)})
	if _, err := noKeys.Mint(runtimeClaims()); gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE {
		t.Errorf("no keys: got %v, want EUNAVAILABLE", err)
	}
	if _, err := noKeys.Verify("a.b.c", testIssuer); gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE {
		t.Errorf("verify without keys: got %v, want EUNAVAILABLE", err)
	}
	if doc := noKeys.JWKS(); doc != nil {
		t.Errorf("JWKS without keys: got %s, want nil", doc)
	}
}

// runtimeHostile builds forged runtime tokens: header and claims start
// valid and each case changes one thing.
type runtimeHostile struct {
	*hostile
	rtES, rtRS, rtEd *keys.Key
	signRtES         func([]byte) []byte
}

func newRuntimeHostile(tb testing.TB) *runtimeHostile {
	tb.Helper()
	h := &runtimeHostile{
		hostile: newHostile(tb, TypeRuntimeToken, RuntimeAudience),
		rtES:    activeKey(tb, gatehouse.KeyPurposeRuntime, "ES256"),
		rtRS:    activeKey(tb, gatehouse.KeyPurposeRuntime, "RS256"),
		rtEd:    activeKey(tb, gatehouse.KeyPurposeRuntime, "EdDSA"),
	}
	h.signRtES = signWith(tb, "ES256", h.rtES.Private)
	return h
}

func (h *runtimeHostile) claims(mod func(map[string]any)) map[string]any {
	m := map[string]any{
		"iss": testIssuer, "sub": testTenant + ":crm-42", "aud": RuntimeAudience,
		"exp": h.now + 900, "iat": h.now, "jti": "jti-1", "tenant_id": testTenant,
		"external_id": "crm-42", "name": "Ada", "services": []string{"chat"},
	}
	if mod != nil {
		mod(m)
	}
	return m
}

// token forges a token signed by the active runtime ES256 key.
func (h *runtimeHostile) token(hmod, cmod func(map[string]any)) string {
	return forge(h.tb, h.header("ES256", h.rtES.ID, hmod), h.claims(cmod), h.signRtES)
}

func TestRuntimeVerifyRefuses(t *testing.T) {
	t.Parallel()
	rt := newRuntime("")
	tok := newTokens("")
	h := newRuntimeHostile(t)
	valid := h.token(nil, nil)
	if _, err := rt.Verify(valid, testIssuer); err != nil {
		t.Fatalf("the valid base token is refused: %v", err)
	}
	now := h.now
	access, err := tok.AccessToken(AccessClaims{Issuer: testIssuer, Subject: "user-1", Audience: []string{RuntimeAudience},
		ClientID: testClient, TenantID: testTenant, Expiry: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := tok.IDToken(IDClaims{Issuer: testIssuer, Subject: "user-1", Audience: RuntimeAudience, Expiry: t0.Add(time.Hour)}, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	tests := []refusal{
		{"empty", "", "empty token"},
		{"not base64", "a.b.c", "malformed token"},
		{"four parts", valid + ".x", "malformed token"},
		{"with Bearer prefix", "Bearer " + valid, "malformed token"},
		{"too large", valid + strings.Repeat("A", maxTokenSize), "token too large"},
		{"an install key", gatehouse.PrefixInstallKey + "3q2x9Yb0", "malformed token"},
		{"an API key", gatehouse.PrefixAPIKey + "3q2x9Yb0", "malformed token"},

		{"a real OAuth access token", access, "wrong token type"},
		{"a real ID token", idToken, "wrong token type"},
		{"typ at+jwt, runtime key", h.token(set("typ", "at+jwt"), nil), "wrong token type"},
		{"typ JWT, runtime key", h.token(set("typ", "JWT"), nil), "wrong token type"},
		{"no typ", h.token(del("typ"), nil), "wrong token type"},
		{"typ empty", h.token(set("typ", ""), nil), "wrong token type"},
		{"typ with a suffix", h.token(set("typ", "runtime+jwt; x"), nil), "wrong token type"},
		{"typ not a string", h.token(set("typ", 1), nil), "token type is not a string"},
		{"runtime typ, OAuth ES256 key", forge(t, h.header("ES256", h.es.ID, nil), h.claims(nil), h.signES), "token signed by an unknown key"},
		{"runtime typ, OAuth RS256 key", forge(t, h.header("RS256", h.rs.ID, nil), h.claims(nil), h.signRS), "token signed by an unknown key"},
		{"runtime kid, signed by the OAuth key", forge(t, h.header("ES256", h.rtES.ID, nil), h.claims(nil), h.signES), "token signature is invalid"},

		{"alg none", forge(t, h.header("none", h.rtES.ID, nil), h.claims(nil), func([]byte) []byte { return nil }), "token signature algorithm not allowed"},
		{"alg none with a signature", forge(t, h.header("none", h.rtES.ID, nil), h.claims(nil), h.signRtES), "token signature algorithm not allowed"},
		{"no alg", forge(t, h.header("ES256", h.rtES.ID, del("alg")), h.claims(nil), h.signRtES), "token signature algorithm not allowed"},
		{"RS384 with the runtime RSA key", forge(t, h.header("RS384", h.rtRS.ID, nil), h.claims(nil), signWith(t, "RS384", h.rtRS.Private)), "token signature algorithm not allowed"},
		{"unknown kid", forge(t, h.header("ES256", "no-such-kid", nil), h.claims(nil), signWith(t, "ES256", h.foreign)), "token signed by an unknown key"},
		{"no kid", forge(t, h.header("ES256", "", del("kid")), h.claims(nil), h.signRtES), "token names no key"},
		{"runtime kid, a foreign key", forge(t, h.header("ES256", h.rtES.ID, nil), h.claims(nil), signWith(t, "ES256", h.foreign)), "token signature is invalid"},
		{"kid of the runtime RSA key, signed ES256", forge(t, h.header("ES256", h.rtRS.ID, nil), h.claims(nil), h.signRtES), "token algorithm does not match its key"},
		{"critical extension", h.token(set("crit", []string{"exp"}), nil), "token header has critical extensions"},
		{"b64 header", h.token(set("b64", true), nil), "token header has critical extensions"},
		{"tampered payload", replacePart(valid, 1, b64(mustJSON(t, h.claims(set("services", []string{"chat", "ai"}))))), "token signature is invalid"},
		{"empty signature", replacePart(valid, 2, ""), "token signature is invalid"},

		{"claims not JSON", forge(t, h.header("ES256", h.rtES.ID, nil), []byte("not json"), h.signRtES), "malformed token claims"},
		{"foreign issuer", h.token(nil, set("iss", "https://evil.example.com")), "token issued by another issuer"},
		{"issuer with a trailing slash", h.token(nil, set("iss", testIssuer+"/")), "token issued by another issuer"},
		{"OAuth audience", h.token(nil, set("aud", testIssuer)), "token is not meant for this audience"},
		{"foreign audience", h.token(nil, set("aud", "urn:other:runtime")), "token is not meant for this audience"},
		{"no audience", h.token(nil, del("aud")), "token is not meant for this audience"},
		{"no tenant", h.token(nil, del("tenant_id")), "token lacks a required claim"},
		{"no external id", h.token(nil, del("external_id")), "token lacks a required claim"},
		{"no jti", h.token(nil, del("jti")), "token lacks a required claim"},
		{"no iat", h.token(nil, del("iat")), "token lacks a required claim"},
		{"subject of another tenant", h.token(nil, set("sub", "other:crm-42")), "token subject does not match its tenant and user"},
		{"subject of another user", h.token(nil, set("sub", testTenant+":crm-43")), "token subject does not match its tenant and user"},
		{"no services", h.token(nil, set("services", []string{})), "token names no service"},
		{"unknown service", h.token(nil, set("services", []string{"chat", "billing"})), "token names an unknown service"},
		{"services not a list", h.token(nil, set("services", "chat")), "malformed token claims"},
		{"no exp", h.token(nil, del("exp")), "token has no expiry"},
		{"expired", h.token(nil, set("exp", now-3600)), "token expired"},
		{"expired just past the leeway", h.token(nil, set("exp", now-30)), "token expired"},
		{"not valid yet", h.token(nil, set("nbf", now+31)), "token is not valid yet"},
		{"issued in the future", h.token(nil, set("iat", now+31)), "token was issued in the future"},
		{"lifetime over an hour", h.token(nil, set("exp", now+3601)), "token lifetime is too long"},
	}
	for _, k := range []*keys.Key{h.rtES, h.rtRS, h.rtEd, h.es} {
		for form, secret := range publicKeyForms(t, k) {
			tests = append(tests, refusal{
				"HS256 keyed with the " + string(k.Purpose) + " " + k.Algorithm + " public key as " + form,
				forge(t, h.header("HS256", k.ID, nil), h.claims(nil), hmacWith(secret)), "token signature algorithm not allowed",
			})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := rt.Verify(tt.raw, testIssuer)
			if got != nil {
				t.Errorf("got claims %+v with a refusal", got)
			}
			checkRefusal(t, err, tt.reason)
		})
	}
	if _, err := rt.Verify(valid, ""); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("no issuer to check against: got %v, want EUNAUTHORIZED", err)
	}
}

func TestRuntimeVerifyAccepts(t *testing.T) {
	t.Parallel()
	rt := newRuntime("")
	h := newRuntimeHostile(t)
	tests := []struct {
		name string
		raw  string
	}{
		{"typ upper case", h.token(set("typ", "RUNTIME+JWT"), nil)},
		{"typ with media type prefix", h.token(set("typ", "application/runtime+jwt"), nil)},
		{"audience list", h.token(nil, set("aud", []string{"urn:x", RuntimeAudience}))},
		{"no name", h.token(nil, del("name"))},
		{"expired within the leeway", h.token(nil, set("exp", h.now-29))},
		{"lifetime of exactly an hour", h.token(nil, set("exp", h.now+3600))},
		{"unknown claims", h.token(nil, set("x-custom", 1))},
		{"RS256", forge(t, h.header("RS256", h.rtRS.ID, nil), h.claims(nil), signWith(t, "RS256", h.rtRS.Private))},
		{"EdDSA", forge(t, h.header("EdDSA", h.rtEd.ID, nil), h.claims(nil), signWith(t, "EdDSA", h.rtEd.Private))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := rt.Verify(tt.raw, testIssuer)
			if err != nil {
				t.Fatalf("got %v, want the token accepted", err)
			}
			if c.TenantID != testTenant || c.ExternalID != "crm-42" || c.JTI != "jti-1" {
				t.Errorf("got claims %+v", c)
			}
		})
	}
}

// TestRuntimeTokenIsNoOAuthToken presents real runtime tokens where OAuth
// tokens are checked, with the audience and issuer those checks expect.
func TestRuntimeTokenIsNoOAuthToken(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	for _, alg := range keys.Algorithms() {
		raw, err := newRuntime(alg).Mint(runtimeClaims())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tok.VerifyAccessToken(raw, testIssuer, RuntimeAudience); gatehouse.ErrorMessage(err) != "wrong token type" {
			t.Errorf("%s runtime token as an access token: got %v, want refused for its type", alg, err)
		}
		if _, err := tok.VerifyIDTokenHint(raw, testIssuer); gatehouse.ErrorMessage(err) != "wrong token type" {
			t.Errorf("%s runtime token as an ID token hint: got %v, want refused for its type", alg, err)
		}
	}
	// With the typ of an access token, the runtime key still does not
	// verify as an OAuth key.
	h := newRuntimeHostile(t)
	forged := forge(t, h.header("ES256", h.rtES.ID, set("typ", "at+jwt")), h.claims(set("client_id", testClient)), h.signRtES)
	if _, err := tok.VerifyAccessToken(forged, testIssuer, RuntimeAudience); gatehouse.ErrorMessage(err) != "token signed by an unknown key" {
		t.Errorf("runtime-signed at+jwt: got %v, want refused for its key", err)
	}
}

func TestRuntimeKeyRotation(t *testing.T) {
	t.Parallel()
	mgr := mustManager(t)
	rt := NewRuntime(RuntimeOptions{Keys: mgr, Clock: fixedClock(t0)})
	before, err := rt.Mint(runtimeClaims())
	if err != nil {
		t.Fatal(err)
	}
	oldKid := header(t, before)["kid"]
	if _, err := mgr.Rotate(context.Background(), gatehouse.KeyPurposeRuntime, MaxRuntimeTokenTTL); err != nil {
		t.Fatal(err)
	}
	after, err := rt.Mint(runtimeClaims())
	if err != nil {
		t.Fatal(err)
	}
	if newKid := header(t, after)["kid"]; newKid == oldKid {
		t.Errorf("after rotation the token is still signed by %v", oldKid)
	}
	for name, raw := range map[string]string{"before": before, "after": after} {
		if _, err := rt.Verify(raw, testIssuer); err != nil {
			t.Errorf("token minted %s rotation: %v", name, err)
		}
	}
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(rt.JWKS(), &jwks); err != nil {
		t.Fatal(err)
	}
	published := map[string]bool{}
	for _, k := range jwks.Keys {
		published[k.Kid] = true
	}
	for _, k := range mgr.Current().Keys() {
		if k.Purpose == gatehouse.KeyPurposeOAuth && published[k.ID] {
			t.Errorf("the runtime JWKS publishes OAuth key %s", k.ID)
		}
	}
	if !published[oldKid.(string)] {
		t.Errorf("the retired runtime key %v left the JWKS before its tokens expired", oldKid)
	}
}

// FuzzVerifyRuntimeToken: arbitrary input never panics, and claims come
// back exactly when no error does.
func FuzzVerifyRuntimeToken(f *testing.F) {
	h := newRuntimeHostile(f)
	f.Add(h.token(nil, nil))
	f.Add(h.token(set("typ", "at+jwt"), nil))
	f.Add(forge(f, h.header("none", h.rtES.ID, nil), h.claims(nil), func([]byte) []byte { return nil }))
	f.Add("a.b.c")
	f.Add("")
	rt := newRuntime("")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := rt.Verify(raw, testIssuer)
		if (c == nil) == (err == nil) {
			t.Fatalf("got claims %v and error %v", c, err)
		}
		if err != nil && len(raw) > 8 && strings.Contains(err.Error(), raw) {
			t.Fatalf("error %q repeats the token", err)
		}
	})
}

func BenchmarkRuntimeMint(b *testing.B) {
	rt := newRuntime("")
	c := runtimeClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Mint(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRuntimeVerify(b *testing.B) {
	rt := newRuntime("")
	raw, err := rt.Mint(runtimeClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Verify(raw, testIssuer); err != nil {
			b.Fatal(err)
		}
	}
}
