package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// errorEnv is a server with the clients the negative tests need.
type errorEnv struct {
	*env
	conf, conf2, pub, cc *gatehousetest.Client
	// foreign is a confidential client of another tenant.
	foreign *gatehousetest.Client
	globex  *gatehouse.Tenant
}

func newErrorEnv(t *testing.T) *errorEnv {
	e := &errorEnv{env: newEnv(t)}
	e.conf = e.s.MustClient(t, e.tenant.ID, nil)
	e.conf2 = e.s.MustClient(t, e.tenant.ID, nil)
	e.pub = e.s.MustClient(t, e.tenant.ID, func(c *gatehouse.Client) { c.Type = gatehouse.ClientPublic })
	e.cc = e.s.MustClient(t, e.tenant.ID, func(c *gatehouse.Client) {
		c.GrantTypes = []string{"client_credentials"}
		c.Scopes = []string{"openid", "profile", "offline_access"}
	})
	e.globex = e.s.MustTenant(t, "globex")
	e.foreign = e.s.MustClient(t, e.globex.ID, nil)
	return e
}

func codeForm(code, redirectURI, verifier string) url.Values {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	if redirectURI != "" {
		f.Set("redirect_uri", redirectURI)
	}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return f
}

// TestTokenEndpointErrors sends every misuse of the token endpoint the
// issue lists and checks the protocol error it gets; none may be a server
// error. Where a failed check must spend nothing, the case then shows that
// the code or token still works for its rightful owner.
func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	tokenURL := e.s.URL + "/oauth/token"
	redirect := e.conf.RedirectURIs[0]
	failed := post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}},
		clientAuth{id: e.cc.ClientID, secret: "gth_cs_wrong"}).str("error_description")

	type tc struct {
		name   string
		run    func(t *testing.T) result
		status int
		code   string
		check  func(t *testing.T, res result)
	}
	tests := []tc{
		{
			name: "wrong secret, client_secret_basic",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}},
					clientAuth{id: e.cc.ClientID, secret: e.cc.ClientSecret + "x"})
			},
			status: 401, code: "invalid_client",
			check: func(t *testing.T, res result) {
				if got := res.header.Get("WWW-Authenticate"); got != `Basic realm="gatehouse"` {
					t.Errorf("WWW-Authenticate: got %q, want a Basic challenge", got)
				}
			},
		},
		{
			name: "wrong secret, client_secret_post",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}},
					clientAuth{id: e.cc.ClientID, secret: "gth_cs_wrong", post: true})
			},
			status: 401, code: "invalid_client",
		},
		{
			name: "unknown client",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}},
					clientAuth{id: "gth_ci_nobody", secret: "gth_cs_wrong"})
			},
			status: 401, code: "invalid_client",
			check: func(t *testing.T, res result) {
				if got := res.str("error_description"); got != failed {
					t.Errorf("description: got %q, want the same as for a wrong secret, %q", got, failed)
				}
			},
		},
		{
			name: "missing secret for a confidential client",
			run: func(t *testing.T) result {
				return post(t, tokenURL, codeForm(e.mustCode(t, e.conf, codeOpts{}), redirect, ""),
					clientAuth{id: e.conf.ClientID, post: true})
			},
			status: 401, code: "invalid_client",
		},
		{
			name: "secret for a public client",
			run: func(t *testing.T) result {
				v := oauth2.GenerateVerifier()
				return post(t, tokenURL, codeForm(e.mustCode(t, e.pub, codeOpts{verifier: v}), redirect, v),
					clientAuth{id: e.pub.ClientID, secret: "gth_cs_invented", post: true})
			},
			status: 401, code: "invalid_client",
		},
		{
			name: "expired credential",
			run: func(t *testing.T) result {
				c := e.s.MustClient(t, e.tenant.ID, nil)
				if err := e.s.Store.UpdateClientCredential(context.Background(), e.tenant.ID,
					c.Credentials[0].ID, c.Credentials[0].Name, e.s.Clock.Now()); err != nil {
					t.Fatal(err)
				}
				return post(t, tokenURL, codeForm(e.mustCode(t, c, codeOpts{}), redirect, ""), authOf(c))
			},
			status: 401, code: "invalid_client",
		},
		{
			name: "client of another tenant at a tenant issuer",
			run: func(t *testing.T) result {
				return post(t, e.s.URL+"/t/acme/oauth/token", url.Values{"grant_type": {"client_credentials"}},
					authOf(e.foreign))
			},
			status: 401, code: "invalid_client",
		},
		{
			name: "client_id in the query string",
			run: func(t *testing.T) result {
				return post(t, tokenURL+"?client_id="+e.conf.ClientID, codeForm("x", redirect, ""), authOf(e.conf))
			},
			status: 400, code: "invalid_request",
		},
		{
			name: "code reuse revokes the tokens issued from it",
			run: func(t *testing.T) result {
				code := e.mustCode(t, e.conf, codeOpts{})
				first := mustTokens(t, post(t, tokenURL, codeForm(code, redirect, ""), authOf(e.conf)))
				if res := e.userinfo(t, first.AccessToken); res.status != 200 {
					t.Fatalf("userinfo before the reuse: got %d", res.status)
				}
				second := post(t, tokenURL, codeForm(code, redirect, ""), authOf(e.conf))
				wantError(t, e.userinfo(t, first.AccessToken), 401, "invalid_token")
				wantError(t, e.refresh(t, e.conf, first.RefreshToken, ""), 400, "invalid_grant")
				wantActive(t, e.introspect(t, e.conf, first.AccessToken), false)
				return second
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "unknown code",
			run: func(t *testing.T) result {
				return post(t, tokenURL, codeForm("bm90LWEtY29kZQ", redirect, ""), authOf(e.conf))
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "missing code",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"authorization_code"}}, authOf(e.conf))
			},
			status: 400, code: "invalid_request",
		},
		{
			name: "code of another client",
			run: func(t *testing.T) result {
				code := e.mustCode(t, e.conf, codeOpts{})
				res := post(t, tokenURL, codeForm(code, redirect, ""), authOf(e.conf2))
				mustTokens(t, post(t, tokenURL, codeForm(code, redirect, ""), authOf(e.conf)))
				return res
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "wrong redirect_uri",
			run: func(t *testing.T) result {
				code := e.mustCode(t, e.conf, codeOpts{})
				res := post(t, tokenURL, codeForm(code, redirect+"/other", ""), authOf(e.conf))
				mustTokens(t, post(t, tokenURL, codeForm(code, redirect, ""), authOf(e.conf)))
				return res
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "redirect_uri left out though the request had one",
			run: func(t *testing.T) result {
				return post(t, tokenURL, codeForm(e.mustCode(t, e.conf, codeOpts{}), "", ""), authOf(e.conf))
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "unregistered redirect_uri for a code issued without one",
			run: func(t *testing.T) result {
				return post(t, tokenURL, codeForm(e.mustCode(t, e.conf, codeOpts{redirectURI: "-"}), "https://evil.example/cb", ""),
					authOf(e.conf))
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "missing PKCE verifier",
			run: func(t *testing.T) result {
				v := oauth2.GenerateVerifier()
				code := e.mustCode(t, e.conf, codeOpts{verifier: v})
				res := post(t, tokenURL, codeForm(code, redirect, ""), authOf(e.conf))
				mustTokens(t, post(t, tokenURL, codeForm(code, redirect, v), authOf(e.conf)))
				return res
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "wrong PKCE verifier",
			run: func(t *testing.T) result {
				v := oauth2.GenerateVerifier()
				return post(t, tokenURL, codeForm(e.mustCode(t, e.pub, codeOpts{verifier: v}), redirect, oauth2.GenerateVerifier()),
					authOf(e.pub))
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "malformed PKCE verifier",
			run: func(t *testing.T) result {
				v := oauth2.GenerateVerifier()
				return post(t, tokenURL, codeForm(e.mustCode(t, e.pub, codeOpts{verifier: v}), redirect, "short"),
					authOf(e.pub))
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "verifier for a code without a challenge",
			run: func(t *testing.T) result {
				return post(t, tokenURL, codeForm(e.mustCode(t, e.conf, codeOpts{}), redirect, oauth2.GenerateVerifier()),
					authOf(e.conf))
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "public client without PKCE",
			run: func(t *testing.T) result {
				return post(t, tokenURL, codeForm(e.mustCode(t, e.pub, codeOpts{}), redirect, ""), authOf(e.pub))
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "user disabled since the code was issued",
			run: func(t *testing.T) result {
				u := e.s.MustUser(t, e.tenant.ID, "bo", password)
				code := e.mustCode(t, e.conf, codeOpts{user: u})
				e.setUserStatus(t, u, gatehouse.StatusDisabled)
				return post(t, tokenURL, codeForm(code, redirect, ""), authOf(e.conf))
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "scope widening on refresh",
			run: func(t *testing.T) result {
				ts := e.mustLogin(t, e.conf, codeOpts{scopes: []string{"openid", "offline_access"}})
				res := e.refresh(t, e.conf, ts.RefreshToken, "openid email")
				// Not spent: narrowing still works.
				narrowed := mustTokens(t, e.refresh(t, e.conf, ts.RefreshToken, "openid"))
				if narrowed.Scope != "openid" || narrowed.IDToken == "" {
					t.Errorf("narrowed: got scope %q, ID token %t", narrowed.Scope, narrowed.IDToken != "")
				}
				return res
			},
			status: 400, code: "invalid_scope",
		},
		{
			name: "refresh token of another client",
			run: func(t *testing.T) result {
				ts := e.mustLogin(t, e.conf, codeOpts{})
				res := e.refresh(t, e.conf2, ts.RefreshToken, "")
				mustTokens(t, e.refresh(t, e.conf, ts.RefreshToken, ""))
				return res
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "refresh after the user was disabled",
			run: func(t *testing.T) result {
				u := e.s.MustUser(t, e.tenant.ID, "cy", password)
				ts := e.mustLogin(t, e.conf, codeOpts{user: u})
				e.setUserStatus(t, u, gatehouse.StatusDisabled)
				res := e.refresh(t, e.conf, ts.RefreshToken, "")
				e.setUserStatus(t, u, gatehouse.StatusActive)
				// The grant was revoked, not just refused once.
				wantError(t, e.userinfo(t, ts.AccessToken), 401, "invalid_token")
				return res
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "unknown refresh token",
			run: func(t *testing.T) result {
				return e.refresh(t, e.conf, "bm90LWEtcmVmcmVzaC10b2tlbg", "")
			},
			status: 400, code: "invalid_grant",
		},
		{
			name: "password grant",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"password"}, "username": {"ana"}, "password": {password}},
					authOf(e.conf))
			},
			status: 400, code: "unsupported_grant_type",
			check: func(t *testing.T, res result) {
				if d := res.str("error_description"); !strings.Contains(d, "password grant is not supported") ||
					!strings.Contains(d, "JWT credentials") {
					t.Errorf("description: got %q, want it to refuse the password grant and name JWT credentials", d)
				}
			},
		},
		{
			name: "implicit",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"implicit"}}, authOf(e.conf))
			},
			status: 400, code: "unsupported_grant_type",
		},
		{
			name: "JWT bearer grant the client may not use",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {gatehouse.GrantJWTBearer}, "assertion": {"a.b.c"}},
					authOf(e.conf))
			},
			status: 400, code: "unauthorized_client",
		},
		{
			name: "unknown grant",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"urn:example:magic"}}, authOf(e.conf))
			},
			status: 400, code: "unsupported_grant_type",
		},
		{
			name: "no grant_type",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"code": {"x"}}, authOf(e.conf))
			},
			status: 400, code: "invalid_request",
		},
		{
			name: "grant the client may not use",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}}, authOf(e.conf))
			},
			status: 400, code: "unauthorized_client",
		},
		{
			name: "client_credentials asking for openid",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}, authOf(e.cc))
			},
			status: 400, code: "invalid_scope",
		},
		{
			name: "client_credentials asking for offline_access",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "scope": {"offline_access"}}, authOf(e.cc))
			},
			status: 400, code: "invalid_scope",
		},
		{
			name: "client_credentials asking for a scope the client lacks",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "scope": {"profile email"}}, authOf(e.cc))
			},
			status: 400, code: "invalid_scope",
		},
		{
			name: "GET on the token endpoint",
			run: func(t *testing.T) result {
				req, _ := http.NewRequest(http.MethodGet, tokenURL+"?grant_type=client_credentials", nil)
				return do(t, req)
			},
			status: 405, code: "invalid_request",
			check: func(t *testing.T, res result) {
				if got := res.header.Get("Allow"); got != "POST" {
					t.Errorf("Allow: got %q, want POST", got)
				}
			},
		},
		{
			name: "JSON body",
			run: func(t *testing.T) result {
				req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(`{"grant_type":"client_credentials"}`))
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth(e.cc.ClientID, e.cc.ClientSecret)
				return do(t, req)
			},
			status: 400, code: "invalid_request",
		},
		{
			name: "repeated parameter",
			run: func(t *testing.T) result {
				return post(t, tokenURL, url.Values{"grant_type": {"client_credentials", "client_credentials"}}, authOf(e.cc))
			},
			status: 400, code: "invalid_request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := tt.run(t)
			wantError(t, res, tt.status, tt.code)
			if got := res.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

// TestUserinfoErrors presents every kind of wrong token to userinfo.
func TestUserinfoErrors(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	ts := e.mustLogin(t, e.conf, codeOpts{})
	tests := []struct {
		name   string
		run    func(t *testing.T) result
		status int
		code   string
		check  func(t *testing.T, res result)
	}{
		{
			name:   "no token",
			run:    func(t *testing.T) result { return e.userinfo(t, "") },
			status: 401, code: "invalid_token",
			check: func(t *testing.T, res result) {
				if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="gatehouse"` {
					t.Errorf("WWW-Authenticate: got %q, want a challenge naming no error", got)
				}
			},
		},
		{
			name:   "an ID token",
			run:    func(t *testing.T) result { return e.userinfo(t, ts.IDToken) },
			status: 401, code: "invalid_token",
		},
		{
			name:   "a refresh token",
			run:    func(t *testing.T) result { return e.userinfo(t, ts.RefreshToken) },
			status: 401, code: "invalid_token",
		},
		{
			name:   "garbage",
			run:    func(t *testing.T) result { return e.userinfo(t, "not-a-token") },
			status: 401, code: "invalid_token",
		},
		{
			name: "a token signed with a runtime key",
			run: func(t *testing.T) result {
				return e.userinfo(t, runtimeSigned(t, e.env, ts.AccessToken))
			},
			status: 401, code: "invalid_token",
		},
		{
			name: "a revoked token",
			run: func(t *testing.T) result {
				other := e.mustLogin(t, e.conf, codeOpts{})
				if res := e.revoke(t, e.conf, other.AccessToken); res.status != 200 {
					t.Fatalf("revoke: got %d", res.status)
				}
				return e.userinfo(t, other.AccessToken)
			},
			status: 401, code: "invalid_token",
		},
		{
			name: "a token without the openid scope",
			run: func(t *testing.T) result {
				noOpenID := e.mustLogin(t, e.conf, codeOpts{scopes: []string{"profile", "email"}})
				if noOpenID.IDToken != "" {
					t.Errorf("got an ID token without openid")
				}
				return e.userinfo(t, noOpenID.AccessToken)
			},
			status: 403, code: "insufficient_scope",
			check: func(t *testing.T, res result) {
				if got := res.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="insufficient_scope"`) {
					t.Errorf("WWW-Authenticate: got %q", got)
				}
			},
		},
		{
			name: "a token of another issuer",
			run: func(t *testing.T) result {
				code := e.mustCode(t, e.conf, codeOpts{})
				tenantTokens := mustTokens(t, post(t, e.s.URL+"/t/acme/oauth/token",
					codeForm(code, e.conf.RedirectURIs[0], ""), authOf(e.conf)))
				req, _ := http.NewRequest(http.MethodGet, e.s.URL+"/t/acme/oauth/userinfo", nil)
				req.Header.Set("Authorization", "Bearer "+tenantTokens.AccessToken)
				if res := do(t, req); res.status != 200 {
					t.Fatalf("userinfo at its own issuer: got %d %s", res.status, res.raw)
				}
				return e.userinfo(t, tenantTokens.AccessToken)
			},
			status: 401, code: "invalid_token",
		},
		{
			name: "a user disabled since",
			run: func(t *testing.T) result {
				u := e.s.MustUser(t, e.tenant.ID, "dee", password)
				tok := e.mustLogin(t, e.conf, codeOpts{user: u})
				e.setUserStatus(t, u, gatehouse.StatusDisabled)
				return e.userinfo(t, tok.AccessToken)
			},
			status: 401, code: "invalid_token",
		},
		{
			name: "token in the query string",
			run: func(t *testing.T) result {
				req, _ := http.NewRequest(http.MethodGet, e.s.URL+"/oauth/userinfo?access_token="+ts.AccessToken, nil)
				return do(t, req)
			},
			status: 400, code: "invalid_request",
		},
		{
			name: "DELETE",
			run: func(t *testing.T) result {
				req, _ := http.NewRequest(http.MethodDelete, e.s.URL+"/oauth/userinfo", nil)
				req.Header.Set("Authorization", "Bearer "+ts.AccessToken)
				return do(t, req)
			},
			status: 405, code: "invalid_request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := tt.run(t)
			wantError(t, res, tt.status, tt.code)
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
	t.Run("POST with the token in the body", func(t *testing.T) {
		t.Parallel()
		res := post(t, e.s.URL+"/oauth/userinfo", url.Values{"access_token": {ts.AccessToken}}, clientAuth{})
		if res.status != 200 || res.str("sub") != e.user.ID {
			t.Fatalf("got %d %s, want 200 with sub %s", res.status, res.raw, e.user.ID)
		}
		if got := res.header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type: got %q", got)
		}
		if got := res.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control: got %q", got)
		}
	})
}

// runtimeSigned re-signs the claims of an access token with the active
// runtime-purpose key: a well-formed at+jwt that only the wrong family of
// keys vouches for, like a leaked SDK runtime token.
func runtimeSigned(t *testing.T, e *env, accessToken string) string {
	t.Helper()
	parsed, err := jose.ParseSigned(accessToken, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	k, err := e.s.App.Keys.Current().Signer(gatehouse.KeyPurposeRuntime, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(k.SigningKey(), (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signer.Sign(parsed.UnsafePayloadWithoutVerification())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sig.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
