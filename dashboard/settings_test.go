package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestAPIKeys creates a key (shown once), lists it by its prefix only,
// and revokes it after confirming.
func TestAPIKeys(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	b := newBrowser(t, s)
	b.signIn("/dashboard", "acme", fx.admin.Username)

	p := b.Get("/dashboard/apikeys/new")
	if strings.Contains(p.Body, "platform.tenants") {
		t.Error("a tenant that is not the platform's is offered the platform scopes")
	}
	if !strings.Contains(p.Body, `value="90" checked`) {
		t.Error("the form does not default to 90 days")
	}
	tests := []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"no name", url.Values{"scopes": {"oauth.clients.read"}, "expires": {"90"}}, "name", "The name is required."},
		{"no scope", url.Values{"name": {"CRM"}, "expires": {"90"}}, "scopes", "The key needs at least one scope."},
		{"unknown scope", url.Values{"name": {"CRM"}, "scopes": {"oauth.clients.read", "root"}, "expires": {"90"}}, "scopes", "root is not an API key scope."},
		{"platform scope", url.Values{"name": {"CRM"}, "scopes": {"platform.tenants.write"}, "expires": {"90"}}, "scopes", "is only for keys of the platform's own tenant"},
		{"no expiry", url.Values{"name": {"CRM"}, "scopes": {"oauth.clients.read"}, "expires": {"5"}}, "expires", "Choose when the key expires."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := b.Post("/dashboard/apikeys", tc.form)
			if p.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(p, tc.field), tc.want) {
				t.Errorf("got %d with %q next to %s, want 422 with %q", p.Status, fieldError(p, tc.field), tc.field, tc.want)
			}
			if p.Value(t, "name") != tc.form.Get("name") {
				t.Error("the name is not kept as typed")
			}
		})
	}

	p = b.Post("/dashboard/apikeys", url.Values{"name": {"CRM sync"}, "scopes": {"oauth.clients.read", "users.read"}, "expires": {"30"}})
	key := p.Value(t, "api-key")
	if !strings.HasPrefix(key, gatehouse.PrefixAPIKey) {
		t.Fatalf("got key %q, want a server API key:\n%s", key, p.Body)
	}
	k, err := s.App.Admin.AuthenticateAPIKey(t.Context(), key)
	if err != nil || k.Name != "CRM sync" || !k.ExpiresAt.Equal(s.Clock.Now().Add(30*24*time.Hour)) {
		t.Fatalf("the created key: %+v, %v", k, err)
	}
	list := b.Get("/dashboard/apikeys")
	if strings.Contains(list.Body, key) || !strings.Contains(list.Body, "<code>"+k.Prefix+"…</code>") {
		t.Error("the list shows the key, or not its prefix")
	}
	confirm := b.Submit(list, "/apikeys/"+k.ID+"/revoke", nil)
	if !strings.Contains(confirm.Body, "Revoke key") {
		t.Fatalf("revoke: got no confirmation:\n%s", confirm.Body)
	}
	if _, err := s.App.Admin.AuthenticateAPIKey(t.Context(), key); err != nil {
		t.Fatal("the confirmation page revoked the key already")
	}
	done := b.Submit(confirm, "/apikeys/"+k.ID+"/revoke", nil)
	if !strings.Contains(done.Body, "The API key is revoked.") || !strings.Contains(done.Body, "Revoked") {
		t.Errorf("revoke: got %d:\n%s", done.Status, done.Body)
	}
	if _, err := s.App.Admin.AuthenticateAPIKey(t.Context(), key); err == nil {
		t.Error("the revoked key still authenticates")
	}
	for _, action := range []string{"apikey.create", "apikey.revoke"} {
		if evs := s.MustAuditEvents(t, fx.tenant.ID, action); len(evs) != 1 || evs[0].Actor != "user:"+fx.admin.ID {
			t.Errorf("got %s events %+v, want one by the admin", action, evs)
		}
	}
}

// TestAudit filters and pages through the audit log.
func TestAudit(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	for i := range 60 {
		s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.Name = "App " + string(rune('A'+i%26)) })
	}
	b := newBrowser(t, s)
	b.signIn("/dashboard", "acme", fx.owner.Username)

	p := b.Get("/dashboard/audit?action=client.create")
	if n := strings.Count(p.Body, "<code>client.create</code>"); n != 50 {
		t.Errorf("first page: got %d events, want 50", n)
	}
	if strings.Contains(p.Body, "<code>signin</code>") {
		t.Error("the action filter let another action through")
	}
	next := firstMatch(p.Body, `<a href="([^"]*)">Next page</a>`)
	if next == "" {
		t.Fatal("no next page")
	}
	p = b.Get(next)
	if n := strings.Count(p.Body, "<code>client.create</code>"); n != 10 || strings.Contains(p.Body, "Next page") {
		t.Errorf("second page: got %d events (and a next link: %v), want the last 10", n, strings.Contains(p.Body, "Next page"))
	}

	// The owner's sign-in, by username, which reads as the user.
	p = b.Get("/dashboard/audit?" + url.Values{"actor": {fx.owner.Username}, "action": {"signin"}, "result": {"success"}}.Encode())
	if strings.Count(p.Body, "<code>signin</code>") != 1 || !strings.Contains(p.Body, "user "+fx.owner.Username) {
		t.Errorf("the owner's sign-ins: got\n%s", p.Body)
	}
	today := s.Clock.Now().UTC().Format("2006-01-02")
	tomorrow := s.Clock.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	if p := b.Get("/dashboard/audit?since=" + tomorrow); strings.Contains(p.Body, "<code>") {
		t.Error("events of today pass a filter from tomorrow")
	}
	if p := b.Get("/dashboard/audit?action=signin&until=" + today); !strings.Contains(p.Body, "<code>signin</code>") {
		t.Error("a filter until today leaves out today's events")
	}

	for _, tc := range []struct {
		query string
		field string
		want  string
	}{
		{"since=yesterday", "since", "Give a day such as"},
		{"since=" + tomorrow + "&until=" + today, "until", "Give a day on or after the first."},
		{"result=maybe", "result", "Choose success, failure or any."},
	} {
		p := b.Get("/dashboard/audit?" + tc.query)
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(p, tc.field), tc.want) {
			t.Errorf("%s: got %d with %q, want 422 with %q", tc.query, p.Status, fieldError(p, tc.field), tc.want)
		}
	}
}

// firstMatch returns the first group of pattern in s, HTML-unescaped.
func firstMatch(s, pattern string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestBranding changes the tenant's name and colors: problems by field,
// and the hosted pages use the new look at once.
func TestBranding(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	b := newBrowser(t, s)
	b.signIn("/t/acme/dashboard", "", fx.owner.Username)
	p := b.Get("/t/acme/dashboard/branding")
	bad := b.Submit(p, "/dashboard/branding", url.Values{"name": {""}, "primary_color": {"blue"}, "logo_uri": {"http://cdn.example/logo.png"}})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad branding: got %d, want 422", bad.Status)
	}
	for field, want := range map[string]string{
		"name":          "The name is required.",
		"primary-color": "The color must be a color such as #1a73e8.",
		"logo-uri":      "The logo URL must use https.",
	} {
		if got := fieldError(bad, field); got == "" || !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want %q", field, got, want)
		}
	}
	if bad.Value(t, "primary-color") != "blue" {
		t.Error("the color is not kept as typed")
	}
	ok := b.Submit(p, "/dashboard/branding", url.Values{"name": {"Acme Inc"}, "primary_color": {"#0a7d32"},
		"background_color": {"#fafafa"}, "logo_uri": {"https://cdn.acme.example/logo.png"}})
	if !strings.Contains(ok.Body, "The branding is saved.") || !strings.Contains(ok.Body, "--primary:#0a7d32") {
		t.Fatalf("save branding: got %d:\n%s", ok.Status, ok.Body)
	}
	tn, _ := s.App.Admin.Tenant(t.Context(), fx.tenant.ID)
	if tn.Name != "Acme Inc" || tn.Branding.LogoURI != "https://cdn.acme.example/logo.png" {
		t.Errorf("tenant after saving: %+v", tn)
	}
	// The tenant's sign-in page has the new look at once.
	if q := newBrowser(t, s).Get("/t/acme/account"); !strings.Contains(q.Body, "--primary:#0a7d32") || !strings.Contains(q.Body, "Acme Inc") {
		t.Error("the tenant's hosted pages do not show the new branding")
	}
	if stale := b.Submit(p, "/dashboard/branding", url.Values{"name": {"Old"}}); stale.Status != http.StatusConflict ||
		stale.Value(t, "org-name") != "Acme Inc" {
		t.Errorf("stale branding: got %d, want 409 with the current values", stale.Status)
	}
	if evs := s.MustAuditEvents(t, fx.tenant.ID, "tenant.update"); len(evs) != 1 || evs[0].Actor != "user:"+fx.owner.ID {
		t.Errorf("got tenant.update events %+v, want one by the owner", evs)
	}
}

// TestDomains edits the tenant's custom domains on the branding page:
// problems next to the field, a domain of another tenant refused, and
// removing one only after confirming.
func TestDomains(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	globex := s.MustTenant(t, "globex")
	if _, err := s.App.Admin.UpdateTenantSettings(t.Context(), gatehousetest.Actor(), globex.ID,
		admin.TenantSettingsInput{Name: globex.Name, Domains: []string{"login.globex.example"}}, nil); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	b.signIn("/t/acme/dashboard", "", fx.admin.Username)
	page := b.Get("/t/acme/dashboard/branding")
	const domains = "/dashboard/branding/domains"

	for _, tc := range []struct {
		name   string
		typed  string
		want   string
		status int
	}{
		{"a URL", "login.acme.example\nhttps://id.acme.example/x", "https://id.acme.example/x must be a host name such as login.example.com", 422},
		{"twice", "login.acme.example\nlogin.acme.example", "login.acme.example is listed twice.", 422},
		{"another tenant's", "login.globex.example", "One of these domains is already registered by another organization.", 409},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.Submit(page, domains, url.Values{"domains": {tc.typed}})
			if p.Status != tc.status || !strings.Contains(fieldError(p, "domains"), tc.want) {
				t.Errorf("got %d with %q, want %d with %q", p.Status, fieldError(p, "domains"), tc.status, tc.want)
			}
			if p.Value(t, "domains") != tc.typed {
				t.Errorf("the field holds %q, want it as typed", p.Value(t, "domains"))
			}
		})
	}

	ok := b.Submit(page, domains, url.Values{"domains": {"Login.Acme.Example\nid.acme.example"}})
	if !strings.Contains(ok.Body, "The custom domains are saved.") || ok.Value(t, "domain-issuer-1") != "https://login.acme.example" {
		t.Fatalf("save: got %d:\n%s", ok.Status, ok.Body)
	}
	if tn, _ := s.App.Admin.Tenant(t.Context(), fx.tenant.ID); strings.Join(tn.Domains, " ") != "login.acme.example id.acme.example" {
		t.Errorf("domains after saving: %v", tn.Domains)
	}
	if stale := b.Submit(page, domains, url.Values{"domains": {"login.acme.example\nid.acme.example\nmore.acme.example"}}); stale.Status != http.StatusConflict ||
		!strings.Contains(stale.Body, "Someone changed this") || stale.Value(t, "domains") != "login.acme.example\nid.acme.example" {
		t.Errorf("a stale form: got %d holding %q, want 409 with the current domains", stale.Status, stale.Value(t, "domains"))
	}

	// Removing one asks first, and names it.
	page = b.Get("/t/acme/dashboard/branding")
	confirm := b.Submit(page, domains, url.Values{"domains": {"login.acme.example"}})
	if confirm.Status != http.StatusOK || !strings.Contains(confirm.Body, "Remove domains") || !strings.Contains(confirm.Body, "<dd>id.acme.example</dd>") {
		t.Fatalf("removal: got %d, want a confirmation naming id.acme.example:\n%s", confirm.Status, confirm.Body)
	}
	if tn, _ := s.App.Admin.Tenant(t.Context(), fx.tenant.ID); len(tn.Domains) != 2 {
		t.Fatal("the confirmation page removed the domain already")
	}
	done := b.Submit(confirm, domains, nil)
	if !strings.Contains(done.Body, "The custom domains are saved.") {
		t.Fatalf("confirmed removal: got %d", done.Status)
	}
	if tn, _ := s.App.Admin.Tenant(t.Context(), fx.tenant.ID); strings.Join(tn.Domains, " ") != "login.acme.example" {
		t.Errorf("domains after removing: %v", tn.Domains)
	}
	if evs := s.MustAuditEvents(t, fx.tenant.ID, "tenant.update"); len(evs) != 2 || evs[1].Actor != "user:"+fx.admin.ID {
		t.Errorf("got tenant.update events %+v, want two by the admin", evs)
	}
}
