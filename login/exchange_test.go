package login_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestCodeExchange signs in through the pages and redeems the code at the
// token endpoint with the libraries relying parties use, so the code this
// package issues is the one the token endpoint expects: bound to the
// client, redirect URI and PKCE verifier, carrying nonce, sid, auth_time
// and amr into the ID token, and single use.
func TestCodeExchange(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		public     bool
		omitURI    bool
		formPost   bool
		tenantPath string
	}{
		{name: "confidential client"},
		{name: "public client", public: true},
		{name: "redirect_uri omitted", omitURI: true},
		{name: "form_post", formPost: true},
		{name: "tenant issuer", tenantPath: "/t/acme"},
	}
	fx := newFixture(t, s, "acme", nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			issuer := s.URL + tc.tenantPath
			rp, err := oidc.NewProvider(ctx, issuer)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			c := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) {
				if tc.public {
					c.Type = gatehouse.ClientPublic
				}
			})
			conf := &oauth2.Config{
				ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: rp.Endpoint(),
				RedirectURL: c.RedirectURIs[0], Scopes: []string{"openid", "profile", "email"},
			}
			if tc.public {
				conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
			}
			verifier := oauth2.GenerateVerifier()
			opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(testNonce)}
			if tc.formPost {
				opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
			}
			if tc.omitURI {
				conf.RedirectURL = ""
			}
			b := newBrowser(t, s)
			cb := signInAndAllow(t, b, conf.AuthCodeURL(testState, opts...), "ana")
			code := checkResponse(t, cb, issuer)

			tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := rp.Verifier(&oidc.Config{ClientID: c.ClientID, Now: s.Clock.Now}).Verify(ctx, raw)
			if err != nil {
				t.Fatalf("verify ID token: %v", err)
			}
			var claims struct {
				SID      string   `json:"sid"`
				AuthTime int64    `json:"auth_time"`
				AMR      []string `json:"amr"`
				Email    string   `json:"email"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			sess := b.session()
			if idt.Subject != fx.user.ID || idt.Nonce != testNonce || claims.SID != sess.ID ||
				claims.AuthTime != sess.AuthTime.Unix() || !slices.Equal(claims.AMR, []string{"pwd"}) ||
				claims.Email != "ana@example.com" {
				t.Errorf("got sub %q nonce %q claims %+v, want the session's user, nonce, sid %s, auth_time and amr pwd",
					idt.Subject, idt.Nonce, claims, sess.ID)
			}

			// The code is single use.
			_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Errorf("second exchange: got %v, want invalid_grant", err)
			}
		})
	}
}
