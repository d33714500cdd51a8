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

	p := b.get(page)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Set your password") || !strings.Contains(p.body, `value="cy"`) {
		t.Fatalf("the link's page: %d\n%s", p.status, p.body)
	}
	if f := p.form(t, "/t/acme/password/set"); f.fields.Get("token") != link.Token || f.method != "post" {
		t.Errorf("form: %+v, want a POST carrying the token", f)
	}
	if p.header.Get("Referrer-Policy") != "no-referrer" || p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: Referrer-Policy %q, Cache-Control %q", p.header.Get("Referrer-Policy"), p.header.Get("Cache-Control"))
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
		if p := b.get(tt.path); p.status != http.StatusBadRequest || !strings.Contains(p.body, "This link does not work") {
			t.Errorf("%s: %d, want 400 and the error page", tt.name, p.status)
		}
	}
	if p := b.get("/password/set?token=" + url.QueryEscape(link.Token)); p.status != http.StatusOK {
		t.Errorf("at the platform issuer: %d, want 200", p.status)
	}

	// Mistakes show the form again and spend nothing.
	for name, form := range map[string]url.Values{
		"passwords that differ": {"password": {"a long new password"}, "confirm": {"a long new passwort"}},
		"a short password":      {"password": {"short"}, "confirm": {"short"}},
	} {
		got := b.submit(p, "/t/acme/password/set", form)
		if got.status != http.StatusBadRequest || !strings.Contains(got.body, `role="alert"`) || got.form(t, "/password/set").fields.Get("token") != link.Token {
			t.Errorf("%s: %d\n%s", name, got.status, got.body)
		}
	}
	cross := newBrowser(t, s)
	cross.header.Set("Sec-Fetch-Site", "cross-site")
	if got := cross.post("/t/acme/password/set", url.Values{"token": {link.Token}, "password": {"x"}, "confirm": {"x"}}); got.status != http.StatusForbidden {
		t.Errorf("a cross-site post: %d, want 403", got.status)
	}

	done := b.submit(p, "/t/acme/password/set", url.Values{"password": {"a long new password"}, "confirm": {"a long new password"}})
	if done.status != http.StatusOK || !strings.Contains(done.body, "Your password is set") || !strings.Contains(done.body, `href="/t/acme/account"`) {
		t.Fatalf("set: %d\n%s", done.status, done.body)
	}
	got, err := s.Store.GetUser(ctx, acme.ID, u.ID)
	if err != nil || got.Status != gatehouse.StatusActive || s.App.Hasher.Verify(ctx, "a long new password", got.PasswordHash) != nil {
		t.Errorf("after setting: status %s, err %v; want active with the new password", got.Status, err)
	}
	// The user signs in with it.
	signin := b.get("/t/acme/account")
	if acc := b.signIn(signin, "cy", "a long new password"); acc.status != http.StatusOK || !strings.Contains(acc.body, "cy") || b.session() == nil {
		t.Errorf("signing in with the new password: %d", acc.status)
	}
	// Single use.
	if again := b.submit(p, "/t/acme/password/set", url.Values{"password": {"another password!"}, "confirm": {"another password!"}}); again.status != http.StatusBadRequest {
		t.Errorf("the link used twice: %d, want 400", again.status)
	}
	evs := auditOf(t, s, acme.ID, "user.password.set")
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

// auditOf returns a tenant's events with action, after writing what is
// queued.
func auditOf(t *testing.T, s *gatehousetest.Server, tenantID, action string) []*gatehouse.AuditEvent {
	t.Helper()
	ctx := context.Background()
	if err := s.App.Audit.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := s.Store.ListAuditEvents(ctx, gatehouse.AuditFilter{TenantID: tenantID, Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestSetPasswordReset(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	acme := s.MustTenant(t, "acme")
	u := s.MustUser(t, acme.ID, "ana", password)

	// A signed-in browser loses its session when the password is reset.
	signedIn := newBrowser(t, s)
	signedIn.signIn(signedIn.get("/t/acme/account"), "ana", password)
	if signedIn.session() == nil {
		t.Fatal("no session after signing in")
	}
	_, link, err := s.App.Admin.IssuePasswordLink(ctx, gatehousetest.Actor(), acme.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	p := b.get("/t/acme/password/set?token=" + url.QueryEscape(link.Token))
	if p.status != 200 || !strings.Contains(p.body, "Choose a new password") {
		t.Fatalf("reset page: %d\n%s", p.status, p.body)
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
			codes[i] = newBrowser(t, s).post("/t/acme/password/set",
				url.Values{"token": {link.Token}, "password": {pw}, "confirm": {pw}}).status
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
	if p := b.get("/t/acme/password/set?token=" + url.QueryEscape(link.Token)); p.status != 200 {
		t.Errorf("just before it expires: %d, want 200", p.status)
	}
	s.Clock.Advance(time.Second)
	if p := b.get("/t/acme/password/set?token=" + url.QueryEscape(link.Token)); p.status != 400 {
		t.Errorf("at its expiry: %d, want 400", p.status)
	}
	_, link, err = s.App.Admin.IssuePasswordLink(ctx, gatehousetest.Actor(), acme.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	disabled := gatehouse.StatusDisabled
	if _, err := s.App.Admin.UpdateUser(ctx, gatehousetest.Actor(), acme.ID, u.ID, admin.UserChange{Status: &disabled}, nil); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/t/acme/password/set?token=" + url.QueryEscape(link.Token)); p.status != 400 {
		t.Errorf("a disabled user's link: %d, want 400", p.status)
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
