package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
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

	page := b.Get(self)
	if !strings.Contains(page.Body, `href="`+self+`/credentials/new"`) {
		t.Fatalf("the app's page has no way to add a credential:\n%s", page.Body)
	}
	p := b.Get(self + "/credentials/new")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `value="never" checked`) || !strings.Contains(p.Body, `type="datetime-local"`) {
		t.Fatalf("the new credential form: got %d, want never chosen and a time field:\n%s", p.Status, p.Body)
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
				p := b.Post(self+"/credentials", tc.form)
				if p.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(p, tc.field), tc.want) {
					t.Errorf("got %d with %q next to %s, want 422 with %q", p.Status, fieldError(p, tc.field), tc.field, tc.want)
				}
				if got := p.Value(t, "name"); got != tc.form.Get("name") {
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
		p := b.Post(self+"/credentials", url.Values{"name": {"staging"}, "expires": {"at"}, "expires_at": {later.Format(layout)}})
		clientID, secret := p.Value(t, "client-id"), p.Value(t, "client-secret")
		if !strings.HasPrefix(clientID, gatehouse.PrefixClientID) || !strings.HasPrefix(secret, gatehouse.PrefixClientSecret) {
			t.Fatalf("got client ID %q and secret %q, want a new credential:\n%s", clientID, secret, p.Body)
		}
		c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID)
		added, _ = c.Credential(clientID)
		if len(c.Credentials) != 2 || added == nil || added.Name != "staging" || !added.ExpiresAt.Equal(later) {
			t.Fatalf("after adding: %+v, want a second credential named staging expiring at %v", c.Credentials, later)
		}
		if old, _ := c.Credential(app.ClientID); old == nil || !old.ExpiresAt.IsZero() {
			t.Errorf("the first credential changed: %+v", old)
		}
		if page := b.Get(self); strings.Contains(page.Body, secret) || !strings.Contains(page.Body, clientID) {
			t.Error("the app's page shows the new secret, or not the new client ID")
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "client.credential.add"); len(evs) != 1 || evs[0].Actor != actor {
			t.Errorf("got client.credential.add events %+v, want one by the admin", evs)
		}
	})
	if added == nil {
		t.FailNow()
	}
	expiry := self + "/credentials/" + added.ID + "/expiry"

	t.Run("change the expiry", func(t *testing.T) {
		p := b.Get(expiry)
		if p.Value(t, "expires-time") != later.Format(layout) || !strings.Contains(p.Body, `value="at" checked`) {
			t.Fatalf("the expiry form is not filled with the expiry:\n%s", p.Body)
		}
		if bad := b.Submit(p, "/expiry", url.Values{"expires": {"at"}, "expires_at": {"2020-01-01T00:00"}}); bad.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(fieldError(bad, "expires"), "Choose a time in the future") {
			t.Errorf("a past time: got %d with %q", bad.Status, fieldError(bad, "expires"))
		}
		cleared := b.Submit(p, "/expiry", url.Values{"expires": {"never"}})
		if !strings.Contains(cleared.Body, "The credential&#39;s expiry is saved.") {
			t.Fatalf("clear: got %d at %s", cleared.Status, cleared.URL)
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); !mustCredential(t, c, added.ID).ExpiresAt.IsZero() {
			t.Error("the expiry was not cleared")
		}
		sooner := now.Add(2 * time.Hour).Truncate(time.Minute)
		b.Submit(p, "/expiry", url.Values{"expires": {"at"}, "expires_at": {sooner.Format(layout)}})
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); !mustCredential(t, c, added.ID).ExpiresAt.Equal(sooner) {
			t.Errorf("the expiry is not %v", sooner)
		}
		for action, n := range map[string]int{"client.credential.expiry.clear": 1, "client.credential.expire": 1} {
			if evs := s.MustAuditEvents(t, fx.tenant.ID, action); len(evs) != n || evs[0].Actor != actor {
				t.Errorf("got %s events %+v, want %d by the admin", action, evs, n)
			}
		}
	})

	t.Run("stop now, after confirming", func(t *testing.T) {
		p := b.Get(expiry)
		confirm := b.Submit(p, "/expiry", url.Values{"expires": {"now"}})
		if confirm.Status != http.StatusOK || !strings.Contains(confirm.Body, "Stop credential") {
			t.Fatalf("now: got %d, want a confirmation page:\n%s", confirm.Status, confirm.Body)
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); mustCredential(t, c, added.ID).Expired(s.Clock.Now()) {
			t.Fatal("the confirmation page stopped the credential already")
		}
		done := b.Submit(confirm, "/expiry", nil)
		if !strings.Contains(done.Body, "The credential has stopped working.") || !strings.Contains(done.Body, `<span class="badge warn">Expired</span>`) {
			t.Errorf("stop: got %d at %s:\n%s", done.Status, done.URL, done.Body)
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); !mustCredential(t, c, added.ID).Expired(s.Clock.Now()) {
			t.Error("the credential still works")
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, path := range []string{self + "/credentials/nope/expiry", "/t/acme/dashboard/clients/nope/credentials/new"} {
			if p := b.Get(path); p.Status != http.StatusNotFound {
				t.Errorf("GET %s: got %d, want 404", path, p.Status)
			}
		}
	})

	t.Run("a public app's credential has no secret", func(t *testing.T) {
		pub := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.Type = gatehouse.ClientPublic; c.Name = "Phone" })
		p := b.Post("/t/acme/dashboard/clients/"+pub.ID+"/credentials", url.Values{"expires": {"never"}})
		if id := p.Value(t, "client-id"); !strings.HasPrefix(id, gatehouse.PrefixClientID) || strings.Contains(p.Body, `id="client-secret"`) {
			t.Errorf("public app: got client ID %q and a secret field: %v", id, strings.Contains(p.Body, `id="client-secret"`))
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

// TestKeepCredential clears a credential's scheduled expiry from the
// app's page: Keep is offered only next to a credential that is to
// expire, the credential then works past its old expiry, and one that has
// expired cannot be kept.
func TestKeepCredential(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	app := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.Name = "Acme CRM" })
	soon := s.Clock.Now().Add(time.Hour)
	add := func(name string) *admin.IssuedCredential {
		t.Helper()
		_, cred, err := s.App.Admin.AddClientCredential(t.Context(), gatehousetest.Actor(), fx.tenant.ID, app.ID,
			admin.CredentialInput{Name: name, ExpiresAt: soon})
		if err != nil {
			t.Fatal(err)
		}
		return cred
	}
	staging, retired := add("staging"), add("retired")
	if _, err := s.App.Admin.ExpireClientCredential(t.Context(), gatehousetest.Actor(), fx.tenant.ID, app.ID, retired.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	b.signIn("/t/acme/dashboard", "", fx.admin.Username)
	self := "/t/acme/dashboard/clients/" + app.ID
	keep := func(id string) string { return self + "/credentials/" + id + "/keep" }

	page := b.Get(self)
	for _, tc := range []struct {
		name       string
		id         string
		keep, edit bool
	}{
		{"never expires", app.Credentials[0].ID, false, true},
		{"to expire", staging.ID, true, true},
		{"expired", retired.ID, false, false},
	} {
		if got := strings.Contains(page.Body, `action="`+keep(tc.id)+`"`); got != tc.keep {
			t.Errorf("%s: Keep offered %v, want %v", tc.name, got, tc.keep)
		}
		if got := strings.Contains(page.Body, tc.id+`/expiry"`); got != tc.edit {
			t.Errorf("%s: Change expiry offered %v, want %v", tc.name, got, tc.edit)
		}
	}

	done := b.Submit(page, staging.ID+"/keep", nil)
	if done.Status != http.StatusOK || !strings.Contains(done.Body, "The credential no longer expires.") {
		t.Fatalf("keep: got %d at %s, want the app's page with a notice:\n%s", done.Status, done.URL, done.Body)
	}
	if strings.Contains(done.Body, keep(staging.ID)) {
		t.Error("Keep is still offered for a credential that no longer expires")
	}
	s.Clock.Set(soon.Add(time.Minute))
	c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID)
	if cred := mustCredential(t, c, staging.ID); !cred.ExpiresAt.IsZero() || cred.Expired(s.Clock.Now()) {
		t.Errorf("after Keep the credential expires at %v", cred.ExpiresAt)
	}
	if evs := s.MustAuditEvents(t, fx.tenant.ID, "client.credential.expiry.clear"); len(evs) != 1 ||
		evs[0].Actor != "user:"+fx.admin.ID || evs[0].Details["client_id"] != staging.ClientID {
		t.Errorf("got client.credential.expiry.clear events %+v, want one by the admin for %s", evs, staging.ClientID)
	}

	t.Run("an expired credential cannot be kept", func(t *testing.T) {
		p := b.Post(keep(retired.ID), nil)
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "The credential has expired and cannot be brought back; add a new credential instead.") {
			t.Errorf("got %d, want 422 saying a new credential is the way:\n%s", p.Status, p.Body)
		}
		form := b.Post(self+"/credentials/"+retired.ID+"/expiry", url.Values{"expires": {"never"}})
		if form.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(form, "expires"), "cannot be brought back") {
			t.Errorf("the expiry form: got %d with %q next to the expiry, want 422 saying it cannot be brought back",
				form.Status, fieldError(form, "expires"))
		}
		c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID)
		if !mustCredential(t, c, retired.ID).Expired(s.Clock.Now()) {
			t.Error("the expired credential works again")
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, path := range []string{self + "/credentials/nope/keep", "/t/acme/dashboard/clients/nope/credentials/" + staging.ID + "/keep"} {
			if p := b.Post(path, nil); p.Status != http.StatusNotFound {
				t.Errorf("POST %s: got %d, want 404", path, p.Status)
			}
		}
	})
}
