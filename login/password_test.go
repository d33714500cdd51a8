package login_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

func TestSetPasswordLink(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	acme := s.MustTenant(t, "acme")
	s.MustTenant(t, "other")
	u, link, err := s.App.Admin.InviteUser(ctx, gatehousetest.Actor(), acme.ID, admin.UserInput{Username: "cy", Email: "cy@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	page := "/t/acme/password/set?token=" + url.QueryEscape(link.Token)
	b := newBrowser(t, s)

	p := b.Get(page)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Set your password") || !strings.Contains(p.Body, `value="cy"`) {
		t.Fatalf("the link's page: %d\n%s", p.Status, p.Body)
	}
	if f := p.Form(t, "/t/acme/password/set"); f.Fields.Get("token") != link.Token || f.Method != http.MethodPost {
		t.Errorf("form: %+v, want a POST carrying the token", f)
	}
	if p.Header.Get("Referrer-Policy") != "no-referrer" || p.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: Referrer-Policy %q, Cache-Control %q", p.Header.Get("Referrer-Policy"), p.Header.Get("Cache-Control"))
	}
	if strings.Contains(s.Log.String(), link.Token) {
		t.Errorf("the token reached the log")
	}

	refused := []struct {
		name string
		path string
	}{
		{"another tenant's issuer", "/t/other/password/set?token=" + url.QueryEscape(link.Token)},
		{"an unknown token", "/t/acme/password/set?token=nope"},
		{"no token", "/t/acme/password/set"},
		{"a huge token", "/t/acme/password/set?token=" + strings.Repeat("x", 500)},
	}
	for _, tt := range refused {
		if p := b.Get(tt.path); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "This link does not work") {
			t.Errorf("%s: %d, want 400 and the error page", tt.name, p.Status)
		}
	}
	if p := b.Get("/password/set?token=" + url.QueryEscape(link.Token)); p.Status != http.StatusOK {
		t.Errorf("at the platform issuer: %d, want 200", p.Status)
	}

	// Mistakes show the form again and spend nothing.
	for name, form := range map[string]url.Values{
		"passwords that differ": {"password": {"a long new password"}, "confirm": {"a long new passwort"}},
		"a short password":      {"password": {"short"}, "confirm": {"short"}},
	} {
		got := b.Submit(p, "/t/acme/password/set", form)
		if got.Status != http.StatusBadRequest || !strings.Contains(got.Body, `role="alert"`) || got.Form(t, "/password/set").Fields.Get("token") != link.Token {
			t.Errorf("%s: %d\n%s", name, got.Status, got.Body)
		}
	}
	cross := newBrowser(t, s)
	cross.Header.Set("Sec-Fetch-Site", "cross-site")
	if got := cross.Post("/t/acme/password/set", url.Values{"token": {link.Token}, "password": {"x"}, "confirm": {"x"}}); got.Status != http.StatusForbidden {
		t.Errorf("a cross-site post: %d, want 403", got.Status)
	}

	done := b.Submit(p, "/t/acme/password/set", url.Values{"password": {"a long new password"}, "confirm": {"a long new password"}})
	if done.Status != http.StatusOK || !strings.Contains(done.Body, "Your password is set") || !strings.Contains(done.Body, `href="/t/acme/account"`) {
		t.Fatalf("set: %d\n%s", done.Status, done.Body)
	}
	got, err := s.Store.GetUser(ctx, acme.ID, u.ID)
	if err != nil || got.Status != gatehouse.StatusActive || s.App.Hasher.Verify(ctx, "a long new password", got.PasswordHash) != nil {
		t.Errorf("after setting: status %s, err %v; want active with the new password", got.Status, err)
	}
	// The user signs in with it.
	signin := b.Get("/t/acme/account")
	if acc := b.signIn(signin, "cy", "a long new password"); acc.Status != http.StatusOK || !strings.Contains(acc.Body, "cy") || b.session() == nil {
		t.Errorf("signing in with the new password: %d", acc.Status)
	}
	// Single use.
	if again := b.Submit(p, "/t/acme/password/set", url.Values{"password": {"another password!"}, "confirm": {"another password!"}}); again.Status != http.StatusBadRequest {
		t.Errorf("the link used twice: %d, want 400", again.Status)
	}
	evs := s.MustAuditEvents(t, acme.ID, "user.password.set")
	if len(evs) != 1 || evs[0].Actor != "user:"+u.ID || evs[0].Details["via"] != "link" || evs[0].Details["link_by"] != "test" {
		t.Errorf("audit: %+v", evs)
	}
	for _, ev := range evs {
		for _, v := range ev.Details {
			if strings.Contains(v, link.Token) || strings.Contains(v, "long new") {
				t.Errorf("the audit event holds a secret: %v", ev.Details)
			}
		}
	}
}

func TestSetPasswordReset(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	acme := s.MustTenant(t, "acme")
	u := s.MustUser(t, acme.ID, "ana", password)

	// A signed-in browser loses its session when the password is reset.
	signedIn := newBrowser(t, s)
	signedIn.signIn(signedIn.Get("/t/acme/account"), "ana", password)
	if signedIn.session() == nil {
		t.Fatal("no session after signing in")
	}
	_, link, err := s.App.Admin.IssuePasswordLink(ctx, gatehousetest.Actor(), acme.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	p := b.Get("/t/acme/password/set?token=" + url.QueryEscape(link.Token))
	if p.Status != 200 || !strings.Contains(p.Body, "Choose a new password") {
		t.Fatalf("reset page: %d\n%s", p.Status, p.Body)
	}
	// Two posts of the link at once: exactly one sets the password.
	const n = 4
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			pw := "racing password " + string(rune('a'+i))
			<-start
			codes[i] = newBrowser(t, s).Post("/t/acme/password/set",
				url.Values{"token": {link.Token}, "password": {pw}, "confirm": {pw}}).Status
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
		default:
			t.Errorf("a racing post: %d, want 200 or 400", c)
		}
	}
	if ok != 1 {
		t.Errorf("%d racing posts set the password, want 1: %v", ok, codes)
	}
	if signedIn.session() != nil {
		t.Errorf("the old session survived the reset")
	}
	if s.App.Hasher.Verify(ctx, password, mustUser(t, s, acme.ID, u.ID).PasswordHash) == nil {
		t.Errorf("the old password still works")
	}

	// A link expires after 7 days, and dies with a disabled account.
	_, link, err = s.App.Admin.IssuePasswordLink(ctx, gatehousetest.Actor(), acme.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(7*24*time.Hour - time.Second)
	if p := b.Get("/t/acme/password/set?token=" + url.QueryEscape(link.Token)); p.Status != 200 {
		t.Errorf("just before it expires: %d, want 200", p.Status)
	}
	s.Clock.Advance(time.Second)
	if p := b.Get("/t/acme/password/set?token=" + url.QueryEscape(link.Token)); p.Status != 400 {
		t.Errorf("at its expiry: %d, want 400", p.Status)
	}
	_, link, err = s.App.Admin.IssuePasswordLink(ctx, gatehousetest.Actor(), acme.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	disabled := gatehouse.StatusDisabled
	if _, err := s.App.Admin.UpdateUser(ctx, gatehousetest.Actor(), acme.ID, u.ID, admin.UserChange{Status: &disabled}, nil); err != nil {
		t.Fatal(err)
	}
	if p := b.Get("/t/acme/password/set?token=" + url.QueryEscape(link.Token)); p.Status != 400 {
		t.Errorf("a disabled user's link: %d, want 400", p.Status)
	}
}

func mustUser(t *testing.T, s *gatehousetest.Server, tenantID, id string) *gatehouse.User {
	t.Helper()
	u, err := s.Store.GetUser(context.Background(), tenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
