package login_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestBrowserFlow walks the authorization code flow the way a browser
// does, form by form, and checks what each step leaves behind.
func TestBrowserFlow(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", nil)
	second := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) {
		c.Name = "Second App"
		c.RedirectURIs = []string{"http://127.0.0.1/second?app=2"}
	})
	firstParty := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) {
		c.Name = "Our Dashboard"
		c.FirstParty = true
	})
	b := newBrowser(t, s)

	t.Run("sign-in, consent, code", func(t *testing.T) {
		p := b.Get(authorizeURL(s.URL, fx.client, nil))
		if p.Status != http.StatusOK || p.URL.Path != "/login" || !strings.Contains(p.Body, "Test App") {
			t.Fatalf("got %d at %s, want the sign-in page naming the client", p.Status, p.URL)
		}
		if got := p.Header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'none'; style-src 'self' 'nonce-") ||
			!strings.Contains(got, "frame-ancestors 'none'") {
			t.Errorf("got CSP %q, want the page policy", got)
		}
		if got := p.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("got X-Frame-Options %q, want DENY", got)
		}
		css := regexp.MustCompile(`<link rel="stylesheet" href="(/static/[^"]+)">`).FindStringSubmatch(p.Body)
		if css == nil {
			t.Fatal("the page links no stylesheet")
		}
		if sheet := b.Get(css[1]); sheet.Status != http.StatusOK || !strings.HasPrefix(sheet.Header.Get("Content-Type"), "text/css") ||
			!strings.Contains(sheet.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("stylesheet %s: got %d %q %q, want 200 text/css, cached as immutable", css[1], sheet.Status,
				sheet.Header.Get("Content-Type"), sheet.Header.Get("Cache-Control"))
		}
		p = b.signIn(p, "ana", password)
		if p.URL.Path != "/login/consent" || !strings.Contains(p.Body, "See your name, username and profile picture") ||
			!strings.Contains(p.Body, "Sign you in with your account") {
			t.Fatalf("got %d at %s, want the consent page with a line per scope:\n%s", p.Status, p.URL, p.Body)
		}
		sess := b.session()
		if sess == nil {
			t.Fatal("no session after signing in")
		}
		handle := p.Form(t, "/login/consent").Fields.Get("request")
		p0 := p
		p = b.Submit(p, "/login/consent", url.Values{"decision": {"allow"}})
		cb := callbackOf(t, b, p)
		if cb.mode != "query" || cb.uri != fx.client.RedirectURIs[0] {
			t.Errorf("got a %s response to %s, want a redirect to %s", cb.mode, cb.uri, fx.client.RedirectURIs[0])
		}
		code := checkResponse(t, cb, s.URL)
		ac := redeem(t, s, code)
		now := s.Clock.Now()
		checks := []struct {
			name      string
			got, want any
		}{
			{"client_id", ac.ClientID, fx.client.ClientID},
			{"client", ac.Client, fx.client.ID},
			{"tenant", ac.TenantID, fx.tenant.ID},
			{"user", ac.UserID, fx.user.ID},
			{"session", ac.SessionID, sess.ID},
			{"redirect_uri", ac.RedirectURI, fx.client.RedirectURIs[0]},
			{"scopes", strings.Join(ac.Scopes, " "), "openid profile"},
			{"nonce", ac.Nonce, testNonce},
			{"code_challenge", ac.CodeChallenge, challenge()},
			{"code_challenge_method", ac.CodeChallengeMethod, "S256"},
			{"auth_time", ac.AuthTime.Unix(), sess.AuthTime.Unix()},
			{"amr", strings.Join(ac.AMR, " "), "pwd"},
			{"expires", ac.ExpiresAt.Sub(ac.CreatedAt), gatehouse.AuthCodeTTL},
			{"created", ac.CreatedAt.Unix(), now.Unix()},
			{"grant id set", ac.GrantID != "", true},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("code %s: got %v, want %v", c.name, c.got, c.want)
			}
		}
		c, err := s.Store.GetConsent(context.Background(), fx.tenant.ID, fx.user.ID, fx.client.ID)
		if err != nil || strings.Join(c.Scopes, " ") != "openid profile" {
			t.Errorf("got consent %+v, %v, want openid profile remembered", c, err)
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "consent.grant"); len(evs) != 1 || evs[0].Actor != "user:"+fx.user.ID {
			t.Errorf("got consent.grant events %+v, want one by the user", evs)
		}
		evs := s.MustAuditEvents(t, fx.tenant.ID, "signin")
		if len(evs) != 1 || evs[0].Result != gatehouse.ResultSuccess || evs[0].Details["username"] != "ana" {
			t.Errorf("got signin events %+v, want one success", evs)
		}
		id, ok := strings.CutPrefix(handle, fx.tenant.ID+".")
		if !ok {
			t.Fatalf("got request handle %q, want the tenant id and the request id", handle)
		}
		if _, err := s.Store.GetAuthRequest(context.Background(), fx.tenant.ID, id, now); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
			t.Errorf("got %v looking up the authorization request after the code was issued, want not found", err)
		}
		if again := b.Submit(p0, "/login/consent", url.Values{"decision": {"allow"}}); again.Status != http.StatusBadRequest {
			t.Errorf("allowing the same request twice: got %d, want the expired page (400)", again.Status)
		}
	})

	t.Run("remembered consent issues the code at once", func(t *testing.T) {
		p := b.Get(authorizeURL(s.URL, fx.client, url.Values{"scope": {"profile openid"}}))
		if p.Status != http.StatusSeeOther {
			t.Fatalf("got %d at %s, want a redirect straight to the client", p.Status, p.URL)
		}
		checkResponse(t, callbackOf(t, b, p), s.URL)
	})

	t.Run("more scopes ask again and remember the union", func(t *testing.T) {
		p := b.Get(authorizeURL(s.URL, fx.client, url.Values{"scope": {"openid email"}}))
		if p.URL.Path != "/login/consent" || !strings.Contains(p.Body, "See your email address") {
			t.Fatalf("got %d at %s, want the consent page", p.Status, p.URL)
		}
		checkResponse(t, callbackOf(t, b, b.Submit(p, "/login/consent", url.Values{"decision": {"allow"}})), s.URL)
		c, err := s.Store.GetConsent(context.Background(), fx.tenant.ID, fx.user.ID, fx.client.ID)
		if err != nil || strings.Join(c.Scopes, " ") != "email openid profile" {
			t.Errorf("got consent %+v, %v, want the union email openid profile", c, err)
		}
	})

	t.Run("prompt=consent asks even when remembered", func(t *testing.T) {
		p := b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"consent"}}))
		if p.URL.Path != "/login/consent" {
			t.Fatalf("got %d at %s, want the consent page", p.Status, p.URL)
		}
		checkResponse(t, callbackOf(t, b, b.Submit(p, "/login/consent", url.Values{"decision": {"allow"}})), s.URL)
	})

	t.Run("single sign-on to a second client", func(t *testing.T) {
		p := b.Get(authorizeURL(s.URL, second, url.Values{"redirect_uri": {""}}))
		if p.URL.Path != "/login/consent" || !strings.Contains(p.Body, "Second App") {
			t.Fatalf("got %d at %s, want the consent page without a password", p.Status, p.URL)
		}
		cb := callbackOf(t, b, b.Submit(p, "/login/consent", url.Values{"decision": {"allow"}}))
		if cb.uri != "http://127.0.0.1/second" || cb.params.Get("app") != "2" {
			t.Errorf("got a response to %s with %v, want the registered URI with its own query kept", cb.uri, cb.params)
		}
		ac := redeem(t, s, checkResponse(t, cb, s.URL))
		if ac.RedirectURI != "" {
			t.Errorf("got code redirect_uri %q, want empty since the request gave none", ac.RedirectURI)
		}
	})

	t.Run("deny", func(t *testing.T) {
		p := b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"consent"}}))
		cb := callbackOf(t, b, b.Submit(p, "/login/consent", url.Values{"decision": {"deny"}}))
		if cb.params.Get("error") != "access_denied" || cb.params.Get("state") != testState || cb.params.Get("iss") != s.URL {
			t.Errorf("got %v, want access_denied with state and iss", cb.params)
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "authorize.deny"); len(evs) != 1 || evs[0].Details["reason"] != "user_denied" {
			t.Errorf("got authorize.deny events %+v, want one", evs)
		}
	})

	t.Run("form_post", func(t *testing.T) {
		p := b.Get(authorizeURL(s.URL, fx.client, url.Values{"response_mode": {"form_post"}}))
		cb := callbackOf(t, b, p)
		if cb.mode != "form_post" || cb.uri != fx.client.RedirectURIs[0] {
			t.Fatalf("got a %s response to %s, want form_post to the redirect URI", cb.mode, cb.uri)
		}
		checkResponse(t, cb, s.URL)
	})

	t.Run("prompt=none with a session and consent", func(t *testing.T) {
		p := b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"none"}}))
		checkResponse(t, callbackOf(t, b, p), s.URL)
	})

	t.Run("prompt=none without consent", func(t *testing.T) {
		c := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.Name = "Never Allowed" })
		cb := callbackOf(t, b, b.Get(authorizeURL(s.URL, c, url.Values{"prompt": {"none"}})))
		if cb.params.Get("error") != "consent_required" || cb.params.Get("state") != testState || cb.params.Get("iss") != s.URL {
			t.Errorf("got %v, want consent_required with state and iss", cb.params)
		}
	})

	t.Run("prompt=none without a session", func(t *testing.T) {
		other := newBrowser(t, s)
		cb := callbackOf(t, other, other.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"none"}})))
		if cb.params.Get("error") != "login_required" || cb.params.Get("state") != testState || cb.params.Get("iss") != s.URL {
			t.Errorf("got %v, want login_required with state and iss", cb.params)
		}
	})

	t.Run("id_token_hint", func(t *testing.T) {
		sess := b.session()
		mine := idToken(t, s, s.URL, fx.user.ID, fx.client.ClientID, sess.ID)
		cb := callbackOf(t, b, b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"none"}, "id_token_hint": {mine}})))
		checkResponse(t, cb, s.URL)
		someoneElse := idToken(t, s, s.URL, "0192f5a0-0000-7000-8000-000000000bad", fx.client.ClientID, "")
		cb = callbackOf(t, b, b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"none"}, "id_token_hint": {someoneElse}})))
		if cb.params.Get("error") != "login_required" {
			t.Errorf("hint of another user: got %v, want login_required", cb.params)
		}
	})

	t.Run("prompt=login forces a new sign-in", func(t *testing.T) {
		before := b.session()
		p := b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"login"}, "login_hint": {"ana@example.com"}}))
		if p.URL.Path != "/login" || !strings.Contains(p.Body, `value="ana@example.com"`) {
			t.Fatalf("got %d at %s, want the sign-in form pre-filled with the login_hint", p.Status, p.URL)
		}
		p = b.signIn(p, "ANA@example.com", password)
		ac := redeem(t, s, checkResponse(t, callbackOf(t, b, p), s.URL))
		after := b.session()
		if after == nil || after.ID == before.ID || ac.SessionID != after.ID {
			t.Fatalf("got sessions %v then %v, code session %s: want a new session, used by the code", before, after, ac.SessionID)
		}
		old, err := s.Store.GetSession(context.Background(), fx.tenant.ID, before.ID)
		if err != nil || old.RevokedAt.IsZero() {
			t.Errorf("the previous session of the browser is still active after signing in again (%v)", err)
		}
	})

	t.Run("first-party client skips consent", func(t *testing.T) {
		fresh := newBrowser(t, s)
		p := fresh.Get(authorizeURL(s.URL, firstParty, nil))
		p = fresh.signIn(p, "ana", password)
		checkResponse(t, callbackOf(t, fresh, p), s.URL)
	})

	t.Run("POST from the relying party's site", func(t *testing.T) {
		u, _ := url.Parse(authorizeURL(s.URL, fx.client, nil))
		form := u.Query()
		// With the session cookie: the code at once.
		b.Header.Set("Sec-Fetch-Site", "cross-site")
		defer b.Header.Del("Sec-Fetch-Site")
		checkResponse(t, callbackOf(t, b, b.Post(s.URL+"/oauth/authorize", form)), s.URL)
		// Without it (SameSite=Lax keeps it from a cross-site POST): on
		// to the sign-in page as a GET.
		fresh := newBrowser(t, s)
		fresh.Header.Set("Sec-Fetch-Site", "cross-site")
		p := fresh.Post(s.URL+"/oauth/authorize", form)
		if p.Status != http.StatusOK || p.URL.Path != "/login" {
			t.Fatalf("got %d at %s, want the sign-in page", p.Status, p.URL)
		}
	})

	t.Run("session cookie", func(t *testing.T) {
		fresh := newBrowser(t, s)
		p := fresh.Get(authorizeURL(s.URL, firstParty, nil))
		f := p.Form(t, "/login")
		form := url.Values{"username": {"ana"}, "password": {password}}
		for k, v := range f.Fields {
			form[k] = v
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL+f.Action, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var got *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "gatehouse_session" {
				got = ck
			}
		}
		if got == nil {
			t.Fatalf("no gatehouse_session cookie set; got %v", resp.Header.Values("Set-Cookie"))
		}
		if !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/" || got.Domain != "" || got.Secure {
			t.Errorf("got cookie %+v, want HttpOnly, SameSite=Lax, Path=/, no Domain, not Secure on http loopback", got)
		}
		if len(got.Value) != 43 {
			t.Errorf("got a cookie value of %d characters, want a 43-character handle", len(got.Value))
		}
	})
}

// TestTenantIssuer runs the flow under a tenant's own issuer, where every
// page lives under /t/{slug} and iss names it.
func TestTenantIssuer(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", nil)
	other := newFixture(t, s, "globex", nil)
	iss := s.URL + "/t/acme"
	fx.tenant.Branding = gatehouse.Branding{
		LogoURI: "https://cdn.acme.example/logo.svg", LogoDarkURI: "https://cdn.acme.example/logo-dark.svg",
		PrimaryColor: "#0a7d33",
	}
	if err := s.Store.UpdateTenant(context.Background(), fx.tenant); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	p := b.Get(authorizeURL(iss, fx.client, nil))
	if p.URL.Path != "/t/acme/login" {
		t.Fatalf("got %d at %s, want the tenant's sign-in page", p.Status, p.URL)
	}
	for _, want := range []string{
		`<source srcset="https://cdn.acme.example/logo-dark.svg" media="(prefers-color-scheme: dark)">`,
		`<img class="logo" src="https://cdn.acme.example/logo.svg" alt="Tenant acme">`,
		`--primary:#0a7d33`,
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the sign-in page lacks the tenant's branding %s", want)
		}
	}
	if f := p.Form(t, "/login"); f.Action != "/t/acme/login" {
		t.Errorf("got form action %q, want /t/acme/login", f.Action)
	}
	p = b.signIn(p, "ana", password)
	p = b.Submit(p, "/t/acme/login/consent", url.Values{"decision": {"allow"}})
	checkResponse(t, callbackOf(t, b, p), iss)

	p = b.Get(authorizeURL(iss, other.client, nil))
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "another organization") {
		t.Errorf("another tenant's client at a tenant issuer: got %d, want the error page:\n%s", p.Status, p.Body)
	}
}

// TestRequestStaysWithItsIssuer checks that a pending request started at a
// tenant issuer cannot be finished under the platform issuer, whose iss the
// client did not ask for.
func TestRequestStaysWithItsIssuer(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", nil)
	b := newBrowser(t, s)
	p := b.Get(authorizeURL(s.URL+"/t/acme", fx.client, nil))
	if p.URL.Path != "/t/acme/login" {
		t.Fatalf("got %d at %s, want the tenant's sign-in page", p.Status, p.URL)
	}
	handle := p.URL.Query().Get("request")
	if handle == "" {
		t.Fatalf("no request handle in %s", p.URL)
	}
	moved := b.Get("/login?request=" + url.QueryEscape(handle))
	if moved.Status == http.StatusOK && strings.Contains(moved.Body, `name="password"`) {
		t.Fatalf("the platform issuer continued a request made to the tenant issuer:\n%s", moved.Body)
	}
	if moved.Status != http.StatusBadRequest && moved.Status != http.StatusNotFound {
		t.Errorf("moved request: got %d, want the expired-request error page", moved.Status)
	}
}

// TestMaxAge checks that max_age asks for a new sign-in once the last one
// is older, and that auth_time moves with it.
func TestMaxAge(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", func(c *gatehouse.Client) { c.FirstParty = true })
	b := newBrowser(t, s)
	p := b.signIn(b.Get(authorizeURL(s.URL, fx.client, nil)), "ana", password)
	first := redeem(t, s, checkResponse(t, callbackOf(t, b, p), s.URL))

	s.Clock.Advance(10 * time.Minute)
	p = b.Get(authorizeURL(s.URL, fx.client, url.Values{"max_age": {"3600"}}))
	if ac := redeem(t, s, checkResponse(t, callbackOf(t, b, p), s.URL)); !ac.AuthTime.Equal(first.AuthTime) {
		t.Errorf("max_age=3600: got auth_time %v, want the first sign-in's %v", ac.AuthTime, first.AuthTime)
	}
	p = b.Get(authorizeURL(s.URL, fx.client, url.Values{"max_age": {"60"}}))
	if p.URL.Path != "/login" {
		t.Fatalf("max_age=60 ten minutes after signing in: got %d at %s, want the sign-in form", p.Status, p.URL)
	}
	cb := callbackOf(t, b, b.signIn(p, "ana", password))
	if ac := redeem(t, s, checkResponse(t, cb, s.URL)); !ac.AuthTime.Equal(s.Clock.Now()) {
		t.Errorf("got auth_time %v, want the new sign-in at %v", ac.AuthTime, s.Clock.Now())
	}
	cb = callbackOf(t, b, b.Get(authorizeURL(s.URL, fx.client, url.Values{"max_age": {"0"}, "prompt": {"none"}})))
	if cb.params.Get("error") != "login_required" {
		t.Errorf("max_age=0 with prompt=none: got %v, want login_required", cb.params)
	}

	// The session outlives neither its idle timeout nor its lifetime.
	s.Clock.Advance(25 * time.Hour)
	cb = callbackOf(t, b, b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"none"}})))
	if cb.params.Get("error") != "login_required" {
		t.Errorf("after a day idle: got %v, want login_required", cb.params)
	}
	successes := 0
	for _, e := range s.MustAuditEvents(t, fx.tenant.ID, "signin") {
		if e.Result == gatehouse.ResultSuccess {
			successes++
		}
	}
	if successes != 2 {
		t.Errorf("got %d successful sign-ins audited, want 2", successes)
	}
}

// TestSessionLifetime checks the absolute end of a session that is used
// every day.
func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", func(c *gatehouse.Client) { c.FirstParty = true })
	b := newBrowser(t, s)
	checkResponse(t, callbackOf(t, b, b.signIn(b.Get(authorizeURL(s.URL, fx.client, nil)), "ana", password)), s.URL)
	for use := 1; use <= 16; use++ {
		s.Clock.Advance(20 * time.Hour)
		cb := callbackOf(t, b, b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"none"}})))
		if cb.params.Get("code") == "" {
			t.Fatalf("use %d, 20 hours after the last: got %v, want a code", use, cb.params)
		}
	}
	s.Clock.Advance(20 * time.Hour) // 340 hours: past the 14 days since the sign-in
	cb := callbackOf(t, b, b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"none"}})))
	if cb.params.Get("error") != "login_required" {
		t.Errorf("past the session's lifetime: got %v, want login_required", cb.params)
	}
}
