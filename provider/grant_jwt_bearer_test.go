package provider_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/provider"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/token"
)

// credentialRefused is the one description of every refused credential.
const credentialRefused = "the assertion is not a JWT credential this client may use"

// bearerApp registers a confidential app that may use the JWT bearer
// grant.
func (e *env) bearerApp(t testing.TB, tenantID string, modify func(*gatehouse.Client)) *gatehousetest.Client {
	t.Helper()
	return e.s.MustClient(t, tenantID, func(c *gatehouse.Client) {
		c.GrantTypes = []string{gatehouse.GrantAuthorizationCode, gatehouse.GrantJWTBearer}
		c.Scopes = []string{"openid", "profile", "email", "offline_access"}
		if modify != nil {
			modify(c)
		}
	})
}

// credOpts describe a JWT credential as the account page would create
// it.
type credOpts struct {
	user    *gatehouse.User // default: the env's user
	issuer  string          // default: the platform issuer
	allowed []string        // client_ids; empty: any app
	// issued and expires default to now and now + 90 days; rowExpires,
	// when set, is the stored expiry instead of expires.
	issued, expires, rowExpires time.Time
}

// mustCredential mints a JWT credential and stores it the way the
// account page does, and returns its value and row.
func (e *env) mustCredential(t testing.TB, o credOpts) (string, *gatehouse.JWTCredential) {
	t.Helper()
	if o.user == nil {
		o.user = e.user
	}
	if o.issuer == "" {
		o.issuer = e.s.URL
	}
	now := e.s.Clock.Now()
	if o.issued.IsZero() {
		o.issued = now
	}
	if o.expires.IsZero() {
		o.expires = now.Add(90 * 24 * time.Hour)
	}
	if o.rowExpires.IsZero() {
		o.rowExpires = o.expires
	}
	id := secret.NewID()
	raw, hash, err := e.s.App.Tokens.Credential(token.CredentialClaims{
		Issuer: o.issuer, Subject: o.user.ID, Audience: o.issuer + "/oauth/token", JTI: id,
		TenantID: o.user.TenantID, ClientIDs: o.allowed, IssuedAt: o.issued, Expiry: o.expires,
	})
	if err != nil {
		t.Fatalf("mint credential: %v", err)
	}
	cred := &gatehouse.JWTCredential{
		ID: id, TenantID: o.user.TenantID, UserID: o.user.ID, Name: "test credential", Hash: hash,
		AllowedClientIDs: o.allowed, CreatedAt: o.issued, ExpiresAt: o.rowExpires,
	}
	if err := e.s.Store.CreateJWTCredential(context.Background(), cred); err != nil {
		t.Fatalf("store credential: %v", err)
	}
	return raw, cred
}

// bearerForm is a JWT bearer token request.
func bearerForm(assertion, scope string) url.Values {
	f := url.Values{"grant_type": {gatehouse.GrantJWTBearer}, "assertion": {assertion}}
	if scope != "" {
		f.Set("scope", scope)
	}
	return f
}

// exchangeCredential presents a credential at the platform token endpoint.
func (e *env) exchangeCredential(t testing.TB, c *gatehousetest.Client, assertion, scope string) result {
	t.Helper()
	return post(t, e.s.URL+"/oauth/token", bearerForm(assertion, scope), authOf(c))
}

// jwtClaims decodes the payload of a JWT without checking it.
func jwtClaims(t testing.TB, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestJWTBearerGrant walks a credential's life: the app it is restricted
// to exchanges it, and the access token works at userinfo and shows the
// credential and client binding at introspection; another app of the
// same tenant is refused; uses are recorded, the last-used time at most
// once a minute; revoking the credential stops the token and further
// exchanges.
func TestJWTBearerGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app := e.bearerApp(t, e.tenant.ID, nil)
	other := e.bearerApp(t, e.tenant.ID, nil)
	raw, cred := e.mustCredential(t, credOpts{allowed: []string{app.ClientID}})
	ctx := context.Background()

	res := e.exchangeCredential(t, app, raw, "")
	ts := mustTokens(t, res)
	if ts.TokenType != "Bearer" || ts.ExpiresIn != int64(gatehouse.DefaultAccessTokenTTL/time.Second) {
		t.Errorf("got token_type %q, expires_in %d, want Bearer and the client's access-token lifetime", ts.TokenType, ts.ExpiresIn)
	}
	if ts.RefreshToken != "" || ts.IDToken != "" {
		t.Errorf("got a refresh token %t and an ID token %t, want neither", ts.RefreshToken != "", ts.IDToken != "")
	}
	if ts.Scope != "email openid profile" {
		t.Errorf("got scope %q, want the client's scopes without offline_access", ts.Scope)
	}
	claims := jwtClaims(t, ts.AccessToken)
	for k, want := range map[string]any{
		"credential_id": cred.ID, "client_id": app.ClientID, "sub": e.user.ID, "tenant_id": e.tenant.ID, "aud": e.s.URL,
	} {
		if claims[k] != want {
			t.Errorf("access token claim %s: got %v, want %v", k, claims[k], want)
		}
	}
	gid, _ := claims["gid"].(string)
	g, err := e.s.Store.GetGrant(ctx, e.tenant.ID, gid)
	if err != nil {
		t.Fatalf("the token's grant %q: %v", gid, err)
	}
	if g.JWTCredentialID != cred.ID || g.Client != app.ID || g.UserID != e.user.ID {
		t.Errorf("got grant %+v, want one bound to the credential, the client and the user", g)
	}

	if info := e.userinfo(t, ts.AccessToken); info.status != http.StatusOK || info.str("sub") != e.user.ID ||
		info.str("email") != e.user.Email {
		t.Errorf("userinfo: got %d %s, want the user's claims", info.status, info.raw)
	}
	in := e.introspect(t, app, ts.AccessToken)
	wantActive(t, in, true)
	if in.str("credential_id") != cred.ID || in.str("client_id") != app.ClientID || in.str("sub") != e.user.ID {
		t.Errorf("introspection: got %s, want the credential and client binding", in.raw)
	}

	// Another app of the same tenant holding the same credential.
	res = e.exchangeCredential(t, other, raw, "")
	wantError(t, res, http.StatusBadRequest, "invalid_grant")
	if d := res.str("error_description"); d != credentialRefused {
		t.Errorf("got description %q, want %q", d, credentialRefused)
	}

	// Uses are recorded: credential.use for each attempt with this
	// credential, token.issue for the exchange.
	uses := e.auditEvents(t, e.tenant.ID, "credential.use")
	if len(uses) != 2 {
		t.Fatalf("got %d credential.use events, want 2: %+v", len(uses), uses)
	}
	for i, want := range []struct{ actor, result string }{
		{"client:" + app.ClientID, gatehouse.ResultSuccess},
		{"client:" + other.ClientID, gatehouse.ResultFailure},
	} {
		ev := uses[i]
		if ev.Actor != want.actor || ev.Result != want.result || ev.Target != "credential:"+cred.ID ||
			ev.Details["credential_id"] != cred.ID {
			t.Errorf("credential.use %d: got %+v, want actor %s, result %s, the credential in details", i, ev, want.actor, want.result)
		}
		for _, v := range ev.Details {
			if strings.Contains(v, raw) || strings.Contains(v, ts.AccessToken) {
				t.Errorf("credential.use %d holds a secret: %v", i, ev.Details)
			}
		}
	}
	if issues := e.auditEvents(t, e.tenant.ID, "token.issue"); len(issues) != 1 ||
		issues[0].Details["grant_type"] != gatehouse.GrantJWTBearer {
		t.Errorf("got token.issue events %+v, want one for the JWT bearer grant", issues)
	}
	if strings.Contains(e.s.Log.String(), raw) {
		t.Error("the credential reached the server log")
	}

	// The last-used time is recorded, then at most once a minute.
	lastUsed := func() time.Time {
		t.Helper()
		c, err := e.s.Store.GetJWTCredential(ctx, e.tenant.ID, cred.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.LastUsedAt
	}
	first := e.s.Clock.Now()
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("last used: got %v, want %v", got, first)
	}
	e.s.Clock.Advance(30 * time.Second)
	mustTokens(t, e.exchangeCredential(t, app, raw, "openid"))
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("last used 30 s later: got %v, want it unchanged at %v", got, first)
	}
	e.s.Clock.Advance(31 * time.Second)
	mustTokens(t, e.exchangeCredential(t, app, raw, "openid"))
	if got := lastUsed(); !got.Equal(e.s.Clock.Now()) {
		t.Errorf("last used 61 s later: got %v, want %v", got, e.s.Clock.Now())
	}

	// Revoking the credential revokes what it issued.
	if err := e.s.Store.RevokeJWTCredential(ctx, e.tenant.ID, cred.ID, e.s.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.userinfo(t, ts.AccessToken), http.StatusUnauthorized, "invalid_token")
	wantActive(t, e.introspect(t, app, ts.AccessToken), false)
	res = e.exchangeCredential(t, app, raw, "")
	wantError(t, res, http.StatusBadRequest, "invalid_grant")
	if d := res.str("error_description"); d != credentialRefused {
		t.Errorf("revoked: got description %q, want %q", d, credentialRefused)
	}
}

// TestJWTBearerGrantAnyApp checks a credential for any app of the tenant,
// and that an app whose client_id was rotated keeps a credential that
// names its old one.
func TestJWTBearerGrantAnyApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.bearerApp(t, e.tenant.ID, nil)
	b := e.bearerApp(t, e.tenant.ID, nil)
	anyRaw, _ := e.mustCredential(t, credOpts{})
	for _, c := range []*gatehousetest.Client{a, b} {
		mustTokens(t, e.exchangeCredential(t, c, anyRaw, ""))
	}

	raw, _ := e.mustCredential(t, credOpts{allowed: []string{a.ClientID}})
	_, issued, err := e.s.App.Admin.RotateClientSecret(context.Background(), gatehousetest.Actor(), e.tenant.ID, a.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rotated := &gatehousetest.Client{Client: a.Client, ClientID: issued.ClientID, ClientSecret: issued.Secret}
	ts := mustTokens(t, e.exchangeCredential(t, rotated, raw, ""))
	if got := jwtClaims(t, ts.AccessToken)["client_id"]; got != issued.ClientID {
		t.Errorf("got client_id %v, want the rotated one %s", got, issued.ClientID)
	}
	wantError(t, e.exchangeCredential(t, b, raw, ""), http.StatusBadRequest, "invalid_grant")
}

// forgeJWT signs header and claims; sign gets the signing input.
func forgeJWT(t testing.TB, header, claims map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

// signOurs signs with the server's active OAuth ES256 key, with header
// typ typ and the claims of raw (a credential) changed by mod.
func signOurs(t testing.TB, e *env, typ string, raw string, mod func(map[string]any)) string {
	t.Helper()
	k, err := e.s.App.Keys.Current().Signer(gatehouse.KeyPurposeOAuth, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	signer, err := jose.NewSigner(k.SigningKey(), opts)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwtClaims(t, raw)
	if mod != nil {
		mod(claims)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestJWTBearerGrantRefusals presents every credential and request the
// grant must refuse. Client authentication failures are invalid_client;
// every refused credential is invalid_grant with one fixed description.
// Each case then shows that nothing was issued.
func TestJWTBearerGrantRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	app := e.bearerApp(t, e.tenant.ID, nil)
	other := e.bearerApp(t, e.tenant.ID, nil)
	noGrant := e.s.MustClient(t, e.tenant.ID, nil)
	ownersOnly := e.bearerApp(t, e.tenant.ID, func(c *gatehouse.Client) { c.AllowedRoles = []string{"owner"} })
	globex := e.s.MustTenant(t, "globex")
	globexUser := e.s.MustUser(t, globex.ID, "gus", password)
	globexApp := e.bearerApp(t, globex.ID, nil)

	raw, _ := e.mustCredential(t, credOpts{allowed: []string{app.ClientID, ownersOnly.ClientID}})
	now := e.s.Clock.Now()
	revokedRaw, revoked := e.mustCredential(t, credOpts{allowed: []string{app.ClientID}})
	if err := e.s.Store.RevokeJWTCredential(ctx, e.tenant.ID, revoked.ID, now); err != nil {
		t.Fatal(err)
	}
	expiredRaw, _ := e.mustCredential(t, credOpts{issued: now.Add(-48 * time.Hour), expires: now.Add(-time.Hour)})
	rowExpiredRaw, _ := e.mustCredential(t, credOpts{rowExpires: now.Add(-time.Second)})
	globexRaw, _ := e.mustCredential(t, credOpts{user: globexUser})
	tenantIssuerRaw, _ := e.mustCredential(t, credOpts{issuer: e.s.URL + "/t/acme"})
	disabled := e.s.MustUser(t, e.tenant.ID, "dora", password)
	disabledRaw, _ := e.mustCredential(t, credOpts{user: disabled})
	e.setUserStatus(t, disabled, gatehouse.StatusDisabled)

	// Other tokens of this server.
	login := e.mustLogin(t, noGrant, codeOpts{})

	// Hostile assertions built here.
	oauthKey, err := e.s.App.Keys.Current().Signer(gatehouse.KeyPurposeOAuth, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(oauthKey.Public)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := json.Marshal(oauthKey.JWK)
	if err != nil {
		t.Fatal(err)
	}
	hs256 := func(key []byte) string {
		return forgeJWT(t, map[string]any{"alg": "HS256", "kid": oauthKey.ID, "typ": token.TypeCredential}, jwtClaims(t, raw),
			func(in []byte) []byte {
				m := hmac.New(sha256.New, key)
				m.Write(in)
				return m.Sum(nil)
			})
	}
	oneByte := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}

	tests := []struct {
		name   string
		form   url.Values
		auth   clientAuth
		target string // default: the platform token endpoint
		status int
		code   string
	}{
		{name: "no client authentication", form: bearerForm(raw, ""), status: 401, code: "invalid_client"},
		{name: "client_id without its secret", form: bearerForm(raw, ""), auth: clientAuth{id: app.ClientID, post: true}, status: 401, code: "invalid_client"},
		{name: "wrong client secret", form: bearerForm(raw, ""), auth: clientAuth{id: app.ClientID, secret: "gth_cs_wrong"}, status: 401, code: "invalid_client"},
		{name: "client without the grant", form: bearerForm(raw, ""), auth: authOf(noGrant), status: 400, code: "unauthorized_client"},
		{name: "no assertion", form: url.Values{"grant_type": {gatehouse.GrantJWTBearer}}, auth: authOf(app), status: 400, code: "invalid_request"},
		{name: "offline_access", form: bearerForm(raw, "openid offline_access"), auth: authOf(app), status: 400, code: "invalid_scope"},
		{name: "scope the client lacks", form: bearerForm(raw, "roles.read"), auth: authOf(app), status: 400, code: "invalid_scope"},

		{name: "another app of the tenant", form: bearerForm(raw, ""), auth: authOf(other), status: 400, code: "invalid_grant"},
		{name: "revoked", form: bearerForm(revokedRaw, ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "expired", form: bearerForm(expiredRaw, ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "expired in the store, not in the token", form: bearerForm(rowExpiredRaw, ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "another tenant's credential", form: bearerForm(globexRaw, ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "presented by the other tenant's app", form: bearerForm(raw, ""), auth: authOf(globexApp), status: 400, code: "invalid_grant"},
		{name: "minted at the tenant issuer, presented at the platform's", form: bearerForm(tenantIssuerRaw, ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "minted at the platform issuer, presented at the tenant's", form: bearerForm(raw, ""), auth: authOf(app),
			target: e.s.URL + "/t/acme/oauth/token", status: 400, code: "invalid_grant"},
		{name: "user disabled", form: bearerForm(disabledRaw, ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "user without a role the app admits", form: bearerForm(raw, ""), auth: authOf(ownersOnly), status: 400, code: "invalid_grant"},

		{name: "malformed", form: bearerForm("a.b.c", ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "not a JWT", form: bearerForm("gth_sk_not-a-jwt", ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "alg none", form: bearerForm(forgeJWT(t, map[string]any{"alg": "none", "typ": token.TypeCredential}, jwtClaims(t, raw),
			func([]byte) []byte { return nil }), ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "HS256 keyed with our public key (DER)", form: bearerForm(hs256(der), ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "HS256 keyed with our public key (JWK)", form: bearerForm(hs256(jwk), ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "our signature, typ JWT", form: bearerForm(signOurs(t, e, "JWT", raw, nil), ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "our signature, typ at+jwt", form: bearerForm(signOurs(t, e, "at+jwt", raw, nil), ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "our signature, the credential's claims re-signed", form: bearerForm(signOurs(t, e, token.TypeCredential, raw, nil), ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "our signature, another user", form: bearerForm(signOurs(t, e, token.TypeCredential, raw,
			func(m map[string]any) { m["sub"] = disabled.ID }), ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "an access token", form: bearerForm(login.AccessToken, ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "an ID token", form: bearerForm(login.IDToken, ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "a refresh token", form: bearerForm(login.RefreshToken, ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "one payload byte changed", form: bearerForm(oneByte(raw, strings.Index(raw, ".")+20), ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "one signature byte changed", form: bearerForm(oneByte(raw, len(raw)-5), ""), auth: authOf(app), status: 400, code: "invalid_grant"},
		{name: "two credentials", form: url.Values{"grant_type": {gatehouse.GrantJWTBearer}, "assertion": {raw, raw}}, auth: authOf(app), status: 400, code: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := tt.target
			if target == "" {
				target = e.s.URL + "/oauth/token"
			}
			res := post(t, target, tt.form, tt.auth)
			wantError(t, res, tt.status, tt.code)
			if res.str("access_token") != "" {
				t.Errorf("got an access token with the error")
			}
			if tt.code == "invalid_grant" {
				if d := res.str("error_description"); d != credentialRefused {
					t.Errorf("got description %q, want the fixed %q", d, credentialRefused)
				}
			}
		})
	}
}

// TestJWTBearerGrantScopes checks the scopes an exchange may ask for.
func TestJWTBearerGrantScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app := e.bearerApp(t, e.tenant.ID, nil)
	raw, _ := e.mustCredential(t, credOpts{allowed: []string{app.ClientID}})
	tests := []struct {
		scope, want string
	}{
		{"", "email openid profile"},
		{"profile", "profile"},
		{"email openid", "email openid"},
	}
	for _, tt := range tests {
		t.Run("scope "+tt.scope, func(t *testing.T) {
			t.Parallel()
			ts := mustTokens(t, e.exchangeCredential(t, app, raw, tt.scope))
			if ts.Scope != tt.want {
				t.Errorf("got scope %q, want %q", ts.Scope, tt.want)
			}
			if got := jwtClaims(t, ts.AccessToken)["scope"]; got != tt.want {
				t.Errorf("access token scope: got %v, want %q", got, tt.want)
			}
			// Without openid, userinfo is not the token's to call.
			status := e.userinfo(t, ts.AccessToken).status
			if wantOK := strings.Contains(tt.want, "openid"); (status == http.StatusOK) != wantOK {
				t.Errorf("userinfo: got %d, want 200 %t", status, wantOK)
			}
		})
	}
}

// TestJWTBearerGrantTokenEndsWithCredential checks that an access token
// never outlives the credential it was exchanged for.
func TestJWTBearerGrantTokenEndsWithCredential(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app := e.bearerApp(t, e.tenant.ID, nil)
	now := e.s.Clock.Now()
	raw, cred := e.mustCredential(t, credOpts{allowed: []string{app.ClientID}, expires: now.Add(10 * time.Minute)})
	ts := mustTokens(t, e.exchangeCredential(t, app, raw, ""))
	if ts.ExpiresIn != 600 {
		t.Errorf("got expires_in %d, want 600 (the credential's remaining life)", ts.ExpiresIn)
	}
	if exp, _ := jwtClaims(t, ts.AccessToken)["exp"].(float64); int64(exp) != cred.ExpiresAt.Unix() {
		t.Errorf("got exp %v, want the credential's %d", exp, cred.ExpiresAt.Unix())
	}
}

// revokingStore revokes the JWT credential of a grant just before storing
// the grant: a revocation that lands between an exchange's checks and its
// grant.
type revokingStore struct {
	gatehouse.Store
	now func() time.Time
}

func (s revokingStore) CreateGrant(ctx context.Context, g *gatehouse.Grant) error {
	if g.JWTCredentialID != "" {
		if err := s.Store.RevokeJWTCredential(ctx, g.TenantID, g.JWTCredentialID, s.now()); err != nil {
			return err
		}
	}
	return s.Store.CreateGrant(ctx, g)
}

// TestJWTBearerGrantRevokedMeanwhile presents a credential that is revoked
// while the exchange runs. The store refuses the grant; the client gets
// the refusal of any revoked credential, never a server error.
func TestJWTBearerGrantRevokedMeanwhile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app := e.bearerApp(t, e.tenant.ID, nil)
	raw, _ := e.mustCredential(t, credOpts{})
	srv, err := server.New(server.Options{Issuer: e.s.URL})
	if err != nil {
		t.Fatal(err)
	}
	provider.New(provider.Options{
		Store: revokingStore{Store: e.s.Store, now: e.s.Clock.Now}, Tokens: e.s.App.Tokens, Clock: e.s.Clock.Now,
	}).Register(srv)

	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, formRequest(e.s.URL+"/oauth/token", bearerForm(raw, ""), app))
	res := result{status: rec.Code, header: rec.Header(), raw: rec.Body.Bytes()}
	if err := json.Unmarshal(res.raw, &res.body); err != nil {
		t.Fatalf("got %d %q, want a JSON error", res.status, res.raw)
	}
	wantError(t, res, http.StatusBadRequest, "invalid_grant")
	if d := res.str("error_description"); d != credentialRefused {
		t.Errorf("got description %q, want %q", d, credentialRefused)
	}
	// The revocation held: the real server refuses the credential too.
	wantError(t, e.exchangeCredential(t, app, raw, ""), http.StatusBadRequest, "invalid_grant")
}

// BenchmarkTokenJWTBearer measures the JWT bearer exchange: client
// authentication, the credential's parse, lookup, hash and ES256 check,
// the user check, the grant insert and one ES256 signature.
func BenchmarkTokenJWTBearer(b *testing.B) {
	e := newEnv(b)
	h := e.s.App.Handler()
	c := e.bearerApp(b, e.tenant.ID, nil)
	raw, _ := e.mustCredential(b, credOpts{allowed: []string{c.ClientID}})
	target := e.s.URL + "/oauth/token"
	form := bearerForm(raw, "openid profile")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		benchServe(b, h, formRequest(target, form, c), http.StatusOK)
		n++
	}
	reportRate(b, n)
}
