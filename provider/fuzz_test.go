package provider_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	// The driver of the read-only view of the store's file that the row
	// checks use; the store itself has no way to count rows.
	_ "modernc.org/sqlite"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/token"
)

// The fuzz targets send arbitrary requests to the back-channel endpoints
// through the server's complete handler (issuer resolution, body limit,
// panic recovery, the endpoint), in process, over SQLite. Whatever the
// input, the answer must be the protocol's: never a 5xx (a panic shows as
// one, since the server recovers it), a JSON error with a registered code
// and the challenge the RFC asks for, and no grant or refresh token left
// behind by a request that failed. Plain `go test` runs the seeds; to
// fuzz, one target at a time:
//
//	go test ./provider/ -run '^$' -fuzz '^FuzzToken$' -fuzztime 60s
//
// Inputs name the fixture's secrets by placeholder, so that a corpus
// entry means the same in every process (each fuzzing worker builds its
// own server, with its own secrets):
//
//	{id} {secret}   the confidential client, allowed every grant
//	{basic}         its HTTP Basic credentials (RFC 6749 §2.3.1)
//	{pub}           a public client's client_id
//	{fbasic}        Basic credentials of a client of another tenant
//	{code}          a fresh authorization code of {id}, no PKCE
//	{pubcode}       a fresh code of {pub}, challenge of fuzzVerifier
//	{refresh}       a fresh refresh token of {id}
//	{access}        an access token of the user (openid profile email ...)
//	{narrow}        an access token without openid
//	{cc}            a client_credentials access token of {id}
//	{idtoken}       an ID token
//	{assertion}     a JWT credential of the user, any client allowed
//
// Tokens are those of the request's issuer: the platform, or the tenant
// issuer /t/acme when the input says so.

const (
	// fuzzVerifier is the PKCE verifier of {pubcode}.
	fuzzVerifier = "fuzz-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
	// fuzzRedirect is the registered redirect URI, form-encoded.
	fuzzRedirect = "http%3A%2F%2F127.0.0.1%2Fcallback"
	fuzzJWTGrant = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
	formType     = "application/x-www-form-urlencoded"
)

// fuzzFixture is a server and the values the placeholders stand for.
type fuzzFixture struct {
	e  *env
	h  http.Handler
	db *gatehousetest.DB // read-only, for the row checks

	app, pub, foreign *gatehousetest.Client
	// fixed holds the placeholders whose value does not change, as
	// strings.NewReplacer pairs, by issuer (true: the tenant issuer).
	fixed map[bool][]string
}

func issuerPrefix(tenant bool) string {
	if tenant {
		return "/t/acme"
	}
	return ""
}

func newFuzzFixture(f *testing.F) *fuzzFixture {
	f.Helper()
	e := newEnv(f)
	fx := &fuzzFixture{e: e, h: e.s.App.Handler(), fixed: map[bool][]string{}}
	fx.app = e.s.MustClient(f, e.tenant.ID, func(c *gatehouse.Client) {
		c.GrantTypes = []string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken,
			gatehouse.GrantClientCredentials, gatehouse.GrantJWTBearer}
	})
	fx.pub = e.s.MustClient(f, e.tenant.ID, func(c *gatehouse.Client) { c.Type = gatehouse.ClientPublic })
	globex := e.s.MustTenant(f, "globex")
	fx.foreign = e.s.MustClient(f, globex.ID, nil)

	common := []string{
		"{id}", fx.app.ClientID, "{secret}", fx.app.ClientSecret, "{basic}", basicCredentials(fx.app),
		"{pub}", fx.pub.ClientID, "{fbasic}", basicCredentials(fx.foreign),
	}
	for _, tenant := range []bool{false, true} {
		prefix := issuerPrefix(tenant)
		full := fx.login(f, prefix, nil)
		narrow := fx.login(f, prefix, []string{"email", "profile"})
		assertion, _ := e.mustCredential(f, credOpts{issuer: e.s.URL + prefix})
		fx.fixed[tenant] = append(slices.Clone(common),
			"{access}", full.AccessToken, "{idtoken}", full.IDToken, "{narrow}", narrow.AccessToken,
			"{cc}", fx.clientCredentials(f, prefix), "{assertion}", assertion)
	}

	fx.db = e.s.MustOpenDB(f)
	return fx
}

// basicCredentials encodes a client's id and secret for HTTP Basic, each
// form-encoded first as RFC 6749 §2.3.1 asks.
func basicCredentials(c *gatehousetest.Client) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(c.ClientSecret)))
}

// serve sends one request to the handler.
func (fx *fuzzFixture) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	return rec
}

// login exchanges a code of the confidential client at an issuer's token
// endpoint.
func (fx *fuzzFixture) login(tb testing.TB, prefix string, scopes []string) tokenSet {
	tb.Helper()
	code := fx.e.mustCode(tb, fx.app, codeOpts{scopes: scopes})
	rec := fx.serve(formRequest(fx.e.s.URL+prefix+"/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {fx.app.RedirectURIs[0]},
	}, fx.app))
	return mustTokens(tb, result{status: rec.Code, raw: rec.Body.Bytes()})
}

// clientCredentials gets the confidential client a token for itself at an
// issuer's token endpoint.
func (fx *fuzzFixture) clientCredentials(tb testing.TB, prefix string) string {
	tb.Helper()
	rec := fx.serve(formRequest(fx.e.s.URL+prefix+"/oauth/token",
		url.Values{"grant_type": {"client_credentials"}}, fx.app))
	return mustTokens(tb, result{status: rec.Code, raw: rec.Body.Bytes()}).AccessToken
}

// mustRefresh stores a grant and a refresh token of the confidential
// client the way a code exchange does, without the exchange's signatures,
// which would cost more than the request under test.
func (fx *fuzzFixture) mustRefresh(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	now := fx.e.s.Clock.Now()
	c := fx.app
	g := &gatehouse.Grant{
		ID: secret.NewID(), TenantID: c.TenantID, Client: c.ID, UserID: fx.e.user.ID,
		Scopes: []string{"email", "offline_access", "openid", "profile"}, SessionID: secret.NewID(),
		CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
	if err := fx.e.s.Store.CreateGrant(ctx, g); err != nil {
		tb.Fatalf("create grant: %v", err)
	}
	value, hash := token.NewHandle()
	err := fx.e.s.Store.CreateRefreshToken(ctx, &gatehouse.RefreshToken{
		Hash: hash, TenantID: g.TenantID, GrantID: g.ID, Client: c.ID, UserID: g.UserID, Scopes: g.Scopes,
		SessionID: g.SessionID, AuthTime: now.Add(-time.Minute), AMR: []string{"pwd"}, ACR: "1",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		tb.Fatalf("create refresh token: %v", err)
	}
	return value
}

// expand replaces the placeholders of each input with the fixture's
// values, minting the single-use ones only when an input names them.
func (fx *fuzzFixture) expand(t *testing.T, tenant bool, in ...string) []string {
	pairs := slices.Clip(fx.fixed[tenant])
	all := strings.Join(in, "")
	if strings.Contains(all, "{code}") {
		pairs = append(pairs, "{code}", fx.e.mustCode(t, fx.app, codeOpts{}))
	}
	if strings.Contains(all, "{pubcode}") {
		pairs = append(pairs, "{pubcode}", fx.e.mustCode(t, fx.pub, codeOpts{verifier: fuzzVerifier}))
	}
	if strings.Contains(all, "{refresh}") {
		pairs = append(pairs, "{refresh}", fx.mustRefresh(t))
	}
	r := strings.NewReplacer(pairs...)
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = r.Replace(s)
	}
	return out
}

// headerLines splits a fuzzed header into the values of one header line
// each, as a server reads them (surrounding blanks dropped). It reports
// false for a value no HTTP/1.1 server accepts (a control character), an
// input that cannot reach the handler.
func headerLines(s string) ([]string, bool) {
	if s == "" {
		return nil, true
	}
	lines := strings.Split(s, "\n")
	for i, v := range lines {
		v = strings.Trim(v, " \t")
		for j := 0; j < len(v); j++ {
			if c := v[j]; c < 0x20 && c != '\t' || c == 0x7f {
				return nil, false
			}
		}
		lines[i] = v
	}
	return lines, true
}

// validQuery reports whether a raw query can be sent in a request line: no
// blank or control character.
func validQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// fuzzInput is one fuzzed request to an endpoint.
type fuzzInput struct {
	method string
	tenant bool   // at the tenant issuer /t/acme
	query  string // raw query string
	auth   string // Authorization header lines, one a line; "" for none
	ctype  string // Content-Type header lines; "" for none
	body   []byte
}

// request builds the request of an input, its placeholders replaced; it
// returns nil for an input that cannot be sent over HTTP/1.1.
func (fx *fuzzFixture) request(t *testing.T, path string, in fuzzInput) *http.Request {
	if !validQuery(in.query) {
		return nil
	}
	auths, ok := headerLines(in.auth)
	if !ok {
		return nil
	}
	ctypes, ok := headerLines(in.ctype)
	if !ok {
		return nil
	}
	x := fx.expand(t, in.tenant, in.query, strings.Join(auths, "\n"), string(in.body))
	req := httptest.NewRequest(in.method, fx.e.s.URL+issuerPrefix(in.tenant)+path, bytes.NewReader([]byte(x[2])))
	if x[0] != "" {
		req.URL.RawQuery = x[0]
		req.RequestURI += "?" + x[0]
	}
	if in.auth != "" {
		req.Header["Authorization"] = strings.Split(x[1], "\n")
	}
	if in.ctype != "" {
		req.Header["Content-Type"] = ctypes
	}
	return req
}

// writes are the rows an endpoint may add when it succeeds.
type writes int

const (
	writesNothing     writes = iota // introspection, userinfo
	writesRevocations               // revocation: a revoked access token
	writesGrants                    // token: grants and refresh tokens
)

// serverLog returns the last lines the server logged, which hold the
// stack of a recovered panic.
func (fx *fuzzFixture) serverLog() string {
	lines := strings.Split(strings.TrimSpace(fx.e.s.Log.String()), "\n")
	return strings.Join(lines[max(0, len(lines)-4):], "\n")
}

// endpoint is what the checks know of one endpoint.
type endpoint struct {
	name string
	path string
	// codes are the error codes its RFC registers for it.
	codes []string
	// bearer marks a protected resource (RFC 6750): every error carries a
	// Bearer challenge.
	bearer bool
	// writes says which rows a successful request may add.
	writes writes
	// notInURL are the parameters a request must never get through with
	// in its query string: credentials end up in logs there.
	notInURL []string
	// okBody checks a 200 answer.
	okBody func(t *testing.T, raw []byte)
}

// clientParams are the client authentication parameters (RFC 6749
// §2.3.1, RFC 7523 §2.2).
var clientParams = []string{"client_id", "client_secret", "client_assertion", "client_assertion_type"}

// introspectRevokeCodes are the codes of RFC 6749 §5.2 (which RFC 7662
// §2.3 and RFC 7009 §2.2.1 use) that introspection and revocation can
// answer: they fail the request or the client, never a grant or a scope.
var introspectRevokeCodes = []string{"invalid_request", "invalid_client"}

var (
	tokenEndpoint = endpoint{
		name: "token", path: "/oauth/token", notInURL: clientParams, writes: writesGrants,
		codes: []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
			"unsupported_grant_type", "invalid_scope"},
		okBody: func(t *testing.T, raw []byte) {
			var ts tokenSet
			if err := json.Unmarshal(raw, &ts); err != nil || ts.AccessToken == "" || ts.TokenType != "Bearer" || ts.ExpiresIn <= 0 {
				t.Fatalf("token response: got %s, want an access token of type Bearer", raw)
			}
		},
	}
	introspectEndpoint = endpoint{
		name: "introspection", path: "/oauth/introspect", notInURL: clientParams, writes: writesNothing,
		codes: introspectRevokeCodes,
		okBody: func(t *testing.T, raw []byte) {
			var v struct {
				Active *bool `json:"active"`
			}
			if err := json.Unmarshal(raw, &v); err != nil || v.Active == nil {
				t.Fatalf("introspection response: got %s, want an object with active", raw)
			}
		},
	}
	revokeEndpoint = endpoint{
		name: "revocation", path: "/oauth/revoke", notInURL: clientParams, writes: writesRevocations,
		// RFC 7009 §2.2.1 adds unsupported_token_type.
		codes: append(slices.Clip(introspectRevokeCodes), "unsupported_token_type"),
		okBody: func(t *testing.T, raw []byte) {
			if len(raw) != 0 {
				t.Fatalf("revocation response: got %q, want an empty body", raw)
			}
		},
	}
	userinfoEndpoint = endpoint{
		name: "userinfo", path: "/oauth/userinfo", bearer: true, writes: writesNothing,
		notInURL: []string{"access_token"},
		codes:    []string{"invalid_request", "invalid_token", "insufficient_scope"},
		okBody: func(t *testing.T, raw []byte) {
			var v struct {
				Sub string `json:"sub"`
			}
			if err := json.Unmarshal(raw, &v); err != nil || v.Sub == "" {
				t.Fatalf("userinfo response: got %s, want claims with sub", raw)
			}
		},
	}
)

// run sends one fuzzed request and checks the answer and the rows.
func (fx *fuzzFixture) run(t *testing.T, ep endpoint, in fuzzInput) {
	req := fx.request(t, ep.path, in)
	if req == nil {
		t.Skip("not a request HTTP/1.1 can carry")
	}
	basic := usedBasic(req)
	before := fx.db.MustRowCounts(t)
	rec := fx.serve(req)
	after := fx.db.MustRowCounts(t)
	raw := rec.Body.Bytes()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s %s%s?%.200q [%d bytes] (Authorization %.200q, Content-Type %q, body %.300q [%d bytes]): %s\n"+
			"response: %d %v %.500s",
			in.method, issuerPrefix(in.tenant), ep.path, in.query, len(in.query), in.auth, in.ctype, in.body, len(in.body),
			fmt.Sprintf(format, args...), rec.Code, rec.Header(), raw)
	}
	if rec.Code >= 500 {
		fail("a server error; the server logged:\n%s", fx.serverLog())
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		fail("Cache-Control %q, want no-store", cc)
	}
	checkRows(fail, ep, rec.Code, before, after)
	if rec.Code == http.StatusOK {
		if name, ok := namesAny(req.URL.RawQuery, ep.notInURL); ok {
			fail("accepted with %s in the URL", name)
		}
		ep.okBody(t, raw)
		return
	}
	if rec.Code < 400 {
		fail("status %d, want 200 or a client error", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		fail("Content-Type %q, want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		fail("the error is not a JSON object: %v", err)
	}
	code, _ := body["error"].(string)
	if !slices.Contains(ep.codes, code) {
		fail("error %q, want one of %v", body["error"], ep.codes)
	}
	if d, ok := body["error_description"]; ok {
		s, isString := d.(string)
		if !isString || !descriptionChars(s) {
			fail("error_description %q is not text RFC 6749 §5.2 allows", d)
		}
	}
	if rec.Code == http.StatusRequestEntityTooLarge {
		// Refused by the server before any endpoint: the body alone.
		if code != "invalid_request" {
			fail("a body too large is %q, want invalid_request", code)
		}
		return
	}
	if ep.bearer {
		checkBearer(fail, rec, code)
	} else {
		checkClient(fail, rec, code, basic)
	}
}

// checkRows checks that a request added only the rows its answer
// accounts for: a refused request none (a failed exchange leaves no grant
// or refresh token behind), a successful one only those its endpoint
// writes. Rows may go: the server sweeps on its own schedule.
func checkRows(fail func(string, ...any), ep endpoint, status int, before, after gatehousetest.RowCounts) {
	grew := func(table string) bool { return after[table] > before[table] }
	grants := grew("grants") || grew("refresh_tokens")
	revoked := grew("revoked_tokens")
	switch {
	case status != http.StatusOK && (grants || revoked):
		fail("a refused request added rows: %v", before.Added(after))
	case ep.writes == writesNothing && (grants || revoked):
		fail("a read-only endpoint added rows: %v", before.Added(after))
	case ep.writes == writesRevocations && grants:
		fail("a revocation added a grant or a refresh token: %v", before.Added(after))
	}
}

// checkClient checks the status of an error of the token, introspection
// or revocation endpoint (RFC 6749 §5.2): 400, except invalid_client,
// which is 401 with a Basic challenge when the client tried Basic, and
// may be 401 otherwise.
func checkClient(fail func(string, ...any), rec *httptest.ResponseRecorder, code string, basic bool) {
	challenge := rec.Header().Get("WWW-Authenticate")
	switch {
	case code != "invalid_client":
		if rec.Code != http.StatusBadRequest {
			fail("%s with status %d, want 400", code, rec.Code)
		}
	case basic:
		if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Basic ") {
			fail("invalid_client after Basic: status %d, WWW-Authenticate %q; want 401 and a Basic challenge", rec.Code, challenge)
		}
	default:
		if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusBadRequest {
			fail("invalid_client with status %d, want 401 or 400", rec.Code)
		}
	}
}

// checkBearer checks a userinfo error (RFC 6750 §3, §3.1): a Bearer
// challenge naming the body's error, if any, and the status of the code.
func checkBearer(fail func(string, ...any), rec *httptest.ResponseRecorder, code string) {
	challenge := rec.Header().Get("WWW-Authenticate")
	if !strings.HasPrefix(challenge, `Bearer realm="`) {
		fail("WWW-Authenticate %q, want a Bearer challenge", challenge)
	}
	if _, named, ok := strings.Cut(challenge, `error="`); ok {
		if got, _, _ := strings.Cut(named, `"`); got != code {
			fail("the challenge names %q, the body %q", got, code)
		}
	}
	want := map[string]int{
		"invalid_request": http.StatusBadRequest, "invalid_token": http.StatusUnauthorized,
		"insufficient_scope": http.StatusForbidden,
	}[code]
	if rec.Code != want {
		fail("%s with status %d, want %d", code, rec.Code, want)
	}
}

// descriptionChars reports whether s holds only %x20-21 / %x23-5B /
// %x5D-7E (RFC 6749 §5.2).
func descriptionChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// namesAny returns the first of names that the raw query names, read
// the most lenient way: any number of parameters, each ended by & or ;,
// its name percent-decoded when it can be.
func namesAny(query string, names []string) (string, bool) {
	for _, part := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if slices.Contains(names, name) {
			return name, true
		}
	}
	return "", false
}

// usedBasic reports whether a request carries an Authorization header of
// the Basic scheme, as RFC 6749 §5.2 means "attempted to authenticate via
// the Authorization header".
func usedBasic(r *http.Request) bool {
	for _, v := range r.Header.Values("Authorization") {
		scheme, _, _ := strings.Cut(strings.TrimLeft(v, " "), " ")
		if strings.EqualFold(scheme, "Basic") {
			return true
		}
	}
	return false
}

// formSeed is a seed of a form endpoint: token, introspection,
// revocation.
type formSeed struct {
	name   string
	tenant bool
	query  string
	auth   string
	ctype  string
	body   string
}

// addFormSeeds adds seeds for fuzz functions of the form (tenant, query,
// auth, ctype, body); a seed's ctype "-" means no Content-Type.
func addFormSeeds(f *testing.F, seeds []formSeed) {
	for _, s := range seeds {
		ctype := s.ctype
		switch ctype {
		case "":
			ctype = formType
		case "-":
			ctype = ""
		}
		f.Add(s.tenant, s.query, s.auth, ctype, []byte(s.body))
	}
}

// Seeds every form endpoint shares: malformed requests and ways to
// authenticate a client badly.
func commonFormSeeds(tokenParam string) []formSeed {
	const basic = "Basic {basic}"
	return []formSeed{
		{name: "empty body", auth: basic},
		{name: "no Content-Type", auth: basic, ctype: "-", body: tokenParam},
		{name: "JSON body", auth: basic, ctype: "application/json", body: `{"token":"{access}"}`},
		{name: "multipart body", auth: basic, ctype: "multipart/form-data; boundary=x",
			body: "--x\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n{access}\r\n--x--\r\n"},
		{name: "form with charset", auth: basic, ctype: formType + "; charset=utf-8", body: tokenParam},
		{name: "malformed Content-Type", auth: basic, ctype: formType + "; charset", body: tokenParam},
		{name: "two Content-Types", auth: basic, ctype: formType + "\napplication/json", body: tokenParam},
		{name: "semicolon separator", auth: basic, body: "token=a;token_type_hint=b"},
		{name: "bad percent-encoding", auth: basic, body: "token=%zz"},
		{name: "invalid UTF-8 value", auth: basic, body: "token=%ff%fe%fd"},
		{name: "raw invalid UTF-8", auth: basic, body: "token=\xff\xfe&\xc0=\x80"},
		{name: "invalid UTF-8 name repeated", auth: basic, body: "%ff%ff=1&%ff%ff=2&" + tokenParam},
		{name: "NUL byte", auth: basic, body: "token=a%00b"},
		{name: "long repeated name", auth: basic, body: "n" + strings.Repeat("\xe2\x82\xac", 30) + "=1&n" + strings.Repeat("\xe2\x82\xac", 30) + "=2"},
		{name: "empty values dropped", auth: basic, body: "client_id=&client_secret=&" + tokenParam},
		{name: "body over the form limit", auth: basic, body: tokenParam + "&pad=" + strings.Repeat("a", 65<<10)},
		{name: "two Authorization headers", auth: basic + "\n" + basic, body: tokenParam},
		{name: "Basic and client_secret", auth: basic, body: tokenParam + "&client_secret={secret}"},
		{name: "Basic and another client_id", auth: basic, body: tokenParam + "&client_id={pub}"},
		{name: "Basic and the same client_id", auth: basic, body: tokenParam + "&client_id={id}"},
		{name: "client_secret_post", body: tokenParam + "&client_id={id}&client_secret={secret}"},
		{name: "client_id twice", body: tokenParam + "&client_id={id}&client_id={id}&client_secret={secret}"},
		{name: "secret without client_id", body: tokenParam + "&client_secret={secret}"},
		{name: "wrong secret", body: tokenParam + "&client_id={id}&client_secret=gth_cs_wrong"},
		{name: "public client", body: tokenParam + "&client_id={pub}"},
		{name: "public client with a secret", body: tokenParam + "&client_id={pub}&client_secret=x"},
		{name: "client of another tenant", auth: "Basic {fbasic}", body: tokenParam},
		{name: "client of another tenant, tenant issuer", tenant: true, auth: "Basic {fbasic}", body: tokenParam},
		{name: "no client authentication", body: tokenParam},
		{name: "credentials in the URL", query: "client_id={id}&client_secret={secret}", body: tokenParam},
		{name: "credentials in the URL after 10,000 parameters", auth: basic,
			query: strings.Repeat("a&", 10000) + "client_secret={secret}", body: tokenParam},
		{name: "credentials in the URL after a semicolon", auth: basic, query: "a=1;client_id={id}", body: tokenParam},
		{name: "bad query", auth: basic, query: "%zz&client_id", body: tokenParam},
		{name: "client assertion", body: tokenParam + "&client_id={id}&client_assertion_type=" +
			"urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}"},
		{name: "Bearer scheme", auth: "Bearer {access}", body: tokenParam},
		{name: "Basic scheme only", auth: "Basic", body: tokenParam},
		{name: "Basic, not base64", auth: "Basic !!!", body: tokenParam},
		{name: "Basic without colon", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("abc")), body: tokenParam},
		{name: "Basic, empty secret", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("{id}:")), body: tokenParam},
		{name: "Basic, bad escapes", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("%zz:%")), body: tokenParam},
		{name: "Basic, lower case, extra blanks", auth: "basic    {basic}", body: tokenParam},
		{name: "Basic, huge", auth: "Basic " + strings.Repeat("QUFB", 1000), body: tokenParam},
		{name: "client_id too long", body: tokenParam + "&client_id=" + strings.Repeat("c", 300)},
		{name: "client_secret too long", body: tokenParam + "&client_id={id}&client_secret=" + strings.Repeat("s", 600)},
	}
}

// FuzzToken sends arbitrary requests to the token endpoint (RFC 6749
// §3.2) for every grant type, implemented or not.
func FuzzToken(f *testing.F) {
	fx := newFuzzFixture(f)
	const basic = "Basic {basic}"
	code := "grant_type=authorization_code&code={code}&redirect_uri=" + fuzzRedirect
	pubCode := "grant_type=authorization_code&code={pubcode}&redirect_uri=" + fuzzRedirect + "&client_id={pub}"
	refresh := "grant_type=refresh_token&refresh_token={refresh}"
	bearer := "grant_type=" + fuzzJWTGrant + "&assertion={assertion}"
	seeds := []formSeed{
		{name: "code", auth: basic, body: code},
		{name: "code, tenant issuer", tenant: true, auth: basic, body: code},
		{name: "code, client_secret_post", body: code + "&client_id={id}&client_secret={secret}"},
		{name: "code, public client with PKCE", body: pubCode + "&code_verifier=" + fuzzVerifier},
		{name: "code, public client without PKCE", body: pubCode},
		{name: "code, wrong verifier", body: pubCode + "&code_verifier=" + strings.Repeat("v", 43)},
		{name: "code, malformed verifier", body: pubCode + "&code_verifier=%ff" + strings.Repeat("~", 200)},
		{name: "code, verifier without challenge", auth: basic, body: code + "&code_verifier=" + fuzzVerifier},
		{name: "code, another redirect URI", auth: basic,
			body: "grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fevil.example%2F"},
		{name: "code, no redirect URI", auth: basic, body: "grant_type=authorization_code&code={code}"},
		{name: "code twice", auth: basic, body: code + "&code={code}"},
		{name: "code of another client", auth: basic, body: "grant_type=authorization_code&code={pubcode}"},
		{name: "code missing", auth: basic, body: "grant_type=authorization_code"},
		{name: "code unknown", auth: basic, body: "grant_type=authorization_code&code=" + strings.Repeat("x", 43)},
		{name: "code, client of another tenant", auth: "Basic {fbasic}", body: code},
		{name: "refresh", auth: basic, body: refresh},
		{name: "refresh, tenant issuer", tenant: true, auth: basic, body: refresh},
		{name: "refresh, narrower scope", auth: basic, body: refresh + "&scope=openid"},
		{name: "refresh, wider scope", auth: basic, body: refresh + "&scope=openid+roles.read"},
		{name: "refresh, blank scope", auth: basic, body: refresh + "&scope=+%09+"},
		{name: "refresh, odd scope", auth: basic, body: refresh + "&scope=%ff%00%22%5C"},
		{name: "refresh, public client", body: refresh + "&client_id={pub}"},
		{name: "refresh, access token", auth: basic, body: "grant_type=refresh_token&refresh_token={access}"},
		{name: "refresh, huge", auth: basic, body: "grant_type=refresh_token&refresh_token=" + strings.Repeat("r", 60<<10)},
		{name: "refresh missing", auth: basic, body: "grant_type=refresh_token"},
		{name: "client_credentials", auth: basic, body: "grant_type=client_credentials"},
		{name: "client_credentials, tenant issuer", tenant: true, auth: basic, body: "grant_type=client_credentials"},
		{name: "client_credentials, scope", auth: basic, body: "grant_type=client_credentials&scope=profile"},
		{name: "client_credentials, user scope", auth: basic, body: "grant_type=client_credentials&scope=openid"},
		{name: "client_credentials, unknown scope", auth: basic, body: "grant_type=client_credentials&scope=admin+" + strings.Repeat("s", 5000)},
		{name: "client_credentials, public client", body: "grant_type=client_credentials&client_id={pub}"},
		{name: "jwt-bearer", auth: basic, body: bearer},
		{name: "jwt-bearer, tenant issuer", tenant: true, auth: basic, body: bearer},
		{name: "jwt-bearer, scope", auth: basic, body: bearer + "&scope=openid+email"},
		{name: "jwt-bearer, offline_access", auth: basic, body: bearer + "&scope=offline_access"},
		{name: "jwt-bearer, access token as assertion", auth: basic, body: "grant_type=" + fuzzJWTGrant + "&assertion={access}"},
		{name: "jwt-bearer, ID token as assertion", auth: basic, body: "grant_type=" + fuzzJWTGrant + "&assertion={idtoken}"},
		{name: "jwt-bearer, alg none", auth: basic, body: "grant_type=" + fuzzJWTGrant +
			"&assertion=eyJhbGciOiJub25lIiwidHlwIjoiY3JlZGVudGlhbCtqd3QifQ.eyJqdGkiOiJ4In0."},
		{name: "jwt-bearer, garbage", auth: basic, body: "grant_type=" + fuzzJWTGrant + "&assertion=a.b.c"},
		{name: "jwt-bearer, huge", auth: basic, body: "grant_type=" + fuzzJWTGrant + "&assertion=" + strings.Repeat("e", 40<<10)},
		{name: "jwt-bearer, public client", body: bearer + "&client_id={pub}"},
		{name: "jwt-bearer, missing", auth: basic, body: "grant_type=" + fuzzJWTGrant},
		{name: "password grant", auth: basic, body: "grant_type=password&username=ana&password=x"},
		{name: "implicit", auth: basic, body: "grant_type=implicit"},
		{name: "unknown grant", auth: basic, body: "grant_type=urn%3Aexample%3Aunknown"},
		{name: "device code grant", auth: basic, body: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=x"},
		{name: "no grant_type", auth: basic, body: "code={code}"},
		{name: "grant_type twice", auth: basic, body: "grant_type=client_credentials&grant_type=client_credentials"},
		{name: "grant_type, invalid UTF-8", auth: basic, body: "grant_type=%ff" + strings.Repeat("g", 100)},
	}
	seeds = append(seeds, commonFormSeeds("grant_type=client_credentials")...)
	addFormSeeds(f, seeds)
	f.Fuzz(func(t *testing.T, tenant bool, query, auth, ctype string, body []byte) {
		fx.run(t, tokenEndpoint, fuzzInput{method: http.MethodPost, tenant: tenant, query: query, auth: auth, ctype: ctype, body: body})
	})
}

// tokenSeeds are the tokens introspection and revocation are asked about.
func tokenSeeds() []formSeed {
	const basic = "Basic {basic}"
	return []formSeed{
		{name: "access token", auth: basic, body: "token={access}"},
		{name: "access token, tenant issuer", tenant: true, auth: basic, body: "token={access}"},
		{name: "access token, hint", auth: basic, body: "token={access}&token_type_hint=access_token"},
		{name: "access token, wrong hint", auth: basic, body: "token={access}&token_type_hint=refresh_token"},
		{name: "access token, unknown hint", auth: basic, body: "token={access}&token_type_hint=saml"},
		{name: "access token without openid", auth: basic, body: "token={narrow}"},
		{name: "client_credentials token", auth: basic, body: "token={cc}"},
		{name: "refresh token", auth: basic, body: "token={refresh}"},
		{name: "refresh token, tenant issuer", tenant: true, auth: basic, body: "token={refresh}"},
		{name: "ID token", auth: basic, body: "token={idtoken}"},
		{name: "JWT credential", auth: basic, body: "token={assertion}"},
		{name: "authorization code", auth: basic, body: "token={code}"},
		{name: "another tenant's client", auth: "Basic {fbasic}", body: "token={access}"},
		{name: "public client", body: "token={access}&client_id={pub}"},
		{name: "no token", auth: basic, body: "token_type_hint=access_token"},
		{name: "token twice", auth: basic, body: "token={access}&token={refresh}"},
		{name: "JWT-shaped garbage", auth: basic, body: "token=a.b.c"},
		{name: "alg none", auth: basic, body: "token=eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0."},
		{name: "tampered token", auth: basic, body: "token={access}x"},
		{name: "huge token", auth: basic, body: "token=" + strings.Repeat("t.", 20<<10)},
		{name: "token with invalid UTF-8", auth: basic, body: "token=%ff.%fe.%fd"},
	}
}

// FuzzIntrospect sends arbitrary requests to the introspection endpoint
// (RFC 7662).
func FuzzIntrospect(f *testing.F) {
	fx := newFuzzFixture(f)
	addFormSeeds(f, append(tokenSeeds(), commonFormSeeds("token={access}")...))
	f.Fuzz(func(t *testing.T, tenant bool, query, auth, ctype string, body []byte) {
		fx.run(t, introspectEndpoint, fuzzInput{method: http.MethodPost, tenant: tenant, query: query, auth: auth, ctype: ctype, body: body})
	})
}

// FuzzRevoke sends arbitrary requests to the revocation endpoint (RFC
// 7009).
func FuzzRevoke(f *testing.F) {
	fx := newFuzzFixture(f)
	addFormSeeds(f, append(tokenSeeds(), commonFormSeeds("token={refresh}")...))
	f.Fuzz(func(t *testing.T, tenant bool, query, auth, ctype string, body []byte) {
		fx.run(t, revokeEndpoint, fuzzInput{method: http.MethodPost, tenant: tenant, query: query, auth: auth, ctype: ctype, body: body})
	})
}

// FuzzUserinfo sends arbitrary GET and POST requests to the UserInfo
// endpoint (OpenID Connect Core §5.3), with any bearer value, in the
// header or the form body (RFC 6750 §2.1, §2.2).
func FuzzUserinfo(f *testing.F) {
	fx := newFuzzFixture(f)
	type seed struct {
		name   string
		post   bool
		tenant bool
		query  string
		auth   string
		ctype  string
		body   string
	}
	seeds := []seed{
		{name: "GET", auth: "Bearer {access}"},
		{name: "GET, tenant issuer", tenant: true, auth: "Bearer {access}"},
		{name: "POST", post: true, auth: "Bearer {access}"},
		{name: "POST, token in the body", post: true, ctype: formType, body: "access_token={access}"},
		{name: "scheme in lower case", auth: "bearer {access}"},
		{name: "blanks around the token", auth: "Bearer    {access}   "},
		{name: "without openid", auth: "Bearer {narrow}"},
		{name: "client_credentials token", auth: "Bearer {cc}"},
		{name: "ID token", auth: "Bearer {idtoken}"},
		{name: "refresh token", auth: "Bearer {refresh}"},
		{name: "JWT credential", auth: "Bearer {assertion}"},
		{name: "tampered token", auth: "Bearer {access}AA"},
		{name: "no token"},
		{name: "scheme only", auth: "Bearer"},
		{name: "scheme and a blank", auth: "Bearer "},
		{name: "two tokens", auth: "Bearer {access} {access}"},
		{name: "not a b64token", auth: "Bearer a=b"},
		{name: "padding only", auth: "Bearer ===="},
		{name: "invalid UTF-8", auth: "Bearer \xff\xfe"},
		{name: "huge token", auth: "Bearer " + strings.Repeat("A", 40<<10)},
		{name: "huge JWT-shaped token", auth: "Bearer " + strings.Repeat("A", 20<<10) + "." + strings.Repeat("B", 20<<10) + ".C"},
		{name: "alg none", auth: "Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0."},
		{name: "Basic scheme", auth: "Basic {basic}"},
		{name: "two headers", auth: "Bearer {access}\nBearer {access}"},
		{name: "header and body", post: true, auth: "Bearer {access}", ctype: formType, body: "access_token={access}"},
		{name: "token in the URL", query: "access_token={access}"},
		{name: "token in the URL and the header", query: "access_token={access}", auth: "Bearer {access}"},
		{name: "token in the URL after 10,000 parameters", query: strings.Repeat("a&", 10000) + "access_token={access}",
			auth: "Bearer {access}"},
		{name: "token in the URL after a semicolon", query: "a=1;access_token={access}", auth: "Bearer {access}"},
		{name: "token twice in the body", post: true, ctype: formType, body: "access_token={access}&access_token={access}"},
		{name: "malformed token in the body", post: true, ctype: formType, body: "access_token=%ff%00"},
		{name: "bad form", post: true, ctype: formType, body: "access_token=%zz"},
		{name: "form over the limit", post: true, ctype: formType, body: "access_token={access}&pad=" + strings.Repeat("p", 65<<10)},
		{name: "JSON body", post: true, ctype: "application/json", body: `{"access_token":"{access}"}`},
		{name: "form body on GET", ctype: formType, body: "access_token={access}"},
		{name: "empty POST", post: true},
	}
	for _, s := range seeds {
		f.Add(s.post, s.tenant, s.query, s.auth, s.ctype, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, post, tenant bool, query, auth, ctype string, body []byte) {
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		fx.run(t, userinfoEndpoint, fuzzInput{method: method, tenant: tenant, query: query, auth: auth, ctype: ctype, body: body})
	})
}
