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
	phone.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36")
	signInAndAllow(t, phone, authorizeURL(s.URL, fx.client, nil), "ana")
	phoneSession := phone.session()

	b := newBrowser(t, s)
	p := b.Get("/account")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `name="organization"`) {
		t.Fatalf("platform account page without a session: got %d, want the organization form:\n%s", p.Status, p.Body)
	}
	p = b.Get("/account?organization=nope")
	if !strings.Contains(p.Body, "There is no active organization with that name.") {
		t.Errorf("unknown organization: got no error:\n%s", p.Body)
	}
	p = b.Get("/account?organization=acme")
	if f := p.Form(t, "/login"); f.Fields.Get("organization") != "acme" {
		t.Fatalf("got sign-in form fields %v, want the organization carried", f.Fields)
	}
	if q := b.signIn(p, "ana", "wrong password"); !strings.Contains(q.Body, "The username or password is incorrect.") {
		t.Errorf("wrong password on the account page: got %d, want the generic error", q.Status)
	}
	p = b.signIn(p, "ana", password)
	if p.Status != http.StatusOK || p.URL.Path != "/account" {
		t.Fatalf("got %d at %s, want the account page", p.Status, p.URL)
	}
	for _, want := range []string{"Where you are signed in", "This browser", "Chrome on Android", "Test App", "See your name, username and profile picture"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	if strings.Count(p.Body, `action="/account/sessions/revoke"`) != 1 {
		t.Errorf("got %d session revoke forms, want one (for the phone, not this browser)", strings.Count(p.Body, `action="/account/sessions/revoke"`))
	}

	// Sign the phone out from here.
	p = b.Submit(p, "/account/sessions/revoke", nil)
	if !strings.Contains(p.Body, "That session is signed out.") {
		t.Errorf("got no notice after revoking a session:\n%s", p.Body)
	}
	if phone.session() != nil {
		t.Error("the phone's session is still active")
	}
	if evs := s.MustAuditEvents(t, fx.tenant.ID, "session.revoke"); len(evs) != 1 || evs[0].Target != "session:"+phoneSession.ID {
		t.Errorf("got session.revoke events %+v, want one for the phone", evs)
	}

	// Someone else's session id is not ours to end.
	stranger := newFixture(t, s, "globex", nil)
	sb := newBrowser(t, s)
	signInAndAllow(t, sb, authorizeURL(s.URL, stranger.client, nil), "ana")
	b.Post("/account/sessions/revoke", url.Values{"session": {sb.session().ID}})
	if sb.session() == nil {
		t.Error("a user ended another tenant's session")
	}

	// Remove the application.
	p = b.Get("/account")
	p = b.Submit(p, "/account/apps/revoke", nil)
	if !strings.Contains(p.Body, "access was removed") || !strings.Contains(p.Body, "You have not allowed any application yet.") {
		t.Errorf("got no notice, or the app still listed, after removing it:\n%s", p.Body)
	}
	if _, err := s.Store.GetConsent(ctx, fx.tenant.ID, fx.user.ID, fx.client.ID); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		t.Errorf("got %v for the consent, want it gone", err)
	}
	if evs := s.MustAuditEvents(t, fx.tenant.ID, "consent.revoke"); len(evs) != 1 || evs[0].Target != "client:"+fx.client.ID {
		t.Errorf("got consent.revoke events %+v, want one", evs)
	}

	// The account page's forms refuse cross-site posts.
	b.Header.Set("Sec-Fetch-Site", "cross-site")
	if q := b.Post("/account/sign-out-everywhere", nil); q.Status != http.StatusForbidden {
		t.Errorf("cross-site sign-out everywhere: got %d, want 403", q.Status)
	}
	b.Header.Del("Sec-Fetch-Site")

	// A second session of this user, then sign out everywhere.
	again := newBrowser(t, s)
	again.signIn(again.Get("/account?organization=acme"), "ana", password)
	p = b.Submit(b.Get("/account"), "/account/sign-out-everywhere", nil)
	if !strings.Contains(p.Body, "You are signed out.") {
		t.Errorf("got %d, want the signed-out page:\n%s", p.Status, p.Body)
	}
	if b.session() != nil || again.session() != nil || b.Cookie(sessionCookie) != "" {
		t.Error("a session survived signing out everywhere")
	}
	if list, err := s.Store.ListSessions(ctx, fx.tenant.ID, fx.user.ID, s.Clock.Now()); err != nil || len(list) != 0 {
		t.Errorf("got %d active sessions (%v), want none", len(list), err)
	}
	if evs := s.MustAuditEvents(t, fx.tenant.ID, "logout"); len(evs) != 1 || evs[0].Details["everywhere"] != "true" {
		t.Errorf("got logout events %+v, want one for everywhere", evs)
	}

	// Sign out of this browser from the account page.
	b.signIn(b.Get("/account?organization=acme"), "ana", password)
	p = b.Submit(b.Get("/account"), "/oauth/logout/confirm", nil)
	if !strings.Contains(p.Body, "You are signed out.") || b.session() != nil {
		t.Errorf("got %d, want the signed-out page and no session", p.Status)
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
	p := b.Get("/t/acme/account")
	if f := p.Form(t, "/t/acme/login"); f.Fields.Has("organization") || strings.Contains(p.Body, `name="organization"`) {
		t.Errorf("a tenant issuer asks for the organization: %v", f.Fields)
	}
	p = b.signIn(p, "ana", password)
	if p.URL.Path != "/t/acme/account" || !strings.Contains(p.Body, "Where you are signed in") {
		t.Fatalf("got %d at %s, want the account page", p.Status, p.URL)
	}
	// acme's session is no session at globex's issuer.
	p = b.Get("/t/globex/account")
	if !strings.Contains(p.Body, `autocomplete="current-password"`) || !strings.Contains(p.Body, globex.tenant.Name) {
		t.Errorf("another tenant's issuer: got %d, want its own sign-in form:\n%s", p.Status, p.Body)
	}
}
