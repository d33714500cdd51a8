package login_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
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
)

// challenge is the S256 challenge of verifier.
func challenge() string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// browser is a cookie-keeping HTTP client that follows redirects within
// the server and stops at the first one that leaves it (to a client's
// redirect URI), like a browser whose next hop is the application.
type browser struct {
	t    *testing.T
	s    *gatehousetest.Server
	jar  *cookiejar.Jar
	c    *http.Client
	host string
	// header is added to every request.
	header http.Header
}

func newBrowser(t *testing.T, s *gatehousetest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s.URL)
	b := &browser{t: t, s: s, jar: jar, host: u.Host, header: http.Header{}}
	b.c = &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != b.host || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	return b
}

// page is a response read in full.
type page struct {
	status int
	header http.Header
	body   string
	url    *url.URL
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	for k, vs := range b.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("read %s: %v", req.URL, err)
	}
	return &page{status: resp.StatusCode, header: resp.Header, body: string(body), url: resp.Request.URL}
}

func (b *browser) get(u string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.abs(u), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.abs(u), strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) abs(u string) string {
	if strings.HasPrefix(u, "/") {
		return b.s.URL + u
	}
	return u
}

// cookie returns the browser's session cookie value, "" when none.
func (b *browser) cookie() string {
	u, _ := url.Parse(b.s.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "gatehouse_session" {
			return c.Value
		}
	}
	return ""
}

// session returns the browser's session row, nil when it has none.
func (b *browser) session() *gatehouse.Session {
	b.t.Helper()
	v := b.cookie()
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

var (
	formPattern   = regexp.MustCompile(`(?s)<form method="(get|post)" action="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenPattern = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

type form struct {
	method string
	action string
	fields url.Values
}

// forms returns the forms of the page with their hidden fields.
func (p *page) forms() []form {
	var out []form
	for _, m := range formPattern.FindAllStringSubmatch(p.body, -1) {
		f := form{method: m[1], action: html.UnescapeString(m[2]), fields: url.Values{}}
		for _, h := range hiddenPattern.FindAllStringSubmatch(m[3], -1) {
			f.fields.Add(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		out = append(out, f)
	}
	return out
}

// form returns the page's form whose action ends with suffix.
func (p *page) form(t *testing.T, suffix string) form {
	t.Helper()
	for _, f := range p.forms() {
		if strings.HasSuffix(f.action, suffix) {
			return f
		}
	}
	t.Fatalf("no form posting to *%s on the page (status %d, %s):\n%s", suffix, p.status, p.url, p.body)
	return form{}
}

// submit posts a form of the page with its hidden fields and extra ones.
func (b *browser) submit(p *page, suffix string, extra url.Values) *page {
	b.t.Helper()
	f := p.form(b.t, suffix)
	v := url.Values{}
	for k, vs := range f.fields {
		v[k] = append([]string(nil), vs...)
	}
	for k, vs := range extra {
		v[k] = vs
	}
	return b.post(f.action, v)
}

// signIn fills the sign-in form of p.
func (b *browser) signIn(p *page, username, pw string) *page {
	b.t.Helper()
	return b.submit(p, "/login", url.Values{"username": {username}, "password": {pw}})
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
func callbackOf(t *testing.T, b *browser, p *page) callback {
	t.Helper()
	if p.status == http.StatusSeeOther {
		loc, err := url.Parse(p.header.Get("Location"))
		if err != nil {
			t.Fatalf("bad Location %q: %v", p.header.Get("Location"), err)
		}
		if loc.Host == b.host {
			t.Fatalf("got a redirect within the server to %s, want one to the client", loc)
		}
		base := *loc
		base.RawQuery = ""
		return callback{params: loc.Query(), mode: "query", uri: base.String()}
	}
	if p.status == http.StatusOK && strings.Contains(p.body, "document.forms[0].submit()") {
		fs := p.forms()
		if len(fs) != 1 {
			t.Fatalf("form_post page has %d forms", len(fs))
		}
		return callback{params: fs[0].fields, mode: "form_post", uri: fs[0].action}
	}
	t.Fatalf("got status %d at %s, want an authorization response:\n%s", p.status, p.url, p.body)
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

// auditEvents returns the tenant's audit events of one action, once every
// queued event is written.
func auditEvents(t *testing.T, s *gatehousetest.Server, tenantID, action string) []*gatehouse.AuditEvent {
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
	p := b.get(authorize)
	if !strings.Contains(p.body, `autocomplete="current-password"`) {
		t.Fatalf("got %d at %s, want the sign-in form:\n%s", p.status, p.url, p.body)
	}
	p = b.signIn(p, username, password)
	if !strings.Contains(p.body, `value="allow"`) {
		t.Fatalf("got %d at %s, want the consent page:\n%s", p.status, p.url, p.body)
	}
	p = b.submit(p, "/login/consent", url.Values{"decision": {"allow"}})
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
