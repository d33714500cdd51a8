package login_test

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/token"
)

// The fuzz targets drive the whole server in-process: its handler with
// every middleware (issuer resolution, body limits, the cross-origin
// check), over a real SQLite store that refuses, as PostgreSQL would,
// text it could not keep. Whatever the input, a browser must get a page
// or a redirect the protocol defines, never a 5xx; an application must
// never be sent anything at an address it did not register; an error
// writes no row; and nothing reaches the store, or the audit log, that
// one of the stores could not keep as it came.

// fuzzWorld is a server with the tenants, users and clients the fuzz
// targets of the pages share.
type fuzzWorld struct {
	s    *gatehousetest.Server
	h    http.Handler
	db   *gatehousetest.DB
	host string
	// text is the store the server uses: it refuses, and remembers, what
	// the PostgreSQL store could not keep or look up.
	text *gatehousetest.TextStore

	acme, globex *gatehouse.Tenant
	// ana signs in with password; bo is where set-password links lead.
	ana, bo *gatehouse.User
	// fp is acme's first-party confidential client: one redirect URI and
	// a post-logout URI. pub is acme's public client, which asks for
	// consent and has two redirect URIs, one with a query and one of a
	// native app. gx is globex's.
	fp, pub, gx *gatehousetest.Client
	clients     []*gatehousetest.Client

	// sent counts requests, so that each comes from its own address and
	// the sign-in rate limit of one address never hides the code behind it.
	sent int
}

func newFuzzWorld(f *testing.F) *fuzzWorld {
	f.Helper()
	var text *gatehousetest.TextStore
	s := gatehousetest.MustRunServer(f, gatehousetest.WithStore(func(st gatehouse.Store) gatehouse.Store {
		text = gatehousetest.NewTextStore(st)
		return text
	}))
	u, err := url.Parse(s.URL)
	if err != nil {
		f.Fatal(err)
	}
	w := &fuzzWorld{s: s, h: s.App.Handler(), db: s.MustOpenDB(f), host: u.Host, text: text}
	w.acme = s.MustTenant(f, "acme")
	w.globex = s.MustTenant(f, "globex")
	w.ana = s.MustUser(f, w.acme.ID, "ana", password, "agent")
	w.bo = s.MustUser(f, w.acme.ID, "bo", "")
	w.fp = s.MustClient(f, w.acme.ID, func(c *gatehouse.Client) {
		c.FirstParty = true
		c.PostLogoutRedirectURIs = []string{"http://127.0.0.1/bye?from=idp"}
	})
	w.pub = s.MustClient(f, w.acme.ID, func(c *gatehouse.Client) {
		c.Type = gatehouse.ClientPublic
		c.RedirectURIs = []string{"http://127.0.0.1/cb?app=1", "com.example.app:/cb"}
	})
	w.gx = s.MustClient(f, w.globex.ID, nil)
	w.clients = []*gatehousetest.Client{w.fp, w.pub, w.gx}
	return w
}

// issuerBase is the path of the issuer a fuzz input picks: the
// platform's, or acme's.
func issuerBase(tenantIssuer bool) string {
	if tenantIssuer {
		return "/t/acme"
	}
	return ""
}

// send serves req in-process as the server would have received it from
// the network.
func (w *fuzzWorld) send(req *http.Request) *httptest.ResponseRecorder {
	w.sent++
	n := w.sent
	req.Host = w.host
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:40000", n>>16&255, n>>8&255, n&255)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	return rec
}

// newRequest builds a request for path with raw as its query (GET) or
// body (POST).
func newRequest(method, path, raw, contentType string) *http.Request {
	req := &http.Request{
		Method:     method,
		URL:        &url.URL{Path: path},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{},
		Body:       http.NoBody,
	}
	if method == http.MethodGet {
		req.URL.RawQuery = gatehousetest.RequestLineSafe(raw)
	} else {
		req.Body = io.NopCloser(strings.NewReader(raw))
		req.ContentLength = int64(len(raw))
		if contentType != "-" {
			req.Header.Set("Content-Type", gatehousetest.HeaderSafe(contentType))
		}
	}
	req.RequestURI = req.URL.RequestURI()
	return req
}

// sessionActive reports whether sess may still be used.
func (w *fuzzWorld) sessionActive(tb testing.TB, sess *gatehouse.Session) bool {
	tb.Helper()
	got, err := w.s.Store.GetSession(context.Background(), sess.TenantID, sess.ID)
	if err != nil {
		tb.Fatalf("read session: %v", err)
	}
	return got.Active(w.s.Clock.Now())
}

// hint mints an ID token of ana for fp, as the token endpoint would, for
// id_token_hint.
func (w *fuzzWorld) hint(tb testing.TB, issuer, sid string) string {
	tb.Helper()
	now := w.s.Clock.Now()
	raw, err := w.s.App.Tokens.IDToken(token.IDClaims{
		Issuer: issuer, Subject: w.ana.ID, Audience: w.fp.ClientID, Expiry: now.Add(time.Hour), IssuedAt: now,
		AuthTime: now, SessionID: sid,
	}, gatehouse.AlgRS256)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// checkStored fails the test when the input made the server hand its
// store something PostgreSQL would refuse, audit events included.
func (w *fuzzWorld) checkStored(t *testing.T) {
	t.Helper()
	if err := w.s.App.Audit.Flush(context.Background()); err != nil {
		t.Errorf("write audit events: %v", err)
	}
	if refused := w.text.TakeRefused(); refused != nil {
		t.Errorf("the store was handed what PostgreSQL refuses: %v", refused)
	}
}

// registeredTarget reports whether loc is one of uris with parameters
// added after it.
func registeredTarget(loc string, uris []string) bool {
	for _, u := range uris {
		if loc == u {
			return true
		}
		if rest, ok := strings.CutPrefix(loc, u); ok && (rest[0] == '?' || rest[0] == '&') {
			return true
		}
	}
	return false
}

// authorizeWant is what the test knows of an authorization request before
// it is sent: whether its client and redirect URI are valid, where
// responses must then go, and how.
type authorizeWant struct {
	valid    bool
	target   string
	state    string
	formPost bool
}

// expectAuthorize reads the parameters as RFC 6749 has the server read
// them (an empty value counts as absent, a repeated one is invalid).
func (w *fuzzWorld) expectAuthorize(base, raw string) authorizeWant {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return authorizeWant{}
	}
	for name, vs := range v {
		vs = slices.DeleteFunc(vs, func(s string) bool { return s == "" })
		if len(vs) == 0 {
			delete(v, name)
		} else {
			v[name] = vs
		}
	}
	if len(v["client_id"]) != 1 || len(v["redirect_uri"]) > 1 {
		return authorizeWant{}
	}
	i := slices.IndexFunc(w.clients, func(c *gatehousetest.Client) bool { return c.ClientID == v.Get("client_id") })
	if i < 0 {
		return authorizeWant{}
	}
	c := w.clients[i]
	if base != "" && c.TenantID != w.acme.ID {
		return authorizeWant{}
	}
	want := authorizeWant{valid: true, target: v.Get("redirect_uri")}
	switch {
	case want.target == "" && len(c.RedirectURIs) == 1:
		want.target = c.RedirectURIs[0]
	case !slices.Contains(c.RedirectURIs, want.target):
		return authorizeWant{}
	}
	if st := v["state"]; len(st) == 1 && len(st[0]) <= 2048 {
		want.state = st[0]
	}
	want.formPost = len(v["response_mode"]) == 1 && v.Get("response_mode") == "form_post"
	return want
}

// FuzzAuthorize sends the authorization endpoint arbitrary parameters, by
// GET or POST, with or without a session, on the platform's issuer or a
// tenant's. In params, {fp}, {pub} and {gx} stand for the client_ids of
// the fixtures, {fp_uri} and {pub_uri} for their redirect URIs,
// {challenge} for a PKCE challenge and {hint} for an ID token of the
// session's user.
func FuzzAuthorize(f *testing.F) {
	w := newFuzzWorld(f)
	valid := "response_type=code&client_id={fp}&redirect_uri={fp_uri}&scope=openid+profile&state=xyz&nonce=n" +
		"&code_challenge={challenge}&code_challenge_method=S256"
	pub := "response_type=code&client_id={pub}&redirect_uri={pub_uri}&scope=openid&state=s1" +
		"&code_challenge={challenge}&code_challenge_method=S256"
	const (
		get         = 0
		post        = 1
		withSession = 2
		onTenant    = 4
		form        = "application/x-www-form-urlencoded"
	)
	huge := strings.Repeat("A", 70<<10)
	seeds := []struct {
		flags       uint8
		params, typ string
	}{
		{get, valid, ""},
		{get | withSession, valid, ""},
		{get | withSession | onTenant, valid, ""},
		{post, valid, form},
		{post | withSession, valid, form},
		{post | withSession, valid, form + "; charset=utf-8"},
		{get, pub, ""},
		{get | withSession, pub + "&prompt=none", ""},
		{get | withSession, pub + "&response_mode=form_post", ""},
		{get | withSession, valid + "&response_mode=form_post", ""},
		{get, "response_type=code&client_id={pub}&redirect_uri=com.example.app%3A%2Fcb&scope=openid&code_challenge={challenge}&code_challenge_method=S256&response_mode=form_post", ""},
		{get | withSession, valid + "&prompt=none", ""},
		{get | withSession, valid + "&prompt=login+none", ""},
		{get | withSession, valid + "&prompt=consent&max_age=0", ""},
		{get | withSession, valid + "&id_token_hint={hint}", ""},
		{get | withSession, valid + "&id_token_hint=eyJhbGciOiJub25lIn0.e30.", ""},
		// Repeated parameters.
		{get, valid + "&client_id={fp}", ""},
		{get, valid + "&redirect_uri={fp_uri}", ""},
		{get, valid + "&state=other", ""},
		{get, valid + "&response_type=code", ""},
		{get, valid + "&response_mode=query&response_mode=form_post", ""},
		{get, valid + "&client_id=", ""},
		// Huge values.
		{get, valid + "&state=" + strings.Repeat("s", 3000), ""},
		{get, valid + "&scope=" + strings.Repeat("openid+", 500), ""},
		{get, valid + "&nonce=" + huge, ""},
		{post, valid + "&login_hint=" + huge, form},
		{get, "client_id=" + strings.Repeat("c", 300) + "&redirect_uri={fp_uri}", ""},
		{get, "client_id={fp}&redirect_uri=http://127.0.0.1/" + strings.Repeat("p", 3000), ""},
		{get, valid + "&max_age=99999999999999999999", ""},
		{get, valid + "&max_age=-1", ""},
		{get, valid + "&max_age=+5", ""},
		// Invalid UTF-8 and bad escapes.
		{get, valid + "&state=%ff%fe%00", ""},
		{get, valid + "&state=\xff\xfe", ""},
		{get, valid + "&scope=openid+%ff", ""},
		{get, valid + "&prompt=%c0%80", ""},
		{get, "client_id=%zz&redirect_uri={fp_uri}", ""},
		{get, valid + ";x=1", ""},
		{get, "client_id=%ff&response_type=code", ""},
		// Values no store keeps as text, and a max_age beyond PostgreSQL's
		// integer and time.Duration: they used to reach the store, which
		// PostgreSQL answers with an error the page showed as a 500.
		{get, valid + "&nonce=%ff", ""},
		{get, valid + "&login_hint=ana%00", ""},
		{post, valid + "&ui_locales=%C0", form},
		{get, valid + "&max_age=9999999999", ""},
		{get | withSession, valid + "&prompt=none&max_age=9999999999", ""},
		{get, "response_type=code&client_id=%00{fp}&redirect_uri={fp_uri}", ""},
		// Redirect URIs that are not registered, exactly.
		{get, "response_type=code&client_id={fp}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&state=x", ""},
		{get, "response_type=code&client_id={fp}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback%23frag&state=x", ""},
		{get, "response_type=code&client_id={fp}&redirect_uri=HTTP%3A%2F%2F127.0.0.1%2Fcallback&state=x", ""},
		{get, "response_type=code&client_id={pub}&state=x&scope=openid", ""},
		{get, "response_type=code&client_id={pub}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&state=x", ""},
		{get | onTenant, "response_type=code&client_id={gx}&state=x&scope=openid", ""},
		{get, "response_type=code&client_id={gx}&state=x&scope=openid", ""},
		// Other errors the client is told about.
		{get, "client_id={fp}&state=x", ""},
		{get, valid + "&request=eyJ9", ""},
		{get, valid + "&request_uri=urn%3Ax", ""},
		{get, valid + "&response_type=token", ""},
		{get, valid + "&response_mode=fragment", ""},
		{get, valid + "&code_challenge_method=plain", ""},
		{get, "response_type=code&client_id={pub}&redirect_uri={pub_uri}&scope=openid&code_challenge=short&code_challenge_method=S256", ""},
		{get, "response_type=code&client_id={pub}&redirect_uri={pub_uri}&scope=openid", ""},
		{get, valid + "&scope=openid+admin", ""},
		{get, valid + "&prompt=bogus", ""},
		// Bodies that are not forms.
		{post, valid, "application/json"},
		{post, `{"client_id":"{fp}","redirect_uri":"{fp_uri}"}`, "application/json"},
		{post, valid, "text/plain"},
		{post, valid, "-"},
		{post, valid, "multipart/form-data; boundary=x"},
		{post, valid, "application/x-www-form-urlencoded; ="},
		{post | withSession, valid + "&nonce=" + huge, form},
		{get, "", ""},
		{post, "", form},
	}
	for _, sd := range seeds {
		f.Add(sd.flags, sd.params, sd.typ)
	}
	names := strings.NewReplacer(
		"{fp}", url.QueryEscape(w.fp.ClientID),
		"{pub}", url.QueryEscape(w.pub.ClientID),
		"{gx}", url.QueryEscape(w.gx.ClientID),
		"{fp_uri}", url.QueryEscape(w.fp.RedirectURIs[0]),
		"{pub_uri}", url.QueryEscape(w.pub.RedirectURIs[0]),
		"{challenge}", challenge(),
	)
	f.Fuzz(func(t *testing.T, flags uint8, params, contentType string) {
		defer w.checkStored(t)
		base := issuerBase(flags&onTenant != 0)
		issuer := w.s.URL + base
		var (
			sess   *gatehouse.Session
			cookie string
		)
		if flags&withSession != 0 {
			sess, cookie = w.s.MustSession(t, w.ana)
		}
		if strings.Contains(params, "{hint}") {
			sid := ""
			if sess != nil {
				sid = sess.ID
			}
			params = strings.ReplaceAll(params, "{hint}", w.hint(t, issuer, sid))
		}
		params = names.Replace(params)

		method := http.MethodGet
		if flags&post != 0 {
			method = http.MethodPost
		}
		before := w.db.MustRowCounts(t)
		req := newRequest(method, base+"/oauth/authorize", params, contentType)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
		}
		var want authorizeWant
		if method == http.MethodGet {
			want = w.expectAuthorize(base, req.URL.RawQuery)
		} else if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err == nil &&
			mt == "application/x-www-form-urlencoded" && len(params) <= 64<<10 {
			// Any other body is one the endpoint cannot read at all.
			want = w.expectAuthorize(base, params)
		}
		rec := w.send(req)
		failed := w.checkAuthorize(t, base, issuer, want, rec)

		if loc := rec.Header().Get("Location"); method == http.MethodPost && cookie == "" && !gatehousetest.Offsite(loc) {
			// A cross-site POST carries no session cookie: it goes on as
			// a GET, which must then be answered as above.
			u, _ := url.Parse(loc)
			if u.Path == base+"/oauth/authorize" {
				again := w.expectAuthorize(base, u.RawQuery)
				if again != want {
					t.Errorf("the POST was re-sent as a GET that reads differently:\n%+v\n%+v", want, again)
				}
				rec = w.send(newRequest(http.MethodGet, u.Path, u.RawQuery, ""))
				failed = w.checkAuthorize(t, base, issuer, want, rec)
			}
		}
		if failed {
			if added := before.Added(w.db.MustRowCounts(t)); added != nil {
				t.Errorf("an error answer (%d) wrote rows: %v", rec.Code, added)
			}
		}
	})
}

// checkAuthorize checks one answer of the authorization endpoint against
// want, and reports whether it is an error (a page, or an error
// response to the client).
func (w *fuzzWorld) checkAuthorize(t *testing.T, base, issuer string, want authorizeWant, rec *httptest.ResponseRecorder) bool {
	t.Helper()
	loc := rec.Header().Get("Location")
	switch {
	case rec.Code >= 500:
		t.Fatalf("got %d:\n%s", rec.Code, rec.Body)
	case rec.Code == http.StatusSeeOther && gatehousetest.Offsite(loc):
		if !want.valid {
			t.Fatalf("redirected to %s, but the client or redirect URI is not valid", loc)
		}
		if !registeredTarget(loc, []string{want.target}) {
			t.Fatalf("redirected to %s, want %s", loc, want.target)
		}
		if want.formPost {
			t.Errorf("got a query response, want form_post")
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("bad Location %q: %v", loc, err)
		}
		return checkAuthorizeParams(t, u.Query(), issuer, want)
	case rec.Code == http.StatusSeeOther:
		u, _ := url.Parse(loc)
		switch u.Path {
		case base + "/login", base + "/login/consent":
			if !want.valid {
				t.Fatalf("sent on to %s, but the client or redirect URI is not valid", loc)
			}
		case base + "/oauth/authorize":
		default:
			t.Fatalf("redirected to %s", loc)
		}
		return false
	case rec.Code == http.StatusOK:
		if !want.valid || !want.formPost {
			t.Fatalf("got 200, want an error page or a redirect (valid %v):\n%s", want.valid, rec.Body)
		}
		issURL, _ := url.Parse(issuer)
		p := &gatehousetest.Page{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String(), URL: issURL}
		fs := p.Forms()
		if len(fs) != 1 || fs[0].Action != want.target || !strings.Contains(p.Body, "document.forms[0].submit()") {
			t.Fatalf("got a page that is not a form_post to %s:\n%s", want.target, p.Body)
		}
		return checkAuthorizeParams(t, fs[0].Fields, issuer, want)
	case rec.Code >= 400:
		if want.valid {
			t.Fatalf("got an error page (%d), want errors redirected to %s:\n%s", rec.Code, want.target, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") && rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("got an error of type %q, want a page", ct)
		}
		return true
	default:
		t.Fatalf("got %d to %q", rec.Code, loc)
	}
	return false
}

// checkAuthorizeParams checks the parameters of an authorization response
// to the client, and reports whether it is an error.
func checkAuthorizeParams(t *testing.T, v url.Values, issuer string, want authorizeWant) bool {
	t.Helper()
	if v.Get("code") == "" && v.Get("error") == "" {
		t.Errorf("the response has neither code nor error: %v", v)
	}
	if got := v.Get("iss"); got != issuer {
		t.Errorf("got iss %q, want %q", got, issuer)
	}
	if got := v.Get("state"); got != want.state {
		t.Errorf("got state %.80q, want %.80q", got, want.state)
	}
	return v.Get("error") != ""
}

// formRoute is a page that takes what a form (or a link) sends.
type formRoute struct {
	method, path string
	// crossSite marks the endpoints other sites may post to by design.
	crossSite bool
}

var formRoutes = []formRoute{
	{http.MethodPost, "/login", false},
	{http.MethodPost, "/login/consent", false},
	{http.MethodPost, "/login/continue", false},
	{http.MethodPost, "/oauth/logout", true},
	{http.MethodGet, "/oauth/logout", true},
	{http.MethodPost, "/oauth/logout/confirm", false},
	{http.MethodPost, "/account/sessions/revoke", false},
	{http.MethodPost, "/account/apps/revoke", false},
	{http.MethodPost, "/account/sign-out-everywhere", false},
	{http.MethodPost, "/account/credentials", false},
	{http.MethodPost, "/account/credentials/revoke", false},
	{http.MethodPost, "/password/set", false},
	{http.MethodGet, "/login", false},
	{http.MethodGet, "/login/consent", false},
	{http.MethodGet, "/account", false},
	{http.MethodGet, "/account/credentials/new", false},
	{http.MethodGet, "/password/set", false},
}

// Fetch metadata a fuzz input picks for its request: none (a client that
// is not a browser), a same-origin form, a cross-site form, or a foreign
// Origin from a browser without Sec-Fetch-Site.
const (
	fetchNone = iota
	fetchSameOrigin
	fetchCrossSite
	fetchForeignOrigin
)

// newCredential stores a JWT credential of u and returns its id.
func (w *fuzzWorld) newCredential(tb testing.TB, u *gatehouse.User) string {
	tb.Helper()
	now := w.s.Clock.Now()
	c := &gatehouse.JWTCredential{ID: secret.NewID(), TenantID: u.TenantID, UserID: u.ID, Name: "ci",
		Hash: secret.Hash(secret.Token(16)), AllowedClientIDs: []string{w.fp.ClientID}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := w.s.Store.CreateJWTCredential(context.Background(), c); err != nil {
		tb.Fatalf("create JWT credential: %v", err)
	}
	return c.ID
}

// newRequestHandle starts an authorization request of pub on the issuer
// at base and returns the handle the pages continue it with.
func (w *fuzzWorld) newRequestHandle(tb testing.TB, base string) string {
	tb.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {w.pub.ClientID}, "redirect_uri": {w.pub.RedirectURIs[0]},
		"scope": {"openid profile"}, "state": {"st"}, "code_challenge": {challenge()}, "code_challenge_method": {"S256"}}
	rec := w.send(newRequest(http.MethodGet, base+"/oauth/authorize", q.Encode(), ""))
	u, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusSeeOther || err != nil || u.Query().Get("request") == "" {
		tb.Fatalf("start an authorization request: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	return u.Query().Get("request")
}

// FuzzPageForms sends the sign-in, consent, logout, account and
// set-password pages arbitrary forms, with or without a session, with
// the fetch metadata of a same-origin form, of a cross-site one, or none.
// The pages tell a forged form by that metadata (net/http's cross-origin
// protection) rather than by a token in the form: a cross-site post to
// any page but the two endpoints relying parties post to must get 403
// and leave the session alone.
// In body, {request} stands for a pending authorization request,
// {session} for the session's id, {app} for pub's registration id,
// {client_id} for fp's client_id, {credential} for a JWT credential of
// the session's user, {token} for a set-password link's token, {hint}
// for an ID token of the session, and {password} for ana's password.
func FuzzPageForms(f *testing.F) {
	w := newFuzzWorld(f)
	const (
		withSession = 1
		sameOrigin  = fetchSameOrigin << 1
		crossSite   = fetchCrossSite << 1
		foreign     = fetchForeignOrigin << 1
		onTenant    = 8
		form        = "application/x-www-form-urlencoded"
	)
	route := func(method, path string) uint8 {
		i := slices.Index(formRoutes, formRoute{method, path, path == "/oauth/logout"})
		if i < 0 {
			f.Fatalf("no route %s %s", method, path)
		}
		return uint8(i)
	}
	huge := strings.Repeat("x", 100<<10)
	seeds := []struct {
		route       uint8
		flags       uint8
		body, ctype string
	}{
		{route("POST", "/login"), sameOrigin, "request={request}&username=ana&password={password}", form},
		{route("POST", "/login"), sameOrigin | onTenant, "request={request}&username=ana&password={password}", form},
		{route("POST", "/login"), sameOrigin, "request={request}&username=ana&password=wrong", form},
		{route("POST", "/login"), sameOrigin, "request={request}&username=ana%40example.com&password={password}", form},
		{route("POST", "/login"), sameOrigin, "organization=acme&username=ana&password={password}&return=%2Faccount%2Fcredentials%2Fnew%3Fclient_id%3Dx", form},
		{route("POST", "/login"), sameOrigin | onTenant, "username=ana&password={password}&return=https%3A%2F%2Fevil.example", form},
		{route("POST", "/login"), sameOrigin, "organization=%ff&username=ana&password=x", form},
		{route("POST", "/login"), sameOrigin, "request={request}&username=" + huge + "&password=x", form},
		{route("POST", "/login"), sameOrigin, "request={request}&username=\xff\xfe&password=" + huge, form},
		{route("POST", "/login"), sameOrigin, "request=nope.nope&username=ana&password=x", form},
		{route("POST", "/login"), sameOrigin, "request={request}&request={request}&username=ana&password={password}", form},
		{route("POST", "/login"), sameOrigin, "request=%zz", form},
		{route("POST", "/login"), sameOrigin, `{"username":"ana","password":"x"}`, "application/json"},
		{route("POST", "/login"), sameOrigin, "request={request}&username=ana&password={password}", "-"},
		{route("POST", "/login"), sameOrigin, "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nana\r\n--x--\r\n", "multipart/form-data; boundary=x"},
		{route("POST", "/login"), sameOrigin, "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nana", "multipart/form-data; boundary=x"},
		{route("POST", "/login"), sameOrigin, "request={request}", "multipart/form-data"},
		{route("POST", "/login"), crossSite, "request={request}&username=ana&password={password}", form},
		{route("POST", "/login"), foreign | withSession, "request={request}&username=ana&password={password}", form},
		// Names and ids no store keeps as text used to reach the store (a
		// 500 over PostgreSQL), and a name cut inside a character for the
		// audit log broke the tenant's chain.
		{route("POST", "/login"), sameOrigin, "request={request}&username=ana%00&password=x", form},
		{route("POST", "/login"), sameOrigin | onTenant, "username=" + strings.Repeat("x", 99) + "%C3%A9&password=x", form},
		{route("POST", "/login"), sameOrigin, "request=%00.x&username=ana&password=x", form},
		{route("POST", "/account/sessions/revoke"), sameOrigin | withSession, "session=%ff", form},
		{route("POST", "/account/credentials/revoke"), sameOrigin | withSession, "credential=%00", form},
		{route("GET", "/account/credentials/new"), withSession, "client_id=%00", ""},
		{route("POST", "/login/consent"), sameOrigin | withSession, "request={request}&decision=allow", form},
		{route("POST", "/login/consent"), sameOrigin | withSession | onTenant, "request={request}&decision=allow", form},
		{route("POST", "/login/consent"), sameOrigin | withSession, "request={request}&decision=deny", form},
		{route("POST", "/login/consent"), sameOrigin, "request={request}&decision=allow", form},
		{route("POST", "/login/consent"), sameOrigin | withSession, "request={request}&decision=allow&decision=deny", form},
		{route("POST", "/login/consent"), sameOrigin | withSession, "request=" + huge, form},
		{route("POST", "/login/consent"), crossSite | withSession, "request={request}&decision=allow", form},
		{route("POST", "/login/continue"), sameOrigin | withSession, "request={request}", form},
		{route("POST", "/login/continue"), sameOrigin, "request=.", form},
		{route("POST", "/oauth/logout"), withSession, "id_token_hint={hint}&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2Fbye%3Ffrom%3Didp&state=s", form},
		{route("POST", "/oauth/logout"), crossSite, "client_id={client_id}&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2Fbye%3Ffrom%3Didp", form},
		{route("POST", "/oauth/logout"), withSession, "client_id={client_id}&client_id={client_id}", form},
		{route("POST", "/oauth/logout"), withSession, "id_token_hint=x.y.z", "text/plain"},
		{route("GET", "/oauth/logout"), withSession, "id_token_hint={hint}&post_logout_redirect_uri=https%3A%2F%2Fevil.example&state=s", ""},
		{route("GET", "/oauth/logout"), withSession | onTenant, "id_token_hint={hint}&client_id={client_id}&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2Fbye%3Ffrom%3Didp", ""},
		{route("GET", "/oauth/logout"), 0, "client_id=" + huge, ""},
		{route("GET", "/oauth/logout"), 0, "state=%ff&client_id=%00", ""},
		{route("POST", "/oauth/logout/confirm"), sameOrigin | withSession, "client_id={client_id}&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2Fbye%3Ffrom%3Didp&state=%ff", form},
		{route("POST", "/oauth/logout/confirm"), crossSite | withSession, "", form},
		{route("POST", "/oauth/logout/confirm"), sameOrigin | withSession, "client_id=" + huge, form},
		{route("POST", "/account/sessions/revoke"), sameOrigin | withSession, "session={session}", form},
		{route("POST", "/account/sessions/revoke"), sameOrigin | withSession, "session=" + huge, form},
		{route("POST", "/account/sessions/revoke"), crossSite | withSession, "session={session}", form},
		{route("POST", "/account/apps/revoke"), sameOrigin | withSession, "client={app}", form},
		{route("POST", "/account/apps/revoke"), sameOrigin | withSession, "client=%00%ff", form},
		{route("POST", "/account/sign-out-everywhere"), sameOrigin | withSession, "", form},
		{route("POST", "/account/sign-out-everywhere"), foreign | withSession, "", form},
		{route("POST", "/account/credentials"), sameOrigin | withSession, "name=ci&expires=90&audience=clients&client_ids={client_id}", form},
		{route("POST", "/account/credentials"), sameOrigin | withSession | onTenant, "name=ci&expires=date&expires_on=2099-01-01&audience=any", form},
		{route("POST", "/account/credentials"), sameOrigin | withSession, "name=%00&expires=date&expires_on=9999-99-99&audience=bogus&client_ids=" + huge, form},
		{route("POST", "/account/credentials"), sameOrigin | withSession, "name=\xff&expires=-1&audience=clients&client_ids=%ff,%00,,a,a", form},
		{route("POST", "/account/credentials/revoke"), sameOrigin | withSession, "credential={credential}", form},
		{route("POST", "/account/credentials/revoke"), sameOrigin | withSession, "credential={credential}&confirm=yes", form},
		{route("POST", "/password/set"), sameOrigin, "token={token}&password=a+new+password&confirm=a+new+password", form},
		{route("POST", "/password/set"), sameOrigin | onTenant, "token={token}&password=short&confirm=short", form},
		{route("POST", "/password/set"), sameOrigin, "token={token}&password=a+new+password&confirm=other", form},
		{route("POST", "/password/set"), sameOrigin, "token=" + huge, form},
		{route("POST", "/password/set"), crossSite, "token={token}&password=a+new+password&confirm=a+new+password", form},
		{route("GET", "/login"), withSession, "request={request}", ""},
		{route("GET", "/login"), 0, "request={request}&switch=1", ""},
		{route("GET", "/login/consent"), withSession, "request={request}", ""},
		{route("GET", "/account"), 0, "organization=%ff", ""},
		{route("GET", "/account"), withSession, "done=session", ""},
		{route("GET", "/account/credentials/new"), withSession, "client_id={client_id}", ""},
		{route("GET", "/account/credentials/new"), 0, "client_id={client_id}&organization=acme", ""},
		{route("GET", "/password/set"), 0, "token={token}", ""},
	}
	for _, sd := range seeds {
		f.Add(sd.route, sd.flags, sd.body, sd.ctype)
	}
	var offsiteURIs []string
	for _, c := range w.clients {
		offsiteURIs = append(offsiteURIs, c.RedirectURIs...)
		offsiteURIs = append(offsiteURIs, c.PostLogoutRedirectURIs...)
	}
	f.Fuzz(func(t *testing.T, routeIndex, flags uint8, body, contentType string) {
		defer w.checkStored(t)
		ctx := context.Background()
		rt := formRoutes[int(routeIndex)%len(formRoutes)]
		base := issuerBase(flags&onTenant != 0)
		issuer := w.s.URL + base
		fetch := int(flags>>1) & 3
		// Each input starts from an account that may sign in.
		if err := w.s.Store.ResetSignInFailures(ctx, w.acme.ID, w.ana.ID); err != nil {
			t.Fatal(err)
		}
		var (
			sess   *gatehouse.Session
			cookie string
		)
		if flags&withSession != 0 {
			sess, cookie = w.s.MustSession(t, w.ana)
		}
		sid := ""
		if sess != nil {
			sid = sess.ID
		}
		placeholders := []struct {
			name  string
			value func() string
		}{
			{"{request}", func() string { return w.newRequestHandle(t, base) }},
			{"{session}", func() string { return sid }},
			{"{app}", func() string { return w.pub.ID }},
			{"{client_id}", func() string { return w.fp.ClientID }},
			{"{credential}", func() string { return w.newCredential(t, w.ana) }},
			{"{token}", func() string {
				_, link, err := w.s.App.Admin.IssuePasswordLink(ctx, gatehousetest.Actor(), w.acme.ID, w.bo.ID)
				if err != nil {
					t.Fatal(err)
				}
				return link.Token
			}},
			{"{hint}", func() string { return w.hint(t, issuer, sid) }},
			{"{password}", func() string { return password }},
		}
		for _, p := range placeholders {
			if strings.Contains(body, p.name) {
				body = strings.ReplaceAll(body, p.name, url.QueryEscape(p.value()))
			}
		}
		if contentType == "" {
			contentType = "application/x-www-form-urlencoded"
		}

		before := w.db.MustRowCounts(t)
		req := newRequest(rt.method, base+rt.path, body, contentType)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		switch fetch {
		case fetchSameOrigin:
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.Header.Set("Origin", w.s.URL)
		case fetchCrossSite:
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "https://evil.example")
		case fetchForeignOrigin:
			req.Header.Set("Origin", "https://evil.example")
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
		}
		rec := w.send(req)
		loc := rec.Header().Get("Location")
		if rec.Code >= 500 {
			t.Fatalf("%s %s: got %d:\n%s", rt.method, rt.path, rec.Code, rec.Body)
		}
		if rt.method == http.MethodPost && !rt.crossSite && (fetch == fetchCrossSite || fetch == fetchForeignOrigin) {
			if rec.Code != http.StatusForbidden {
				t.Errorf("a cross-site post to %s got %d to %q, want 403", rt.path, rec.Code, loc)
			}
			if sess != nil && !w.sessionActive(t, sess) {
				t.Errorf("a cross-site post to %s ended the session", rt.path)
			}
		}
		if loc != "" && gatehousetest.Offsite(loc) && !registeredTarget(loc, offsiteURIs) {
			t.Errorf("%s %s redirected to %s, which no client registered", rt.method, rt.path, loc)
		}
		if rec.Code >= 400 {
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") && rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("%s %s: got %d of type %q, want a page", rt.method, rt.path, rec.Code, ct)
			}
			if added := before.Added(w.db.MustRowCounts(t)); added != nil {
				t.Errorf("%s %s: an error answer (%d) wrote rows: %v", rt.method, rt.path, rec.Code, added)
			}
		}
	})
}
