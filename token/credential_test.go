package token

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

const (
	testTokenEndpoint = testIssuer + "/oauth/token"
	testCredentialID  = "0193a5b0-7c1e-7d2a-9f00-3b8c7c0e5a22"
	testCredUser      = "0193a5b0-7c1e-7d2a-9f00-3b8c7c0e5a11"
	testCredTenant    = "0193a5b0-7c1e-7d2a-9f00-3b8c7c0e5a00"
)

func credentialClaims() CredentialClaims {
	return CredentialClaims{
		Issuer: testIssuer, Subject: testCredUser, Audience: testTokenEndpoint, JTI: testCredentialID,
		TenantID: testCredTenant, ClientIDs: []string{testClient}, IssuedAt: t0, Expiry: t0.Add(90 * 24 * time.Hour),
	}
}

// storedCredential is the row the account page would store for a
// credential minted from c with value raw.
func storedCredential(c CredentialClaims, raw string) *gatehouse.JWTCredential {
	return &gatehouse.JWTCredential{
		ID: c.JTI, TenantID: c.TenantID, UserID: c.Subject, Name: "CRM sync",
		Hash: secret.Hash(raw), AllowedClientIDs: c.ClientIDs, CreatedAt: c.IssuedAt, ExpiresAt: c.Expiry,
	}
}

// lookupOf returns a lookup that knows only row.
func lookupOf(row *gatehouse.JWTCredential) CredentialLookup {
	return func(id string) (*gatehouse.JWTCredential, error) {
		if row == nil || id != row.ID {
			return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "credential not found")
		}
		cp := *row
		return &cp, nil
	}
}

func mustCredential(t *testing.T, tok *Tokens, c CredentialClaims) string {
	t.Helper()
	raw, hash, err := tok.Credential(c)
	if err != nil {
		t.Fatalf("Credential: %v", err)
	}
	if sum := sha256.Sum256([]byte(raw)); string(hash) != string(sum[:]) {
		t.Fatalf("got hash %x, want the SHA-256 of the value %x", hash, sum)
	}
	return raw
}

func TestCredential(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	c := credentialClaims()
	raw := mustCredential(t, tok, c)

	es := activeKey(t, gatehouse.KeyPurposeOAuth, "ES256")
	h := header(t, raw)
	if h["typ"] != TypeCredential || h["alg"] != "ES256" || h["kid"] != es.ID {
		t.Errorf("got header %v, want typ %s, alg ES256, kid %s", h, TypeCredential, es.ID)
	}
	p := payload(t, raw)
	want := map[string]any{
		"iss": testIssuer, "sub": testCredUser, "aud": testTokenEndpoint, "jti": testCredentialID,
		"tenant_id": testCredTenant, "iat": float64(t0.Unix()), "exp": float64(c.Expiry.Unix()),
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("claim %s: got %v, want %v", k, p[k], v)
		}
	}
	if ids, _ := p["allowed_client_ids"].([]any); len(ids) != 1 || ids[0] != testClient {
		t.Errorf("allowed_client_ids: got %v, want [%s]", p["allowed_client_ids"], testClient)
	}

	got, err := tok.VerifyCredential(raw, testIssuer, testTokenEndpoint, lookupOf(storedCredential(c, raw)))
	if err != nil {
		t.Fatalf("VerifyCredential: %v", err)
	}
	if got.ID != testCredentialID || got.UserID != testCredUser {
		t.Errorf("got credential %+v, want the stored one", got)
	}

	t.Run("any client", func(t *testing.T) {
		c := credentialClaims()
		c.ClientIDs = nil
		if p := payload(t, mustCredential(t, tok, c)); p["allowed_client_ids"] != nil {
			t.Errorf("got allowed_client_ids %v, want it left out", p["allowed_client_ids"])
		}
	})
	t.Run("each value is new", func(t *testing.T) {
		c := credentialClaims()
		c.JTI = "0193a5b0-7c1e-7d2a-9f00-3b8c7c0e5a33"
		if a, b := mustCredential(t, tok, c), mustCredential(t, tok, credentialClaims()); a == b {
			t.Error("two credentials with different ids have the same value")
		}
	})
}

func TestCredentialRefuses(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	tests := []struct {
		name   string
		modify func(*CredentialClaims)
	}{
		{"no issuer", func(c *CredentialClaims) { c.Issuer = "" }},
		{"no subject", func(c *CredentialClaims) { c.Subject = "" }},
		{"no audience", func(c *CredentialClaims) { c.Audience = "" }},
		{"no jti", func(c *CredentialClaims) { c.JTI = "" }},
		{"jti too long", func(c *CredentialClaims) { c.JTI = strings.Repeat("a", 65) }},
		{"no tenant", func(c *CredentialClaims) { c.TenantID = "" }},
		{"no expiry", func(c *CredentialClaims) { c.Expiry = time.Time{} }},
		{"expiry before issue", func(c *CredentialClaims) { c.Expiry = c.IssuedAt }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := credentialClaims()
			tt.modify(&c)
			if raw, hash, err := tok.Credential(c); err == nil || raw != "" || hash != nil {
				t.Errorf("got %q, %x, %v, want an error and nothing else", raw, hash, err)
			}
		})
	}
}

// credentialCase is a value presented as a credential, the row the store
// holds for its jti, and why it must be refused ("" when it must be
// accepted).
type credentialCase struct {
	name string
	raw  string
	// row is what the lookup finds; nil: nothing.
	row    *gatehouse.JWTCredential
	reason string
	// proven says the credential must come back with the refusal: the
	// value was shown to be a stored credential.
	proven bool
}

// TestVerifyCredential presents hostile values, and valid ones in hostile
// states. A forged value is given a row holding its own hash where the
// case tests a check made after the hash comparison: the store is then
// assumed to be fooled, and the other checks must still hold.
func TestVerifyCredential(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	h := newHostile(t, TypeCredential, testTokenEndpoint)
	now := h.now
	c := credentialClaims()
	genuine := mustCredential(t, tok, c)
	genuineRow := storedCredential(c, genuine)

	claims := func(mod func(map[string]any)) map[string]any {
		m := map[string]any{
			"iss": testIssuer, "sub": testCredUser, "aud": testTokenEndpoint, "jti": testCredentialID,
			"tenant_id": testCredTenant, "iat": now, "exp": now + 3600,
		}
		if mod != nil {
			mod(m)
		}
		return m
	}
	es := func(hmod, cmod func(map[string]any)) string {
		return forge(t, h.header("ES256", h.es.ID, hmod), claims(cmod), h.signES)
	}
	// self returns a row whose hash is raw's own.
	self := func(raw string) *gatehouse.JWTCredential {
		row := *genuineRow
		row.Hash = secret.Hash(raw)
		row.ExpiresAt = time.Unix(now+3600, 0)
		return &row
	}
	selfCase := func(name, raw, reason string) credentialCase {
		return credentialCase{name: name, raw: raw, row: self(raw), reason: reason, proven: reason != ""}
	}
	oneByte := func(raw string, i int) string {
		b := []byte(raw)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	accessToken, err := tok.AccessToken(AccessClaims{
		Issuer: testIssuer, Subject: testCredUser, Audience: []string{testTokenEndpoint}, ClientID: testClient,
		JTI: testCredentialID, TenantID: testCredTenant, Expiry: t0.Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := tok.IDToken(IDClaims{Issuer: testIssuer, Subject: testCredUser, Audience: testTokenEndpoint, Expiry: t0.Add(time.Hour)}, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	revoked := *genuineRow
	revoked.RevokedAt = t0.Add(-time.Minute)
	expiredRow := *genuineRow
	expiredRow.ExpiresAt = t0.Add(-time.Second)
	emptyHash := *genuineRow
	emptyHash.Hash = nil

	tests := []credentialCase{
		{name: "genuine", raw: genuine, row: genuineRow},
		selfCase("typ upper case", es(set("typ", "CREDENTIAL+JWT"), nil), ""),
		selfCase("typ with media type prefix", es(set("typ", "application/credential+jwt"), nil), ""),
		selfCase("RS256", forge(t, h.header("RS256", h.rs.ID, nil), claims(nil), h.signRS), ""),
		selfCase("EdDSA", forge(t, h.header("EdDSA", h.ed.ID, nil), claims(nil), h.signEd), ""),
		// The rotated-away key: the hash is the proof.
		selfCase("kid no longer published", forge(t, h.header("ES256", "retired-long-ago", nil), claims(nil), signWith(t, "ES256", h.foreign)), ""),

		{name: "empty", raw: "", reason: "empty token"},
		{name: "too large", raw: genuine + strings.Repeat("A", maxTokenSize), reason: "token too large"},
		{name: "not a JWS", raw: "a.b.c", reason: "malformed token"},
		{name: "two parts", raw: genuine[:strings.LastIndex(genuine, ".")], reason: "malformed token"},
		{name: "with Bearer prefix", raw: "Bearer " + genuine, reason: "malformed token"},
		{name: "alg none", raw: forge(t, h.header("none", h.es.ID, nil), claims(nil), func([]byte) []byte { return nil }),
			row: genuineRow, reason: "token signature algorithm not allowed"},
		{name: "RS384", raw: forge(t, h.header("RS384", h.rs.ID, nil), claims(nil), signWith(t, "RS384", h.rs.Private)),
			row: genuineRow, reason: "token signature algorithm not allowed"},
		{name: "critical extension", raw: es(set("crit", []string{"exp"}), nil), reason: "token header has critical extensions"},
		{name: "typ not a string", raw: es(set("typ", 7), nil), reason: "token type is not a string"},
		{name: "typ at+jwt", raw: es(set("typ", "at+jwt"), nil), reason: "wrong token type"},
		{name: "typ JWT", raw: es(set("typ", "JWT"), nil), reason: "wrong token type"},
		{name: "no typ", raw: es(del("typ"), nil), reason: "wrong token type"},
		{name: "typ with a suffix", raw: es(set("typ", "credential+jwt; x"), nil), reason: "wrong token type"},
		{name: "an access token", raw: accessToken, row: self(accessToken), reason: "wrong token type"},
		{name: "an ID token", raw: idToken, row: self(idToken), reason: "wrong token type"},
		{name: "claims not JSON", raw: forge(t, h.header("ES256", h.es.ID, nil), []byte("not json"), h.signES), reason: "malformed token claims"},
		{name: "no jti", raw: es(nil, del("jti")), reason: "token lacks a required claim"},
		{name: "jti too long", raw: es(nil, set("jti", strings.Repeat("a", 65))), reason: "token lacks a required claim"},
		{name: "unknown jti", raw: es(nil, set("jti", "0193a5b0-0000-7000-8000-000000000000")), row: genuineRow, reason: "unknown credential"},
		{name: "nothing stored", raw: genuine, reason: "unknown credential"},

		{name: "forged with the genuine jti", raw: es(nil, nil), row: genuineRow, reason: "credential does not match"},
		{name: "genuine, one payload byte changed", raw: oneByte(genuine, strings.Index(genuine, ".")+12), row: genuineRow, reason: "credential does not match"},
		{name: "genuine, one signature byte changed", raw: oneByte(genuine, len(genuine)-10), row: genuineRow, reason: "credential does not match"},
		{name: "genuine, row without a hash", raw: genuine, row: &emptyHash, reason: "credential does not match"},

		selfCase("our kid, a foreign key", forge(t, h.header("ES256", h.es.ID, nil), claims(nil), signWith(t, "ES256", h.foreign)), "token signature is invalid"),
		selfCase("kid of the RSA key, signed ES256", forge(t, h.header("ES256", h.rs.ID, nil), claims(nil), h.signES), "token algorithm does not match its key"),
		selfCase("foreign issuer", es(nil, set("iss", "https://evil.example.com")), "token issued by another issuer"),
		selfCase("foreign audience", es(nil, set("aud", testIssuer)), "token is not meant for this audience"),
		selfCase("no audience", es(nil, del("aud")), "token is not meant for this audience"),
		selfCase("another user", es(nil, set("sub", "someone-else")), "token does not match the stored credential"),
		selfCase("another tenant", es(nil, set("tenant_id", "other-tenant")), "token does not match the stored credential"),
		selfCase("no expiry", es(nil, del("exp")), "token has no expiry"),
		selfCase("expired", es(nil, set("exp", now-3600)), "token expired"),
		selfCase("not valid yet", es(nil, set("nbf", now+3600)), "token is not valid yet"),
		{name: "revoked", raw: genuine, row: &revoked, reason: "credential revoked", proven: true},
		{name: "row expired", raw: genuine, row: &expiredRow, reason: "credential expired", proven: true},
	}
	for _, k := range []string{"ES256", "RS256", "EdDSA"} {
		kk := activeKey(t, gatehouse.KeyPurposeOAuth, k)
		for form, pub := range publicKeyForms(t, kk) {
			raw := forge(t, h.header("HS256", kk.ID, nil), claims(nil), hmacWith(pub))
			tests = append(tests, credentialCase{
				name: "HS256 keyed with the " + k + " public key as " + form, raw: raw, row: self(raw),
				reason: "token signature algorithm not allowed",
			})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tok.VerifyCredential(tt.raw, testIssuer, testTokenEndpoint, lookupOf(tt.row))
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("got %v, want the credential accepted", err)
				}
				if got == nil || got.ID != testCredentialID {
					t.Errorf("got credential %+v, want the stored one", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("credential accepted, want it refused: %s", tt.reason)
			}
			want := gatehouse.EUNAUTHORIZED
			if tt.reason == "token expired" || tt.reason == "credential expired" {
				want = gatehouse.EEXPIRED
			}
			if code := gatehouse.ErrorCode(err); code != want {
				t.Errorf("got code %q (%v), want %q", code, err, want)
			}
			if msg := gatehouse.ErrorMessage(err); msg != tt.reason {
				t.Errorf("refused because %q, want %q", msg, tt.reason)
			}
			if (got != nil) != tt.proven {
				t.Errorf("got credential %v with the refusal, want one returned: %v", got, tt.proven)
			}
		})
	}
}

func TestVerifyCredentialExpectations(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	c := credentialClaims()
	raw := mustCredential(t, tok, c)
	lookup := lookupOf(storedCredential(c, raw))
	tests := []struct {
		name             string
		issuer, audience string
		lookup           CredentialLookup
	}{
		{"no issuer", "", testTokenEndpoint, lookup},
		{"no audience", testIssuer, "", lookup},
		{"no lookup", testIssuer, testTokenEndpoint, nil},
		{"another issuer", "https://id.example.com", "https://id.example.com/oauth/token", lookup},
		{"the issuer as audience", testIssuer, testIssuer, lookup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tok.VerifyCredential(raw, tt.issuer, tt.audience, tt.lookup); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
				t.Errorf("got %v, want EUNAUTHORIZED", err)
			}
		})
	}
}

// TestVerifyCredentialLookupFailure checks that a store failure is
// returned as itself, never as a refusal that would read as a bad
// credential.
func TestVerifyCredentialLookupFailure(t *testing.T) {
	t.Parallel()
	tok := newTokens("")
	raw := mustCredential(t, tok, credentialClaims())
	var asked []string
	_, err := tok.VerifyCredential(raw, testIssuer, testTokenEndpoint, func(id string) (*gatehouse.JWTCredential, error) {
		asked = append(asked, id)
		return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "database is down")
	})
	if gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE {
		t.Errorf("got %v, want the lookup's EUNAVAILABLE", err)
	}
	if !slices.Equal(asked, []string{testCredentialID}) {
		t.Errorf("looked up %v, want the jti %s", asked, testCredentialID)
	}
}

// TestVerifyCredentialOutlivesItsKey withdraws the key that signed a
// credential: the credential still verifies (its stored hash is the
// proof), while an access token of the same key does not.
func TestVerifyCredentialOutlivesItsKey(t *testing.T) {
	t.Parallel()
	mgr := mustManager(t)
	tok := New(Options{Keys: mgr, Clock: fixedClock(t0)})
	c := credentialClaims()
	raw := mustCredential(t, tok, c)
	at, err := tok.AccessToken(AccessClaims{Issuer: testIssuer, Subject: "u", Audience: []string{testAudience}, ClientID: testClient, Expiry: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := header(t, raw)["kid"].(string)
	for range 2 {
		if _, err := mgr.Rotate(context.Background(), gatehouse.KeyPurposeOAuth, 0); err != nil {
			t.Fatalf("Rotate: %v", err)
		}
	}
	if _, ok := mgr.Current().Key(gatehouse.KeyPurposeOAuth, kid); ok {
		t.Fatalf("key %s is still published after two rotations", kid)
	}
	if _, err := tok.VerifyAccessToken(at, testIssuer, testAudience); err == nil {
		t.Fatal("an access token of a withdrawn key verified; the test proves nothing")
	}
	if _, err := tok.VerifyCredential(raw, testIssuer, testTokenEndpoint, lookupOf(storedCredential(c, raw))); err != nil {
		t.Errorf("credential of a withdrawn key: got %v, want it accepted", err)
	}
}

func FuzzVerifyCredential(f *testing.F) {
	tok := newTokens("")
	c := credentialClaims()
	raw, _, err := tok.Credential(c)
	if err != nil {
		f.Fatal(err)
	}
	row := storedCredential(c, raw)
	f.Add(raw)
	f.Add("a.b.c")
	f.Add("")
	f.Add(raw[:len(raw)/2])
	f.Fuzz(func(t *testing.T, s string) {
		got, err := tok.VerifyCredential(s, testIssuer, testTokenEndpoint, lookupOf(row))
		if err == nil && s != raw {
			t.Fatalf("accepted %q, which is not the issued credential", s)
		}
		if err != nil && got != nil && s != raw {
			t.Fatalf("returned the stored credential for %q, which is not the issued value", s)
		}
	})
}

func BenchmarkVerifyCredential(b *testing.B) {
	tok := newTokens("")
	c := credentialClaims()
	raw, _, err := tok.Credential(c)
	if err != nil {
		b.Fatal(err)
	}
	lookup := lookupOf(storedCredential(c, raw))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tok.VerifyCredential(raw, testIssuer, testTokenEndpoint, lookup); err != nil {
			b.Fatal(err)
		}
	}
}
