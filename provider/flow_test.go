package provider_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse"
)

// idClaims are the ID token claims the tests look at.
type idClaims struct {
	Nonce             string   `json:"nonce"`
	SID               string   `json:"sid"`
	AuthTime          int64    `json:"auth_time"`
	AMR               []string `json:"amr"`
	ACR               string   `json:"acr"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	TenantID          string   `json:"tenant_id"`
	TenantSlug        string   `json:"tenant_slug"`
	TenantName        string   `json:"tenant_name"`
	Roles             []string `json:"roles"`
}

// TestCodeFlowWithRelyingPartyLibraries runs the code flow, refresh,
// userinfo and the reuse protections with the libraries real apps use:
// golang.org/x/oauth2 exchanges the code with PKCE and refreshes, go-oidc
// verifies the ID token, its nonce and at_hash, and calls userinfo. It
// does so for a client of each ID token algorithm and for a public client.
func TestCodeFlowWithRelyingPartyLibraries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	rp, err := oidc.NewProvider(ctx, e.s.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	scopes := []string{"openid", "profile", "email", "tenant.read", "roles.read", "offline_access"}
	tests := []struct {
		name   string
		alg    string
		public bool
	}{
		{"RS256", gatehouse.AlgRS256, false},
		{"ES256", gatehouse.AlgES256, false},
		{"EdDSA", gatehouse.AlgEdDSA, false},
		{"public client", gatehouse.AlgRS256, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := e.s.MustClient(t, e.tenant.ID, func(c *gatehouse.Client) {
				c.IDTokenAlg = tt.alg
				c.Scopes = scopes
				if tt.public {
					c.Type = gatehouse.ClientPublic
				}
			})
			conf := &oauth2.Config{
				ClientID:     c.ClientID,
				ClientSecret: c.ClientSecret,
				Endpoint:     rp.Endpoint(),
				RedirectURL:  c.RedirectURIs[0],
				Scopes:       scopes,
			}
			if tt.public {
				conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
			} else {
				conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
			}
			verifier := oauth2.GenerateVerifier()
			code := e.mustCode(t, c, codeOpts{scopes: scopes, verifier: verifier, nonce: "n-0S6_WzA2Mj"})
			tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Expiry.IsZero() {
				t.Fatalf("token: got type %q, refresh token %t, expiry %v", tok.TokenType, tok.RefreshToken != "", tok.Expiry)
			}
			if got := tok.Extra("scope"); got != strings.Join(gatehouse.ParseScope(strings.Join(scopes, " ")), " ") {
				t.Errorf("scope: got %v", got)
			}
			verifierRP := rp.Verifier(&oidc.Config{ClientID: c.ClientID, Now: e.s.Clock.Now})
			rawID, _ := tok.Extra("id_token").(string)
			idt, err := verifierRP.Verify(ctx, rawID)
			if err != nil {
				t.Fatalf("verify ID token: %v", err)
			}
			checkAlg(t, rawID, tt.alg)
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var claims idClaims
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if idt.Subject != e.user.ID || idt.Nonce != "n-0S6_WzA2Mj" {
				t.Errorf("sub, nonce: got %q %q, want %q n-0S6_WzA2Mj", idt.Subject, idt.Nonce, e.user.ID)
			}
			if claims.SID == "" || claims.AuthTime == 0 || !slices.Equal(claims.AMR, []string{"pwd"}) || claims.ACR != "1" {
				t.Errorf("sign-in claims: got sid %q auth_time %d amr %v acr %q", claims.SID, claims.AuthTime, claims.AMR, claims.ACR)
			}
			if claims.Email != "ana@example.com" || !claims.EmailVerified || claims.PreferredUsername != "ana" ||
				claims.Name != "User ana" || claims.TenantSlug != "acme" || claims.TenantID != e.tenant.ID ||
				claims.TenantName != e.tenant.Name || !slices.Equal(claims.Roles, []string{"admin", "agent"}) {
				t.Errorf("scope claims: got %+v", claims)
			}

			// Userinfo through go-oidc.
			info, err := rp.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			var infoClaims idClaims
			if err := info.Claims(&infoClaims); err != nil {
				t.Fatal(err)
			}
			if info.Subject != e.user.ID || info.Email != "ana@example.com" || !info.EmailVerified ||
				infoClaims.TenantSlug != "acme" || !slices.Equal(infoClaims.Roles, claims.Roles) {
				t.Errorf("userinfo: got sub %q email %q claims %+v", info.Subject, info.Email, infoClaims)
			}

			// Refresh: rotated, same sign-in, no nonce.
			expired := &oauth2.Token{RefreshToken: tok.RefreshToken}
			refreshed, err := conf.TokenSource(ctx, expired).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if refreshed.RefreshToken == "" || refreshed.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh token was not rotated")
			}
			rawID2, _ := refreshed.Extra("id_token").(string)
			idt2, err := verifierRP.Verify(ctx, rawID2)
			if err != nil {
				t.Fatalf("verify refreshed ID token: %v", err)
			}
			if err := idt2.VerifyAccessToken(refreshed.AccessToken); err != nil {
				t.Errorf("refreshed at_hash: %v", err)
			}
			var claims2 idClaims
			if err := idt2.Claims(&claims2); err != nil {
				t.Fatal(err)
			}
			if claims2.Nonce != "" || claims2.SID != claims.SID || claims2.AuthTime != claims.AuthTime {
				t.Errorf("refreshed ID token: got nonce %q sid %q auth_time %d, want none, %q, %d",
					claims2.Nonce, claims2.SID, claims2.AuthTime, claims.SID, claims.AuthTime)
			}

			// The spent refresh token is refused, and presenting it
			// revokes the family: the new refresh token and every access
			// token of the grant stop working.
			wantError(t, e.refresh(t, c, tok.RefreshToken, ""), http.StatusBadRequest, "invalid_grant")
			wantError(t, e.refresh(t, c, refreshed.RefreshToken, ""), http.StatusBadRequest, "invalid_grant")
			for _, at := range []string{tok.AccessToken, refreshed.AccessToken} {
				res := e.userinfo(t, at)
				wantError(t, res, http.StatusUnauthorized, "invalid_token")
				if got := res.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
					t.Errorf("WWW-Authenticate: got %q", got)
				}
			}
			log := e.s.Log.String()
			for name, v := range map[string]string{
				"code": code, "access token": tok.AccessToken, "refresh token": tok.RefreshToken,
				"new refresh token": refreshed.RefreshToken, "verifier": verifier,
			} {
				if strings.Contains(log, v) {
					t.Errorf("the server log contains the %s", name)
				}
			}
			if c.ClientSecret != "" && strings.Contains(log, c.ClientSecret) {
				t.Errorf("the server log contains the client secret")
			}
		})
	}
}

// checkAlg checks the alg header of a signed token.
func checkAlg(t *testing.T, raw, want string) {
	t.Helper()
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	if got := jws.Signatures[0].Header.Algorithm; got != want {
		t.Errorf("alg: got %s, want %s", got, want)
	}
}

// TestClientCredentials gets a token with golang.org/x/oauth2's
// clientcredentials package and checks what it may and may not do.
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.s.MustClient(t, e.tenant.ID, func(c *gatehouse.Client) {
		c.GrantTypes = []string{"client_credentials"}
		c.RedirectURIs = nil
		c.Scopes = []string{"openid", "profile", "tenant.read", "offline_access"}
	})
	tests := []struct {
		name      string
		scopes    []string
		wantScope string
	}{
		{"default scope", nil, "profile tenant.read"},
		{"narrower scope", []string{"tenant.read"}, "tenant.read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conf := clientcredentials.Config{
				ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: e.s.URL + "/oauth/token", Scopes: tt.scopes,
			}
			tok, err := conf.Token(ctx)
			if err != nil {
				t.Fatalf("client credentials: %v", err)
			}
			if tok.RefreshToken != "" || tok.Extra("id_token") != nil {
				t.Errorf("got a refresh token or an ID token")
			}
			if got := tok.Extra("scope"); got != tt.wantScope {
				t.Errorf("scope: got %v, want %q", got, tt.wantScope)
			}
			res := e.introspect(t, c, tok.AccessToken)
			wantActive(t, res, true)
			if res.str("sub") != c.ClientID || res.str("client_id") != c.ClientID || res.str("tenant_id") != e.tenant.ID {
				t.Errorf("introspection: %s", res.raw)
			}
			// No user, no openid: userinfo refuses it.
			wantError(t, e.userinfo(t, tok.AccessToken), http.StatusForbidden, "insufficient_scope")
		})
	}
}
