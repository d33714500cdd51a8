package login_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/token"
)

const (
	password  = "correct horse battery"
	verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier"
	testState = "st-123 /?&="
	testNonce = "n-456"

	// sessionCookie is the cookie of the pages' browser session.
	sessionCookie = "gatehouse_session"
)

// challenge is the S256 challenge of verifier.
func challenge() string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// browser is a browser on the test server (gatehousetest.Browser: its
// redirects stop at the first one to an application) that knows the
// session the pages keep for it.
type browser struct {
	*gatehousetest.Browser
	t    *testing.T
	s    *gatehousetest.Server
	host string
}

func newBrowser(t *testing.T, s *gatehousetest.Server) *browser {
	t.Helper()
	u, _ := url.Parse(s.URL)
	return &browser{Browser: s.Browser(t), t: t, s: s, host: u.Host}
}

// session returns the browser's session row, nil when it has none.
func (b *browser) session() *gatehouse.Session {
	b.t.Helper()
	v := b.Cookie(sessionCookie)
	if v == "" {
		return nil
	}
	s, err := b.s.Store.GetSessionByToken(context.Background(), token.HashHandle(v), b.s.Clock.Now())
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// signIn fills the sign-in form of p.
func (b *browser) signIn(p *gatehousetest.Page, username, pw string) *gatehousetest.Page {
	b.t.Helper()
	return b.Submit(p, "/login", url.Values{"username": {username}, "password": {pw}})
}

// callback is the response a client got at its redirect URI.
type callback struct {
	params url.Values
	// mode is "query" for a redirect, "form_post" for the auto-posted form.
	mode string
	uri  string
}

// callbackOf reads the authorization response of p: a redirect to the
// client, or a form_post page.
func callbackOf(t *testing.T, b *browser, p *gatehousetest.Page) callback {
	t.Helper()
	if p.Status == http.StatusSeeOther {
		loc, err := url.Parse(p.Header.Get("Location"))
		if err != nil {
			t.Fatalf("bad Location %q: %v", p.Header.Get("Location"), err)
		}
		if loc.Host == b.host {
			t.Fatalf("got a redirect within the server to %s, want one to the client", loc)
		}
		base := *loc
		base.RawQuery = ""
		return callback{params: loc.Query(), mode: "query", uri: base.String()}
	}
	if p.Status == http.StatusOK && strings.Contains(p.Body, "document.forms[0].submit()") {
		fs := p.Forms()
		if len(fs) != 1 {
			t.Fatalf("form_post page has %d forms", len(fs))
		}
		return callback{params: fs[0].Fields, mode: "form_post", uri: fs[0].Action}
	}
	t.Fatalf("got status %d at %s, want an authorization response:\n%s", p.Status, p.URL, p.Body)
	return callback{}
}

// authorizeURL builds an authorization request of c with the usual
// parameters, changed by set (an empty value removes one).
func authorizeURL(prefix string, c *gatehousetest.Client, set url.Values) string {
	v := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ClientID},
		"redirect_uri":          {c.RedirectURIs[0]},
		"scope":                 {"openid profile"},
		"state":                 {testState},
		"nonce":                 {testNonce},
		"code_challenge":        {challenge()},
		"code_challenge_method": {"S256"},
	}
	for k, vs := range set {
		if len(vs) == 0 || (len(vs) == 1 && vs[0] == "") {
			v.Del(k)
			continue
		}
		v[k] = vs
	}
	return prefix + "/oauth/authorize?" + v.Encode()
}

// redeem consumes the code in the store and returns its row, the way the
// token endpoint finds it.
func redeem(t *testing.T, s *gatehousetest.Server, code string) *gatehouse.AuthCode {
	t.Helper()
	ac, err := s.Store.RedeemAuthCode(context.Background(), token.HashHandle(code), s.Clock.Now(),
		func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) { return nil, nil, nil })
	if err != nil {
		t.Fatalf("redeem code: %v", err)
	}
	return ac
}

// idToken mints an ID token of the platform issuer, as the token endpoint
// would, for id_token_hint.
func idToken(t *testing.T, s *gatehousetest.Server, issuer, sub, aud, sid string) string {
	t.Helper()
	now := s.Clock.Now()
	raw, err := s.App.Tokens.IDToken(token.IDClaims{
		Issuer: issuer, Subject: sub, Audience: aud, Expiry: now.Add(time.Hour), IssuedAt: now,
		AuthTime: now, SessionID: sid,
	}, gatehouse.AlgRS256)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// fixture is a tenant with a user and a client.
type fixture struct {
	tenant *gatehouse.Tenant
	user   *gatehouse.User
	client *gatehousetest.Client
}

func newFixture(t *testing.T, s *gatehousetest.Server, slug string, modify func(*gatehouse.Client)) fixture {
	t.Helper()
	tn := s.MustTenant(t, slug)
	return fixture{
		tenant: tn,
		user:   s.MustUser(t, tn.ID, "ana", password, "agent"),
		client: s.MustClient(t, tn.ID, modify),
	}
}

// consentAndSignIn runs a first authorization through the sign-in and
// consent pages and returns the callback.
func signInAndAllow(t *testing.T, b *browser, authorize, username string) callback {
	t.Helper()
	p := b.Get(authorize)
	if !strings.Contains(p.Body, `autocomplete="current-password"`) {
		t.Fatalf("got %d at %s, want the sign-in form:\n%s", p.Status, p.URL, p.Body)
	}
	p = b.signIn(p, username, password)
	if !strings.Contains(p.Body, `value="allow"`) {
		t.Fatalf("got %d at %s, want the consent page:\n%s", p.Status, p.URL, p.Body)
	}
	p = b.Submit(p, "/login/consent", url.Values{"decision": {"allow"}})
	return callbackOf(t, b, p)
}

func checkResponse(t *testing.T, cb callback, issuer string) string {
	t.Helper()
	if e := cb.params.Get("error"); e != "" {
		t.Fatalf("got error %q (%s), want a code", e, cb.params.Get("error_description"))
	}
	if got := cb.params.Get("state"); got != testState {
		t.Errorf("got state %q, want %q", got, testState)
	}
	if got := cb.params.Get("iss"); got != issuer {
		t.Errorf("got iss %q, want %q", got, issuer)
	}
	code := cb.params.Get("code")
	if len(code) != 43 {
		t.Fatalf("got code %q, want an opaque 43-character handle", code)
	}
	return code
}
