package login_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestAccountPage signs in on the account page, then revokes another
// session, an application and finally every session.
func TestAccountPage(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", nil)
	ctx := context.Background()

	// A phone that authorized the client, and so holds a session and a
	// consent.
	phone := newBrowser(t, s)
	phone.header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36")
	signInAndAllow(t, phone, authorizeURL(s.URL, fx.client, nil), "ana")
	phoneSession := phone.session()

	b := newBrowser(t, s)
	p := b.get("/account")
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="organization"`) {
		t.Fatalf("platform account page without a session: got %d, want the organization form:\n%s", p.status, p.body)
	}
	p = b.get("/account?organization=nope")
	if !strings.Contains(p.body, "There is no active organization with that name.") {
		t.Errorf("unknown organization: got no error:\n%s", p.body)
	}
	p = b.get("/account?organization=acme")
	if f := p.form(t, "/login"); f.fields.Get("organization") != "acme" {
		t.Fatalf("got sign-in form fields %v, want the organization carried", f.fields)
	}
	if q := b.signIn(p, "ana", "wrong password"); !strings.Contains(q.body, "The username or password is incorrect.") {
		t.Errorf("wrong password on the account page: got %d, want the generic error", q.status)
	}
	p = b.signIn(p, "ana", password)
	if p.status != http.StatusOK || p.url.Path != "/account" {
		t.Fatalf("got %d at %s, want the account page", p.status, p.url)
	}
	for _, want := range []string{"Where you are signed in", "This browser", "Chrome on Android", "Test App", "See your name, username and profile picture"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	if strings.Count(p.body, `action="/account/sessions/revoke"`) != 1 {
		t.Errorf("got %d session revoke forms, want one (for the phone, not this browser)", strings.Count(p.body, `action="/account/sessions/revoke"`))
	}

	// Sign the phone out from here.
	p = b.submit(p, "/account/sessions/revoke", nil)
	if !strings.Contains(p.body, "That session is signed out.") {
		t.Errorf("got no notice after revoking a session:\n%s", p.body)
	}
	if phone.session() != nil {
		t.Error("the phone's session is still active")
	}
	if evs := auditEvents(t, s, fx.tenant.ID, "session.revoke"); len(evs) != 1 || evs[0].Target != "session:"+phoneSession.ID {
		t.Errorf("got session.revoke events %+v, want one for the phone", evs)
	}

	// Someone else's session id is not ours to end.
	stranger := newFixture(t, s, "globex", nil)
	sb := newBrowser(t, s)
	signInAndAllow(t, sb, authorizeURL(s.URL, stranger.client, nil), "ana")
	b.post("/account/sessions/revoke", url.Values{"session": {sb.session().ID}})
	if sb.session() == nil {
		t.Error("a user ended another tenant's session")
	}

	// Remove the application.
	p = b.get("/account")
	p = b.submit(p, "/account/apps/revoke", nil)
	if !strings.Contains(p.body, "access was removed") || !strings.Contains(p.body, "You have not allowed any application yet.") {
		t.Errorf("got no notice, or the app still listed, after removing it:\n%s", p.body)
	}
	if _, err := s.Store.GetConsent(ctx, fx.tenant.ID, fx.user.ID, fx.client.ID); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		t.Errorf("got %v for the consent, want it gone", err)
	}
	if evs := auditEvents(t, s, fx.tenant.ID, "consent.revoke"); len(evs) != 1 || evs[0].Target != "client:"+fx.client.ID {
		t.Errorf("got consent.revoke events %+v, want one", evs)
	}

	// The account page's forms refuse cross-site posts.
	b.header.Set("Sec-Fetch-Site", "cross-site")
	if q := b.post("/account/sign-out-everywhere", nil); q.status != http.StatusForbidden {
		t.Errorf("cross-site sign-out everywhere: got %d, want 403", q.status)
	}
	b.header.Del("Sec-Fetch-Site")

	// A second session of this user, then sign out everywhere.
	again := newBrowser(t, s)
	again.signIn(again.get("/account?organization=acme"), "ana", password)
	p = b.submit(b.get("/account"), "/account/sign-out-everywhere", nil)
	if !strings.Contains(p.body, "You are signed out.") {
		t.Errorf("got %d, want the signed-out page:\n%s", p.status, p.body)
	}
	if b.session() != nil || again.session() != nil || b.cookie() != "" {
		t.Error("a session survived signing out everywhere")
	}
	if list, err := s.Store.ListSessions(ctx, fx.tenant.ID, fx.user.ID, s.Clock.Now()); err != nil || len(list) != 0 {
		t.Errorf("got %d active sessions (%v), want none", len(list), err)
	}
	if evs := auditEvents(t, s, fx.tenant.ID, "logout"); len(evs) != 1 || evs[0].Details["everywhere"] != "true" {
		t.Errorf("got logout events %+v, want one for everywhere", evs)
	}

	// Sign out of this browser from the account page.
	b.signIn(b.get("/account?organization=acme"), "ana", password)
	p = b.submit(b.get("/account"), "/oauth/logout/confirm", nil)
	if !strings.Contains(p.body, "You are signed out.") || b.session() != nil {
		t.Errorf("got %d, want the signed-out page and no session", p.status)
	}
}

// TestAccountTenantIssuer checks that a tenant's issuer asks for no
// organization and shows only its own users' sessions.
func TestAccountTenantIssuer(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	newFixture(t, s, "acme", nil)
	globex := newFixture(t, s, "globex", nil)
	b := newBrowser(t, s)
	p := b.get("/t/acme/account")
	if f := p.form(t, "/t/acme/login"); f.fields.Has("organization") || strings.Contains(p.body, `name="organization"`) {
		t.Errorf("a tenant issuer asks for the organization: %v", f.fields)
	}
	p = b.signIn(p, "ana", password)
	if p.url.Path != "/t/acme/account" || !strings.Contains(p.body, "Where you are signed in") {
		t.Fatalf("got %d at %s, want the account page", p.status, p.url)
	}
	// acme's session is no session at globex's issuer.
	p = b.get("/t/globex/account")
	if !strings.Contains(p.body, `autocomplete="current-password"`) || !strings.Contains(p.body, globex.tenant.Name) {
		t.Errorf("another tenant's issuer: got %d, want its own sign-in form:\n%s", p.status, p.body)
	}
}
