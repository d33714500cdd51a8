package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestCreateClient registers an app through the form: every problem is
// named next to its field with the form filled as typed, the secret is
// shown once and never again, the app's page has the setup fields, and
// the audit log names the admin.
func TestCreateClient(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	b := newBrowser(t, s)
	b.Header.Set("User-Agent", "dashboard-test/1.0")
	b.signIn("/t/acme/dashboard", "", fx.admin.Username)

	p := b.Get("/t/acme/dashboard/clients/new")
	if p.Status != http.StatusOK {
		t.Fatalf("new client form: got %d", p.Status)
	}
	for _, want := range []string{
		`<input id="scope-openid" name="scopes" type="checkbox" value="openid" checked`,
		`<input id="scope-oauth-clients" type="checkbox" value="oauth.clients.*" disabled`,
		`<span class="badge">Planned</span>`,
		`<option value="RS256" selected>`,
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the form lacks %s", want)
		}
	}

	valid := url.Values{
		"name":          {"Acme Blog"},
		"type":          {"confidential"},
		"redirect_uris": {"https://blog.acme.example/wp-admin/admin-ajax.php?action=openid-connect-authorize\n"},
		"scopes":        {"openid", "profile", "email"},
		"id_token_alg":  {"RS256"},
	}
	with := func(k string, v ...string) url.Values {
		out := url.Values{}
		for key, vs := range valid {
			out[key] = vs
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		form   url.Values
		field  string
		want   string
		status int
	}{
		{"no name", with("name", ""), "name", "The name is required.", 422},
		{"long name", with("name", strings.Repeat("n", 101)), "name", "The name must be at most 100 characters.", 422},
		{"plain http redirect", with("redirect_uris", "https://ok.example/cb\nhttp://blog.acme.example/cb"), "redirect-uris",
			"http://blog.acme.example/cb must use https (http is allowed only for loopback hosts).", 422},
		{"fragment", with("redirect_uris", "https://blog.acme.example/cb#x"), "redirect-uris",
			"https://blog.acme.example/cb#x must not contain a fragment.", 422},
		{"no redirect URI", with("redirect_uris", ""), "redirect-uris",
			"This list needs at least one redirect URI for the authorization_code grant.", 422},
		{"origin with a path", with("allowed_origins", "https://app.acme.example/x"), "allowed-origins",
			"https://app.acme.example/x must be an origin only (scheme, host and port; no path).", 422},
		{"no scope", with("scopes"), "scopes", "Choose at least one scope", 422},
		{"planned scope", with("scopes", "openid", "contacts.read"), "scopes", `Scope "contacts.read" is planned and not yet available.`, 422},
		{"unknown algorithm", with("id_token_alg", "HS256"), "id-token-alg", "The algorithm must be RS256, ES256 or EdDSA.", 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := b.Post("/t/acme/dashboard/clients", tc.form)
			if p.Status != tc.status {
				t.Errorf("got status %d, want %d", p.Status, tc.status)
			}
			if got := fieldError(p, tc.field); !strings.Contains(got, tc.want) {
				t.Errorf("got problems %q next to %s, want %q", got, tc.field, tc.want)
			}
			if !strings.Contains(p.Body, `id="form-error"`) {
				t.Error("no summary above the form")
			}
			// The form comes back as typed.
			if got := p.Value(t, "name"); got != tc.form.Get("name") {
				t.Errorf("name field holds %q, want %q as typed", got, tc.form.Get("name"))
			}
			if ta := escape(tc.form.Get("redirect_uris")); !strings.Contains(p.Body, ta) {
				t.Errorf("the redirect URIs are not kept as typed (%q)", tc.form.Get("redirect_uris"))
			}
		})
	}
	clients, _, _ := s.App.Admin.ListClients(t.Context(), fx.tenant.ID, gatehouse.ListOptions{})
	if len(clients) != 0 {
		t.Fatalf("invalid forms registered %d clients", len(clients))
	}

	p = b.Post("/t/acme/dashboard/clients", valid)
	if p.Status != http.StatusOK {
		t.Fatalf("register: got %d:\n%s", p.Status, p.Body)
	}
	clientID, secret := p.Value(t, "client-id"), p.Value(t, "client-secret")
	if !strings.HasPrefix(clientID, gatehouse.PrefixClientID) || !strings.HasPrefix(secret, gatehouse.PrefixClientSecret) {
		t.Fatalf("got client ID %q and secret %q, want generated values", clientID, secret)
	}
	if got := p.Value(t, "setup-issuer"); got != s.URL+"/t/acme" {
		t.Errorf("issuer on the created page: got %q, want the tenant issuer", got)
	}
	c, err := s.App.Admin.Client(t.Context(), fx.tenant.ID, clientID)
	if err != nil {
		t.Fatalf("the registered client: %v", err)
	}
	if c.Name != "Acme Blog" || c.RedirectURIs[0] != valid.Get("redirect_uris")[:len(valid.Get("redirect_uris"))-1] ||
		gatehouse.JoinScope(c.Scopes) != "email openid profile" || c.FirstParty {
		t.Errorf("registered %+v, want the form's values", c)
	}

	// The app's page: setup fields, never the secret.
	page := b.Get("/t/acme/dashboard/clients/" + c.ID)
	if strings.Contains(page.Body, secret) {
		t.Fatal("the app's page shows the secret again")
	}
	iss := s.URL + "/t/acme"
	for id, want := range map[string]string{
		"setup-client-id": clientID,
		"setup-issuer":    iss,
		"setup-discovery": iss + "/.well-known/openid-configuration",
		"setup-authorize": iss + "/oauth/authorize",
		"setup-token":     iss + "/oauth/token",
		"setup-userinfo":  iss + "/oauth/userinfo",
		"setup-jwks":      iss + "/oauth/jwks.json",
		"setup-logout":    iss + "/oauth/logout",
		"setup-scopes":    "openid profile email",
	} {
		if got := page.Value(t, id); got != want {
			t.Errorf("setup field %s: got %q, want %q", id, got, want)
		}
	}
	if !strings.Contains(page.Body, "Secret ending in <code>"+c.Credentials[0].SecretHint+"</code>") {
		t.Error("the app's page does not show the secret's hint")
	}
	// Every copy button is bound to its field and hidden until the script
	// shows it.
	if n := strings.Count(page.Body, `data-copy="setup-`); n != 9 || strings.Count(page.Body, "hidden>Copy") != n {
		t.Errorf("got %d copy buttons, want 9, each hidden without script", n)
	}
	// The same values on the platform issuer's dashboard page.
	if got := b.Get("/dashboard/clients/" + c.ID); got.Status != http.StatusOK || got.Value(t, "setup-issuer") != iss {
		t.Errorf("the platform's page of the app: got %d, want the tenant issuer in the setup fields", got.Status)
	}

	evs := s.MustAuditEvents(t, fx.tenant.ID, "client.create")
	if len(evs) != 1 || evs[0].Actor != "user:"+fx.admin.ID || evs[0].IP != "127.0.0.1" ||
		evs[0].UserAgent != "dashboard-test/1.0" || evs[0].Details["client_id"] != clientID {
		t.Errorf("got client.create events %+v, want one naming the admin, the address and the browser", evs)
	}
	for _, e := range evs {
		for k, v := range e.Details {
			if strings.Contains(v, secret) {
				t.Errorf("audit detail %s holds the secret", k)
			}
		}
	}
}

// escape escapes s as the templates do in a text area.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestClientPages edits, rotates and deletes an app: each destructive
// action shows a confirmation page first, and the audit log names the
// admin for every change.
func TestClientPages(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	app := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) {
		c.Name = "Acme CRM"
		c.RedirectURIs = []string{"https://crm.acme.example/cb"}
		c.Scopes = []string{"openid", "email"}
	})
	b := newBrowser(t, s)
	b.signIn("/dashboard", "acme", fx.owner.Username)
	self := "/dashboard/clients/" + app.ID
	actor := "user:" + fx.owner.ID

	t.Run("edit", func(t *testing.T) {
		p := b.Get(self + "/edit")
		if p.Value(t, "name") != "Acme CRM" || !strings.Contains(p.Body, ">https://crm.acme.example/cb</textarea>") {
			t.Fatalf("edit form is not filled with the app's values:\n%s", p.Body)
		}
		if strings.Contains(p.Body, `name="type"`) {
			t.Error("the edit form lets the type change")
		}
		bad := b.Submit(p, self, url.Values{"name": {"Acme CRM 2"}, "redirect_uris": {"ftp://x"}, "scopes": {"openid"},
			"id_token_alg": {"ES256"}})
		if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(bad, "redirect-uris"), "ftp://x must use https") {
			t.Errorf("bad edit: got %d, problems %q", bad.Status, fieldError(bad, "redirect-uris"))
		}
		ok := b.Submit(p, self, url.Values{"name": {"Acme CRM 2"}, "redirect_uris": {"https://crm.acme.example/cb\nhttps://crm.acme.example/cb2"},
			"scopes": {"openid", "profile"}, "id_token_alg": {"ES256"}, "first_party": {"yes"}})
		if ok.URL.Path != self || !strings.Contains(ok.Body, "The app&#39;s settings are saved.") {
			t.Fatalf("edit: got %d at %s, want the app's page with a notice", ok.Status, ok.URL)
		}
		c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID)
		if c.Name != "Acme CRM 2" || len(c.RedirectURIs) != 2 || c.IDTokenAlg != "ES256" || !c.FirstParty || c.HasScope("email") {
			t.Errorf("after the edit: %+v", c)
		}
		// The form of before is stale now: its revision no longer matches.
		stale := b.Submit(p, self, url.Values{"name": {"Overwrite"}, "redirect_uris": {"https://crm.acme.example/cb"},
			"scopes": {"openid"}, "id_token_alg": {"RS256"}})
		if stale.Status != http.StatusConflict || !strings.Contains(stale.Body, "Someone changed this since you opened the page") {
			t.Errorf("stale edit: got %d, want 409 with an explanation", stale.Status)
		}
		if stale.Value(t, "name") != "Acme CRM 2" {
			t.Errorf("stale edit: the form holds %q, want the current name", stale.Value(t, "name"))
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "client.update"); len(evs) != 1 || evs[0].Actor != actor {
			t.Errorf("got client.update events %+v, want one by the owner", evs)
		}
	})

	t.Run("rotate", func(t *testing.T) {
		p := b.Get(self)
		confirm := b.Submit(p, self+"/rotate", nil)
		if confirm.Status != http.StatusOK || !strings.Contains(confirm.Body, `name="grace" type="radio" value="86400" checked`) {
			t.Fatalf("rotate: got %d, want a confirmation page with the grace choice:\n%s", confirm.Status, confirm.Body)
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); len(c.Credentials) != 1 {
			t.Fatal("the confirmation page rotated already")
		}
		done := b.Submit(confirm, self+"/rotate", url.Values{"grace": {"3600"}})
		newID, newSecret := done.Value(t, "client-id"), done.Value(t, "client-secret")
		if newID == app.ClientID || !strings.HasPrefix(newSecret, gatehouse.PrefixClientSecret) {
			t.Fatalf("rotate: got %q and a secret %q, want a new credential", newID, newSecret)
		}
		c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID)
		old, _ := c.Credential(app.ClientID)
		if want := s.Clock.Now().Add(time.Hour); len(c.Credentials) != 2 || !old.ExpiresAt.Equal(want) {
			t.Errorf("after rotating with an hour's grace: %d credentials, old expires %v, want 2 and %v", len(c.Credentials), old.ExpiresAt, want)
		}
		page := b.Get(self)
		if strings.Contains(page.Body, newSecret) || page.Value(t, "setup-client-id") != newID {
			t.Error("the app's page shows the new secret, or not the new client ID")
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "client.secret.rotate"); len(evs) != 1 || evs[0].Actor != actor {
			t.Errorf("got rotate events %+v, want one by the owner", evs)
		}

		// Delete the old credential, after confirming.
		var oldID string
		for _, cr := range c.Credentials {
			if cr.ClientID == app.ClientID {
				oldID = cr.ID
			}
		}
		suffix := "/credentials/" + oldID + "/delete"
		confirm = b.Submit(page, suffix, nil)
		if !strings.Contains(confirm.Body, "Delete credential") {
			t.Fatalf("credential delete: got no confirmation:\n%s", confirm.Body)
		}
		gone := b.Submit(confirm, suffix, nil)
		if !strings.Contains(gone.Body, "The credential is deleted.") {
			t.Errorf("credential delete: got %d at %s", gone.Status, gone.URL)
		}
		if strings.Contains(gone.Body, "/delete\"><button type=\"submit\" class=\"danger small\"") {
			t.Error("the last credential can still be deleted")
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); len(c.Credentials) != 1 || c.Credentials[0].ClientID != newID {
			t.Errorf("after deleting the old credential: %+v", c.Credentials)
		}
	})

	t.Run("delete", func(t *testing.T) {
		p := b.Get(self)
		confirm := b.Submit(p, self+"/delete", nil)
		if !strings.Contains(confirm.Body, "This cannot be undone.") || confirm.Form(t, self+"/delete").Fields.Get("confirm") != "yes" {
			t.Fatalf("delete: got no confirmation page:\n%s", confirm.Body)
		}
		if _, err := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); err != nil {
			t.Fatal("the confirmation page deleted the app already")
		}
		gone := b.Submit(confirm, self+"/delete", nil)
		if gone.URL.Path != "/dashboard/clients" || !strings.Contains(gone.Body, "The app is deleted.") {
			t.Errorf("delete: got %d at %s, want the list with a notice", gone.Status, gone.URL)
		}
		if _, err := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
			t.Errorf("after deleting: got %v, want not found", err)
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "client.delete"); len(evs) != 1 || evs[0].Actor != actor {
			t.Errorf("got client.delete events %+v, want one by the owner", evs)
		}
		if p := b.Get(self); p.Status != http.StatusNotFound {
			t.Errorf("the deleted app's page: got %d, want 404", p.Status)
		}
	})
}

// TestCrossSitePost checks that a form posted from another site is
// refused, whatever the session.
func TestCrossSitePost(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	app := s.MustClient(t, fx.tenant.ID, nil)
	b := newBrowser(t, s)
	b.signIn("/t/acme/dashboard", "", fx.owner.Username)
	tests := []struct {
		name   string
		path   string
		form   url.Values
		header map[string]string
	}{
		{"create client", "/t/acme/dashboard/clients", url.Values{"name": {"Evil"}, "redirect_uris": {"https://evil.example/cb"}, "scopes": {"openid"}},
			map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}},
		{"delete client", "/t/acme/dashboard/clients/" + app.ID + "/delete", url.Values{"confirm": {"yes"}},
			map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"grant a role", "/t/acme/dashboard/users/" + fx.agent.ID + "/roles", url.Values{"roles": {"admin"}},
			map[string]string{"Origin": "https://evil.example"}},
		{"add a credential", "/t/acme/dashboard/clients/" + app.ID + "/credentials", url.Values{"expires": {"never"}},
			map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"stop a credential", "/t/acme/dashboard/clients/" + app.ID + "/credentials/" + app.Credentials[0].ID + "/expiry",
			url.Values{"expires": {"now"}, "confirm": {"yes"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"keep a credential", "/t/acme/dashboard/clients/" + app.ID + "/credentials/" + app.Credentials[0].ID + "/keep",
			url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"remove a logo", "/t/acme/dashboard/clients/" + app.ID + "/logos/logo/delete", url.Values{"confirm": {"yes"}},
			map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"change an email", "/t/acme/dashboard/users/" + fx.agent.ID, url.Values{"email": {"evil@evil.example"}},
			map[string]string{"Origin": "https://evil.example"}},
		{"add a custom domain", "/t/acme/dashboard/branding/domains", url.Values{"domains": {"login.evil.example"}},
			map[string]string{"Sec-Fetch-Site": "cross-site"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, s.URL+tc.path, strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if p := b.Do(req); p.Status != http.StatusForbidden {
				t.Errorf("got %d, want 403", p.Status)
			}
		})
	}
	if clients, _, _ := s.App.Admin.ListClients(t.Context(), fx.tenant.ID, gatehouse.ListOptions{}); len(clients) != 1 {
		t.Errorf("got %d clients after cross-site posts, want the one there was", len(clients))
	}
	if u, _ := s.App.Admin.User(t.Context(), fx.tenant.ID, fx.agent.ID); u.HasRole("admin") || u.Email != fx.agent.Email {
		t.Error("a cross-site post granted a role or changed the email")
	}
	if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); len(c.Credentials) != 1 || !c.Credentials[0].ExpiresAt.IsZero() {
		t.Errorf("cross-site posts changed the credentials: %+v", c.Credentials)
	}
	if tn, _ := s.App.Admin.Tenant(t.Context(), fx.tenant.ID); len(tn.Domains) != 0 {
		t.Errorf("a cross-site post added a domain: %v", tn.Domains)
	}
}

// TestDashboardHeaders checks the pages' security headers: the page CSP
// with a script nonce that the page's one script carries.
func TestDashboardHeaders(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	b := newBrowser(t, s)
	p := b.signIn("/dashboard", "acme", fx.admin.Username)
	csp := p.Header.Get("Content-Security-Policy")
	m := regexp.MustCompile(`^default-src 'none'; style-src 'self' 'nonce-([A-Za-z0-9_-]+)'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'; script-src 'nonce-([A-Za-z0-9_-]+)'$`).FindStringSubmatch(csp)
	if m == nil || m[1] != m[2] {
		t.Fatalf("got CSP %q, want the page policy with the script nonce", csp)
	}
	sm := regexp.MustCompile(`<script src="(/static/dashboard\.[0-9a-f]+\.js)" nonce="` + m[1] + `" defer></script>`).FindStringSubmatch(p.Body)
	if sm == nil || strings.Count(p.Body, "<script") != 1 {
		t.Fatalf("the page does not load exactly its one script with the nonce:\n%s", p.Body)
	}
	if js := b.Get(sm[1]); js.Status != http.StatusOK || !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("the script: got %d %s", js.Status, js.Header.Get("Content-Type"))
	}
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if got := p.Header.Get(k); got != want {
			t.Errorf("got %s %q, want %q", k, got, want)
		}
	}
	// The sign-in pages run no script at all.
	if q := newBrowser(t, s).Get("/dashboard"); strings.Contains(q.Header.Get("Content-Security-Policy"), "script-src") {
		t.Errorf("the sign-in page allows scripts: %q", q.Header.Get("Content-Security-Policy"))
	}
}
