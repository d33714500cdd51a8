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

// TestLogout covers RP-initiated logout: with the session's own ID token
// the session ends at once; without one the user confirms; the browser
// returns only to a registered post-logout URI.
func TestLogout(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme", func(c *gatehouse.Client) {
		c.FirstParty = true
		c.PostLogoutRedirectURIs = []string{"http://127.0.0.1/bye?from=idp"}
	})
	other := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.Name = "Other App" })

	// signedIn returns a browser with a session and that session's ID
	// token for the client.
	signedIn := func(t *testing.T) (*browser, *gatehouse.Session, string) {
		t.Helper()
		b := newBrowser(t, s)
		checkResponse(t, callbackOf(t, b, b.signIn(b.Get(authorizeURL(s.URL, fx.client, nil)), "ana", password)), s.URL)
		sess := b.session()
		if sess == nil {
			t.Fatal("no session")
		}
		return b, sess, idToken(t, s, s.URL, fx.user.ID, fx.client.ClientID, sess.ID)
	}
	revoked := func(t *testing.T, sess *gatehouse.Session) bool {
		t.Helper()
		got, err := s.Store.GetSession(context.Background(), sess.TenantID, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		return !got.RevokedAt.IsZero()
	}
	logoutURL := func(v url.Values) string { return s.URL + "/oauth/logout?" + v.Encode() }

	t.Run("id_token_hint and registered URI", func(t *testing.T) {
		b, sess, hint := signedIn(t)
		p := b.Get(logoutURL(url.Values{
			"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://127.0.0.1/bye?from=idp"}, "state": {"s 1&2"},
		}))
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "http://127.0.0.1/bye?from=idp&state=s+1%262" {
			t.Errorf("got %d to %q, want a redirect to the registered URI with state", p.Status, p.Header.Get("Location"))
		}
		if !revoked(t, sess) || b.Cookie(sessionCookie) != "" {
			t.Error("the session was not ended, or its cookie not cleared")
		}
		evs := s.MustAuditEvents(t, fx.tenant.ID, "logout")
		if len(evs) == 0 || evs[len(evs)-1].Target != "session:"+sess.ID || evs[len(evs)-1].Actor != "user:"+fx.user.ID {
			t.Errorf("got logout events %+v, want one for the session", evs)
		}
	})

	t.Run("POST with client_id", func(t *testing.T) {
		b, sess, hint := signedIn(t)
		p := b.Post(s.URL+"/oauth/logout", url.Values{
			"id_token_hint": {hint}, "client_id": {fx.client.ClientID},
			"post_logout_redirect_uri": {"http://127.0.0.1/bye?from=idp"},
		})
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "http://127.0.0.1/bye?from=idp" {
			t.Errorf("got %d to %q, want a redirect without state", p.Status, p.Header.Get("Location"))
		}
		if !revoked(t, sess) {
			t.Error("the session was not ended")
		}
	})

	t.Run("unregistered post_logout_redirect_uri", func(t *testing.T) {
		b, sess, hint := signedIn(t)
		p := b.Get(logoutURL(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}, "state": {"x"}}))
		if p.Status != http.StatusOK || p.Header.Get("Location") != "" || !strings.Contains(p.Body, "You are signed out.") {
			t.Errorf("got %d (Location %q), want the signed-out page and no redirect", p.Status, p.Header.Get("Location"))
		}
		if strings.Contains(p.Body, "evil.example") {
			t.Error("the signed-out page links the unregistered URI")
		}
		if !revoked(t, sess) {
			t.Error("the session was not ended")
		}
	})

	t.Run("without id_token_hint the user confirms", func(t *testing.T) {
		b, sess, _ := signedIn(t)
		p := b.Get(logoutURL(url.Values{"client_id": {fx.client.ClientID}, "post_logout_redirect_uri": {"http://127.0.0.1/bye?from=idp"}, "state": {"abc"}}))
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Test App</strong> asks you to sign out") {
			t.Fatalf("got %d, want the confirmation page:\n%s", p.Status, p.Body)
		}
		if revoked(t, sess) {
			t.Fatal("the session ended before the user confirmed")
		}
		// The confirmation is CSRF-protected.
		b.Header.Set("Sec-Fetch-Site", "cross-site")
		if q := b.Submit(p, "/oauth/logout/confirm", nil); q.Status != http.StatusForbidden || revoked(t, sess) {
			t.Errorf("cross-site confirmation: got %d, want 403 and the session kept", q.Status)
		}
		b.Header.Del("Sec-Fetch-Site")
		q := b.Submit(p, "/oauth/logout/confirm", nil)
		if q.Status != http.StatusSeeOther || q.Header.Get("Location") != "http://127.0.0.1/bye?from=idp&state=abc" {
			t.Errorf("got %d to %q, want the registered URI with state", q.Status, q.Header.Get("Location"))
		}
		if !revoked(t, sess) || b.Cookie(sessionCookie) != "" {
			t.Error("the session was not ended after confirming")
		}
	})

	t.Run("hint of another session asks first", func(t *testing.T) {
		b, sess, _ := signedIn(t)
		_, _, otherHint := signedIn(t)
		p := b.Get(logoutURL(url.Values{"id_token_hint": {otherHint}}))
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "/oauth/logout/confirm") || revoked(t, sess) {
			t.Errorf("got %d, want the confirmation page and the session kept", p.Status)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		b, sess, hint := signedIn(t)
		tests := []struct {
			name string
			v    url.Values
			want string
		}{
			{"invalid hint", url.Values{"id_token_hint": {"not.a.token"}}, "not valid"},
			{"hint of another issuer", url.Values{"id_token_hint": {idToken(t, s, "https://elsewhere.example", fx.user.ID, fx.client.ClientID, sess.ID)}}, "not valid"},
			{"client_id not the hint's audience", url.Values{"id_token_hint": {hint}, "client_id": {other.ClientID}}, "another application"},
			{"unknown client_id", url.Values{"client_id": {"nope"}, "post_logout_redirect_uri": {"http://127.0.0.1/bye?from=idp"}}, "not registered"},
			{"repeated state", url.Values{"state": {"a", "b"}}, "could not be read"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				p := b.Get(logoutURL(tc.v))
				if p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" || !strings.Contains(p.Body, tc.want) {
					t.Errorf("got %d (Location %q), want the error page saying %q:\n%s", p.Status, p.Header.Get("Location"), tc.want, p.Body)
				}
			})
		}
		if revoked(t, sess) {
			t.Error("a bad logout request ended the session")
		}
	})

	t.Run("without a session", func(t *testing.T) {
		b := newBrowser(t, s)
		p := b.Get(logoutURL(url.Values{"client_id": {fx.client.ClientID}, "post_logout_redirect_uri": {"http://127.0.0.1/bye?from=idp"}}))
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "http://127.0.0.1/bye?from=idp" {
			t.Errorf("got %d to %q, want the registered URI", p.Status, p.Header.Get("Location"))
		}
	})

	t.Run("cross-site POST goes on as a GET", func(t *testing.T) {
		b, sess, hint := signedIn(t)
		// A browser keeps the Lax cookie from a cross-site POST; the
		// endpoint then continues as a top-level GET, which carries it.
		u, _ := url.Parse(s.URL)
		saved := b.Jar.Cookies(u)
		fresh := newBrowser(t, s)
		fresh.Header.Set("Sec-Fetch-Site", "cross-site")
		p := fresh.Post(s.URL+"/oauth/logout", url.Values{"id_token_hint": {hint}})
		if p.URL.Path != "/oauth/logout" || p.URL.Query().Get("id_token_hint") != hint {
			t.Fatalf("got %d at %s, want the request continued as a GET", p.Status, p.URL)
		}
		fresh.Jar.SetCookies(u, saved)
		fresh.Get(p.URL.String())
		if !revoked(t, sess) {
			t.Error("the session was not ended by the continued request")
		}
	})
}
