package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestAuthorizeErrors sends every kind of bad authorization request. Those
// whose client or redirect URI cannot be trusted get an error page and no
// redirect; every other is redirected to the client with the error, state
// and iss.
func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", func(c *gatehouse.Client) {
		c.RedirectURIs = []string{"http://127.0.0.1/callback?x=1", "http://127.0.0.1/other"}
	})
	public := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.Type = gatehouse.ClientPublic })
	machine := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) {
		c.GrantTypes = []string{gatehouse.GrantClientCredentials}
	})
	globex := newFixture(t, s, "globex", nil)
	s.MustTenant(t, "initech")
	expired := s.MustClient(t, fx.tenant.ID, nil)
	if err := s.Store.UpdateClientCredential(t.Context(), fx.tenant.ID, expired.Credentials[0].ID, expired.Credentials[0].Name, s.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	// A session, so that the errors below are not about signing in.
	b := newBrowser(t, s)
	b.signIn(b.Get(authorizeURL(s.URL, fx.client, nil)), "ana", password)

	rawQuery := func(q string) string { return s.URL + "/oauth/authorize?" + q }
	pageCases := []struct {
		name string
		url  string
		want string // text of the page
	}{
		{"missing client_id", authorizeURL(s.URL, fx.client, url.Values{"client_id": {""}}), "did not say who it is"},
		{"unknown client_id", authorizeURL(s.URL, fx.client, url.Values{"client_id": {"nope"}}), "not registered"},
		{"expired client credential", authorizeURL(s.URL, expired, nil), "not registered"},
		{"repeated client_id", authorizeURL(s.URL, fx.client, url.Values{"client_id": {fx.client.ClientID, fx.client.ClientID}}), "more than once"},
		{"missing redirect_uri with two registered", authorizeURL(s.URL, fx.client, url.Values{"redirect_uri": {""}}), "did not say where to return"},
		{"unregistered redirect_uri", authorizeURL(s.URL, fx.client, url.Values{"redirect_uri": {"https://evil.example/cb"}}), "has not registered"},
		{"redirect_uri without its registered query", authorizeURL(s.URL, fx.client, url.Values{"redirect_uri": {"http://127.0.0.1/callback"}}), "has not registered"},
		{"redirect_uri with another query", authorizeURL(s.URL, fx.client, url.Values{"redirect_uri": {"http://127.0.0.1/callback?x=2"}}), "has not registered"},
		{"redirect_uri with a trailing slash", authorizeURL(s.URL, fx.client, url.Values{"redirect_uri": {"http://127.0.0.1/other/"}}), "has not registered"},
		{"repeated redirect_uri", authorizeURL(s.URL, fx.client, url.Values{"redirect_uri": {"http://127.0.0.1/other", "http://127.0.0.1/other"}}), "more than once"},
		{"malformed query", rawQuery("client_id=%zz&response_type=code"), "could not be read"},
		{"tenant issuer, other tenant's client", authorizeURL(s.URL+"/t/initech", globex.client, nil), "another organization"},
	}
	for _, tc := range pageCases {
		t.Run("page/"+tc.name, func(t *testing.T) {
			p := b.Get(tc.url)
			if p.Status != http.StatusBadRequest {
				t.Errorf("got status %d, want 400", p.Status)
			}
			if loc := p.Header.Get("Location"); loc != "" {
				t.Errorf("got a redirect to %s, want none", loc)
			}
			if !strings.Contains(p.Body, tc.want) || !strings.Contains(p.Body, `role="alert"`) {
				t.Errorf("got page without %q:\n%s", tc.want, p.Body)
			}
		})
	}

	redirectCases := []struct {
		name   string
		client *gatehousetest.Client
		set    url.Values
		code   string
		// noState: the request's state cannot be echoed (it was repeated).
		noState bool
		mode    string
	}{
		{"missing response_type", nil, url.Values{"response_type": {""}}, "invalid_request", false, "query"},
		{"implicit flow", nil, url.Values{"response_type": {"token"}}, "unsupported_response_type", false, "query"},
		{"hybrid flow", nil, url.Values{"response_type": {"code id_token"}}, "unsupported_response_type", false, "query"},
		{"id_token flow", nil, url.Values{"response_type": {"id_token"}}, "unsupported_response_type", false, "query"},
		{"response_mode fragment", nil, url.Values{"response_mode": {"fragment"}}, "invalid_request", false, "query"},
		{"repeated scope", nil, url.Values{"scope": {"openid", "openid"}}, "invalid_request", false, "query"},
		{"repeated state", nil, url.Values{"state": {"a", "b"}}, "invalid_request", true, "query"},
		{"request object", nil, url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}, "request_not_supported", false, "query"},
		{"request_uri", nil, url.Values{"request_uri": {"https://client.example/req"}}, "request_uri_not_supported", false, "query"},
		{"client without the code grant", machine, nil, "unauthorized_client", false, "query"},
		{"missing scope", nil, url.Values{"scope": {""}}, "invalid_request", false, "query"},
		{"unknown scope", nil, url.Values{"scope": {"openid launch_missiles"}}, "invalid_scope", false, "query"},
		{"planned scope", nil, url.Values{"scope": {"openid contacts.read"}}, "invalid_scope", false, "query"},
		{"scope not allowed for the client", nil, url.Values{"scope": {"openid roles.read"}}, "invalid_scope", false, "query"},
		{"public client without PKCE", public, url.Values{"code_challenge": {""}, "code_challenge_method": {""}}, "invalid_request", false, "query"},
		{"PKCE plain", nil, url.Values{"code_challenge_method": {"plain"}}, "invalid_request", false, "query"},
		{"PKCE challenge without method (plain)", nil, url.Values{"code_challenge_method": {""}}, "invalid_request", false, "query"},
		{"PKCE method without challenge", nil, url.Values{"code_challenge": {""}}, "invalid_request", false, "query"},
		{"PKCE malformed challenge", nil, url.Values{"code_challenge": {"short"}}, "invalid_request", false, "query"},
		{"prompt none with login", nil, url.Values{"prompt": {"none login"}}, "invalid_request", false, "query"},
		{"unknown prompt", nil, url.Values{"prompt": {"create"}}, "invalid_request", false, "query"},
		{"negative max_age", nil, url.Values{"max_age": {"-1"}}, "invalid_request", false, "query"},
		{"malformed max_age", nil, url.Values{"max_age": {"soon"}}, "invalid_request", false, "query"},
		{"bad id_token_hint", nil, url.Values{"id_token_hint": {"not.a.token"}}, "invalid_request", false, "query"},
		{"state too long", nil, url.Values{"state": {strings.Repeat("s", 3000)}}, "invalid_request", true, "query"},
		{"nonce that is not UTF-8", nil, url.Values{"nonce": {"n\xff"}}, "invalid_request", false, "query"},
		{"login_hint with a NUL", nil, url.Values{"login_hint": {"ana\x00"}}, "invalid_request", false, "query"},
		{"error in form_post mode", nil, url.Values{"response_mode": {"form_post"}, "response_type": {"token"}}, "unsupported_response_type", false, "form_post"},
		{"prompt=none without consent in form_post mode", s.MustClient(t, fx.tenant.ID, nil), url.Values{"prompt": {"none"}, "response_mode": {"form_post"}}, "consent_required", false, "form_post"},
	}
	for _, tc := range redirectCases {
		t.Run("redirect/"+tc.name, func(t *testing.T) {
			c := tc.client
			if c == nil {
				c = fx.client
			}
			cb := callbackOf(t, b, b.Get(authorizeURL(s.URL, c, tc.set)))
			if cb.mode != tc.mode {
				t.Errorf("got a %s response, want %s", cb.mode, tc.mode)
			}
			if cb.uri != c.RedirectURIs[0] && cb.uri+"?x=1" != c.RedirectURIs[0] {
				t.Errorf("got a response to %s, want the registered %s", cb.uri, c.RedirectURIs[0])
			}
			if got := cb.params.Get("error"); got != tc.code {
				t.Errorf("got error %q (%s), want %q", got, cb.params.Get("error_description"), tc.code)
			}
			if cb.params.Get("error_description") == "" {
				t.Error("got no error_description")
			}
			if cb.params.Has("code") {
				t.Error("got a code with the error")
			}
			if got := cb.params.Get("iss"); got != s.URL {
				t.Errorf("got iss %q, want %q", got, s.URL)
			}
			wantState := testState
			if tc.noState {
				wantState = ""
			}
			if got := cb.params.Get("state"); got != wantState {
				t.Errorf("got state %q, want %q", got, wantState)
			}
		})
	}

	t.Run("unknown parameters are ignored and order does not matter", func(t *testing.T) {
		c := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.FirstParty = true })
		u := authorizeURL(s.URL, c, url.Values{
			"scope": {"profile  openid profile"}, "display": {"touch"}, "ui_locales": {"pt-BR en"},
			"claims_locales": {"pt"}, "acr_values": {"urn:mace:incommon:iap:silver"}, "frobnicate": {"yes"},
		})
		checkResponse(t, callbackOf(t, b, b.Get(u)), s.URL)
	})

	t.Run("POST with a form body", func(t *testing.T) {
		u, _ := url.Parse(authorizeURL(s.URL, fx.client, url.Values{"response_type": {"token"}}))
		cb := callbackOf(t, b, b.Post(s.URL+"/oauth/authorize", u.Query()))
		if cb.params.Get("error") != "unsupported_response_type" || cb.params.Get("state") != testState {
			t.Errorf("got %v, want unsupported_response_type with state", cb.params)
		}
	})
}

// TestAuthorizeLongMaxAge checks that a max_age longer than any session
// lives asks for nothing more, however many digits it has: it used to
// overflow into a negative duration, which no session satisfies.
func TestAuthorizeLongMaxAge(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", func(c *gatehouse.Client) { c.FirstParty = true })
	b := newBrowser(t, s)
	checkResponse(t, callbackOf(t, b, b.signIn(b.Get(authorizeURL(s.URL, fx.client, nil)), "ana", password)), s.URL)
	for _, maxAge := range []string{"2147483647", "2147483648", "9999999999"} {
		t.Run(maxAge, func(t *testing.T) {
			u := authorizeURL(s.URL, fx.client, url.Values{"prompt": {"none"}, "max_age": {maxAge}})
			checkResponse(t, callbackOf(t, b, b.Get(u)), s.URL)
		})
	}
}
