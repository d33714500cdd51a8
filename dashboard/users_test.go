package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestUsers adds users (with a password, and invited with a set-password
// link), sets roles, disables and enables, and checks the rules of who
// may change whom.
func TestUsers(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	admin := newBrowser(t, s)
	admin.signIn("/t/acme/dashboard", "", fx.admin.Username)
	owner := newBrowser(t, s)
	owner.signIn("/t/acme/dashboard", "", fx.owner.Username)
	const base = "/t/acme/dashboard/users"

	t.Run("form problems", func(t *testing.T) {
		tests := []struct {
			name   string
			form   url.Values
			field  string
			want   string
			status int
		}{
			{"no username", url.Values{"username": {""}, "invite": {"yes"}}, "username", "The username is required.", 422},
			{"username with a space", url.Values{"username": {"ana lima"}, "invite": {"yes"}}, "username", "must not contain '@' or spaces", 422},
			{"bad email", url.Values{"username": {"bo"}, "email": {"bo@"}, "invite": {"yes"}}, "email", "The email must be an email address", 422},
			{"bad role", url.Values{"username": {"bo"}, "roles": {"agent, Bad Role!"}, "invite": {"yes"}}, "roles", "role! must be 1-64", 422},
			{"no password", url.Values{"username": {"bo"}, "invite": {"no"}}, "password", "Enter a password", 422},
			{"short password", url.Values{"username": {"bo"}, "invite": {"no"}, "password": {"short"}}, "password", "The password must be at least 8 characters.", 422},
			{"admin makes an owner", url.Values{"username": {"bo"}, "roles": {"owner"}, "invite": {"yes"}}, "roles", "Only an owner can give or take away the owner role.", 403},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				p := admin.Post(base, tc.form)
				if p.Status != tc.status {
					t.Errorf("got %d, want %d", p.Status, tc.status)
				}
				if got := fieldError(p, tc.field); !strings.Contains(got, tc.want) {
					t.Errorf("got problems %q next to %s, want %q", got, tc.field, tc.want)
				}
				if got := p.Value(t, "username"); got != tc.form.Get("username") {
					t.Errorf("username holds %q, want it as typed", got)
				}
			})
		}
		p := admin.Post(base, url.Values{"username": {fx.agent.Username}, "invite": {"yes"}})
		if p.Status != http.StatusConflict || fieldError(p, "username") != "\nThe username is already taken.\n" {
			t.Errorf("a taken username: got %d with %q next to the username, want 409 and the problem:\n%s",
				p.Status, fieldError(p, "username"), p.Body)
		}
	})

	t.Run("add with a password", func(t *testing.T) {
		p := admin.Post(base, url.Values{"username": {"carla"}, "email": {"carla@example.com"}, "name": {"Carla"},
			"roles": {"agent"}, "invite": {"no"}, "password": {password}})
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "The user is added.") {
			t.Fatalf("got %d at %s, want the user's page with a notice", p.Status, p.URL)
		}
		u, err := s.App.Admin.User(t.Context(), fx.tenant.ID, "carla")
		if err != nil || u.Status != gatehouse.StatusActive || !u.HasRole("agent") || u.PasswordHash == "" {
			t.Fatalf("got %+v, %v, want an active agent with a password", u, err)
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "user.create"); len(evs) == 0 || evs[len(evs)-1].Actor != "user:"+fx.admin.ID {
			t.Errorf("got user.create events %+v, want the last by the admin", evs)
		}
	})

	t.Run("invite", func(t *testing.T) {
		p := admin.Post(base, url.Values{"username": {"dan"}, "invite": {"yes"}, "password": {"ignored!!"}})
		link := p.Value(t, "password-link")
		if !strings.HasPrefix(link, s.URL+"/t/acme/password/set?token=") {
			t.Fatalf("got link %q, want a set-password link of the tenant issuer", link)
		}
		u, _ := s.App.Admin.User(t.Context(), fx.tenant.ID, "dan")
		if u.Status != gatehouse.StatusInvited || u.PasswordHash != "" {
			t.Errorf("invited user: %+v", u)
		}
		if page := admin.Get(base + "/" + u.ID); strings.Contains(page.Body, link) {
			t.Error("the user's page shows the link again")
		}
		// The link works: the set-password form opens.
		if form := admin.Get(link); form.Status != http.StatusOK || !strings.Contains(form.Body, `autocomplete="new-password"`) {
			t.Errorf("the invitation link: got %d", form.Status)
		}
	})

	t.Run("roles", func(t *testing.T) {
		page := admin.Get(base + "/" + fx.agent.ID)
		p := admin.Submit(page, "/roles", url.Values{"roles": {"agent, supervisor"}})
		if !strings.Contains(p.Body, "The roles are saved.") {
			t.Fatalf("set roles: got %d:\n%s", p.Status, p.Body)
		}
		if u, _ := s.App.Admin.User(t.Context(), fx.tenant.ID, fx.agent.ID); strings.Join(u.Roles, ",") != "agent,supervisor" {
			t.Errorf("got roles %v", u.Roles)
		}
		// The old page's revision is stale now.
		stale := admin.Submit(page, "/roles", url.Values{"roles": {"agent"}})
		if stale.Status != http.StatusConflict || stale.Value(t, "roles") != "agent, supervisor" {
			t.Errorf("stale roles: got %d with %q, want 409 and the current roles", stale.Status, stale.Value(t, "roles"))
		}
		tests := []struct {
			name   string
			b      *browser
			user   *gatehouse.User
			set    string
			want   string
			status int
		}{
			{"admin makes an owner", admin, fx.agent, "owner", "Only an owner can give or take away the owner role.", 403},
			{"admin unmakes an owner", admin, fx.owner, "admin", "Only an owner can give or take away the owner role.", 403},
			{"admin removes own access", admin, fx.admin, "agent", "You cannot remove your own access", 403},
			{"bad role", admin, fx.agent, "ok, b@d", "b@d must be 1-64", 422},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				page := tc.b.Get(base + "/" + tc.user.ID)
				p := tc.b.Submit(page, "/roles", url.Values{"roles": {tc.set}})
				if p.Status != tc.status || !strings.Contains(fieldError(p, "roles"), tc.want) {
					t.Errorf("got %d with %q, want %d with %q", p.Status, fieldError(p, "roles"), tc.status, tc.want)
				}
				if p.Value(t, "roles") != tc.set {
					t.Errorf("the roles field holds %q, want %q as typed", p.Value(t, "roles"), tc.set)
				}
			})
		}
		page = owner.Get(base + "/" + fx.agent.ID)
		if p := owner.Submit(page, "/roles", url.Values{"roles": {"owner"}}); !strings.Contains(p.Body, "The roles are saved.") {
			t.Errorf("an owner making an owner: got %d", p.Status)
		}
		page = owner.Get(base + "/" + fx.agent.ID)
		owner.Submit(page, "/roles", url.Values{"roles": {"agent"}})
	})

	t.Run("disable and enable", func(t *testing.T) {
		victim := s.MustUser(t, fx.tenant.ID, "eve", password, "agent")
		vb := newBrowser(t, s)
		vb.signIn("/t/acme/dashboard", "", victim.Username) // a session to end (403 page)
		page := admin.Get(base + "/" + victim.ID)
		confirm := admin.Submit(page, "/status", nil)
		if confirm.Status != http.StatusOK || !strings.Contains(confirm.Body, "Disable account") {
			t.Fatalf("disable: got no confirmation:\n%s", confirm.Body)
		}
		if u, _ := s.App.Admin.User(t.Context(), fx.tenant.ID, victim.ID); u.Status != gatehouse.StatusActive {
			t.Fatal("the confirmation page disabled the user already")
		}
		p := admin.Submit(confirm, "/status", nil)
		if !strings.Contains(p.Body, "The account is disabled.") {
			t.Fatalf("disable: got %d:\n%s", p.Status, p.Body)
		}
		if u, _ := s.App.Admin.User(t.Context(), fx.tenant.ID, victim.ID); u.Status != gatehouse.StatusDisabled {
			t.Errorf("got status %s, want disabled", u.Status)
		}
		if q := vb.Get("/t/acme/dashboard/clients"); q.URL.Path != "/t/acme/dashboard/signin" {
			t.Errorf("the disabled user's browser: got %s, want the sign-in (the session ended)", q.URL)
		}
		p = admin.Submit(p, "/status", nil)
		if !strings.Contains(p.Body, "The account is enabled again.") {
			t.Errorf("enable: got %d", p.Status)
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "user.disable"); len(evs) != 1 || evs[0].Actor != "user:"+fx.admin.ID {
			t.Errorf("got user.disable events %+v, want one by the admin", evs)
		}

		for name, tc := range map[string]struct {
			user *gatehouse.User
			want string
		}{
			"own account":     {fx.admin, "You cannot disable your own account"},
			"owner's account": {fx.owner, "Only an owner can change the account of an owner."},
		} {
			p := admin.Post(base+"/"+tc.user.ID+"/status", url.Values{"status": {"disabled"}, "confirm": {"yes"}})
			if p.Status != http.StatusForbidden || !strings.Contains(p.Body, tc.want) {
				t.Errorf("%s: got %d, want 403 with %q", name, p.Status, tc.want)
			}
		}
		if strings.Contains(admin.Get(base+"/"+fx.admin.ID).Body, "Disable account") {
			t.Error("an admin's own page offers to disable the account")
		}
	})

	t.Run("reset link", func(t *testing.T) {
		page := admin.Get(base + "/" + fx.agent.ID)
		p := admin.Submit(page, "/password-link", nil)
		if link := p.Value(t, "password-link"); !strings.Contains(link, "/t/acme/password/set?token=") {
			t.Errorf("got link %q", link)
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "user.password.link"); len(evs) != 1 || evs[0].Actor != "user:"+fx.admin.ID {
			t.Errorf("got user.password.link events %+v", evs)
		}
		if p := admin.Post(base+"/"+fx.owner.ID+"/password-link", nil); p.Status != http.StatusForbidden {
			t.Errorf("an admin resetting an owner: got %d, want 403", p.Status)
		}
	})
}

// TestEditUser changes a user's name and email: problems by field with the
// form as typed, a stale form refused with the current values, and an
// owner's account closed to an admin.
func TestEditUser(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	admin := newBrowser(t, s)
	admin.signIn("/t/acme/dashboard", "", fx.admin.Username)
	base := "/t/acme/dashboard/users/"

	page := admin.Get(base + fx.agent.ID)
	if !strings.Contains(page.Body, `href="`+base+fx.agent.ID+`/edit"`) {
		t.Fatalf("the user's page has no edit link:\n%s", page.Body)
	}
	form := admin.Get(base + fx.agent.ID + "/edit")
	if form.Value(t, "full-name") != fx.agent.Name || form.Value(t, "email") != fx.agent.Email {
		t.Fatalf("the edit form is not filled with the user's values:\n%s", form.Body)
	}

	tests := []struct {
		name   string
		form   url.Values
		field  string
		want   string
		status int
	}{
		{"bad email", url.Values{"name": {"Bo B."}, "email": {"bo@"}}, "email", "The email must be an email address", 422},
		{"taken email", url.Values{"name": {"Bo B."}, "email": {fx.owner.Email}}, "email", "The email is already taken.", 409},
		{"long name", url.Values{"name": {strings.Repeat("n", 201)}, "email": {"bo@example.com"}}, "name", "The name must be at most 200 characters", 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.Submit(form, "/users/"+fx.agent.ID, tc.form)
			if p.Status != tc.status || !strings.Contains(fieldError(p, tc.field), tc.want) {
				t.Errorf("got %d with %q next to %s, want %d with %q", p.Status, fieldError(p, tc.field), tc.field, tc.status, tc.want)
			}
			if p.Value(t, "email") != tc.form.Get("email") || p.Value(t, "full-name") != tc.form.Get("name") {
				t.Error("the form does not hold what was typed")
			}
		})
	}

	ok := admin.Submit(form, "/users/"+fx.agent.ID, url.Values{"name": {"Bo Berg"}, "email": {"Bo.Berg@Example.com"}})
	if ok.URL.Path != base+fx.agent.ID || !strings.Contains(ok.Body, "The name and email are saved.") {
		t.Fatalf("save: got %d at %s", ok.Status, ok.URL)
	}
	u, _ := s.App.Admin.User(t.Context(), fx.tenant.ID, fx.agent.ID)
	if u.Name != "Bo Berg" || u.Email != "bo.berg@example.com" || u.EmailVerified {
		t.Errorf("after saving: name %q, email %q verified %v; want the new values, unverified", u.Name, u.Email, u.EmailVerified)
	}
	if evs := s.MustAuditEvents(t, fx.tenant.ID, "user.update"); len(evs) != 1 || evs[0].Actor != "user:"+fx.admin.ID ||
		evs[0].Details["fields"] != "email,email_verified,name" {
		t.Errorf("got user.update events %+v, want one by the admin naming the fields", evs)
	}
	stale := admin.Submit(form, "/users/"+fx.agent.ID, url.Values{"name": {"Overwrite"}, "email": {"x@example.com"}})
	if stale.Status != http.StatusConflict || stale.Value(t, "full-name") != "Bo Berg" || !strings.Contains(stale.Body, "Someone changed this") {
		t.Errorf("a stale form: got %d holding %q, want 409 with the current values", stale.Status, stale.Value(t, "full-name"))
	}

	// An owner's account is closed to an admin: neither the form nor a post.
	if p := admin.Get(base + fx.owner.ID + "/edit"); p.Status != http.StatusForbidden ||
		!strings.Contains(p.Body, "Only an owner can change the account of an owner.") {
		t.Errorf("an admin opening an owner's form: got %d, want 403 with the rule", p.Status)
	}
	if p := admin.Post(base+fx.owner.ID, url.Values{"name": {"Mallory"}, "email": {fx.owner.Email}}); p.Status != http.StatusForbidden {
		t.Errorf("an admin renaming an owner: got %d, want 403", p.Status)
	}
	if o, _ := s.App.Admin.User(t.Context(), fx.tenant.ID, fx.owner.ID); o.Name != fx.owner.Name {
		t.Errorf("the owner's name became %q", o.Name)
	}
	// Their own account is theirs to edit.
	self := admin.Get(base + fx.admin.ID + "/edit")
	if p := admin.Submit(self, "/users/"+fx.admin.ID, url.Values{"name": {"Ana"}, "email": {fx.admin.Email}}); !strings.Contains(p.Body, "The name and email are saved.") {
		t.Errorf("an admin renaming itself: got %d", p.Status)
	}
}
