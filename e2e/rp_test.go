package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// relyingParty is an app set up the way a CMS plugin is: an issuer, a
// client_id and secret from `gatehouse client create`, a redirect URI.
// It uses go-oidc and x/oauth2 and nothing Gatehouse-specific.
type relyingParty struct {
	t        *testing.T
	ctx      context.Context
	issuer   string
	client   cliClient
	app      *rpApp
	provider *oidc.Provider
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	meta     providerMetadata
}

// providerMetadata is what the tests read from discovery beyond what
// go-oidc exposes.
type providerMetadata struct {
	Revocation           string   `json:"revocation_endpoint"`
	Introspection        string   `json:"introspection_endpoint"`
	EndSession           string   `json:"end_session_endpoint"`
	ResponseModes        []string `json:"response_modes_supported"`
	ResponseTypes        []string `json:"response_types_supported"`
	GrantTypes           []string `json:"grant_types_supported"`
	CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
	IDTokenAlgs          []string `json:"id_token_signing_alg_values_supported"`
	IssParameter         bool     `json:"authorization_response_iss_parameter_supported"`
}

// newRelyingParty discovers the issuer and configures the client. The
// verifier accepts only the client's registered ID-token algorithm, so a
// token signed otherwise fails.
func newRelyingParty(t *testing.T, d *deployment, issuer string, c cliClient, scopes ...string) *relyingParty {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery of %s: %v", issuer, err)
	}
	ep := p.Endpoint()
	switch c.AuthMethod {
	case "client_secret_post", "none":
		ep.AuthStyle = oauth2.AuthStyleInParams
	default:
		ep.AuthStyle = oauth2.AuthStyleInHeader
	}
	rp := &relyingParty{
		t: t, ctx: ctx, issuer: issuer, client: c, app: d.app, provider: p,
		oauth: oauth2.Config{
			ClientID: c.ClientID(), ClientSecret: c.Secret(), Endpoint: ep,
			RedirectURL: d.app.callback(), Scopes: scopes,
		},
		verifier: p.Verifier(&oidc.Config{ClientID: c.ClientID(), SupportedSigningAlgs: []string{c.IDTokenAlg}}),
	}
	if err := p.Claims(&rp.meta); err != nil {
		t.Fatalf("discovery document: %v", err)
	}
	return rp
}

// idClaims are the ID token's claims beyond go-oidc's fields.
type idClaims struct {
	Nonce             string   `json:"nonce"`
	SessionID         string   `json:"sid"`
	AMR               []string `json:"amr"`
	AuthTime          int64    `json:"auth_time"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Email             string   `json:"email"`
	EmailVerified     *bool    `json:"email_verified"`
	TenantID          string   `json:"tenant_id"`
	TenantSlug        string   `json:"tenant_slug"`
	TenantName        string   `json:"tenant_name"`
	Roles             []string `json:"roles"`
}

// signedIn is the outcome of one authorization code flow.
type signedIn struct {
	callback hit
	token    *oauth2.Token
	rawID    string
	idToken  *oidc.IDToken
	claims   idClaims
}

// signIn runs the authorization code flow with PKCE (S256) and a nonce:
// the user agent goes through sign-in and consent as needed, the app's
// callback gets the code, state and iss, and the code is exchanged with
// the verifier. The ID token is verified (signature from the JWKS,
// issuer, audience, expiry), with its nonce and at_hash.
func (rp *relyingParty) signIn(ua *userAgent, user cliUser, opts ...oauth2.AuthCodeOption) *signedIn {
	t := rp.t
	t.Helper()
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	opts = append(opts, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	ua.authorize(rp.oauth.AuthCodeURL(state, opts...), user)
	s := &signedIn{callback: rp.app.wait(t, state, 5*time.Second)}
	cb := s.callback.Params
	if e := cb.Get("error"); e != "" {
		t.Fatalf("authorization response: error %s (%s)", e, cb.Get("error_description"))
	}
	if got := cb.Get("iss"); got != rp.issuer {
		t.Errorf("authorization response iss = %q, want %q (RFC 9207)", got, rp.issuer)
	}
	tok, err := rp.oauth.Exchange(rp.ctx, cb.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	s.token = tok
	s.rawID, s.idToken, s.claims = rp.verifyIDToken(tok)
	if s.claims.Nonce != nonce {
		t.Errorf("ID token nonce = %q, want %q", s.claims.Nonce, nonce)
	}
	return s
}

// verifyIDToken verifies the ID token of a token response and that its
// at_hash binds the response's access token.
func (rp *relyingParty) verifyIDToken(tok *oauth2.Token) (string, *oidc.IDToken, idClaims) {
	t := rp.t
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("token response has no id_token")
	}
	idt, err := rp.verifier.Verify(rp.ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("ID token at_hash does not match the access token: %v", err)
	}
	if alg := jwtHeader(t, raw).Alg; alg != rp.client.IDTokenAlg {
		t.Errorf("ID token alg = %s, want the client's %s", alg, rp.client.IDTokenAlg)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatalf("ID token claims: %v", err)
	}
	return raw, idt, c
}

// refresh uses the refresh token of tok through x/oauth2's TokenSource, as
// an app does once the access token has expired.
func (rp *relyingParty) refresh(tok *oauth2.Token) (*oauth2.Token, error) {
	expired := &oauth2.Token{RefreshToken: tok.RefreshToken, AccessToken: tok.AccessToken,
		TokenType: tok.TokenType, Expiry: time.Now().Add(-time.Minute)}
	return rp.oauth.TokenSource(rp.ctx, expired).Token()
}

// userinfo calls the UserInfo endpoint with an access token and returns
// its claims.
func (rp *relyingParty) userinfo(accessToken string) (*oidc.UserInfo, map[string]any, error) {
	ui, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken, TokenType: "Bearer"}))
	if err != nil {
		return nil, nil, err
	}
	var claims map[string]any
	if err := ui.Claims(&claims); err != nil {
		return nil, nil, err
	}
	return ui, claims, nil
}

// mustRefuseAtUserinfo checks that userinfo answers 401 invalid_token for
// the access token, with the RFC 6750 challenge.
func (rp *relyingParty) mustRefuseAtUserinfo(accessToken, why string) {
	rp.t.Helper()
	req, _ := http.NewRequestWithContext(rp.ctx, http.MethodGet, rp.provider.UserInfoEndpoint(), nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rp.t.Fatal(err)
	}
	resp.Body.Close()
	if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `error="invalid_token"`) {
		rp.t.Errorf("userinfo with %s: got %d, WWW-Authenticate %q; want 401 with error=\"invalid_token\"", why, resp.StatusCode, ch)
	}
}

// postAsClient posts a form to a protocol endpoint with the client's
// credentials in HTTP Basic (RFC 6749 §2.3.1: form-encoded first).
func (rp *relyingParty) postAsClient(endpoint string, form url.Values) (*http.Response, []byte) {
	rp.t.Helper()
	req, err := http.NewRequestWithContext(rp.ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		rp.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(rp.client.ClientID()), url.QueryEscape(rp.client.Secret()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rp.t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// introspection is an RFC 7662 answer.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope"`
	ClientID  string `json:"client_id"`
	Subject   string `json:"sub"`
	TokenType string `json:"token_type"`
	Issuer    string `json:"iss"`
	Expiry    int64  `json:"exp"`
	TenantID  string `json:"tenant_id"`
}

func (rp *relyingParty) introspect(tok string) introspection {
	rp.t.Helper()
	resp, body := rp.postAsClient(rp.meta.Introspection, url.Values{"token": {tok}})
	var in introspection
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &in) != nil {
		rp.t.Fatalf("introspection: got %d %s, want 200 JSON", resp.StatusCode, body)
	}
	return in
}

func (rp *relyingParty) revoke(tok, hint string) {
	rp.t.Helper()
	resp, body := rp.postAsClient(rp.meta.Revocation, url.Values{"token": {tok}, "token_type_hint": {hint}})
	if resp.StatusCode != http.StatusOK {
		rp.t.Fatalf("revocation: got %d %s, want 200", resp.StatusCode, body)
	}
}

// jwtHead is a JWS protected header.
type jwtHead struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

func jwtHeader(t *testing.T, raw string) jwtHead {
	t.Helper()
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	var h jwtHead
	if err != nil || json.Unmarshal(b, &h) != nil {
		t.Fatalf("not a JWT: %.20q…", raw)
	}
	return h
}

// oauthError returns the OAuth error code of a failed token request, ""
// when err is not one.
func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// TestRelyingParty is what "a standard OIDC client library completes the
// flows against `gatehouse serve` with a client created by the CLI"
// means: go-oidc and x/oauth2, configured only from discovery and the
// CLI's output, sign a user in through the hosted pages and use every
// endpoint an app uses.
func TestRelyingParty(t *testing.T) {
	t.Parallel()
	d := newDeployment(t)
	d.mustTenant("acme", "Acme Inc")
	ana := d.mustUser("acme", "ana", "Ana Lima", "correct horse battery staple", "agent", "admin")
	all := "openid profile email tenant.read roles.read offline_access"
	blog := d.mustClient("acme", "Acme Blog", "--scopes", all)
	mobile := d.mustClient("acme", "Acme Mobile", "--public", "--scopes", "openid profile offline_access")
	crm := d.mustClient("acme", "Acme CRM", "--scopes", "openid email", "--auth-method", "client_secret_post")
	es256 := d.mustClient("acme", "Acme Analytics", "--scopes", "openid profile", "--id-token-alg", "ES256")
	eddsa := d.mustClient("acme", "Acme Forum", "--scopes", "openid profile", "--id-token-alg", "EdDSA")
	reports := d.mustClient("acme", "Acme Reports", "--grant-types", "client_credentials", "--scopes", "tenant.read")
	wiki := d.mustClient("acme", "Acme Wiki", "--scopes", "openid profile email offline_access")
	intranet := d.mustClient("acme", "Acme Intranet", "--scopes", "openid offline_access")
	// A redirect URI with a query of its own, as WordPress plugins use.
	wpCallback := d.app.callback() + "?action=openid-connect-authorize"
	wordpress := d.mustClient("acme", "Acme News", "--scopes", "openid profile email", "--redirect-uri", wpCallback)
	d.start()

	t.Run("confidential client", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, blog, strings.Fields(all)...)
		m := rp.meta
		if m.EndSession != d.issuer+"/oauth/logout" || !m.IssParameter || !slices.Equal(m.CodeChallengeMethods, []string{"S256"}) ||
			!slices.Equal(m.ResponseTypes, []string{"code"}) || !slices.Contains(m.ResponseModes, "form_post") {
			t.Errorf("discovery: got %+v; want end_session_endpoint, iss parameter, S256 only, code only, form_post", m)
		}
		ua := newUserAgent(t, d.app.URL)
		first := rp.signIn(ua, ana)

		// The ID token: who signed in, how, and the claims of every scope.
		c := first.claims
		if first.idToken.Subject != ana.ID || first.idToken.Issuer != d.issuer {
			t.Errorf("ID token sub, iss = %s, %s; want %s, %s", first.idToken.Subject, first.idToken.Issuer, ana.ID, d.issuer)
		}
		if c.Name != "Ana Lima" || c.PreferredUsername != "ana" || c.Email != "ana@example.com" ||
			c.EmailVerified == nil || !*c.EmailVerified {
			t.Errorf("ID token profile and email claims: got %+v", c)
		}
		if c.TenantSlug != "acme" || c.TenantName != "Acme Inc" || c.TenantID != blog.TenantID {
			t.Errorf("ID token tenant claims: got %s %s %s, want %s acme \"Acme Inc\"", c.TenantID, c.TenantSlug, c.TenantName, blog.TenantID)
		}
		if roles := slices.Sorted(slices.Values(c.Roles)); !slices.Equal(roles, []string{"admin", "agent"}) {
			t.Errorf("ID token roles = %v, want [admin agent]", c.Roles)
		}
		if c.SessionID == "" || !slices.Contains(c.AMR, "pwd") || time.Since(time.Unix(c.AuthTime, 0)) > time.Minute {
			t.Errorf("ID token sid, amr, auth_time = %q, %v, %d; want a session, pwd, a recent time", c.SessionID, c.AMR, c.AuthTime)
		}
		if got := first.token.Extra("scope"); got != "email offline_access openid profile roles.read tenant.read" {
			t.Errorf("granted scope = %v, want every scope asked for", got)
		}
		if h := jwtHeader(t, first.token.AccessToken); h.Typ != "at+jwt" {
			t.Errorf("access token typ = %q, want at+jwt (RFC 9068)", h.Typ)
		}
		if first.token.RefreshToken == "" {
			t.Fatal("no refresh token although offline_access was granted")
		}

		// UserInfo: the same person and the same claims.
		ui, claims, err := rp.userinfo(first.token.AccessToken)
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		if ui.Subject != ana.ID || ui.Email != "ana@example.com" || !ui.EmailVerified ||
			claims["tenant_slug"] != "acme" || claims["preferred_username"] != "ana" || claims["roles"] == nil {
			t.Errorf("userinfo: got %v", claims)
		}

		// Refresh with rotation: a new refresh token each time; the new ID
		// token keeps the sign-in's subject and session and has no nonce.
		refreshed, err := rp.refresh(first.token)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if refreshed.RefreshToken == "" || refreshed.RefreshToken == first.token.RefreshToken || refreshed.AccessToken == first.token.AccessToken {
			t.Fatal("refresh did not rotate: want a new refresh token and a new access token")
		}
		_, rid, rc := rp.verifyIDToken(refreshed)
		if rid.Subject != ana.ID || rc.SessionID != c.SessionID || rc.AuthTime != c.AuthTime || rc.Nonce != "" {
			t.Errorf("refreshed ID token sub, sid, auth_time, nonce = %s, %s, %d, %q; want %s, %s, %d, none",
				rid.Subject, rc.SessionID, rc.AuthTime, rc.Nonce, ana.ID, c.SessionID, c.AuthTime)
		}
		if _, _, err := rp.userinfo(refreshed.AccessToken); err != nil {
			t.Errorf("userinfo with the refreshed access token: %v", err)
		}

		// The spent refresh token again: refused, and the whole family
		// with it, down to the newest access token.
		if _, err := rp.refresh(first.token); oauthError(err) != "invalid_grant" {
			t.Errorf("reusing a spent refresh token: got %v, want invalid_grant", err)
		}
		rp.mustRefuseAtUserinfo(refreshed.AccessToken, "the newest access token of a revoked family")
		if _, err := rp.refresh(refreshed); oauthError(err) != "invalid_grant" {
			t.Errorf("the newest refresh token of a revoked family: got %v, want invalid_grant", err)
		}

		// A second sign-in is single sign-on: the same session, no page.
		second := rp.signIn(ua, ana)
		if second.claims.SessionID != c.SessionID || second.claims.AuthTime != c.AuthTime {
			t.Errorf("second sign-in: sid %s, auth_time %d; want the first session's %s, %d",
				second.claims.SessionID, second.claims.AuthTime, c.SessionID, c.AuthTime)
		}

		// Introspection (RFC 7662) with the client's own credentials.
		at, rt := second.token.AccessToken, second.token.RefreshToken
		in := rp.introspect(at)
		if !in.Active || in.ClientID != blog.ClientID() || in.Subject != ana.ID || in.Issuer != d.issuer ||
			in.TokenType != "Bearer" || !strings.Contains(in.Scope, "openid") || in.Expiry <= time.Now().Unix() {
			t.Errorf("introspect access token: got %+v", in)
		}
		if in := rp.introspect(rt); !in.Active || in.TokenType != "refresh_token" || in.Subject != ana.ID {
			t.Errorf("introspect refresh token: got %+v", in)
		}

		// Revocation (RFC 7009): an access token alone, then the grant.
		rp.revoke(at, "access_token")
		if in := rp.introspect(at); in.Active {
			t.Errorf("a revoked access token introspects as %+v, want inactive", in)
		}
		rp.mustRefuseAtUserinfo(at, "a revoked access token")
		if in := rp.introspect(rt); !in.Active {
			t.Error("revoking an access token ended its refresh token")
		}
		rp.revoke(rt, "refresh_token")
		if in := rp.introspect(rt); in.Active {
			t.Errorf("a revoked refresh token introspects as %+v, want inactive", in)
		}
		if _, err := rp.refresh(second.token); oauthError(err) != "invalid_grant" {
			t.Errorf("refresh with a revoked refresh token: got %v, want invalid_grant", err)
		}

		// RP-initiated logout: back at the app with state, session over.
		state := randomString()
		p := ua.Get(m.EndSession + "?" + url.Values{
			"id_token_hint":            {second.rawID},
			"post_logout_redirect_uri": {d.app.signedOut()},
			"state":                    {state},
		}.Encode())
		if h := d.app.wait(t, state, 5*time.Second); h.Path != "/signed-out" || !atApp(p, d.app.URL) {
			t.Errorf("logout returned to %s (browser at %s), want the post-logout URI with state", h.Path, p.URL)
		}
		state = randomString()
		ua.Get(rp.oauth.AuthCodeURL(state, oauth2.SetAuthURLParam("prompt", "none"),
			oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if h := d.app.wait(t, state, 5*time.Second); h.Params.Get("error") != "login_required" || h.Params.Get("iss") != d.issuer {
			t.Errorf("prompt=none after logout: got %v, want error=login_required with iss", h.Params)
		}
	})

	t.Run("public client on the tenant issuer", func(t *testing.T) {
		t.Parallel()
		iss := d.tenantIssuer("acme")
		rp := newRelyingParty(t, d, iss, mobile, "openid", "profile", "offline_access")
		if rp.oauth.ClientSecret != "" {
			t.Fatal("the CLI printed a secret for a public client")
		}
		s := rp.signIn(newUserAgent(t, d.app.URL), ana)
		if s.idToken.Issuer != iss || s.idToken.Subject != ana.ID || s.claims.PreferredUsername != "ana" {
			t.Errorf("ID token iss, sub, preferred_username = %s, %s, %s; want %s, %s, ana",
				s.idToken.Issuer, s.idToken.Subject, s.claims.PreferredUsername, iss, ana.ID)
		}
		if s.claims.Email != "" {
			t.Errorf("ID token carries email %q without the email scope", s.claims.Email)
		}
		if _, _, err := rp.userinfo(s.token.AccessToken); err != nil {
			t.Errorf("userinfo: %v", err)
		}
		refreshed, err := rp.refresh(s.token)
		if err != nil || refreshed.RefreshToken == s.token.RefreshToken {
			t.Fatalf("refresh without a secret: got %v, want a rotated refresh token", err)
		}
		if _, err := rp.refresh(s.token); oauthError(err) != "invalid_grant" {
			t.Errorf("reusing a spent refresh token: got %v, want invalid_grant", err)
		}
	})

	t.Run("form_post response mode", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, crm, "openid", "email")
		s := rp.signIn(newUserAgent(t, d.app.URL), ana, oauth2.SetAuthURLParam("response_mode", "form_post"))
		if s.callback.Method != http.MethodPost || s.callback.Path != "/callback" {
			t.Errorf("callback: %s %s, want a POST to /callback", s.callback.Method, s.callback.Path)
		}
		if s.claims.Email != "ana@example.com" || s.claims.Name != "" {
			t.Errorf("ID token email, name = %q, %q; want the email only (scopes openid email)", s.claims.Email, s.claims.Name)
		}
		if s.token.RefreshToken != "" {
			t.Error("a refresh token without offline_access")
		}
	})

	for _, c := range []cliClient{es256, eddsa} {
		t.Run("ID token "+c.IDTokenAlg, func(t *testing.T) {
			t.Parallel()
			if c.IDTokenAlg != "ES256" && c.IDTokenAlg != "EdDSA" {
				t.Fatalf("client id_token_alg = %q, want what --id-token-alg set", c.IDTokenAlg)
			}
			rp := newRelyingParty(t, d, d.issuer, c, "openid", "profile")
			s := rp.signIn(newUserAgent(t, d.app.URL), ana)
			if s.idToken.Subject != ana.ID || s.claims.Name != "Ana Lima" {
				t.Errorf("ID token sub, name = %s, %q", s.idToken.Subject, s.claims.Name)
			}
		})
	}

	t.Run("client credentials", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, reports)
		cc := clientcredentials.Config{ClientID: reports.ClientID(), ClientSecret: reports.Secret(),
			TokenURL: rp.provider.Endpoint().TokenURL, AuthStyle: oauth2.AuthStyleInHeader}
		tok, err := cc.Token(rp.ctx)
		if err != nil {
			t.Fatalf("client_credentials: %v", err)
		}
		if tok.Extra("id_token") != nil || tok.RefreshToken != "" {
			t.Error("client_credentials gave an ID token or a refresh token")
		}
		if in := rp.introspect(tok.AccessToken); !in.Active || in.Subject != reports.ClientID() || in.Scope != "tenant.read" {
			t.Errorf("introspect: got %+v, want active, sub the client_id, scope tenant.read", in)
		}
		if _, _, err := rp.userinfo(tok.AccessToken); err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("userinfo with a client's own token: got %v, want 403 insufficient_scope", err)
		}
	})

	t.Run("prompt, max_age, id_token_hint and consent", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, wiki, "openid", "profile", "offline_access")
		ua := newUserAgent(t, d.app.URL)
		first := rp.signIn(ua, ana)

		// prompt=none with the hint of the signed-in user: a code at once.
		if h := authorizeOnce(t, rp, ua, oauth2.SetAuthURLParam("prompt", "none"),
			oauth2.SetAuthURLParam("id_token_hint", first.rawID)); h.Params.Get("code") == "" {
			t.Errorf("prompt=none with a matching id_token_hint: got %v, want a code", h.Params)
		}
		// prompt=login and max_age=0 sign in again: a new session.
		for _, opt := range []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"),
		} {
			again := rp.signIn(ua, ana, opt)
			if again.claims.SessionID == first.claims.SessionID || again.claims.AuthTime < first.claims.AuthTime {
				t.Errorf("a forced sign-in kept the session %s (auth_time %d, first %d)",
					again.claims.SessionID, again.claims.AuthTime, first.claims.AuthTime)
			}
		}
		// More scopes than allowed so far ask again; Deny is access_denied.
		state := randomString()
		p := ua.Get(rp.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("scope", "openid profile email")))
		f, ok := p.FormTo("/login/consent")
		if !ok || !strings.Contains(p.Body, "email") {
			t.Fatalf("asking for a new scope: got %d at %s, want the consent page naming it", p.Status, p.URL)
		}
		ua.SubmitForm(f, url.Values{"decision": {"deny"}})
		if h := d.app.wait(t, state, 5*time.Second); h.Params.Get("error") != "access_denied" || h.Params.Get("iss") != d.issuer {
			t.Errorf("after Deny: got %v, want error=access_denied with iss", h.Params)
		}
		// The userinfo POST form (RFC 6750 §2.2), and a narrower refresh.
		uiResp, err := http.PostForm(rp.provider.UserInfoEndpoint(), url.Values{"access_token": {first.token.AccessToken}})
		if err != nil {
			t.Fatal(err)
		}
		var ui map[string]any
		json.NewDecoder(uiResp.Body).Decode(&ui)
		uiResp.Body.Close()
		if uiResp.StatusCode != http.StatusOK || ui["sub"] != ana.ID {
			t.Errorf("userinfo by POST: got %d %v", uiResp.StatusCode, ui)
		}
		// x/oauth2 sends no scope when refreshing, so by hand.
		resp, body := rp.postAsClient(rp.oauth.Endpoint.TokenURL, url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {first.token.RefreshToken}, "scope": {"openid"}})
		var tok struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			Scope        string `json:"scope"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil {
			t.Fatalf("refresh for a narrower scope: got %d %s", resp.StatusCode, body)
		}
		if tok.Scope != "openid" || tok.RefreshToken == "" {
			t.Errorf("narrowed refresh: scope %q, refresh token %t; want openid and a new refresh token", tok.Scope, tok.RefreshToken != "")
		}
		if _, claims, err := rp.userinfo(tok.AccessToken); err != nil || claims["name"] != nil {
			t.Errorf("userinfo with the narrowed token: %v, %v; want sub only", claims, err)
		}
		// RFC 8414 §3.1: a tenant issuer's metadata under the well-known path.
		var meta struct {
			Issuer string `json:"issuer"`
		}
		status, doc := get(t, d.issuer+"/.well-known/oauth-authorization-server/t/acme")
		if json.Unmarshal([]byte(doc), &meta); status != 200 || meta.Issuer != d.tenantIssuer("acme") {
			t.Errorf("RFC 8414 metadata of the tenant issuer: got %d, issuer %q", status, meta.Issuer)
		}
	})

	t.Run("what a conformance suite varies", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, wordpress, "email", "openid")
		rp.oauth.RedirectURL = wpCallback
		ua := newUserAgent(t, d.app.URL)
		// Scopes in another order, an unknown parameter, and the optional
		// parameters that are accepted without changing anything.
		s := rp.signIn(ua, ana,
			oauth2.SetAuthURLParam("display", "touch"), oauth2.SetAuthURLParam("ui_locales", "pt-BR en"),
			oauth2.SetAuthURLParam("claims_locales", "pt-BR"), oauth2.SetAuthURLParam("acr_values", "urn:example:silver"),
			oauth2.SetAuthURLParam("login_hint", "ana"), oauth2.SetAuthURLParam("x_unknown", "ignored"))
		if got := s.callback.Params.Get("action"); got != "openid-connect-authorize" || s.callback.Path != "/callback" {
			t.Errorf("callback: %s with action=%q; want the registered URI's own query kept", s.callback.Path, got)
		}
		if s.claims.Email != "ana@example.com" {
			t.Errorf("ID token email = %q", s.claims.Email)
		}
		// Without a nonce the code flow still works, and the ID token
		// carries none.
		state, verifier := randomString(), oauth2.GenerateVerifier()
		ua.Get(rp.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
		h := d.app.wait(t, state, 5*time.Second)
		tok, err := rp.oauth.Exchange(rp.ctx, h.Params.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange without a nonce: %v", err)
		}
		if _, _, c := rp.verifyIDToken(tok); c.Nonce != "" {
			t.Errorf("ID token nonce = %q, want none", c.Nonce)
		}
		// Userinfo by POST with the token in the header.
		req, _ := http.NewRequestWithContext(rp.ctx, http.MethodPost, rp.provider.UserInfoEndpoint(), nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("userinfo by POST with a bearer header: got %d", resp.StatusCode)
		}
	})

	t.Run("secret rotated while serving", func(t *testing.T) {
		t.Parallel()
		old := newRelyingParty(t, d, d.issuer, intranet, "openid", "offline_access")
		s := old.signIn(newUserAgent(t, d.app.URL), ana)

		// With a grace period both credentials work, and a refresh token
		// belongs to the registration, not to one credential.
		rotated := rotateSecret(t, d, intranet, "1h")
		if rotated.ClientID() == intranet.ClientID() || len(rotated.Credentials) != 2 {
			t.Fatalf("rotate-secret: got credentials %+v, want a new client_id beside the old one", rotated.Credentials)
		}
		cur := newRelyingParty(t, d, d.issuer, rotated, "openid", "offline_access")
		tok, err := old.refresh(s.token)
		if err != nil {
			t.Fatalf("refresh with the old credential in its grace period: %v", err)
		}
		tok, err = cur.refresh(tok)
		if err != nil {
			t.Fatalf("refresh with the new credential: %v", err)
		}
		if _, idt, _ := cur.verifyIDToken(tok); idt.Subject != ana.ID {
			t.Errorf("ID token after rotation: sub %s, want %s", idt.Subject, ana.ID)
		}

		// Without one, the old credentials stop on the running server. The
		// CLI is another process writing the same SQLite file: the server
		// learns of the change within a second (docs/operations.md), so
		// wait for that with a call that spends nothing, then check that
		// the refresh token cannot be used with the old credential.
		final := rotateSecret(t, d, rotated, "0s")
		refused := false
		for deadline := time.Now().Add(10 * time.Second); !refused && time.Now().Before(deadline); {
			resp, _ := cur.postAsClient(cur.meta.Introspection, url.Values{"token": {tok.AccessToken}})
			refused = resp.StatusCode == http.StatusUnauthorized
			if !refused {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if !refused {
			t.Fatal("the credential rotated without grace still authenticates 10 s later")
		}
		if _, err := cur.refresh(tok); oauthError(err) != "invalid_client" {
			t.Errorf("refresh with a credential rotated without grace: got %v, want invalid_client", err)
		}
		next := newRelyingParty(t, d, d.issuer, final, "openid", "offline_access")
		if _, err := next.refresh(tok); err != nil {
			t.Errorf("refresh with the newest credential: %v", err)
		}
	})
}

// rotateSecret runs `gatehouse client rotate-secret` and returns the
// client with the new credential (the one the CLI printed a secret for)
// first.
func rotateSecret(t *testing.T, d *deployment, c cliClient, grace string) cliClient {
	t.Helper()
	var out cliClient
	d.cliJSON(&out, "", "client", "rotate-secret", "--tenant", "acme", c.ID, "--grace", grace)
	for i, cr := range out.Credentials {
		if cr.Secret != "" {
			out.Credentials[0], out.Credentials[i] = out.Credentials[i], out.Credentials[0]
			return out
		}
	}
	t.Fatalf("rotate-secret printed no secret: %+v", out.Credentials)
	return cliClient{}
}

// authorizeOnce sends an authorization request that needs no page (the
// session and consent settle it) and returns what reached the app.
func authorizeOnce(t *testing.T, rp *relyingParty, ua *userAgent, opts ...oauth2.AuthCodeOption) hit {
	t.Helper()
	state := randomString()
	opts = append(opts, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oidc.Nonce(randomString()))
	if p := ua.Get(rp.oauth.AuthCodeURL(state, opts...)); !atApp(p, rp.app.URL) {
		t.Fatalf("the authorization stopped at %s (status %d), want straight back to the app", p.URL, p.Status)
	}
	return rp.app.wait(t, state, 5*time.Second)
}
