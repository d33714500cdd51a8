package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestAccess checks who may use the dashboard: a signed-out browser is
// sent to sign in and comes back to the page it asked for; an agent gets
// a clear 403; an admin of another tenant sees nothing of this one.
func TestAccess(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := newFixture(t, s, "acme")
	globex := newFixture(t, s, "globex")
	secret := s.MustClient(t, acme.tenant.ID, func(c *gatehouse.Client) { c.Name = "Acme Secret App" })

	t.Run("signed out on the platform issuer", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, s)
		p := b.Get("/dashboard/users?cursor=")
		if p.URL.Path != "/dashboard/signin" || p.URL.Query().Get("return") != "/dashboard/users?cursor=" {
			t.Errorf("got %s, want the sign-in page returning to /dashboard/users?cursor=", p.URL)
		}
		if !strings.Contains(p.Body, `name="organization" type="text"`) {
			t.Fatalf("got no organization question on the platform issuer:\n%s", p.Body)
		}
		p = b.Submit(p, "/dashboard/signin", url.Values{"organization": {"nope"}})
		if !strings.Contains(p.Body, "There is no active organization with that name.") {
			t.Errorf("unknown organization: got no error:\n%s", p.Body)
		}
		p = b.Submit(p, "/dashboard/signin", url.Values{"organization": {"acme"}})
		if f := p.Form(t, "/dashboard/signin"); f.Fields.Get("organization") != "acme" || f.Fields.Get("return") != "/dashboard/users?cursor=" {
			t.Fatalf("got sign-in form fields %v, want the organization and the return path", f.Fields)
		}
		q := b.Submit(p, "/dashboard/signin", url.Values{"username": {acme.admin.Username}, "password": {"wrong password"}})
		if !strings.Contains(q.Body, "The username or password is incorrect.") {
			t.Errorf("wrong password: got %d, want the generic error:\n%s", q.Status, q.Body)
		}
		p = b.Submit(q, "/dashboard/signin", url.Values{"username": {acme.admin.Username}, "password": {password}})
		if p.Status != http.StatusOK || p.URL.Path != "/dashboard/users" {
			t.Fatalf("after signing in: got %d at %s, want the users page", p.Status, p.URL)
		}
		for _, want := range []string{"Tenant acme", acme.owner.Username, `aria-current="page">Users`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("users page lacks %q", want)
			}
		}
		if strings.Contains(p.Body, globex.owner.Username) {
			t.Error("the users page of acme lists a user of globex")
		}
	})

	t.Run("signed out on the tenant issuer", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, s)
		p := b.signIn("/t/acme/dashboard", "", acme.owner.Username)
		if p.Status != http.StatusOK || p.URL.Path != "/t/acme/dashboard/clients" {
			t.Fatalf("got %d at %s, want the tenant's apps page", p.Status, p.URL)
		}
		if !strings.Contains(p.Body, `href="/t/acme/dashboard/clients/`+secret.ID+`"`) {
			t.Errorf("the apps page does not link the app under the tenant issuer:\n%s", p.Body)
		}
	})

	t.Run("an agent is refused", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, s)
		p := b.signIn("/t/acme/dashboard/clients", "", acme.agent.Username)
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "is for its owners and admins") {
			t.Errorf("agent: got %d, want 403 with an explanation:\n%s", p.Status, p.Body)
		}
		if strings.Contains(p.Body, secret.Name) || strings.Contains(p.Body, `class="dash-nav"`) {
			t.Error("the agent's 403 page shows the dashboard")
		}
		if q := b.Post("/t/acme/dashboard/clients", url.Values{"name": {"x"}}); q.Status != http.StatusForbidden {
			t.Errorf("agent posting a client: got %d, want 403", q.Status)
		}
	})

	t.Run("another tenant's admin", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, s)
		p := b.signIn("/dashboard", "globex", globex.admin.Username)
		if p.URL.Path != "/dashboard/clients" || strings.Contains(p.Body, secret.Name) {
			t.Fatalf("globex's admin: got %s, want globex's own apps only", p.URL)
		}
		for _, path := range []string{"/dashboard/clients/" + secret.ID, "/dashboard/clients/" + secret.ID + "/edit"} {
			if q := b.Get(path); q.Status != http.StatusNotFound || strings.Contains(q.Body, secret.ClientID) {
				t.Errorf("GET %s of another tenant's app: got %d, want 404 without its data", path, q.Status)
			}
		}
		if q := b.Post("/dashboard/clients/"+secret.ID+"/delete", url.Values{"confirm": {"yes"}}); q.Status != http.StatusNotFound {
			t.Errorf("deleting another tenant's app: got %d, want 404", q.Status)
		}
		if _, err := s.App.Admin.Client(t.Context(), acme.tenant.ID, secret.ID); err != nil {
			t.Errorf("acme's app after globex's admin tried to delete it: %v", err)
		}
		// On acme's own issuer, globex's session counts for nothing: the
		// sign-in form of acme is shown.
		q := b.Get("/t/acme/dashboard/clients")
		if q.URL.Path != "/t/acme/dashboard/signin" || strings.Contains(q.Body, secret.Name) {
			t.Errorf("globex's admin on acme's issuer: got %s, want acme's sign-in", q.URL)
		}
	})

	t.Run("return only to the dashboard", func(t *testing.T) {
		t.Parallel()
		for _, ret := range []string{"https://evil.example/x", "//evil.example/x", "/account", "/dashboard/../account", "/dashboardx", `/dashboard\evil`} {
			b := newBrowser(t, s)
			p := b.Get("/t/acme/dashboard/signin?" + url.Values{"return": {ret}}.Encode())
			if got := p.Form(t, "/dashboard/signin").Fields.Get("return"); got != "/t/acme/dashboard" {
				t.Errorf("return %q: the form carries %q, want /t/acme/dashboard", ret, got)
			}
		}
	})
}

// TestBadAddresses checks that what a link carries cannot make a page
// fail: a malformed id, cursor or page is a 4xx page, never a 500.
func TestBadAddresses(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	b := newBrowser(t, s)
	b.signIn("/t/acme/dashboard", "", fx.admin.Username)
	tests := []struct {
		path string
		want int
	}{
		{"/t/acme/dashboard/clients?cursor=x", http.StatusBadRequest},
		{"/t/acme/dashboard/users?cursor=-1", http.StatusBadRequest},
		{"/t/acme/dashboard/apikeys?cursor=" + strings.Repeat("9", 300), http.StatusOK},
		{"/t/acme/dashboard/audit?after=x", http.StatusBadRequest},
		{"/t/acme/dashboard/clients/not-a-uuid", http.StatusNotFound},
		{"/t/acme/dashboard/users/00000000-0000-0000-0000-000000000000", http.StatusNotFound},
		{"/t/acme/dashboard/nothing", http.StatusNotFound},
	}
	for _, tc := range tests {
		if p := b.Get(tc.path); p.Status != tc.want {
			t.Errorf("GET %s: got %d, want %d", tc.path, p.Status, tc.want)
		}
	}
	if strings.Contains(s.Log.String(), `"level":"ERROR"`) {
		t.Errorf("bad addresses were logged as errors:\n%s", s.Log.String())
	}
}

// TestBadInput checks answers the fuzz targets found wrong: what no form
// of ours sends is refused with a 4xx page before it reaches an
// operation, and a path or method no page takes gets a page, on the
// issuer it was asked on.
func TestBadInput(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	b := newBrowser(t, s)
	b.signIn("/t/acme/dashboard", "", fx.admin.Username)
	client := url.Values{"name": {"Blog"}, "type": {"confidential"}, "scopes": {"openid"},
		"redirect_uris": {"https://bl\x88g.example/cb"}}
	tests := []struct {
		name, method, path string
		form               url.Values
		want               int
		allow              string
	}{
		{"a redirect URI that is not UTF-8", http.MethodPost, "/t/acme/dashboard/clients", client, http.StatusBadRequest, ""},
		{"a name with NUL", http.MethodPost, "/t/acme/dashboard/users", url.Values{"username": {"a\x00b"}}, http.StatusBadRequest, ""},
		{"an actor filter with NUL", http.MethodGet, "/t/acme/dashboard/audit?actor=%00", nil, http.StatusUnprocessableEntity, ""},
		{"a lone %2F for an id", http.MethodGet, "/t/acme/dashboard/clients/%2F", nil, http.StatusNotFound, ""},
		{"a post of a lone %2F for an id", http.MethodPost, "/t/acme/dashboard/users/%2F/roles", url.Values{"roles": {"admin"}}, http.StatusNotFound, ""},
		{"an unknown page", http.MethodGet, "/t/acme/dashboard/nothing", nil, http.StatusNotFound, ""},
		{"a post to the root", http.MethodPost, "/t/acme/dashboard", url.Values{}, http.StatusMethodNotAllowed, "GET, HEAD"},
		{"another method", http.MethodPut, "/t/acme/dashboard/clients", nil, http.StatusMethodNotAllowed, "GET, HEAD, POST"},
	}
	for _, tc := range tests {
		req, err := http.NewRequest(tc.method, tc.path, strings.NewReader(tc.form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		p := b.Do(req)
		if p.Status != tc.want || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: got %d of type %q at %s, want a %d page", tc.name, p.Status, p.Header.Get("Content-Type"), p.URL.Path, tc.want)
		}
		if got := p.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s: got Allow %q, want %q", tc.name, got, tc.allow)
		}
	}
	if clients, _, err := s.App.Admin.ListClients(t.Context(), fx.tenant.ID, gatehouse.ListOptions{Limit: 10}); err != nil || len(clients) != 0 {
		t.Errorf("got clients %v (%v), want none", clients, err)
	}
}
