package login_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

var noncePattern = regexp.MustCompile(`nonce-[A-Za-z0-9_-]+|nonce="[A-Za-z0-9_-]+"`)

// TestSignInFailures checks that a wrong password and an unknown user look
// the same, and that both are slowed down the same way.
func TestSignInFailures(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", nil)
	b := newBrowser(t, s)
	form := b.Get(authorizeURL(s.URL, fx.client, nil))

	// The typed name is shown again; take it out to compare the rest.
	normalize := func(p *gatehousetest.Page, typed string) string {
		return strings.ReplaceAll(noncePattern.ReplaceAllString(p.Body, "nonce"), `value="`+typed+`"`, `value=""`)
	}
	wrong := b.signIn(form, "ana", "wrong password")
	unknown := b.signIn(form, "nobody", "wrong password")
	if wrong.Status != unknown.Status || wrong.Status != http.StatusOK {
		t.Errorf("got status %d for a wrong password and %d for an unknown user, want 200 for both", wrong.Status, unknown.Status)
	}
	if a, b := normalize(wrong, "ana"), normalize(unknown, "nobody"); a != b {
		t.Errorf("the pages differ:\n%s\n---\n%s", a, b)
	}
	if !strings.Contains(wrong.Body, "The username or password is incorrect.") || !strings.Contains(wrong.Body, `role="alert"`) {
		t.Errorf("got no announced generic error:\n%s", wrong.Body)
	}
	if !strings.Contains(wrong.Body, `value="ana"`) {
		t.Error("the typed username is not kept in the form")
	}
	if b.session() != nil {
		t.Error("a failed sign-in started a session")
	}

	// Three more failures each: five in a row.
	for range 3 {
		b.signIn(form, "ana", "wrong password")
		b.signIn(form, "nobody", "wrong password")
	}
	for _, name := range []string{"ana", "nobody"} {
		p := b.signIn(form, name, "wrong password")
		if p.Status != http.StatusOK {
			t.Fatalf("%s: the fifth failure got %d, want the generic error", name, p.Status)
		}
	}
	u, err := s.Store.GetUser(context.Background(), fx.tenant.ID, fx.user.ID)
	if err != nil || u.FailedSignIns != 5 {
		t.Fatalf("got %d failures recorded (%v), want 5", u.FailedSignIns, err)
	}
	// Now even the right password waits, and so does the unknown name.
	for _, name := range []string{"ana", "nobody"} {
		p := b.signIn(form, name, password)
		if p.Status != http.StatusTooManyRequests || !strings.Contains(p.Body, "Too many attempts. Try again later.") {
			t.Errorf("%s after five failures: got %d, want 429 with the generic message", name, p.Status)
		}
	}
	if u, _ := s.Store.GetUser(context.Background(), fx.tenant.ID, fx.user.ID); u.FailedSignIns != 5 {
		t.Errorf("got %d failures, want 5: attempts during the wait do not count", u.FailedSignIns)
	}
	s.Clock.Advance(31 * time.Second)
	p := b.signIn(form, "ana", password)
	if p.URL.Path != "/login/consent" {
		t.Fatalf("after the wait: got %d at %s, want to be signed in", p.Status, p.URL)
	}
	if u, _ := s.Store.GetUser(context.Background(), fx.tenant.ID, fx.user.ID); u.FailedSignIns != 0 {
		t.Errorf("got %d failures after a success, want 0", u.FailedSignIns)
	}

	evs := s.MustAuditEvents(t, fx.tenant.ID, "signin")
	reasons := map[string]int{}
	for _, e := range evs {
		reasons[e.Result+"/"+e.Details["reason"]]++
		for k, v := range e.Details {
			if strings.Contains(v, "wrong password") || strings.Contains(v, password) {
				t.Errorf("audit detail %s holds the password", k)
			}
		}
	}
	want := map[string]int{"failure/bad_password": 5, "failure/unknown_user": 5, "failure/locked_out": 2, "success/": 1}
	for k, n := range want {
		if reasons[k] != n {
			t.Errorf("got %d %s audit events, want %d (all: %v)", reasons[k], k, n, reasons)
		}
	}
}

// TestSignInLockoutGrows checks that the wait doubles with each failure
// past the threshold.
func TestSignInLockoutGrows(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", nil)
	b := newBrowser(t, s)
	form := b.Get(authorizeURL(s.URL, fx.client, nil))
	for range 5 {
		b.signIn(form, "ana", "wrong password")
	}
	s.Clock.Advance(31 * time.Second)
	b.signIn(form, "ana", "wrong password") // sixth failure: now a minute
	s.Clock.Advance(45 * time.Second)
	if p := b.signIn(form, "ana", password); p.Status != http.StatusTooManyRequests {
		t.Errorf("45 s after the sixth failure: got %d, want 429", p.Status)
	}
	s.Clock.Advance(16 * time.Second)
	if p := b.signIn(form, "ana", password); p.URL.Path != "/login/consent" {
		t.Errorf("61 s after the sixth failure: got %d at %s, want to be signed in", p.Status, p.URL)
	}
}

// TestAccountNotAllowed covers the accounts that sign in but may not use
// the client: they see a clear page, and going back gives the client
// access_denied.
func TestAccountNotAllowed(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", func(c *gatehouse.Client) { c.AllowedRoles = []string{"admin"} })
	agents := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.AllowedRoles = []string{"agent"} })
	globex := newFixture(t, s, "globex", nil)
	disabled := s.MustUser(t, fx.tenant.ID, "dora", password)
	disabled.Status = gatehouse.StatusDisabled
	if err := s.Store.UpdateUser(context.Background(), disabled); err != nil {
		t.Fatal(err)
	}

	back := func(t *testing.T, b *browser, p *gatehousetest.Page, want string) {
		t.Helper()
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, want) {
			t.Fatalf("got %d, want the denied page (403) saying %q:\n%s", p.Status, want, p.Body)
		}
		cb := callbackOf(t, b, b.Submit(p, "/login/continue", nil))
		if cb.params.Get("error") != "access_denied" || cb.params.Get("state") != testState || cb.params.Get("iss") != s.URL {
			t.Errorf("got %v, want access_denied with state and iss", cb.params)
		}
	}

	t.Run("role not allowed", func(t *testing.T) {
		b := newBrowser(t, s)
		p := b.signIn(b.Get(authorizeURL(s.URL, fx.client, nil)), "ana", password)
		back(t, b, p, "does not have a role")
		// The same session may use a client that admits its role.
		p = b.Get(authorizeURL(s.URL, agents, nil))
		if p.URL.Path != "/login/consent" {
			t.Errorf("a client admitting agents: got %d at %s, want the consent page", p.Status, p.URL)
		}
	})

	t.Run("disabled user", func(t *testing.T) {
		b := newBrowser(t, s)
		p := b.signIn(b.Get(authorizeURL(s.URL, agents, nil)), "dora", password)
		if b.session() != nil {
			t.Error("a disabled user got a session")
		}
		back(t, b, p, "disabled")
	})

	t.Run("user of another tenant", func(t *testing.T) {
		b := newBrowser(t, s)
		p := b.signIn(b.Get(authorizeURL(s.URL, globex.client, nil)), "ana", password)
		b.Submit(p, "/login/consent", url.Values{"decision": {"allow"}})
		p = b.Get(authorizeURL(s.URL, agents, nil))
		back(t, b, p, "another organization")
		// Another account can be chosen from there.
		p = b.Get(authorizeURL(s.URL, agents, nil))
		p = b.Get(p.URL.String() + "&switch=1")
		if !strings.Contains(p.Body, `autocomplete="current-password"`) {
			t.Fatalf("switch=1: got %d, want the sign-in form", p.Status)
		}
		if p = b.signIn(p, "ana", password); p.URL.Path != "/login/consent" {
			t.Errorf("signing in with an account of the client's tenant: got %d at %s, want the consent page", p.Status, p.URL)
		}
		if sess := b.session(); sess == nil || sess.TenantID != fx.tenant.ID {
			t.Errorf("got session %+v, want one at the client's tenant", sess)
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "authorize.deny"); len(evs) == 0 {
			t.Error("no authorize.deny audit event")
		}
	})

	t.Run("prompt=none answers login_required", func(t *testing.T) {
		b := newBrowser(t, s)
		p := b.signIn(b.Get(authorizeURL(s.URL, fx.client, nil)), "ana", password)
		if p.Status != http.StatusForbidden {
			t.Fatalf("got %d, want the denied page", p.Status)
		}
		cb := callbackOf(t, b, b.Get(authorizeURL(s.URL, fx.client, url.Values{"prompt": {"none"}})))
		if cb.params.Get("error") != "login_required" {
			t.Errorf("got %v, want login_required", cb.params)
		}
	})
}

// TestSignInCSRF checks that the sign-in form refuses cross-site posts
// while the authorization endpoint accepts them.
func TestSignInCSRF(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", nil)
	b := newBrowser(t, s)
	form := b.Get(authorizeURL(s.URL, fx.client, nil))
	tests := []struct {
		name   string
		header string
		value  string
	}{
		{"Sec-Fetch-Site", "Sec-Fetch-Site", "cross-site"},
		{"Origin", "Origin", "https://evil.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b.Header.Set(tc.header, tc.value)
			defer b.Header.Del(tc.header)
			p := b.signIn(form, "ana", password)
			if p.Status != http.StatusForbidden {
				t.Errorf("cross-site sign-in: got %d, want 403", p.Status)
			}
			if b.session() != nil {
				t.Error("a cross-site post signed the browser in")
			}
			u, _ := url.Parse(authorizeURL(s.URL, fx.client, nil))
			if p := b.Post(s.URL+"/oauth/authorize", u.Query()); p.Status == http.StatusForbidden {
				t.Errorf("cross-site POST to the authorization endpoint: got 403, want it accepted")
			}
		})
	}
	if p := b.signIn(form, "ana", password); p.URL.Path != "/login/consent" {
		t.Errorf("same-site sign-in: got %d at %s, want the consent page", p.Status, p.URL)
	}
}

// TestExpiredRequest checks that a request left for longer than its
// lifetime shows a friendly page, not a redirect or a server error.
func TestExpiredRequest(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", nil)
	b := newBrowser(t, s)
	form := b.Get(authorizeURL(s.URL, fx.client, nil))
	s.Clock.Advance(gatehouse.AuthRequestTTL + time.Second)
	for _, p := range []*gatehousetest.Page{
		b.signIn(form, "ana", password),
		b.Get(form.URL.String()),
		b.Get("/login?request=garbage"),
		b.Get("/login/consent?request=" + url.QueryEscape(fx.tenant.ID+".nope")),
	} {
		if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "has expired") {
			t.Errorf("%s: got %d, want the expired page (400):\n%s", p.URL, p.Status, p.Body)
		}
	}
	if b.session() != nil {
		t.Error("signing in to an expired request started a session")
	}
}

// TestClientGoneMidFlow removes what an authorization request was made
// with between the sign-in page and the form's submission. Deleting the
// client takes its pending requests with it (the page says the sign-in
// has expired); removing the credential whose client_id the request
// presented leaves the request but ends it on the "no longer registered"
// page. Neither starts a session.
func TestClientGoneMidFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		remove func(t *testing.T, s *gatehousetest.Server, c *gatehousetest.Client)
		want   string
	}{
		{"client deleted", func(t *testing.T, s *gatehousetest.Server, c *gatehousetest.Client) {
			if err := s.Store.DeleteClient(context.Background(), c.TenantID, c.ID); err != nil {
				t.Fatalf("DeleteClient: %v", err)
			}
		}, "has expired"},
		{"credential removed", func(t *testing.T, s *gatehousetest.Server, c *gatehousetest.Client) {
			ctx := context.Background()
			other := &gatehouse.ClientCredential{TenantID: c.TenantID, Client: c.ID, ClientID: "other-" + c.ClientID,
				Name: "other", SecretHash: []byte("0123456789abcdef0123456789abcdef")}
			if err := s.Store.AddClientCredential(ctx, other, time.Time{}); err != nil {
				t.Fatalf("AddClientCredential: %v", err)
			}
			cred, _ := c.Credential(c.ClientID)
			if err := s.Store.DeleteClientCredential(ctx, c.TenantID, cred.ID); err != nil {
				t.Fatalf("DeleteClientCredential: %v", err)
			}
		}, "no longer registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := gatehousetest.MustRunServer(t)
			fx := newFixture(t, s, "acme", nil)
			b := newBrowser(t, s)
			form := b.Get(authorizeURL(s.URL, fx.client, nil))
			if form.Status != http.StatusOK {
				t.Fatalf("authorize: got %d, want the sign-in page", form.Status)
			}
			tt.remove(t, s, fx.client)
			p := b.signIn(form, "ana", password)
			if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, tt.want) {
				t.Errorf("sign-in: got %d, want the page saying %q (400):\n%s", p.Status, tt.want, p.Body)
			}
			if b.session() != nil {
				t.Error("signing in for a removed client started a session")
			}
		})
	}
}

// TestTenantDisabledMidFlow disables the tenant of a flow running under
// the platform's issuer, whose sign-in pages read the tenant through the
// server's tenant cache: a change made on this node (which forgets the
// cached tenants, as the management API and the dashboard do) is seen at
// once, one made elsewhere once the cached answer has expired.
func TestTenantDisabledMidFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		after func(s *gatehousetest.Server)
	}{
		{"changed on this node", func(s *gatehousetest.Server) { s.App.Tenants.Invalidate() }},
		{"changed elsewhere", func(s *gatehousetest.Server) { s.Clock.Advance(31 * time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := gatehousetest.MustRunServer(t)
			fx := newFixture(t, s, "acme", nil)
			b := newBrowser(t, s)
			form := b.Get(authorizeURL(s.URL, fx.client, nil))
			if form.Status != http.StatusOK {
				t.Fatalf("authorize: got %d, want the sign-in page", form.Status)
			}
			tn, err := s.Store.GetTenant(context.Background(), fx.tenant.ID)
			if err != nil {
				t.Fatal(err)
			}
			tn.Status = gatehouse.StatusDisabled
			if err := s.Store.UpdateTenant(context.Background(), tn); err != nil {
				t.Fatalf("UpdateTenant: %v", err)
			}
			tt.after(s)
			p := b.signIn(form, "ana", password)
			if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Sign-in is not available") {
				t.Errorf("sign-in: got %d, want the page saying sign-in is not available (400):\n%s", p.Status, p.Body)
			}
			if b.session() != nil {
				t.Error("signing in to a disabled tenant started a session")
			}
		})
	}
}

// TestSignInAuditNames signs in with names the audit log must clean up:
// a NUL (PostgreSQL refuses it), bytes that are not UTF-8, a control
// sequence, and a name whose hundredth byte falls inside a character
// (cut there, it came back from the store changed, and the tenant's chain
// no longer verified). Each failure is recorded, and the chain verifies.
func TestSignInAuditNames(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", nil)
	b := newBrowser(t, s)
	form := b.Get(authorizeURL(s.URL, fx.client, nil))
	names := []string{"ana\x00", "\xffana", "ana\x1b[2J", strings.Repeat("x", 99) + "é"}
	for _, name := range names {
		if p := b.signIn(form, name, "wrong password"); p.Status != http.StatusOK {
			t.Errorf("%q: got %d, want the form again", name, p.Status)
		}
	}
	evs := s.MustAuditEvents(t, fx.tenant.ID, "signin")
	if len(evs) != len(names) {
		t.Fatalf("got %d sign-in events, want %d", len(evs), len(names))
	}
	for _, e := range evs {
		if name := e.Details["username"]; !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			t.Errorf("the audit log keeps the name %q", name)
		}
	}
	rep, err := audit.Verify(context.Background(), s.Store, s.App.Sealer.AuditKey(), fx.tenant.ID)
	if err != nil || !rep.OK {
		t.Errorf("got %+v (%v), want the chain to verify", rep, err)
	}
}
