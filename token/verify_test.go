package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/keys"
)

// hostile builds the tokens of the negative tests: headers and claims
// start valid, and each case changes one thing.
type hostile struct {
	tb                     testing.TB
	es, rs, ed, runtimeKey *keys.Key
	foreign                *ecdsa.PrivateKey
	signES, signRS, signEd func([]byte) []byte
	now                    int64
	defaultTyp             string
	defaultAud             any
}

func newHostile(tb testing.TB, typ string, aud any) *hostile {
	tb.Helper()
	foreign, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	h := &hostile{
		tb:         tb,
		es:         activeKey(tb, gatehouse.KeyPurposeOAuth, "ES256"),
		rs:         activeKey(tb, gatehouse.KeyPurposeOAuth, "RS256"),
		ed:         activeKey(tb, gatehouse.KeyPurposeOAuth, "EdDSA"),
		runtimeKey: activeKey(tb, gatehouse.KeyPurposeRuntime, "ES256"),
		foreign:    foreign,
		now:        t0.Unix(),
		defaultTyp: typ,
		defaultAud: aud,
	}
	h.signES = signWith(tb, "ES256", h.es.Private)
	h.signRS = signWith(tb, "RS256", h.rs.Private)
	h.signEd = signWith(tb, "EdDSA", h.ed.Private)
	return h
}

// header returns a valid header for alg and kid, changed by mod.
func (h *hostile) header(alg, kid string, mod func(map[string]any)) map[string]any {
	m := map[string]any{"alg": alg, "kid": kid}
	if h.defaultTyp != "" {
		m["typ"] = h.defaultTyp
	}
	if mod != nil {
		mod(m)
	}
	return m
}

// claims returns valid claims, changed by mod.
func (h *hostile) claims(mod func(map[string]any)) map[string]any {
	m := map[string]any{
		"iss": testIssuer, "sub": "user-1", "aud": h.defaultAud,
		"exp": h.now + 3600, "iat": h.now, "jti": "jti-1", "client_id": testClient,
	}
	if mod != nil {
		mod(m)
	}
	return m
}

// es256 forges a token signed by the active OAuth ES256 key.
func (h *hostile) es256(hmod, cmod func(map[string]any)) string {
	return forge(h.tb, h.header("ES256", h.es.ID, hmod), h.claims(cmod), h.signES)
}

func hmacWith(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

func set(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
func del(k string) func(map[string]any)        { return func(m map[string]any) { delete(m, k) } }

// publicKeyForms returns the encodings of pub an attacker might use as an
// HMAC secret.
func publicKeyForms(tb testing.TB, k *keys.Key) map[string][]byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		tb.Fatal(err)
	}
	jwk, err := json.Marshal(k.JWK)
	if err != nil {
		tb.Fatal(err)
	}
	return map[string][]byte{
		"DER": der,
		"PEM": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		"JWK": jwk,
	}
}

// replacePart returns raw with part i (0 header, 1 payload, 2 signature)
// replaced.
func replacePart(raw string, i int, with string) string {
	parts := strings.Split(raw, ".")
	parts[i] = with
	return strings.Join(parts, ".")
}

// refusal is a token that must be refused, and the reason it must be
// refused for: a token refused for another reason would not test what
// its case names.
type refusal struct {
	name   string
	raw    string
	reason string
}

// commonRefusals are the tokens both verifications refuse, whatever the
// claims: bad form, bad algorithm, bad key, bad signature.
func commonRefusals(t *testing.T, h *hostile) []refusal {
	t.Helper()
	valid := h.es256(nil, nil)
	rs := []refusal{
		{"empty", "", "empty token"},
		{"one dot", ".", "malformed token"},
		{"two dots", "..", "token signature algorithm not allowed"},
		{"not base64", "a.b.c", "malformed token"},
		{"four parts", valid + ".x", "malformed token"},
		{"two parts", valid[:strings.LastIndex(valid, ".")], "malformed token"},
		{"with Bearer prefix", "Bearer " + valid, "malformed token"},
		{"surrounded by spaces", " " + valid + " ", "malformed token"},
		{"non-ASCII", "\u00e9\u00e9.\u00e9.\u00e9", "malformed token"},
		{"too large", valid + strings.Repeat("A", maxTokenSize), "token too large"},
		{"JSON serialization", func() string {
			p := strings.Split(valid, ".")
			return `{"protected":"` + p[0] + `","payload":"` + p[1] + `","signature":"` + p[2] + `"}`
		}(), "malformed token"},
		{"header not JSON", replacePart(valid, 0, b64([]byte("not json"))), "malformed token"},
		{"header JSON array", replacePart(valid, 0, b64([]byte(`["ES256"]`))), "malformed token"},

		{"alg none without signature", forge(t, h.header("none", h.es.ID, nil), h.claims(nil), func([]byte) []byte { return nil }), "token signature algorithm not allowed"},
		{"alg none with a signature", forge(t, h.header("none", h.es.ID, nil), h.claims(nil), h.signES), "token signature algorithm not allowed"},
		{"alg None", forge(t, h.header("None", h.es.ID, nil), h.claims(nil), func([]byte) []byte { return nil }), "token signature algorithm not allowed"},
		{"no alg", forge(t, h.header("ES256", h.es.ID, del("alg")), h.claims(nil), h.signES), "token signature algorithm not allowed"},
		{"alg lower case", forge(t, h.header("es256", h.es.ID, nil), h.claims(nil), h.signES), "token signature algorithm not allowed"},
		{"RS384 with our RSA key", forge(t, h.header("RS384", h.rs.ID, nil), h.claims(nil), signWith(t, "RS384", h.rs.Private)), "token signature algorithm not allowed"},
		{"PS256 with our RSA key", forge(t, h.header("PS256", h.rs.ID, nil), h.claims(nil), signWith(t, "PS256", h.rs.Private)), "token signature algorithm not allowed"},

		{"unknown kid", forge(t, h.header("ES256", "no-such-kid", nil), h.claims(nil), signWith(t, "ES256", h.foreign)), "token signed by an unknown key"},
		{"no kid", forge(t, h.header("ES256", "", del("kid")), h.claims(nil), h.signES), "token names no key"},
		{"kid not a string", forge(t, h.header("ES256", "", set("kid", 7)), h.claims(nil), h.signES), "malformed token"},
		{"our kid, a foreign key", forge(t, h.header("ES256", h.es.ID, nil), h.claims(nil), signWith(t, "ES256", h.foreign)), "token signature is invalid"},
		{"foreign key embedded as jwk", forge(t, h.header("ES256", h.es.ID, set("jwk", map[string]any{
			"kty": "EC", "crv": "P-256",
			"x": b64(h.foreign.PublicKey.X.FillBytes(make([]byte, 32))),
			"y": b64(h.foreign.PublicKey.Y.FillBytes(make([]byte, 32))),
		})), h.claims(nil), signWith(t, "ES256", h.foreign)), "token signature is invalid"},
		{"kid of the RSA key, signed ES256", forge(t, h.header("ES256", h.rs.ID, nil), h.claims(nil), h.signES), "token algorithm does not match its key"},
		{"kid of the EdDSA key, header RS256", forge(t, h.header("RS256", h.ed.ID, nil), h.claims(nil), h.signRS), "token algorithm does not match its key"},
		{"runtime-purpose key", forge(t, h.header("ES256", h.runtimeKey.ID, nil), h.claims(nil),
			signWith(t, "ES256", h.runtimeKey.Private)), "token signed by an unknown key"},
		{"OAuth key under a runtime kid", forge(t, h.header("ES256", h.runtimeKey.ID, nil), h.claims(nil), h.signES), "token signed by an unknown key"},

		{"critical extension", h.es256(set("crit", []string{"exp"}), nil), "token header has critical extensions"},
		{"unencoded payload", h.es256(func(m map[string]any) { m["b64"] = false; m["crit"] = []string{"b64"} }, nil), "token header has critical extensions"},
		{"b64 true without crit", h.es256(set("b64", true), nil), "token header has critical extensions"},
		{"typ not a string", h.es256(set("typ", 1), nil), "token type is not a string"},
		{"wrong typ", h.es256(set("typ", "JOSE"), nil), "wrong token type"},

		{"tampered payload", replacePart(valid, 1, b64(mustJSON(t, h.claims(set("sub", "admin"))))), "token signature is invalid"},
		{"tampered signature", func() string {
			p := strings.Split(valid, ".")
			sig := []byte(p[2])
			if sig[10] == 'A' {
				sig[10] = 'B'
			} else {
				sig[10] = 'A'
			}
			return replacePart(valid, 2, string(sig))
		}(), "token signature is invalid"},
		{"empty signature", replacePart(valid, 2, ""), "token signature is invalid"},
		{"signature of another token", replacePart(valid, 2, strings.Split(h.es256(nil, set("jti", "other")), ".")[2]), "token signature is invalid"},
		{"claims not JSON", forge(t, h.header("ES256", h.es.ID, nil), []byte("not json"), h.signES), "malformed token claims"},
		{"claims JSON array", forge(t, h.header("ES256", h.es.ID, nil), []byte(`["sub"]`), h.signES), "malformed token claims"},
		{"foreign issuer", h.es256(nil, set("iss", "https://evil.example.com")), "token issued by another issuer"},
		{"issuer with a trailing slash", h.es256(nil, set("iss", testIssuer+"/")), "token issued by another issuer"},
		{"no issuer", h.es256(nil, del("iss")), "token issued by another issuer"},
		{"no subject", h.es256(nil, del("sub")), "token lacks a required claim"},
	}
	for _, k := range []*keys.Key{h.rs, h.es, h.ed} {
		for form, secret := range publicKeyForms(t, k) {
			rs = append(rs, refusal{
				"HS256 keyed with the " + k.Algorithm + " public key as " + form,
				forge(t, h.header("HS256", k.ID, nil), h.claims(nil), hmacWith(secret)), "token signature algorithm not allowed",
			})
		}
	}
	return rs
}

func checkRefusal(t *testing.T, err error, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("token accepted, want it refused: %s", reason)
	}
	want := gatehouse.EUNAUTHORIZED
	if reason == "token expired" {
		want = gatehouse.EEXPIRED
	}
	if got := gatehouse.ErrorCode(err); got != want {
		t.Errorf("got code %q (%v), want %q", got, err, want)
	}
	if got := gatehouse.ErrorMessage(err); got != reason {
		t.Errorf("refused because %q, want %q", got, reason)
	}
}

func TestVerifyAccessTokenRefuses(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	h := newHostile(t, "at+jwt", testAudience)
	if _, err := tok.VerifyAccessToken(h.es256(nil, nil), testIssuer, testAudience); err != nil {
		t.Fatalf("the valid base token is refused: %v", err)
	}
	now := h.now
	tests := append(commonRefusals(t, h),
		refusal{"typ JWT", h.es256(set("typ", "JWT"), nil), "wrong token type"},
		refusal{"no typ", h.es256(del("typ"), nil), "wrong token type"},
		refusal{"typ application/jwt", h.es256(set("typ", "application/jwt"), nil), "wrong token type"},
		refusal{"typ at+jwt with a suffix", h.es256(set("typ", "at+jwt; x"), nil), "wrong token type"},
		refusal{"typ with another prefix", h.es256(set("typ", "text/at+jwt"), nil), "wrong token type"},
		refusal{"foreign audience", h.es256(nil, set("aud", "https://other.example.com")), "token is not meant for this audience"},
		refusal{"audiences without ours", h.es256(nil, set("aud", []string{"a", "b"})), "token is not meant for this audience"},
		refusal{"no audience", h.es256(nil, del("aud")), "token is not meant for this audience"},
		refusal{"audience not a string", h.es256(nil, set("aud", 5)), "malformed token claims"},
		refusal{"no client_id", h.es256(nil, del("client_id")), "token lacks a required claim"},
		refusal{"no jti", h.es256(nil, del("jti")), "token lacks a required claim"},
		refusal{"no exp", h.es256(nil, del("exp")), "token has no expiry"},
		refusal{"exp not a number", h.es256(nil, set("exp", "tomorrow")), "malformed token claims"},
		refusal{"expired", h.es256(nil, set("exp", now-3600)), "token expired"},
		refusal{"expired just past the leeway", h.es256(nil, set("exp", now-30)), "token expired"},
		refusal{"not valid yet", h.es256(nil, set("nbf", now+31)), "token is not valid yet"},
		refusal{"issued in the future", h.es256(nil, set("iat", now+31)), "token was issued in the future"},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tok.VerifyAccessToken(tt.raw, testIssuer, testAudience)
			if got != nil {
				t.Errorf("got claims %+v with a refusal", got)
			}
			checkRefusal(t, err, tt.reason)
		})
	}
}

func TestVerifyAccessTokenRefusesEmptyExpectations(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	h := newHostile(t, "at+jwt", testAudience)
	raw := h.es256(nil, set("aud", []string{"", testAudience}))
	for name, args := range map[string][2]string{
		"no issuer":   {"", testAudience},
		"no audience": {testIssuer, ""},
	} {
		if _, err := tok.VerifyAccessToken(raw, args[0], args[1]); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("%s: got %v, want EUNAUTHORIZED", name, err)
		}
	}
}

func TestVerifyAccessTokenAccepts(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	h := newHostile(t, "at+jwt", testAudience)
	now := h.now
	tests := []struct {
		name string
		raw  string
	}{
		{"typ upper case", h.es256(set("typ", "AT+JWT"), nil)},
		{"typ with media type prefix", h.es256(set("typ", "application/at+jwt"), nil)},
		{"typ with mixed-case prefix", h.es256(set("typ", "Application/At+Jwt"), nil)},
		{"unknown header parameter", h.es256(set("cty", "x"), nil)},
		{"audience list", h.es256(nil, set("aud", []string{"https://api.example.com", testAudience}))},
		{"expired within the leeway", h.es256(nil, set("exp", now-29))},
		{"nbf within the leeway", h.es256(nil, set("nbf", now+29))},
		{"iat within the leeway", h.es256(nil, set("iat", now+29))},
		{"no iat", h.es256(nil, del("iat"))},
		{"unknown claims", h.es256(nil, set("x-custom", map[string]any{"a": 1}))},
		{"RS256", forge(t, h.header("RS256", h.rs.ID, nil), h.claims(nil), h.signRS)},
		{"EdDSA", forge(t, h.header("EdDSA", h.ed.ID, nil), h.claims(nil), h.signEd)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tok.VerifyAccessToken(tt.raw, testIssuer, testAudience)
			if err != nil {
				t.Fatalf("got %v, want the token accepted", err)
			}
			if c.Subject != "user-1" || c.ClientID != testClient || c.JTI != "jti-1" {
				t.Errorf("got claims %+v", c)
			}
		})
	}
}

func TestVerifyIDTokenHint(t *testing.T) {
	t.Parallel()
	// The hint expired long ago: logout still accepts it.
	tok := New(Options{Keys: sharedKeys, Clock: fixedClock(t0.Add(30 * 24 * time.Hour))})
	for _, alg := range keys.Algorithms() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			in := IDClaims{
				Issuer: testIssuer, Subject: "user-1", Audience: testClient, Expiry: t0.Add(time.Hour), IssuedAt: t0,
				AuthTime: t0.Add(-time.Minute), Nonce: "n", AtHash: "h", SessionID: "sid-1", ACR: "0", AMR: []string{"pwd"},
				Extra: map[string]any{"tenant_id": "t-1", "email": "ada@example.com"},
			}
			raw, err := newTokens("").IDToken(in, alg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tok.VerifyIDTokenHint(raw, testIssuer)
			if err != nil {
				t.Fatalf("VerifyIDTokenHint: %v", err)
			}
			if got.Issuer != in.Issuer || got.Subject != in.Subject || got.Audience != in.Audience ||
				!got.Expiry.Equal(in.Expiry) || !got.IssuedAt.Equal(in.IssuedAt) || !got.AuthTime.Equal(in.AuthTime) ||
				got.Nonce != in.Nonce || got.AtHash != in.AtHash || got.SessionID != in.SessionID || got.ACR != in.ACR ||
				strings.Join(got.AMR, " ") != "pwd" || !maps.Equal(got.Extra, in.Extra) {
				t.Errorf("got claims\n%+v\nwant\n%+v", got, in)
			}
		})
	}
}

func TestVerifyIDTokenHintAccepts(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	h := newHostile(t, "JWT", testClient)
	tests := []struct {
		name string
		raw  string
	}{
		{"typ JWT", h.es256(nil, nil)},
		{"no typ", h.es256(del("typ"), nil)},
		{"typ lower case", h.es256(set("typ", "jwt"), nil)},
		{"typ with media type prefix", h.es256(set("typ", "application/jwt"), nil)},
		{"audience list of one", h.es256(nil, set("aud", []string{testClient}))},
		{"expired", h.es256(nil, set("exp", h.now-86400))},
		{"no exp", h.es256(nil, del("exp"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tok.VerifyIDTokenHint(tt.raw, testIssuer)
			if err != nil {
				t.Fatalf("got %v, want the hint accepted", err)
			}
			if c.Subject != "user-1" || c.Audience != testClient {
				t.Errorf("got claims %+v", c)
			}
		})
	}
}

func TestVerifyIDTokenHintRefuses(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	h := newHostile(t, "JWT", testClient)
	tests := append(commonRefusals(t, h),
		refusal{"typ at+jwt", h.es256(set("typ", "at+jwt"), nil), "wrong token type"},
		refusal{"typ application/at+jwt", h.es256(set("typ", "application/at+jwt"), nil), "wrong token type"},
		refusal{"typ empty", h.es256(set("typ", ""), nil), "wrong token type"},
		refusal{"two audiences", h.es256(nil, set("aud", []string{testClient, "app-2"})), "token is not meant for a single client"},
		refusal{"empty audience", h.es256(nil, set("aud", "")), "token is not meant for a single client"},
		refusal{"no audience", h.es256(nil, del("aud")), "token is not meant for a single client"},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tok.VerifyIDTokenHint(tt.raw, testIssuer)
			if got != nil {
				t.Errorf("got claims %+v with a refusal", got)
			}
			checkRefusal(t, err, tt.reason)
		})
	}
	if _, err := tok.VerifyIDTokenHint(h.es256(nil, nil), ""); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("no issuer to check against: got %v, want EUNAUTHORIZED", err)
	}
}

// FuzzVerifyAccessToken feeds arbitrary text to both verifications: they
// must never panic, and must return claims exactly when they return no
// error.
func FuzzVerifyAccessToken(f *testing.F) {
	h := newHostile(f, "at+jwt", testAudience)
	valid := h.es256(nil, nil)
	f.Add(valid)
	f.Add(h.es256(set("typ", "JWT"), nil))
	f.Add(forge(f, h.header("none", h.es.ID, nil), h.claims(nil), func([]byte) []byte { return nil }))
	f.Add("a.b.c")
	f.Add("")
	f.Add(`{"protected":"e30","payload":"e30","signature":""}`)
	tok := newTokens("")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := tok.VerifyAccessToken(raw, testIssuer, testAudience)
		if (c == nil) == (err == nil) {
			t.Fatalf("got claims %v and error %v", c, err)
		}
		if err != nil && strings.Contains(err.Error(), raw) && len(raw) > 8 {
			t.Fatalf("error %q repeats the token", err)
		}
		id, err := tok.VerifyIDTokenHint(raw, testIssuer)
		if (id == nil) == (err == nil) {
			t.Fatalf("got claims %v and error %v", id, err)
		}
	})
}
