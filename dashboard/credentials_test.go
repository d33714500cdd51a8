package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestCredentials adds a credential (its secret shown once), and sets,
// clears and brings forward to now when one stops working, the last only
// after confirming; every problem is named next to its field.
func TestCredentials(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	app := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.Name = "Acme CRM" })
	b := newBrowser(t, s)
	b.signIn("/t/acme/dashboard", "", fx.admin.Username)
	self := "/t/acme/dashboard/clients/" + app.ID
	actor := "user:" + fx.admin.ID
	now := s.Clock.Now().UTC()
	later := now.Add(48 * time.Hour).Truncate(time.Minute)
	layout := "2006-01-02T15:04"

	page := b.get(self)
	if !strings.Contains(page.body, `href="`+self+`/credentials/new"`) {
		t.Fatalf("the app's page has no way to add a credential:\n%s", page.body)
	}
	p := b.get(self + "/credentials/new")
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="never" checked`) || !strings.Contains(p.body, `type="datetime-local"`) {
		t.Fatalf("the new credential form: got %d, want never chosen and a time field:\n%s", p.status, p.body)
	}

	t.Run("form problems", func(t *testing.T) {
		tests := []struct {
			name  string
			form  url.Values
			field string
			want  string
		}{
			{"no time", url.Values{"name": {"ci"}, "expires": {"at"}}, "expires", "Give the time it stops working"},
			{"not a time", url.Values{"name": {"ci"}, "expires": {"at"}, "expires_at": {"next week"}}, "expires", "Give a time such as 2026-11-05T09:30, in UTC."},
			{"in the past", url.Values{"name": {"ci"}, "expires": {"at"}, "expires_at": {now.Add(-time.Hour).Format(layout)}}, "expires", "Choose a time in the future"},
			{"no choice", url.Values{"name": {"ci"}, "expires": {"now"}}, "expires", "Choose when it expires."},
			{"long name", url.Values{"name": {strings.Repeat("n", 101)}, "expires": {"never"}}, "name", "The name must be at most 100 characters."},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				p := b.post(self+"/credentials", tc.form)
				if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.fieldError(tc.field), tc.want) {
					t.Errorf("got %d with %q next to %s, want 422 with %q", p.status, p.fieldError(tc.field), tc.field, tc.want)
				}
				if got := p.value(t, "name"); got != tc.form.Get("name") {
					t.Errorf("the name holds %q, want it as typed", got)
				}
			})
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); len(c.Credentials) != 1 {
			t.Errorf("refused forms added credentials: %d", len(c.Credentials))
		}
	})

	var added *gatehouse.ClientCredential
	t.Run("add", func(t *testing.T) {
		p := b.post(self+"/credentials", url.Values{"name": {"staging"}, "expires": {"at"}, "expires_at": {later.Format(layout)}})
		clientID, secret := p.value(t, "client-id"), p.value(t, "client-secret")
		if !strings.HasPrefix(clientID, gatehouse.PrefixClientID) || !strings.HasPrefix(secret, gatehouse.PrefixClientSecret) {
			t.Fatalf("got client ID %q and secret %q, want a new credential:\n%s", clientID, secret, p.body)
		}
		c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID)
		added, _ = c.Credential(clientID)
		if len(c.Credentials) != 2 || added == nil || added.Name != "staging" || !added.ExpiresAt.Equal(later) {
			t.Fatalf("after adding: %+v, want a second credential named staging expiring at %v", c.Credentials, later)
		}
		if old, _ := c.Credential(app.ClientID); old == nil || !old.ExpiresAt.IsZero() {
			t.Errorf("the first credential changed: %+v", old)
		}
		if page := b.get(self); strings.Contains(page.body, secret) || !strings.Contains(page.body, clientID) {
			t.Error("the app's page shows the new secret, or not the new client ID")
		}
		if evs := auditEvents(t, s, fx.tenant.ID, "client.credential.add"); len(evs) != 1 || evs[0].Actor != actor {
			t.Errorf("got client.credential.add events %+v, want one by the admin", evs)
		}
	})
	if added == nil {
		t.FailNow()
	}
	expiry := self + "/credentials/" + added.ID + "/expiry"

	t.Run("change the expiry", func(t *testing.T) {
		p := b.get(expiry)
		if p.value(t, "expires-time") != later.Format(layout) || !strings.Contains(p.body, `value="at" checked`) {
			t.Fatalf("the expiry form is not filled with the expiry:\n%s", p.body)
		}
		if bad := b.submit(p, "/expiry", url.Values{"expires": {"at"}, "expires_at": {"2020-01-01T00:00"}}); bad.status != http.StatusUnprocessableEntity ||
			!strings.Contains(bad.fieldError("expires"), "Choose a time in the future") {
			t.Errorf("a past time: got %d with %q", bad.status, bad.fieldError("expires"))
		}
		cleared := b.submit(p, "/expiry", url.Values{"expires": {"never"}})
		if !strings.Contains(cleared.body, "The credential&#39;s expiry is saved.") {
			t.Fatalf("clear: got %d at %s", cleared.status, cleared.url)
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); !mustCredential(t, c, added.ID).ExpiresAt.IsZero() {
			t.Error("the expiry was not cleared")
		}
		sooner := now.Add(2 * time.Hour).Truncate(time.Minute)
		b.submit(p, "/expiry", url.Values{"expires": {"at"}, "expires_at": {sooner.Format(layout)}})
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); !mustCredential(t, c, added.ID).ExpiresAt.Equal(sooner) {
			t.Errorf("the expiry is not %v", sooner)
		}
		for action, n := range map[string]int{"client.credential.expiry.clear": 1, "client.credential.expire": 1} {
			if evs := auditEvents(t, s, fx.tenant.ID, action); len(evs) != n || evs[0].Actor != actor {
				t.Errorf("got %s events %+v, want %d by the admin", action, evs, n)
			}
		}
	})

	t.Run("stop now, after confirming", func(t *testing.T) {
		p := b.get(expiry)
		confirm := b.submit(p, "/expiry", url.Values{"expires": {"now"}})
		if confirm.status != http.StatusOK || !strings.Contains(confirm.body, "Stop credential") {
			t.Fatalf("now: got %d, want a confirmation page:\n%s", confirm.status, confirm.body)
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); mustCredential(t, c, added.ID).Expired(s.Clock.Now()) {
			t.Fatal("the confirmation page stopped the credential already")
		}
		done := b.submit(confirm, "/expiry", nil)
		if !strings.Contains(done.body, "The credential has stopped working.") || !strings.Contains(done.body, `<span class="badge warn">Expired</span>`) {
			t.Errorf("stop: got %d at %s:\n%s", done.status, done.url, done.body)
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); !mustCredential(t, c, added.ID).Expired(s.Clock.Now()) {
			t.Error("the credential still works")
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, path := range []string{self + "/credentials/nope/expiry", "/t/acme/dashboard/clients/nope/credentials/new"} {
			if p := b.get(path); p.status != http.StatusNotFound {
				t.Errorf("GET %s: got %d, want 404", path, p.status)
			}
		}
	})

	t.Run("a public app's credential has no secret", func(t *testing.T) {
		pub := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.Type = gatehouse.ClientPublic; c.Name = "Phone" })
		p := b.post("/t/acme/dashboard/clients/"+pub.ID+"/credentials", url.Values{"expires": {"never"}})
		if id := p.value(t, "client-id"); !strings.HasPrefix(id, gatehouse.PrefixClientID) || strings.Contains(p.body, `id="client-secret"`) {
			t.Errorf("public app: got client ID %q and a secret field: %v", id, strings.Contains(p.body, `id="client-secret"`))
		}
	})
}

func mustCredential(t *testing.T, c *gatehouse.Client, id string) *gatehouse.ClientCredential {
	t.Helper()
	for i := range c.Credentials {
		if c.Credentials[i].ID == id {
			return &c.Credentials[i]
		}
	}
	t.Fatalf("no credential %s in %+v", id, c.Credentials)
	return nil
}
