package login_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// apiResult is a JSON answer of a protocol endpoint.
type apiResult struct {
	status int
	body   map[string]any
	raw    string
}

func (r apiResult) str(name string) string {
	s, _ := r.body[name].(string)
	return s
}

// call sends a request as an app's server would: no cookies.
func call(t *testing.T, req *http.Request) apiResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := apiResult{status: resp.StatusCode, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &res.body); err != nil {
			t.Fatalf("%s: body is not JSON: %v", req.URL, err)
		}
	}
	return res
}

// appPost posts a form to a protocol endpoint, authenticated as the app.
func appPost(t *testing.T, endpoint string, c *gatehousetest.Client, form url.Values) apiResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ClientID, c.ClientSecret)
	return call(t, req)
}

// exchange presents a JWT credential at the platform token endpoint.
func exchange(t *testing.T, s *gatehousetest.Server, c *gatehousetest.Client, credential string) apiResult {
	t.Helper()
	return appPost(t, s.URL+"/oauth/token", c, url.Values{
		"grant_type": {gatehouse.GrantJWTBearer}, "assertion": {credential},
	})
}

func userinfoStatus(t *testing.T, s *gatehousetest.Server, accessToken string) apiResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/oauth/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	return call(t, req)
}

// runServer starts a server and, before it stops, closes the idle
// connections of the shared transport: a connection dialed but never used
// stays "new" to the server, which waits 5 s before closing it, as long
// as the test server's shutdown timeout.
func runServer(t *testing.T) *gatehousetest.Server {
	t.Helper()
	s := gatehousetest.MustRunServer(t)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	return s
}

// bearerApp registers a confidential app that may use the JWT bearer
// grant.
func bearerApp(t *testing.T, s *gatehousetest.Server, tenantID, name string) *gatehousetest.Client {
	t.Helper()
	return s.MustClient(t, tenantID, func(c *gatehouse.Client) {
		c.Name = name
		c.GrantTypes = []string{gatehouse.GrantAuthorizationCode, gatehouse.GrantJWTBearer}
	})
}

var credentialValue = regexp.MustCompile(`(?s)<textarea id="credential-value"[^>]*>([^<]*)</textarea>`)

// shownCredential returns the credential value shown on the page.
func shownCredential(t *testing.T, p *gatehousetest.Page) string {
	t.Helper()
	m := credentialValue.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("got %d at %s, want the new credential shown:\n%s", p.Status, p.URL, p.Body)
	}
	return html.UnescapeString(m[1])
}

// TestCredentialDeepLink is the path the issue asks for: from an app's
// Connect link, a signed-out user signs in, comes back to the form with
// the app pre-filled, and creates a credential restricted to it; that
// app, and only that app, exchanges it for an access token that works at
// userinfo; revoking the credential on the account page stops the token
// and further exchanges.
func TestCredentialDeepLink(t *testing.T) {
	t.Parallel()
	s := runServer(t)
	fx := newFixture(t, s, "acme", nil)
	crm := bearerApp(t, s, fx.tenant.ID, "CRM & Co")
	other := bearerApp(t, s, fx.tenant.ID, "Other App")
	ctx := context.Background()

	b := newBrowser(t, s)
	deepLink := "/account/credentials/new?client_id=" + url.QueryEscape(crm.ClientID)
	p := b.Get(deepLink)
	f := p.Form(t, "/login")
	if f.Fields.Get("organization") != "acme" || f.Fields.Get("return") != deepLink {
		t.Fatalf("signed out: got sign-in fields %v, want the app's organization and the way back", f.Fields)
	}
	p = b.signIn(p, "ana", password)
	if p.Status != http.StatusOK || p.URL.RequestURI() != deepLink {
		t.Fatalf("after sign-in: got %d at %s, want the deep link %s", p.Status, p.URL, deepLink)
	}
	for _, want := range []string{
		"<strong>CRM &amp; Co</strong> asks for a JWT credential",
		`id="audience-clients" name="audience" type="radio" value="clients" checked`,
		`>` + crm.ClientID + `</textarea>`,
		`<li><strong>CRM &amp; Co</strong> <span class="muted">` + crm.ClientID + `</span></li>`,
		`value="90" checked`,
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	p = b.Submit(p, "/account/credentials", url.Values{
		"name": {"CRM sync"}, "expires": {"90"}, "audience": {"clients"}, "client_ids": {crm.ClientID},
	})
	if p.Status != http.StatusOK {
		t.Fatalf("create: got %d:\n%s", p.Status, p.Body)
	}
	value := shownCredential(t, p)
	if !strings.Contains(p.Body, "only time it is shown") || !strings.Contains(p.Body, s.URL+"/oauth/token") {
		t.Errorf("the created page does not say it is shown once or where to exchange it")
	}
	creds, err := s.Store.ListJWTCredentials(ctx, fx.tenant.ID, fx.user.ID)
	if err != nil || len(creds) != 1 {
		t.Fatalf("got %d credentials (%v), want 1", len(creds), err)
	}
	cred := creds[0]
	if cred.Name != "CRM sync" || !slices.Equal(cred.AllowedClientIDs, []string{crm.ClientID}) ||
		!cred.ExpiresAt.Equal(s.Clock.Now().Add(90*24*time.Hour)) {
		t.Errorf("got credential %+v, want CRM sync for the CRM, 90 days", cred)
	}
	if strings.Contains(string(cred.Hash), value) || len(cred.Hash) != 32 {
		t.Errorf("the store keeps %d bytes, want only the SHA-256", len(cred.Hash))
	}
	// Shown once: not on the account page, not in the log.
	if acct := b.Get("/account"); strings.Contains(acct.Body, value) {
		t.Error("the account page shows the credential's value")
	}
	if strings.Contains(s.Log.String(), value) {
		t.Error("the credential's value reached the log")
	}

	// The app exchanges it; the token works at userinfo.
	res := exchange(t, s, crm, value)
	if res.status != http.StatusOK {
		t.Fatalf("exchange by the app: got %d %s", res.status, res.raw)
	}
	at := res.str("access_token")
	if info := userinfoStatus(t, s, at); info.status != http.StatusOK || info.str("sub") != fx.user.ID {
		t.Errorf("userinfo: got %d %s, want the user", info.status, info.raw)
	}
	in := appPost(t, s.URL+"/oauth/introspect", crm, url.Values{"token": {at}})
	if active, _ := in.body["active"].(bool); !active || in.str("credential_id") != cred.ID || in.str("client_id") != crm.ClientID {
		t.Errorf("introspection: got %s, want active and bound to the credential and the app", in.raw)
	}
	// Another app of the same organization is refused.
	if res := exchange(t, s, other, value); res.status != http.StatusBadRequest || res.str("error") != "invalid_grant" {
		t.Errorf("exchange by another app: got %d %s, want invalid_grant", res.status, res.raw)
	}

	// The account page lists it by the app's name, with its last use.
	p = b.Get("/account")
	for _, want := range []string{"CRM sync", "Only CRM &amp; Co", "Last used"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	// Revoking asks first.
	p = b.Submit(p, "/account/credentials/revoke", nil)
	if !strings.Contains(p.Body, "lose access to your account at once") {
		t.Fatalf("got %d, want the confirmation:\n%s", p.Status, p.Body)
	}
	if got, _ := s.Store.GetJWTCredential(ctx, fx.tenant.ID, cred.ID); !got.RevokedAt.IsZero() {
		t.Fatal("the credential was revoked before the confirmation")
	}
	p = b.Submit(p, "/account/credentials/revoke", nil)
	if !strings.Contains(p.Body, "The credential was revoked.") || strings.Contains(p.Body, "CRM sync") {
		t.Errorf("after revoking: got %d, want the notice and the credential gone from the list:\n%s", p.Status, p.Body)
	}

	// The token stops, and so do further exchanges.
	if info := userinfoStatus(t, s, at); info.status != http.StatusUnauthorized {
		t.Errorf("userinfo after revocation: got %d, want 401", info.status)
	}
	in = appPost(t, s.URL+"/oauth/introspect", crm, url.Values{"token": {at}})
	if in.raw != `{"active":false}` {
		t.Errorf("introspection after revocation: got %s, want inactive", in.raw)
	}
	if res := exchange(t, s, crm, value); res.status != http.StatusBadRequest || res.str("error") != "invalid_grant" {
		t.Errorf("exchange after revocation: got %d %s, want invalid_grant", res.status, res.raw)
	}

	// Audited: created and revoked by the user, used by the apps.
	actor := "user:" + fx.user.ID
	for action, n := range map[string]int{"credential.create": 1, "credential.revoke": 1, "credential.use": 3} {
		evs := s.MustAuditEvents(t, fx.tenant.ID, action)
		if len(evs) != n {
			t.Errorf("got %d %s events, want %d: %+v", len(evs), action, n, evs)
			continue
		}
		ev := evs[0]
		if ev.Target != "credential:"+cred.ID {
			t.Errorf("%s: got target %q, want the credential", action, ev.Target)
		}
		if action != "credential.use" && ev.Actor != actor {
			t.Errorf("%s: got actor %q, want %q", action, ev.Actor, actor)
		}
	}
	if evs := s.MustAuditEvents(t, fx.tenant.ID, "credential.create"); len(evs) == 1 &&
		evs[0].Details["allowed_client_ids"] != crm.ClientID {
		t.Errorf("credential.create details: got %v, want the allowed client", evs[0].Details)
	}
}

// TestCredentialDeepLinkProblems opens the deep link with an app the
// user's organization does not have, signed in and out, on the platform
// and a tenant issuer: never a server error, always a clear notice.
func TestCredentialDeepLinkProblems(t *testing.T) {
	t.Parallel()
	s := runServer(t)
	fx := newFixture(t, s, "acme", nil)
	globex := newFixture(t, s, "globex", nil)
	crm := bearerApp(t, s, fx.tenant.ID, "CRM")
	const notice = "The application that sent you here is not registered in Tenant acme."

	signedIn := newBrowser(t, s)
	signedIn.signIn(signedIn.Get("/account?organization=acme"), "ana", password)
	tests := []struct {
		name, link string
	}{
		{"unknown client_id", "/account/credentials/new?client_id=gth_ci_nope"},
		{"another organization's app", "/account/credentials/new?client_id=" + globex.client.ClientID},
		{"client_id too long", "/account/credentials/new?client_id=" + strings.Repeat("x", 500)},
		{"client_id not UTF-8", "/account/credentials/new?client_id=%ff%fe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := signedIn.Get(tt.link)
			if p.Status != http.StatusOK {
				t.Fatalf("got %d, want the form", p.Status)
			}
			if !strings.Contains(p.Body, notice) {
				t.Errorf("got no notice:\n%s", p.Body)
			}
			if strings.Contains(p.Body, "asks for a JWT credential") || strings.Contains(p.Body, globex.client.Name+"</strong>") {
				t.Errorf("the form names an app it must not")
			}
			p.Form(t, "/account/credentials")
		})
	}

	t.Run("signed out, unknown app", func(t *testing.T) {
		b := newBrowser(t, s)
		p := b.Get("/account/credentials/new?client_id=gth_ci_nope")
		f := p.Form(t, "/account/credentials/new")
		if f.Method != http.MethodGet || f.Fields.Get("client_id") != "gth_ci_nope" {
			t.Fatalf("got form %+v, want the organization question carrying the client_id", f)
		}
		p = b.Get("/account/credentials/new?client_id=gth_ci_nope&organization=acme")
		if got := p.Form(t, "/login").Fields.Get("return"); got != "/account/credentials/new?client_id=gth_ci_nope" {
			t.Fatalf("got return %q, want the deep link", got)
		}
		p = b.signIn(p, "ana", password)
		if p.URL.Path != "/account/credentials/new" || !strings.Contains(p.Body, notice) {
			t.Errorf("got %d at %s, want the form with the notice:\n%s", p.Status, p.URL, p.Body)
		}
	})

	t.Run("signed out, wrong password keeps the way back", func(t *testing.T) {
		b := newBrowser(t, s)
		link := "/account/credentials/new?client_id=" + crm.ClientID
		p := b.signIn(b.Get(link), "ana", "wrong")
		if got := p.Form(t, "/login").Fields.Get("return"); got != link {
			t.Fatalf("after a wrong password: got return %q, want %q", got, link)
		}
		if p = b.signIn(p, "ana", password); p.URL.RequestURI() != link {
			t.Errorf("got %s, want %s", p.URL, link)
		}
	})

	t.Run("tenant issuer", func(t *testing.T) {
		b := newBrowser(t, s)
		link := "/t/acme/account/credentials/new?client_id=" + crm.ClientID
		p := b.Get(link)
		f := p.Form(t, "/t/acme/login")
		if f.Fields.Has("organization") || f.Fields.Get("return") != link {
			t.Fatalf("got sign-in fields %v, want no organization and the way back", f.Fields)
		}
		p = b.signIn(p, "ana", password)
		if p.URL.RequestURI() != link || !strings.Contains(p.Body, "<strong>CRM</strong> asks") {
			t.Fatalf("got %d at %s, want the form for the CRM", p.Status, p.URL)
		}
		// The credential is the tenant issuer's: its own token endpoint
		// takes it, the platform's does not.
		p = b.Submit(p, "/t/acme/account/credentials", url.Values{
			"name": {"CRM"}, "expires": {"30"}, "audience": {"clients"}, "client_ids": {crm.ClientID},
		})
		value := shownCredential(t, p)
		if !strings.Contains(p.Body, s.URL+"/t/acme/oauth/token") {
			t.Error("the created page does not name the tenant issuer's token endpoint")
		}
		form := url.Values{"grant_type": {gatehouse.GrantJWTBearer}, "assertion": {value}}
		if res := appPost(t, s.URL+"/t/acme/oauth/token", crm, form); res.status != http.StatusOK {
			t.Errorf("at the tenant issuer: got %d %s, want 200", res.status, res.raw)
		}
		if res := appPost(t, s.URL+"/oauth/token", crm, form); res.str("error") != "invalid_grant" {
			t.Errorf("at the platform issuer: got %d %s, want invalid_grant", res.status, res.raw)
		}
	})

	t.Run("sign-in does not return elsewhere", func(t *testing.T) {
		for _, ret := range []string{
			"https://evil.example.com/account/credentials/new",
			"//evil.example.com/account/credentials/new",
			"/\\evil.example.com/account/credentials/new",
			"/account/sessions/revoke",
			"/t/globex/account/credentials/new",
			"/oauth/authorize?client_id=x",
		} {
			b := newBrowser(t, s)
			p := b.Get("/account?organization=acme")
			p = b.Submit(p, "/login", url.Values{"username": {"ana"}, "password": {password}, "return": {ret}})
			if p.URL.Host != b.host || p.URL.Path != "/account" {
				t.Errorf("return %q: got %s, want the account page", ret, p.URL)
			}
		}
	})
}

// TestCreateCredentialForm sends the form with every kind of mistake:
// each comes back with the values typed and a message, and nothing is
// stored; the valid choices store what they say.
func TestCreateCredentialForm(t *testing.T) {
	t.Parallel()
	s := runServer(t)
	fx := newFixture(t, s, "acme", nil)
	globex := newFixture(t, s, "globex", nil)
	crm := bearerApp(t, s, fx.tenant.ID, "CRM")
	erp := bearerApp(t, s, fx.tenant.ID, "ERP")
	ctx := context.Background()
	b := newBrowser(t, s)
	b.signIn(b.Get("/account?organization=acme"), "ana", password)
	now := s.Clock.Now()
	today := now.UTC().Truncate(24 * time.Hour)
	day := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }
	many := make([]string, 21)
	for i := range many {
		many[i] = crm.ClientID
		if i > 0 {
			many[i] = "gth_ci_" + strings.Repeat("x", i)
		}
	}
	valid := func(set url.Values) url.Values {
		v := url.Values{"name": {"Sync"}, "expires": {"30"}, "audience": {"clients"}, "client_ids": {crm.ClientID}}
		for k, vs := range set {
			v[k] = vs
		}
		return v
	}

	refusals := []struct {
		name string
		form url.Values
		want string
	}{
		{"no name", valid(url.Values{"name": {"  "}}), "Give the credential a name."},
		{"name too long", valid(url.Values{"name": {strings.Repeat("n", 101)}}), "at most 100 characters"},
		{"name with a control character", valid(url.Values{"name": {"a\x07b"}}), "characters that cannot be used"},
		{"no expiry", valid(url.Values{"expires": {""}}), "Choose when the credential expires."},
		{"a lifetime not offered", valid(url.Values{"expires": {"3650"}}), "Choose when the credential expires."},
		{"date without a day", valid(url.Values{"expires": {"date"}}), "Choose the day the credential expires."},
		{"date not a date", valid(url.Values{"expires": {"date"}, "expires_on": {"next week"}}), "Choose the day the credential expires."},
		{"date in the past", valid(url.Values{"expires": {"date"}, "expires_on": {day(-1)}}), "must not be in the past"},
		{"date past a year", valid(url.Values{"expires": {"date"}, "expires_on": {day(366)}}), "at most a year"},
		{"no audience", valid(url.Values{"audience": {""}}), "Choose who may use the credential."},
		{"no client IDs", valid(url.Values{"client_ids": {" \n "}}), "Name at least one application"},
		{"unknown client ID", valid(url.Values{"client_ids": {crm.ClientID + " gth_ci_nope"}}), "“gth_ci_nope” is not the client ID of an application of Tenant acme."},
		{"another organization's app", valid(url.Values{"client_ids": {globex.client.ClientID}}), "is not the client ID of an application of Tenant acme."},
		{"too many client IDs", valid(url.Values{"client_ids": {strings.Join(many, "\n")}}), "at most 20 applications"},
		{"client IDs too long", valid(url.Values{"client_ids": {strings.Repeat("x", 2001)}}), "The list of client IDs is too long."},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			p := b.Post("/account/credentials", tt.form)
			if p.Status != http.StatusBadRequest {
				t.Fatalf("got %d, want 400", p.Status)
			}
			if !strings.Contains(html.UnescapeString(p.Body), tt.want) {
				t.Errorf("got no %q:\n%s", tt.want, p.Body)
			}
			if strings.Contains(p.Body, `id="credential-value"`) {
				t.Errorf("a credential was shown")
			}
			if tt.form.Get("name") == "Sync" && !strings.Contains(p.Body, `value="Sync"`) {
				t.Errorf("the name typed is not kept")
			}
		})
	}
	if creds, err := s.Store.ListJWTCredentials(ctx, fx.tenant.ID, fx.user.ID); err != nil || len(creds) != 0 {
		t.Fatalf("got %d credentials (%v) after refused forms, want none", len(creds), err)
	}

	accepted := []struct {
		name        string
		form        url.Values
		wantAllowed []string
		wantExpires time.Time
	}{
		{"30 days", valid(nil), []string{crm.ClientID}, now.Add(30 * 24 * time.Hour)},
		{"a year", valid(url.Values{"expires": {"365"}}), []string{crm.ClientID}, now.Add(365 * 24 * time.Hour)},
		{"the end of a day", valid(url.Values{"expires": {"date"}, "expires_on": {day(10)}}), []string{crm.ClientID}, today.AddDate(0, 0, 11)},
		{"the end of today", valid(url.Values{"expires": {"date"}, "expires_on": {day(0)}}), []string{crm.ClientID}, today.AddDate(0, 0, 1)},
		{"the last day allowed", valid(url.Values{"expires": {"date"}, "expires_on": {day(365)}}), []string{crm.ClientID}, today.AddDate(0, 0, 366)},
		{"two apps, commas and repeats", valid(url.Values{"client_ids": {crm.ClientID + ", " + erp.ClientID + "\n" + crm.ClientID}}),
			[]string{crm.ClientID, erp.ClientID}, now.Add(30 * 24 * time.Hour)},
		{"any app, client IDs ignored", valid(url.Values{"audience": {"any"}, "client_ids": {"gth_ci_nope"}}), nil, now.Add(30 * 24 * time.Hour)},
	}
	for i, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("name", tt.name)
			p := b.Post("/account/credentials", tt.form)
			value := shownCredential(t, p)
			creds, err := s.Store.ListJWTCredentials(ctx, fx.tenant.ID, fx.user.ID)
			if err != nil || len(creds) != i+1 {
				t.Fatalf("got %d credentials (%v), want %d", len(creds), err, i+1)
			}
			c := creds[i]
			if c.Name != tt.name || !slices.Equal(c.AllowedClientIDs, tt.wantAllowed) || !c.ExpiresAt.Equal(tt.wantExpires) {
				t.Errorf("got %q for %v until %v, want %v until %v", c.Name, c.AllowedClientIDs, c.ExpiresAt, tt.wantAllowed, tt.wantExpires)
			}
			if tt.wantAllowed == nil && !strings.Contains(p.Body, "Any application of Tenant acme") {
				t.Errorf("the created page does not say any app may use it")
			}
			if res := exchange(t, s, crm, value); res.status != http.StatusOK {
				t.Errorf("the CRM could not use it: %d %s", res.status, res.raw)
			}
		})
	}
}

// TestCredentialForms checks what the forms refuse to do: act without a
// session, act cross-site, or touch another user's credential.
func TestCredentialForms(t *testing.T) {
	t.Parallel()
	s := runServer(t)
	fx := newFixture(t, s, "acme", nil)
	bo := s.MustUser(t, fx.tenant.ID, "bo", password)
	crm := bearerApp(t, s, fx.tenant.ID, "CRM")
	ctx := context.Background()
	form := url.Values{"name": {"Sync"}, "expires": {"30"}, "audience": {"clients"}, "client_ids": {crm.ClientID}}

	anon := newBrowser(t, s)
	if p := anon.Post("/account/credentials", form); p.URL.Path != "/account" || strings.Contains(p.Body, `id="credential-value"`) {
		t.Errorf("signed out: got %d at %s, want the account page's sign-in", p.Status, p.URL)
	}

	ana := newBrowser(t, s)
	ana.signIn(ana.Get("/account?organization=acme"), "ana", password)
	ana.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := ana.Post("/account/credentials", form); p.Status != http.StatusForbidden {
		t.Errorf("cross-site create: got %d, want 403", p.Status)
	}
	ana.Header.Del("Sec-Fetch-Site")
	for _, u := range []*gatehouse.User{fx.user, bo} {
		if creds, err := s.Store.ListJWTCredentials(ctx, fx.tenant.ID, u.ID); err != nil || len(creds) != 0 {
			t.Fatalf("got %d credentials (%v) for %s, want none", len(creds), err, u.Username)
		}
	}

	// Bo's credential is not Ana's to revoke, whatever she posts.
	bob := newBrowser(t, s)
	bob.signIn(bob.Get("/account?organization=acme"), "bo", password)
	bobValue := shownCredential(t, bob.Post("/account/credentials", form))
	bobCreds, err := s.Store.ListJWTCredentials(ctx, fx.tenant.ID, bo.ID)
	if err != nil || len(bobCreds) != 1 {
		t.Fatalf("got %d credentials for bo (%v)", len(bobCreds), err)
	}
	for _, confirm := range []string{"", "yes"} {
		p := ana.Post("/account/credentials/revoke", url.Values{"credential": {bobCreds[0].ID}, "confirm": {confirm}})
		if strings.Contains(p.Body, "Sync") {
			t.Errorf("ana sees bo's credential on the page")
		}
	}
	bob.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := bob.Post("/account/credentials/revoke", url.Values{"credential": {bobCreds[0].ID}, "confirm": {"yes"}}); p.Status != http.StatusForbidden {
		t.Errorf("cross-site revoke: got %d, want 403", p.Status)
	}
	bob.Header.Del("Sec-Fetch-Site")
	if res := exchange(t, s, crm, bobValue); res.status != http.StatusOK {
		t.Errorf("bo's credential stopped working: %d %s", res.status, res.raw)
	}
	if evs := s.MustAuditEvents(t, fx.tenant.ID, "credential.revoke"); len(evs) != 0 {
		t.Errorf("got credential.revoke events %+v, want none", evs)
	}
}
