package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// authorizeParams are a well-formed authorization request of c, changed
// by set: a key set to "" is removed.
func authorizeParams(c cliClient, redirectURI, state string, set url.Values) url.Values {
	v := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ClientID()},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid profile"},
		"state":                 {state},
		"nonce":                 {randomString()},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"},
	}
	for k, vs := range set {
		if len(vs) == 1 && vs[0] == "" {
			v.Del(k)
		} else {
			v[k] = vs
		}
	}
	return v
}

// oauthErrorBody is a JSON error of a protocol endpoint.
type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// rawPost posts a form with optional HTTP Basic credentials and returns
// the answer with its body read.
func rawPost(t *testing.T, endpoint string, form url.Values, user, pass string) (*http.Response, oauthErrorBody) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := noRedirects().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e oauthErrorBody
	json.Unmarshal(b, &e)
	return resp, e
}

// TestMisuse sends, through the real binary, the requests a conformance
// suite tries first: every one gets the protocol's error, none gets a 500
// (the deployment's log scan), and no error is ever sent to a redirect
// URI that is not registered.
func TestMisuse(t *testing.T) {
	t.Parallel()
	d := newDeployment(t)
	d.mustTenant("acme", "Acme Inc")
	d.mustTenant("globex", "Globex")
	ana := d.mustUser("acme", "ana", "Ana Lima", "correct horse battery staple", "agent")
	gus := d.mustUser("globex", "gus", "Gus Globex", "another long passphrase", "agent")
	blog := d.mustClient("acme", "Acme Blog", "--scopes", "openid profile offline_access")
	other := d.app.URL + "/other-callback"
	twoURIs := d.mustClient("acme", "Acme Shop", "--redirect-uri", other)
	mobile := d.mustClient("acme", "Acme Mobile", "--public")
	globex := d.mustClient("globex", "Globex Portal", "--first-party")
	d.start()
	authorize := d.issuer + "/oauth/authorize"
	tokenURL := d.issuer + "/oauth/token"

	t.Run("authorization errors are shown, never redirected", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name   string
			client cliClient
			set    url.Values
			post   bool
		}{
			{"unregistered redirect_uri", blog, url.Values{"redirect_uri": {d.app.URL + "/evil"}}, false},
			{"unregistered redirect_uri by POST", blog, url.Values{"redirect_uri": {d.app.URL + "/evil"}}, true},
			{"redirect_uri on another host", blog, url.Values{"redirect_uri": {"https://attacker.example/callback"}}, false},
			{"registered redirect_uri with a query added", blog, url.Values{"redirect_uri": {d.app.callback() + "?next=/admin"}}, false},
			{"registered redirect_uri with a trailing slash", blog, url.Values{"redirect_uri": {d.app.callback() + "/"}}, false},
			{"registered redirect_uri in another case", blog, url.Values{"redirect_uri": {strings.Replace(d.app.callback(), "/callback", "/Callback", 1)}}, false},
			{"redirect_uri twice", blog, url.Values{"redirect_uri": {d.app.callback(), d.app.URL + "/evil"}}, false},
			{"no redirect_uri when several are registered", twoURIs, url.Values{"redirect_uri": {""}}, false},
			{"unknown client_id", blog, url.Values{"client_id": {"gth_ci_doesnotexist"}}, false},
			{"no client_id", blog, url.Values{"client_id": {""}}, false},
			{"client of another tenant on a tenant issuer", globex, nil, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				state := randomString()
				v := authorizeParams(tt.client, d.app.callback(), state, tt.set)
				endpoint := authorize
				if tt.client.ID == globex.ID {
					endpoint = d.tenantIssuer("acme") + "/oauth/authorize"
				}
				var (
					resp *http.Response
					err  error
				)
				// A redirect within the server is allowed (a cross-site
				// POST comes back as a GET to get the session cookie).
				if tt.post {
					resp, err = within(d.issuer).PostForm(endpoint, v)
				} else {
					resp, err = within(d.issuer).Get(endpoint + "?" + v.Encode())
				}
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" ||
					!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Errorf("got %d, Location %q, Content-Type %q; want a 400 HTML page and no redirect",
						resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type"))
				}
				if strings.Contains(string(body), d.app.URL) {
					t.Errorf("the error page links to the app:\n%s", body)
				}
				if d.app.seen(state) {
					t.Error("the app was reached")
				}
			})
		}
	})

	t.Run("authorization errors are redirected with state and iss", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name   string
			client cliClient
			set    url.Values
			want   string
		}{
			{"implicit: response_type=token", blog, url.Values{"response_type": {"token"}}, "unsupported_response_type"},
			{"implicit: response_type=id_token token", blog, url.Values{"response_type": {"id_token token"}}, "unsupported_response_type"},
			{"hybrid: response_type=code id_token", blog, url.Values{"response_type": {"code id_token"}}, "unsupported_response_type"},
			{"no response_type", blog, url.Values{"response_type": {""}}, "invalid_request"},
			{"unknown scope", blog, url.Values{"scope": {"openid bogus"}}, "invalid_scope"},
			{"planned scope", blog, url.Values{"scope": {"openid contacts.read"}}, "invalid_scope"},
			{"scope the client may not use", blog, url.Values{"scope": {"openid roles.read"}}, "invalid_scope"},
			{"PKCE plain", blog, url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
			{"PKCE challenge without a method", blog, url.Values{"code_challenge_method": {""}}, "invalid_request"},
			{"public client without PKCE", mobile, url.Values{"code_challenge": {""}, "code_challenge_method": {""}}, "invalid_request"},
			{"prompt=none without a session", blog, url.Values{"prompt": {"none"}}, "login_required"},
			{"prompt=none with another value", blog, url.Values{"prompt": {"none login"}}, "invalid_request"},
			{"max_age not a number", blog, url.Values{"max_age": {"soon"}}, "invalid_request"},
			{"unknown response_mode", blog, url.Values{"response_mode": {"fragment"}}, "invalid_request"},
			{"request object", blog, url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}, "request_not_supported"},
			{"request_uri", blog, url.Values{"request_uri": {"https://attacker.example/request.jwt"}}, "request_uri_not_supported"},
			{"invalid id_token_hint", blog, url.Values{"id_token_hint": {"not-a-token"}}, "invalid_request"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				state := randomString()
				resp, err := noRedirects().Get(authorize + "?" + authorizeParams(tt.client, d.app.callback(), state, tt.set).Encode())
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				loc, err := url.Parse(resp.Header.Get("Location"))
				if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), d.app.callback()+"?") {
					t.Fatalf("got %d, Location %q; want 303 to the registered redirect URI", resp.StatusCode, resp.Header.Get("Location"))
				}
				q := loc.Query()
				if q.Get("error") != tt.want || q.Get("state") != state || q.Get("iss") != d.issuer || q.Get("code") != "" {
					t.Errorf("got %v; want error=%s, state, iss=%s and no code", q, tt.want, d.issuer)
				}
				if q.Has("access_token") || q.Has("id_token") || strings.Contains(loc.Fragment, "token") {
					t.Errorf("a token in the redirect: %s", loc)
				}
			})
		}
	})

	t.Run("token endpoint errors", func(t *testing.T) {
		t.Parallel()
		code := url.Values{"grant_type": {"authorization_code"}, "code": {"not-a-code"}, "redirect_uri": {d.app.callback()}}
		with := func(v url.Values, kv ...string) url.Values {
			out := url.Values{}
			for k, vs := range v {
				out[k] = vs
			}
			for i := 0; i+1 < len(kv); i += 2 {
				out.Set(kv[i], kv[i+1])
			}
			return out
		}
		tests := []struct {
			name       string
			form       url.Values
			user, pass string
			status     int
			want       string
			challenge  bool
			// endpoint is the token endpoint asked; "" is the platform
			// issuer's.
			endpoint string
		}{
			{"wrong secret, Basic", code, blog.ClientID(), "gth_cs_wrong", 401, "invalid_client", true, ""},
			{"wrong secret, in the body", with(code, "client_id", blog.ClientID(), "client_secret", "gth_cs_wrong"), "", "", 401, "invalid_client", false, ""},
			{"unknown client", code, "gth_ci_doesnotexist", "gth_cs_wrong", 401, "invalid_client", true, ""},
			{"confidential client without its secret", with(code, "client_id", blog.ClientID()), "", "", 401, "invalid_client", false, ""},
			{"public client with a secret", with(code, "client_id", mobile.ClientID(), "client_secret", "made-up"), "", "", 401, "invalid_client", false, ""},
			{"client of another tenant on a tenant issuer", code, globex.ClientID(), globex.Secret(), 401, "invalid_client", true, d.tenantIssuer("acme") + "/oauth/token"},
			{"password grant", url.Values{"grant_type": {"password"}, "username": {"ana"}, "password": {ana.password}}, blog.ClientID(), blog.Secret(), 400, "unsupported_grant_type", false, ""},
			{"implicit grant", url.Values{"grant_type": {"implicit"}}, blog.ClientID(), blog.Secret(), 400, "unsupported_grant_type", false, ""},
			{"made-up grant", url.Values{"grant_type": {"urn:example:magic"}}, blog.ClientID(), blog.Secret(), 400, "unsupported_grant_type", false, ""},
			{"no grant_type", url.Values{"code": {"x"}}, blog.ClientID(), blog.Secret(), 400, "invalid_request", false, ""},
			{"grant the client did not register", url.Values{"grant_type": {"client_credentials"}}, blog.ClientID(), blog.Secret(), 400, "unauthorized_client", false, ""},
			{"unknown code", code, blog.ClientID(), blog.Secret(), 400, "invalid_grant", false, ""},
			{"no code", with(code, "code", ""), blog.ClientID(), blog.Secret(), 400, "invalid_request", false, ""},
			{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}, blog.ClientID(), blog.Secret(), 400, "invalid_grant", false, ""},
			{"a parameter twice", url.Values{"grant_type": {"authorization_code"}, "code": {"one", "two"}}, blog.ClientID(), blog.Secret(), 400, "invalid_request", false, ""},
			{"two authentication methods", with(code, "client_id", blog.ClientID(), "client_secret", blog.Secret()), blog.ClientID(), blog.Secret(), 400, "invalid_request", false, ""},
			{"secret in the URL", code, "", "", 400, "invalid_request", false,
				tokenURL + "?" + url.Values{"client_id": {blog.ClientID()}, "client_secret": {blog.Secret()}}.Encode()},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				form := url.Values{}
				for k, vs := range tt.form {
					if len(vs) > 0 && vs[0] != "" {
						form[k] = vs
					}
				}
				endpoint := tt.endpoint
				if endpoint == "" {
					endpoint = tokenURL
				}
				resp, e := rawPost(t, endpoint, form, tt.user, tt.pass)
				if resp.StatusCode != tt.status || e.Error != tt.want {
					t.Errorf("got %d %q (%s), want %d %s", resp.StatusCode, e.Error, e.Description, tt.status, tt.want)
				}
				if ch := resp.Header.Get("WWW-Authenticate"); tt.challenge && !strings.HasPrefix(ch, "Basic") {
					t.Errorf("WWW-Authenticate = %q, want a Basic challenge", ch)
				}
				if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
					t.Errorf("Cache-Control = %q, want no-store", cc)
				}
			})
		}
		t.Run("GET", func(t *testing.T) {
			t.Parallel()
			resp, err := http.Get(tokenURL + "?grant_type=client_credentials")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
				t.Errorf("GET /oauth/token: got %d, Allow %q; want 405, POST", resp.StatusCode, resp.Header.Get("Allow"))
			}
		})
	})

	t.Run("password grant through x/oauth2", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, blog, "openid")
		_, err := rp.oauth.PasswordCredentialsToken(rp.ctx, "ana", ana.password)
		if oauthError(err) != "unsupported_grant_type" {
			t.Errorf("password grant: got %v, want unsupported_grant_type", err)
		}
	})

	t.Run("wrong client secret through x/oauth2", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, blog, "openid")
		rp.oauth.ClientSecret = "gth_cs_wrong"
		code, verifier := mustCode(t, rp, newSignedInAgent(t, d, rp, ana))
		_, err := rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized || re.ErrorCode != "invalid_client" ||
			re.Response.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("exchange with a wrong secret: got %v; want 401 invalid_client with WWW-Authenticate", err)
		}
	})

	t.Run("a replayed code fails and revokes its tokens", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, blog, "openid", "profile", "offline_access")
		code, verifier := mustCode(t, rp, newSignedInAgent(t, d, rp, ana))
		tok, err := rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("first exchange: %v", err)
		}
		if _, _, err := rp.userinfo(tok.AccessToken); err != nil {
			t.Fatalf("userinfo before the replay: %v", err)
		}
		_, err = rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
		if oauthError(err) != "invalid_grant" {
			t.Fatalf("second exchange: got %v, want invalid_grant", err)
		}
		rp.mustRefuseAtUserinfo(tok.AccessToken, "an access token of a replayed code")
		if _, err := rp.refresh(tok); oauthError(err) != "invalid_grant" {
			t.Errorf("refresh token of a replayed code: got %v, want invalid_grant", err)
		}
		if in := rp.introspect(tok.AccessToken); in.Active {
			t.Errorf("access token of a replayed code introspects as %+v", in)
		}
	})

	t.Run("a code is bound to its verifier, redirect URI and client", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, blog, "openid")
		code, verifier := mustCode(t, rp, newSignedInAgent(t, d, rp, ana))
		shop := newRelyingParty(t, d, d.issuer, twoURIs, "openid")
		for _, tt := range []struct {
			name string
			try  func() error
		}{
			{"another verifier", func() error {
				_, err := rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				return err
			}},
			{"no verifier", func() error { _, err := rp.oauth.Exchange(rp.ctx, code); return err }},
			{"another redirect_uri", func() error {
				_, err := rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier),
					oauth2.SetAuthURLParam("redirect_uri", other))
				return err
			}},
			{"no redirect_uri", func() error {
				bare := rp.oauth
				bare.RedirectURL = ""
				_, err := bare.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
				return err
			}},
			{"another client", func() error {
				_, err := shop.oauth.Exchange(shop.ctx, code, oauth2.VerifierOption(verifier))
				return err
			}},
		} {
			if err := tt.try(); oauthError(err) != "invalid_grant" {
				t.Errorf("%s: got %v, want invalid_grant", tt.name, err)
			}
		}
		// Those failures spent nothing: the rightful exchange still works.
		tok, err := rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("the rightful exchange after failed ones: %v", err)
		}
		rp.verifyIDToken(tok)
	})

	t.Run("a refresh token belongs to its client", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, blog, "openid", "offline_access")
		code, verifier := mustCode(t, rp, newSignedInAgent(t, d, rp, ana))
		tok, err := rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		shop := newRelyingParty(t, d, d.issuer, twoURIs, "openid")
		if _, err := shop.refresh(tok); oauthError(err) != "invalid_grant" {
			t.Errorf("another client's refresh token: got %v, want invalid_grant", err)
		}
		if in := shop.introspect(tok.RefreshToken); !in.Active || in.ClientID != blog.ClientID() {
			t.Errorf("introspection by another client of the tenant: got %+v, want active, issued to %s", in, blog.ClientID())
		}
		if _, err := rp.refresh(tok); err != nil {
			t.Errorf("the rightful client's refresh after another client tried: %v", err)
		}
	})

	t.Run("a code or refresh token raced by parallel requests", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, blog, "openid", "offline_access")
		code, verifier := mustCode(t, rp, newSignedInAgent(t, d, rp, ana))
		const n = 8
		race := func(what string, try func() (*oauth2.Token, error)) *oauth2.Token {
			t.Helper()
			type result struct {
				tok *oauth2.Token
				err error
			}
			results := make(chan result, n)
			for range n {
				go func() {
					tok, err := try()
					results <- result{tok, err}
				}()
			}
			var won *oauth2.Token
			for range n {
				r := <-results
				switch {
				case r.err == nil && won == nil:
					won = r.tok
				case r.err == nil:
					t.Errorf("%s: two of %d parallel requests succeeded", what, n)
				case oauthError(r.err) != "invalid_grant":
					t.Errorf("%s: a loser got %v, want invalid_grant", what, r.err)
				}
			}
			if won == nil {
				t.Fatalf("%s: none of %d parallel requests succeeded", what, n)
			}
			return won
		}
		tok := race("code exchange", func() (*oauth2.Token, error) {
			return rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
		})
		// The losers replayed the code: the grant is gone.
		rp.mustRefuseAtUserinfo(tok.AccessToken, "the winner of a raced code")

		code, verifier = mustCode(t, rp, newSignedInAgent(t, d, rp, ana))
		tok, err := rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		won := race("refresh", func() (*oauth2.Token, error) { return rp.refresh(tok) })
		rp.mustRefuseAtUserinfo(won.AccessToken, "the winner of a raced refresh token")
		if _, err := rp.refresh(won); oauthError(err) != "invalid_grant" {
			t.Errorf("the winner's refresh token after a raced refresh: got %v, want invalid_grant", err)
		}
	})

	t.Run("hosted pages: headers, session cookie, cross-site forms", func(t *testing.T) {
		t.Parallel()
		b := gatehousetest.NewBrowser(t, d.issuer, gatehousetest.StopAtRedirects())
		req, _ := http.NewRequest(http.MethodGet, authorize+"?"+authorizeParams(blog, d.app.callback(), randomString(), nil).Encode(), nil)
		p := b.Do(req)
		loc, err := req.URL.Parse(p.Header.Get("Location"))
		if p.Status != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), d.issuer+"/login?") {
			t.Fatalf("authorize without a session: got %d to %q, want 303 to the sign-in page", p.Status, p.Header.Get("Location"))
		}
		p = b.Get(loc.String())
		if csp := p.Header.Get("Content-Security-Policy"); p.Status != 200 || !strings.Contains(csp, "frame-ancestors 'none'") ||
			p.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("sign-in page: got %d, CSP %q, X-Frame-Options %q; want 200 with frame-ancestors 'none' and DENY",
				p.Status, csp, p.Header.Get("X-Frame-Options"))
		}
		f, ok := p.FormTo("/login")
		if !ok {
			t.Fatalf("no sign-in form:\n%s", p.Body)
		}
		f.Fields.Set("username", ana.Username)
		f.Fields.Set("password", ana.password)
		signIn := func(origin, site string) *gatehousetest.Page {
			req, _ := http.NewRequest(http.MethodPost, f.URL.String(), strings.NewReader(f.Fields.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", site)
			return b.Do(req)
		}
		// A form posted from another site is refused before it is read.
		if p := signIn("https://attacker.example", "cross-site"); p.Status != http.StatusForbidden || p.Header.Get("Set-Cookie") != "" {
			t.Errorf("cross-site sign-in POST: got %d, Set-Cookie %q; want 403 and no session", p.Status, p.Header.Get("Set-Cookie"))
		}
		p = signIn(d.issuer, "same-origin")
		var session *http.Cookie
		for _, ck := range (&http.Response{Header: p.Header}).Cookies() {
			if ck.Name == "gatehouse_session" {
				session = ck
			}
		}
		if p.Status != http.StatusSeeOther || session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode ||
			session.Path != "/" || session.Secure {
			t.Errorf("sign-in: got %d, session cookie %+v; want 303 and an HttpOnly, SameSite=Lax cookie on / (not Secure on http)", p.Status, session)
		}
	})

	t.Run("bearer token errors", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, blog, "openid")
		code, verifier := mustCode(t, rp, newSignedInAgent(t, d, rp, ana))
		tok, err := rp.oauth.Exchange(rp.ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		idToken, _ := tok.Extra("id_token").(string)
		userinfo := rp.provider.UserInfoEndpoint()
		for _, tt := range []struct {
			name   string
			req    func() *http.Request
			status int
			want   string
		}{
			{"no token", func() *http.Request { r, _ := http.NewRequest(http.MethodGet, userinfo, nil); return r }, 401, ""},
			{"an ID token", func() *http.Request {
				r, _ := http.NewRequest(http.MethodGet, userinfo, nil)
				r.Header.Set("Authorization", "Bearer "+idToken)
				return r
			}, 401, "invalid_token"},
			{"garbage", func() *http.Request {
				r, _ := http.NewRequest(http.MethodGet, userinfo, nil)
				r.Header.Set("Authorization", "Bearer not.a.token")
				return r
			}, 401, "invalid_token"},
			{"token in the URL", func() *http.Request {
				r, _ := http.NewRequest(http.MethodGet, userinfo+"?access_token="+url.QueryEscape(tok.AccessToken), nil)
				return r
			}, 400, "invalid_request"},
		} {
			resp, err := http.DefaultClient.Do(tt.req())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ch := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != tt.status || !strings.HasPrefix(ch, "Bearer") || !strings.Contains(ch, tt.want) {
				t.Errorf("userinfo with %s: got %d, WWW-Authenticate %q; want %d with a Bearer challenge naming %q",
					tt.name, resp.StatusCode, ch, tt.status, tt.want)
			}
		}
		// Introspection needs a confidential client; revocation a token.
		if resp, e := rawPost(t, rp.meta.Introspection, url.Values{"token": {tok.AccessToken}, "client_id": {mobile.ClientID()}}, "", ""); resp.StatusCode != 401 || e.Error != "invalid_client" {
			t.Errorf("introspection by a public client: got %d %s, want 401 invalid_client", resp.StatusCode, e.Error)
		}
		if resp, e := rawPost(t, rp.meta.Introspection, url.Values{"token": {tok.AccessToken}}, blog.ClientID(), "gth_cs_wrong"); resp.StatusCode != 401 || e.Error != "invalid_client" {
			t.Errorf("introspection with a wrong secret: got %d %s, want 401 invalid_client", resp.StatusCode, e.Error)
		}
		if resp, e := rawPost(t, rp.meta.Revocation, url.Values{}, blog.ClientID(), blog.Secret()); resp.StatusCode != 400 || e.Error != "invalid_request" {
			t.Errorf("revocation without a token: got %d %s, want 400 invalid_request", resp.StatusCode, e.Error)
		}
		// A client cannot revoke another client's token.
		shop := newRelyingParty(t, d, d.issuer, twoURIs, "openid")
		shop.revoke(tok.AccessToken, "access_token")
		if _, _, err := rp.userinfo(tok.AccessToken); err != nil {
			t.Errorf("another client's revocation ended the token: %v", err)
		}
	})

	t.Run("an account of another tenant is denied", func(t *testing.T) {
		t.Parallel()
		ua := newUserAgent(t, d.app.URL)
		portal := newRelyingParty(t, d, d.issuer, globex, "openid")
		portal.signIn(ua, gus)
		rp := newRelyingParty(t, d, d.issuer, blog, "openid")
		state := randomString()
		p := ua.Get(rp.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		f, ok := p.FormTo("/login/continue")
		if !ok || !strings.Contains(p.Body, "another organization") {
			t.Fatalf("got %d at %s, want the page saying the account belongs to another organization:\n%s", p.Status, p.URL, p.Body)
		}
		ua.SubmitForm(f, nil)
		if h := d.app.wait(t, state, 5*time.Second); h.Params.Get("error") != "access_denied" || h.Params.Get("iss") != d.issuer {
			t.Errorf("after going back: got %v, want error=access_denied with iss", h.Params)
		}
	})

	t.Run("logout misuse", func(t *testing.T) {
		t.Parallel()
		rp := newRelyingParty(t, d, d.issuer, blog, "openid")
		ua := newUserAgent(t, d.app.URL)
		s := rp.signIn(ua, ana)
		// An invalid hint ends nothing.
		p := ua.Get(rp.meta.EndSession + "?id_token_hint=not-a-token&post_logout_redirect_uri=" + url.QueryEscape(d.app.signedOut()))
		if p.Status != http.StatusBadRequest || atApp(p, d.app.URL) {
			t.Errorf("logout with an invalid hint: got %d at %s, want a 400 page", p.Status, p.URL)
		}
		// A hint of another audience than client_id.
		p = ua.Get(rp.meta.EndSession + "?" + url.Values{"id_token_hint": {s.rawID}, "client_id": {twoURIs.ClientID()}}.Encode())
		if p.Status != http.StatusBadRequest {
			t.Errorf("logout with a hint for another client: got %d, want 400", p.Status)
		}
		state := randomString()
		ua.Get(rp.oauth.AuthCodeURL(state, oauth2.SetAuthURLParam("prompt", "none"),
			oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if h := d.app.wait(t, state, 5*time.Second); h.Params.Get("code") == "" {
			t.Errorf("prompt=none after refused logouts: got %v, want a code (the session lives on)", h.Params)
		}
		// An unregistered post_logout_redirect_uri is not used: the
		// session ends and the browser stays on the signed-out page.
		state = randomString()
		p = ua.Get(rp.meta.EndSession + "?" + url.Values{"id_token_hint": {s.rawID},
			"post_logout_redirect_uri": {"https://attacker.example/"}, "state": {state}}.Encode())
		if p.Status != http.StatusOK || atApp(p, d.app.URL) || p.URL.Host != strings.TrimPrefix(d.issuer, "http://") ||
			!strings.Contains(p.Body, "signed out") {
			t.Errorf("logout to an unregistered URI: got %d at %s, want our signed-out page", p.Status, p.URL)
		}
		if d.app.seen(state) {
			t.Error("the app was reached")
		}
		state = randomString()
		ua.Get(rp.oauth.AuthCodeURL(state, oauth2.SetAuthURLParam("prompt", "none"),
			oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if h := d.app.wait(t, state, 5*time.Second); h.Params.Get("error") != "login_required" {
			t.Errorf("prompt=none after logout: got %v, want login_required", h.Params)
		}
	})
}

// newSignedInAgent returns a user agent that has signed in and allowed
// rp's client, so that further authorization requests answer at once.
func newSignedInAgent(t *testing.T, d *deployment, rp *relyingParty, user cliUser) *userAgent {
	t.Helper()
	ua := newUserAgent(t, d.app.URL)
	state := randomString()
	ua.authorize(rp.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oidc.Nonce(randomString())), user)
	d.app.wait(t, state, 5*time.Second)
	return ua
}

// mustCode runs an authorization request and returns its code and PKCE
// verifier, unexchanged.
func mustCode(t *testing.T, rp *relyingParty, ua *userAgent) (code, verifier string) {
	t.Helper()
	state := randomString()
	verifier = oauth2.GenerateVerifier()
	ua.Get(rp.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(randomString())))
	h := rp.app.wait(t, state, 5*time.Second)
	if h.Params.Get("code") == "" {
		t.Fatalf("no code: %v", h.Params)
	}
	return h.Params.Get("code"), verifier
}
