package e2e

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// The places where Gatehouse accepts a credential: the columns of the
// cross-use matrix. Each is presented a value the way a caller would.
const (
	atUserinfo   = "userinfo"    // GET /oauth/userinfo, Authorization: Bearer
	atIntrospect = "introspect"  // POST /oauth/introspect, token=
	atVerify     = "rt-verify"   // POST /api/v1/runtime/tokens/verify, {"token": …}
	atAPI        = "api"         // GET /api/v1/installkeys, Authorization: Bearer
	atInstall    = "install"     // GET /api/v1/install/{key}
	atAssertion  = "assertion"   // POST /oauth/token, JWT bearer grant, assertion=
	atRefresh    = "refresh"     // POST /oauth/token, refresh_token=
	atCode       = "code"        // POST /oauth/token, code=
	atSecret     = "secret"      // POST /oauth/token, client_credentials with it as the client secret
	atHintAuthz  = "hint-authz"  // GET /oauth/authorize?prompt=none&id_token_hint=
	atHintLogout = "hint-logout" // GET /oauth/logout?id_token_hint=
)

// verdict is what a place did with a presented value.
type verdict int

const (
	// refusedIt means the place answered with its refusal: the one
	// answer it gives to anything that is not its credential.
	refusedIt verdict = iota
	// acceptedIt means the place did what the credential is for.
	acceptedIt
	// answeredOddly is neither: a 5xx, another error, a malformed answer.
	answeredOddly
)

// crossPlace is a column of the matrix.
type crossPlace struct {
	name    string
	present func(s *crossSite, t *testing.T, value string) (verdict, string)
}

// crossPlaces returns every place, in the matrix's column order.
func crossPlaces() []crossPlace {
	return []crossPlace{
		{atUserinfo, (*crossSite).atUserinfo},
		{atIntrospect, (*crossSite).atIntrospect},
		{atVerify, (*crossSite).atVerify},
		{atAPI, (*crossSite).atAPI},
		{atInstall, (*crossSite).atInstall},
		{atAssertion, (*crossSite).atAssertion},
		{atRefresh, (*crossSite).atRefresh},
		{atCode, (*crossSite).atCode},
		{atSecret, (*crossSite).atSecret},
		{atHintAuthz, (*crossSite).atHintAuthz},
		{atHintLogout, (*crossSite).atHintLogout},
	}
}

// placeNamed returns the place called name.
func placeNamed(t *testing.T, name string) crossPlace {
	t.Helper()
	for _, p := range crossPlaces() {
		if p.name == name {
			return p
		}
	}
	t.Fatalf("no place %s", name)
	return crossPlace{}
}

// crossTenant is a tenant with what the matrix needs of it: a user who
// signs in through a browser, a confidential first-party app allowed
// every grant, a server API key and a public install key.
type crossTenant struct {
	slug       string
	user       cliUser
	app        cliClient
	apiKey     string
	apiKeyID   string
	installKey string
	// verifier is the PKCE verifier of every code the tests get, so that
	// any code presented at the code place can be exchanged.
	verifier string
	// ua is the user's browser: its session is shared by the platform
	// issuer and the tenant's issuer.
	ua *userAgent
}

// apiKeyScopes are the scopes of the tenant's server API key.
const apiKeyScopes = "runtime.tokens.write,tenant.settings.read,tenant.settings.write,apikeys.read,apikeys.write"

// apiKeyJSON is the --json answer of `apikey create` and of the API.
type apiKeyJSON struct {
	ID         string     `json:"id"`
	Key        string     `json:"key"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// installKeyJSON is an install key as the CLI and the API show it.
type installKeyJSON struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// newCrossTenant creates the tenant and its fixtures through the CLI,
// before the server starts.
func newCrossTenant(t *testing.T, d *deployment, slug, username, password string) *crossTenant {
	t.Helper()
	d.mustTenant(slug, "Tenant "+slug)
	tn := &crossTenant{slug: slug, verifier: oauth2.GenerateVerifier(), ua: newUserAgent(t, d.app.URL)}
	tn.user = d.mustUser(slug, username, "User "+username, password, "agent")
	// ES256 ID tokens are signed with the very key that signs access
	// tokens and JWT credentials: those three are then told apart by
	// their typ and claims alone.
	tn.app = d.mustClient(slug, "App of "+slug, "--first-party", "--id-token-alg", "ES256",
		"--grant-types", "authorization_code,refresh_token,client_credentials,urn:ietf:params:oauth:grant-type:jwt-bearer",
		"--scopes", "openid profile email offline_access")
	var k apiKeyJSON
	d.cliJSON(&k, "", "apikey", "create", "--tenant", slug, "--name", "backend", "--scopes", apiKeyScopes)
	if k.Key == "" || k.ID == "" {
		t.Fatalf("apikey create: got %+v, want an id and a key", k)
	}
	tn.apiKey, tn.apiKeyID = k.Key, k.ID
	var ik installKeyJSON
	d.cliJSON(&ik, "", "installkey", "create", "--tenant", slug)
	if ik.Key == "" {
		t.Fatalf("installkey create: got %+v, want a key", ik)
	}
	tn.installKey = ik.Key
	return tn
}

// crossSite is one tenant as seen through one issuer.
type crossSite struct {
	d   *deployment
	iss string
	tn  *crossTenant
}

// browser returns the tenant user's browser, failing t when it fails.
func (s *crossSite) browser(t *testing.T) *userAgent {
	u := *s.tn.ua
	u.t = t
	return &u
}

// reply is an HTTP answer, read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request without following redirects.
func call(t *testing.T, method, rawURL string, body io.Reader, prepare func(*http.Request)) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(req)
	}
	resp, err := noRedirects().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", req.URL.Path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// bearer sets value as the request's bearer token.
func bearer(value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+value) }
}

// postForm posts a form, authenticated with HTTP Basic when user is set
// (RFC 6749 §2.3.1: both parts form-encoded first).
func postForm(t *testing.T, endpoint string, form url.Values, user, pass string) reply {
	t.Helper()
	return call(t, http.MethodPost, endpoint, strings.NewReader(form.Encode()), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if user != "" {
			r.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
		}
	})
}

// postJSON posts a JSON body, with a server API key when key is set.
func postJSON(t *testing.T, endpoint string, v any, key string) reply {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return call(t, http.MethodPost, endpoint, bytes.NewReader(b), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/json")
		if key != "" {
			r.Header.Set("Authorization", "Bearer "+key)
		}
	})
}

// tokenReply is a token endpoint answer, success or error.
type tokenReply struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
}

// token reads the answer as a token endpoint's.
func (r reply) token() tokenReply {
	var tr tokenReply
	json.Unmarshal(r.body, &tr)
	return tr
}

// asApp posts to the token endpoint (or another client endpoint) as the
// tenant's app.
func (s *crossSite) asApp(t *testing.T, path string, form url.Values) reply {
	t.Helper()
	return postForm(t, s.iss+path, form, s.tn.app.ClientID(), s.tn.app.Secret())
}

// authorizeURL is an authorization request of the app with the tenant's
// PKCE verifier, changed by extra.
func (s *crossSite) authorizeURL(state string, extra url.Values) string {
	v := url.Values{
		"response_type":         {"code"},
		"client_id":             {s.tn.app.ClientID()},
		"redirect_uri":          {s.d.app.callback()},
		"scope":                 {"openid profile email offline_access"},
		"state":                 {state},
		"nonce":                 {randomString()},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(s.tn.verifier)},
		"code_challenge_method": {"S256"},
	}
	maps.Copy(v, extra)
	return s.iss + "/oauth/authorize?" + v.Encode()
}

// code runs an authorization request through the user's browser, signing
// in when asked, and returns the code that reached the app.
func (s *crossSite) code(t *testing.T) string {
	t.Helper()
	state := randomString()
	s.browser(t).authorize(s.authorizeURL(state, nil), s.tn.user)
	h := s.d.app.wait(t, state, 5*time.Second)
	if h.Params.Get("code") == "" {
		t.Fatalf("authorization at %s: got %v, want a code", s.iss, h.Params)
	}
	return h.Params.Get("code")
}

// exchange redeems a code as the app, with the tenant's PKCE verifier.
func (s *crossSite) exchange(t *testing.T, code string) reply {
	t.Helper()
	return s.asApp(t, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {s.d.app.callback()}, "code_verifier": {s.tn.verifier}})
}

// tokens signs the user in to the app and returns its tokens: an access
// token, an ID token and a refresh token.
func (s *crossSite) tokens(t *testing.T) tokenReply {
	t.Helper()
	r := s.exchange(t, s.code(t))
	tr := r.token()
	if r.status != http.StatusOK || tr.AccessToken == "" || tr.IDToken == "" || tr.RefreshToken == "" {
		t.Fatalf("code exchange at %s: got %d %s, want access, ID and refresh tokens", s.iss, r.status, r.body)
	}
	return tr
}

// runtimeToken mints a runtime token with the tenant's API key.
func (s *crossSite) runtimeToken(t *testing.T) string {
	t.Helper()
	r := postJSON(t, s.iss+"/api/v1/runtime/tokens",
		map[string]any{"external_id": "crm-42", "display_name": "Ada", "services": []string{"chat", "video"}}, s.tn.apiKey)
	var doc struct {
		Token string `json:"token"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &doc) != nil || doc.Token == "" {
		t.Fatalf("mint a runtime token at %s: got %d %s", s.iss, r.status, r.body)
	}
	return doc.Token
}

var credentialValue = regexp.MustCompile(`(?s)<textarea id="credential-value"[^>]*>([^<]*)</textarea>`)

// credential creates, on the account page, a JWT credential that only
// the tenant's app may use, following the app's Connect link, and returns
// its value.
func (s *crossSite) credential(t *testing.T) string {
	t.Helper()
	ua := s.browser(t)
	p := ua.Get(s.iss + "/account/credentials/new?client_id=" + url.QueryEscape(s.tn.app.ClientID()))
	if f, ok := p.FormTo("/login"); ok {
		p = ua.SubmitForm(f, url.Values{"username": {s.tn.user.Username}, "password": {s.tn.user.password}})
	}
	f, ok := p.FormTo("/account/credentials")
	if !ok {
		t.Fatalf("no credential form at %s (status %d):\n%s", p.URL.Redacted(), p.Status, p.Body)
	}
	p = ua.SubmitForm(f, url.Values{"name": {"Sync"}, "expires": {"90"}, "audience": {"clients"},
		"client_ids": {s.tn.app.ClientID()}})
	m := credentialValue.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || m == nil {
		t.Fatalf("create a JWT credential at %s: got %d, no value shown:\n%s", s.iss, p.Status, p.Body)
	}
	return strings.TrimSpace(html.UnescapeString(m[1]))
}

// credentialToken exchanges a JWT credential for an access token.
func (s *crossSite) credentialToken(t *testing.T, cred string) string {
	t.Helper()
	r := s.asApp(t, "/oauth/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion": {cred}, "scope": {"openid profile"}})
	if tr := r.token(); r.status != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("JWT bearer grant at %s: got %d %s", s.iss, r.status, r.body)
	}
	return r.token().AccessToken
}

// oddly describes an answer that is neither the place's acceptance nor
// its refusal.
func oddly(r reply) (verdict, string) {
	return answeredOddly, fmt.Sprintf("%d %.200s", r.status, r.body)
}

// The at… methods present a value at one place each, as the constants
// naming the places describe, and tell what the place did with it.

func (s *crossSite) atUserinfo(t *testing.T, v string) (verdict, string) {
	r := call(t, http.MethodGet, s.iss+"/oauth/userinfo", nil, bearer(v))
	var claims struct {
		Sub string `json:"sub"`
	}
	switch {
	case r.status == http.StatusOK && json.Unmarshal(r.body, &claims) == nil && claims.Sub != "":
		return acceptedIt, ""
	case r.status == http.StatusUnauthorized && strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`):
		return refusedIt, ""
	}
	return oddly(r)
}

// activeOrNot reads an answer that is {"active": true, …} or exactly
// {"active": false}: an inactive answer must say nothing more.
func activeOrNot(r reply) (verdict, string) {
	var doc map[string]any
	if r.status != http.StatusOK || json.Unmarshal(r.body, &doc) != nil {
		return oddly(r)
	}
	switch doc["active"] {
	case true:
		return acceptedIt, ""
	case false:
		if len(doc) == 1 {
			return refusedIt, ""
		}
	}
	return oddly(r)
}

func (s *crossSite) atIntrospect(t *testing.T, v string) (verdict, string) {
	return activeOrNot(s.asApp(t, "/oauth/introspect", url.Values{"token": {v}}))
}

func (s *crossSite) atVerify(t *testing.T, v string) (verdict, string) {
	for range 10 {
		r := postJSON(t, s.iss+"/api/v1/runtime/tokens/verify", map[string]string{"token": v}, "")
		if r.status != http.StatusTooManyRequests {
			return activeOrNot(r)
		}
		// The endpoint is rate limited per address, and this test is one
		// address sending many tokens.
		time.Sleep(time.Second)
	}
	return answeredOddly, "still rate limited after 10 s"
}

// apiError reads the management API's error code.
func apiError(r reply) string {
	var doc struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(r.body, &doc)
	return doc.Error.Code
}

func (s *crossSite) atAPI(t *testing.T, v string) (verdict, string) {
	r := call(t, http.MethodGet, s.iss+"/api/v1/installkeys", nil, bearer(v))
	switch {
	case r.status == http.StatusOK:
		return acceptedIt, ""
	case r.status == http.StatusUnauthorized && apiError(r) == "unauthorized":
		return refusedIt, ""
	}
	return oddly(r)
}

func (s *crossSite) atInstall(t *testing.T, v string) (verdict, string) {
	r := call(t, http.MethodGet, s.iss+"/api/v1/install/"+url.PathEscape(v), nil, nil)
	var doc struct {
		Slug string `json:"tenant_slug"`
	}
	switch {
	case r.status == http.StatusOK && json.Unmarshal(r.body, &doc) == nil && doc.Slug == s.tn.slug:
		return acceptedIt, ""
	case r.status == http.StatusNotFound && apiError(r) == "not_found":
		return refusedIt, ""
	}
	return oddly(r)
}

// tokenVerdict reads a token endpoint answer: tokens, or the error the
// endpoint gives to a value that is not the credential it asked for.
func tokenVerdict(r reply, refusal string) (verdict, string) {
	tr := r.token()
	switch {
	case r.status == http.StatusOK && tr.AccessToken != "":
		return acceptedIt, ""
	case (r.status == http.StatusBadRequest || r.status == http.StatusUnauthorized) && tr.Error == refusal:
		return refusedIt, ""
	}
	return oddly(r)
}

func (s *crossSite) atAssertion(t *testing.T, v string) (verdict, string) {
	return tokenVerdict(s.asApp(t, "/oauth/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {v}, "scope": {"openid profile"},
	}), "invalid_grant")
}

func (s *crossSite) atRefresh(t *testing.T, v string) (verdict, string) {
	return tokenVerdict(s.asApp(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {v}}), "invalid_grant")
}

func (s *crossSite) atCode(t *testing.T, v string) (verdict, string) {
	return tokenVerdict(s.exchange(t, v), "invalid_grant")
}

func (s *crossSite) atSecret(t *testing.T, v string) (verdict, string) {
	return s.atSecretOf(t, s.tn.app.ClientID(), v)
}

// atSecretOf presents v as the secret of clientID.
func (s *crossSite) atSecretOf(t *testing.T, clientID, v string) (verdict, string) {
	r := postForm(t, s.iss+"/oauth/token", url.Values{"grant_type": {"client_credentials"}}, clientID, v)
	return tokenVerdict(r, "invalid_client")
}

// atHintAuthz sends an authorization request with prompt=none and the
// value as id_token_hint from the browser of a signed-in user: a valid
// hint of that user gets a code, anything else invalid_request.
func (s *crossSite) atHintAuthz(t *testing.T, v string) (verdict, string) {
	state := randomString()
	p := s.browser(t).Get(s.authorizeURL(state, url.Values{"prompt": {"none"}, "id_token_hint": {v}}))
	if !atApp(p, s.d.app.URL) {
		return answeredOddly, fmt.Sprintf("stopped at %s with %d", p.URL.Path, p.Status)
	}
	q := s.d.app.wait(t, state, 5*time.Second).Params
	switch {
	case q.Get("code") != "":
		return acceptedIt, ""
	case q.Get("error") == "invalid_request":
		return refusedIt, ""
	}
	return answeredOddly, "error=" + q.Get("error")
}

// atHintLogout sends an RP-initiated logout with the value as
// id_token_hint and no session: a valid hint gets the signed-out page,
// anything else the error page.
func (s *crossSite) atHintLogout(t *testing.T, v string) (verdict, string) {
	r := call(t, http.MethodGet, s.iss+"/oauth/logout?"+url.Values{"id_token_hint": {v}}.Encode(), nil, nil)
	switch r.status {
	case http.StatusOK, http.StatusSeeOther:
		return acceptedIt, ""
	case http.StatusBadRequest:
		return refusedIt, ""
	}
	return oddly(r)
}

// crossRow is a row of the matrix: one kind of credential and the places
// that must accept it.
type crossRow struct {
	name string
	// value returns an instance; rows whose credential is spent where it
	// is accepted (codes, refresh tokens) return a fresh one each time.
	value    func(t *testing.T) string
	accepted []string
}

// issued is one of each token an issuer mints for a tenant.
type issued struct {
	access, id, refresh, runtime, credential, credentialAccess string
}

func (s *crossSite) issueAll(t *testing.T) issued {
	t.Helper()
	tr := s.tokens(t)
	cred := s.credential(t)
	return issued{
		access: tr.AccessToken, id: tr.IDToken, refresh: tr.RefreshToken,
		runtime: s.runtimeToken(t), credential: cred, credentialAccess: s.credentialToken(t, cred),
	}
}

// TestCrossUse presents every kind of credential at every place that
// accepts one and checks that only its own places do (PRODUCT.md §2);
// then that forged and misdirected tokens are refused at every place that
// takes a JWT; then that the life of each credential is in the audit log.
func TestCrossUse(t *testing.T) {
	t.Parallel()
	d := newDeployment(t)
	acme := newCrossTenant(t, d, "acme", "ana", "correct horse battery staple")
	globex := newCrossTenant(t, d, "globex", "gus", "another long passphrase")
	d.start()
	platform := &crossSite{d: d, iss: d.issuer, tn: acme}
	tenant := &crossSite{d: d, iss: d.tenantIssuer("acme"), tn: acme}
	other := &crossSite{d: d, iss: d.tenantIssuer("globex"), tn: globex}
	mine := platform.issueAll(t)

	t.Run("matrix", func(t *testing.T) {
		rows := []crossRow{
			{"server API key", func(*testing.T) string { return acme.apiKey }, []string{atAPI}},
			{"public install key", func(*testing.T) string { return acme.installKey }, []string{atInstall}},
			{"runtime token", func(*testing.T) string { return mine.runtime }, []string{atVerify}},
			{"access token", func(*testing.T) string { return mine.access }, []string{atUserinfo, atIntrospect}},
			{"access token (JWT credential)", func(*testing.T) string { return mine.credentialAccess }, []string{atUserinfo, atIntrospect}},
			{"ID token", func(*testing.T) string { return mine.id }, []string{atHintAuthz, atHintLogout}},
			{"refresh token", func(t *testing.T) string { return platform.tokens(t).RefreshToken }, []string{atIntrospect, atRefresh}},
			{"JWT credential", func(*testing.T) string { return mine.credential }, []string{atAssertion}},
			{"authorization code", platform.code, []string{atCode}},
			{"client secret", func(*testing.T) string { return acme.app.Secret() }, []string{atSecret}},
		}
		places := crossPlaces()
		cells := make([][]string, len(rows))
		for i, row := range rows {
			cells[i] = make([]string, len(places))
			for j, place := range places {
				want := acceptedIt
				if !slices.Contains(row.accepted, place.name) {
					want = refusedIt
				}
				cells[i][j] = "ERROR"
				t.Run(row.name+" at "+place.name, func(t *testing.T) {
					got, detail := place.present(platform, t, row.value(t))
					cells[i][j] = cell(got, want)
					switch {
					case got == answeredOddly:
						t.Errorf("got an unexpected answer (%s), want it %s", detail, wantWord(want))
					case got != want:
						t.Errorf("got it %s, want it %s", wantWord(got), wantWord(want))
					}
				})
			}
		}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprint(tw, "credential \\ place")
		for _, p := range places {
			fmt.Fprint(tw, "\t", p.name)
		}
		fmt.Fprintln(tw)
		for i, row := range rows {
			fmt.Fprint(tw, row.name)
			for _, c := range cells[i] {
				fmt.Fprint(tw, "\t", c)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
		t.Logf("cross-use matrix at %s (yes: accepted, -: refused; ! marks a cell that differs from what is wanted):\n%s", platform.iss, b.String())
	})

	t.Run("hostile tokens", func(t *testing.T) {
		// The places are the tenant issuer's. The legitimate tokens of
		// the platform issuer are foreign there and differ from the good
		// ones by their issuer alone; those of another tenant's issuer
		// by their tenant too.
		good := tenant.issueAll(t)
		foreign := other.issueAll(t)
		f := newForger(t)
		oauthKeys := publishedKeys(t, "OAuth", tenant.iss+"/oauth/jwks.json")
		runtimeKeys := publishedKeys(t, "runtime", tenant.iss+"/api/v1/runtime/jwks.json")
		all := append(slices.Clone(oauthKeys), runtimeKeys...)
		// Each kind of JWT the issuer mints, legitimately: at the place
		// of another kind it differs from the right kind by typ, key,
		// audience or claims.
		minted := map[string]string{"access token": good.access, "ID token": good.id,
			"runtime token": good.runtime, "JWT credential": good.credential}
		targets := []struct {
			place   string
			kind    string
			typ     string
			foreign map[string]string
		}{
			{atUserinfo, "access token", "at+jwt", map[string]string{"platform": mine.access, "globex": foreign.access}},
			{atIntrospect, "access token", "at+jwt", map[string]string{"platform": mine.access, "globex": foreign.access}},
			{atVerify, "runtime token", "runtime+jwt", map[string]string{"platform": mine.runtime, "globex": foreign.runtime}},
			{atAssertion, "JWT credential", "credential+jwt", map[string]string{"platform": mine.credential, "globex": foreign.credential}},
			{atHintAuthz, "ID token", "JWT", map[string]string{"platform": mine.id, "globex": foreign.id}},
			{atHintLogout, "ID token", "JWT", map[string]string{"platform": mine.id, "globex": foreign.id}},
		}
		for _, tg := range targets {
			place := placeNamed(t, tg.place)
			t.Run(tg.place, func(t *testing.T) {
				// The control: the token as minted is accepted, so every
				// refusal below is the forgery's doing.
				if got, detail := place.present(tenant, t, minted[tg.kind]); got != acceptedIt {
					t.Fatalf("the %s as minted: got it %s %s, want it accepted", tg.kind, wantWord(got), detail)
				}
				hostile := f.hostile(t, minted[tg.kind], tg.typ, all, tg.foreign)
				for _, kind := range slices.Sorted(maps.Keys(minted)) {
					if kind != tg.kind {
						hostile = append(hostile, hostileToken{"a legitimate " + kind, minted[kind]})
					}
				}
				for _, h := range hostile {
					t.Run(h.name, func(t *testing.T) {
						if got, detail := place.present(tenant, t, h.raw); got != refusedIt {
							t.Errorf("got it %s %s, want it refused", wantWord(got), detail)
						}
					})
				}
			})
		}
	})

	t.Run("audit", func(t *testing.T) {
		testCrossUseAudit(t, d, platform, mine)
	})
}

// cell is the matrix's mark for a verdict.
func cell(got, want verdict) string {
	var s string
	switch got {
	case acceptedIt:
		s = "yes"
	case refusedIt:
		s = "-"
	default:
		return "ERROR!"
	}
	if got != want {
		s += "!"
	}
	return s
}

func wantWord(v verdict) string {
	switch v {
	case acceptedIt:
		return "accepted"
	case refusedIt:
		return "refused"
	}
	return "answered oddly"
}

// publishedKey is a public key from a JWKS, with the JSON it was served
// as.
type publishedKey struct {
	purpose string
	jwk     jose.JSONWebKey
	raw     json.RawMessage
}

func publishedKeys(t *testing.T, purpose, jwksURL string) []publishedKey {
	t.Helper()
	r := call(t, http.MethodGet, jwksURL, nil, nil)
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &doc) != nil || len(doc.Keys) == 0 {
		t.Fatalf("GET %s: got %d %s, want keys", jwksURL, r.status, r.body)
	}
	var out []publishedKey
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			t.Fatalf("a key of %s: %v", jwksURL, err)
		}
		out = append(out, publishedKey{purpose: purpose, jwk: k, raw: raw})
	}
	return out
}

// hmacSecrets are the ways a public key can be turned into an HMAC
// secret by a verifier that mixes up key types: its PEM file, its DER,
// its raw form, and its JWK as served.
func (k publishedKey) hmacSecrets(t *testing.T) map[string][]byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.jwk.Key)
	if err != nil {
		t.Fatalf("encode key %s: %v", k.jwk.KeyID, err)
	}
	out := map[string][]byte{
		"PEM": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		"DER": der,
		"JWK": k.raw,
	}
	switch pub := k.jwk.Key.(type) {
	case *rsa.PublicKey:
		out["raw"] = x509.MarshalPKCS1PublicKey(pub)
		out["PKCS#1 PEM"] = pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: out["raw"]})
	case *ecdsa.PublicKey:
		ek, err := pub.ECDH()
		if err != nil {
			t.Fatal(err)
		}
		out["raw"] = ek.Bytes()
	case ed25519.PublicKey:
		out["raw"] = []byte(pub)
	}
	return out
}

// forger makes tokens with keys of its own: it holds none of the server's
// private keys, as an attacker holds none.
type forger struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
	ed  ed25519.PrivateKey
}

func newForger(t *testing.T) *forger {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, dk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &forger{rsa: rk, ec: ek, ed: dk}
}

// signer returns a signing function of the forger's key for alg.
func (f *forger) signer(t *testing.T, alg string) func([]byte) []byte {
	t.Helper()
	switch alg {
	case "RS256":
		return func(in []byte) []byte {
			h := sha256.Sum256(in)
			sig, err := rsa.SignPKCS1v15(rand.Reader, f.rsa, crypto.SHA256, h[:])
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
	case "ES256":
		return func(in []byte) []byte {
			h := sha256.Sum256(in)
			r, s, err := ecdsa.Sign(rand.Reader, f.ec, h[:])
			if err != nil {
				t.Fatal(err)
			}
			sig := make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			return sig
		}
	case "EdDSA":
		return func(in []byte) []byte { return ed25519.Sign(f.ed, in) }
	}
	t.Fatalf("the forger has no %s key", alg)
	return nil
}

// publicJWK is the public half of the forger's key for alg, as a JWK.
func (f *forger) publicJWK(t *testing.T, alg string) map[string]any {
	t.Helper()
	var pub crypto.PublicKey
	switch alg {
	case "RS256":
		pub = &f.rsa.PublicKey
	case "ES256":
		pub = &f.ec.PublicKey
	default:
		pub = f.ed.Public()
	}
	b, err := jose.JSONWebKey{Key: pub, Algorithm: alg}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func hmacSigner(newHash func() hash.Hash, key []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(newHash, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

var b64 = base64.RawURLEncoding

// jwtParts is a compact JWS taken apart.
type jwtParts struct {
	header, payload, signature string // as they appear in the token
	head                       map[string]any
	claims                     map[string]any
}

func splitJWT(t *testing.T, raw string) jwtParts {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	p := jwtParts{header: parts[0], payload: parts[1], signature: parts[2]}
	for _, x := range []struct {
		enc string
		dst *map[string]any
	}{{parts[0], &p.head}, {parts[1], &p.claims}} {
		b, err := b64.DecodeString(x.enc)
		if err != nil {
			t.Fatalf("not base64url: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(x.dst); err != nil {
			t.Fatalf("not a JSON object: %v", err)
		}
	}
	return p
}

// encodeJSON is the base64url of v's JSON. Its values come from
// decoded JSON or from the test itself, which always encode.
func encodeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b64.EncodeToString(b)
}

// forge builds a compact JWS of head and claims signed by sign (none:
// an empty signature).
func forge(head, claims map[string]any, sign func([]byte) []byte) string {
	in := encodeJSON(head) + "." + encodeJSON(claims)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(in))
	}
	return in + "." + b64.EncodeToString(sig)
}

// changed returns a copy of m with set applied; a nil value removes the
// member.
func changed(m map[string]any, set map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range set {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// hostileToken is a token that must be refused, and what is wrong with it.
type hostileToken struct {
	name, raw string
}

// hostile returns the forgeries of good, a token of header type typ that
// its place accepts: each keeps good's claims and breaks one rule (alg,
// key, kid, typ, iss, aud, signature), and keys lists the server's
// published keys of every purpose. foreign are legitimate tokens of the
// same kind minted by other issuers.
func (f *forger) hostile(t *testing.T, good, typ string, keys []publishedKey, foreign map[string]string) []hostileToken {
	t.Helper()
	p := splitJWT(t, good)
	alg, _ := p.head["alg"].(string)
	kid, _ := p.head["kid"].(string)
	if alg == "" || kid == "" || p.head["typ"] != typ {
		t.Fatalf("the good token's header is %v, want an alg, a kid and typ %s", p.head, typ)
	}
	head := func(alg string, set map[string]any) map[string]any {
		return changed(map[string]any{"alg": alg, "typ": typ, "kid": kid}, set)
	}
	var out []hostileToken
	add := func(name, raw string) { out = append(out, hostileToken{name, raw}) }

	for _, none := range []string{"none", "None", "NONE"} {
		add("alg "+none, forge(head(none, nil), p.claims, nil))
	}
	add("alg none with the signature kept", encodeJSON(head("none", nil))+"."+p.payload+"."+p.signature)
	add("claims changed under the original signature",
		p.header+"."+encodeJSON(changed(p.claims, map[string]any{"sub": "someone-else"}))+"."+p.signature)
	add("signature removed", p.header+"."+p.payload+".")

	for _, k := range keys {
		secrets := k.hmacSecrets(t)
		for _, enc := range slices.Sorted(maps.Keys(secrets)) {
			secret := secrets[enc]
			name := fmt.Sprintf("HS256 keyed with the %s %s key %s as %s", k.purpose, k.jwk.Algorithm, k.jwk.KeyID, enc)
			add(name, forge(head("HS256", map[string]any{"kid": k.jwk.KeyID}), p.claims, hmacSigner(sha256.New, secret)))
		}
		if k.jwk.KeyID == kid {
			pemSecret := secrets["PEM"]
			add("HS384 keyed with the token's own key as PEM", forge(head("HS384", nil), p.claims, hmacSigner(sha512.New384, pemSecret)))
			add("HS512 keyed with the token's own key as PEM", forge(head("HS512", nil), p.claims, hmacSigner(sha512.New, pemSecret)))
		}
	}

	own := f.signer(t, alg)
	add("unknown kid", forge(head("ES256", map[string]any{"kid": "k-" + randomString()}), p.claims, f.signer(t, "ES256")))
	add("no kid", forge(head(alg, map[string]any{"kid": nil}), p.claims, own))
	for _, k := range keys {
		add(fmt.Sprintf("a test key under the kid of the %s %s key %s", k.purpose, k.jwk.Algorithm, k.jwk.KeyID),
			forge(head(k.jwk.Algorithm, map[string]any{"kid": k.jwk.KeyID}), p.claims, f.signer(t, k.jwk.Algorithm)))
	}
	add("a test key embedded as jwk", forge(head(alg, map[string]any{"kid": nil, "jwk": f.publicJWK(t, alg)}), p.claims, own))
	add("a test key embedded as jwk under our kid", forge(head(alg, map[string]any{"jwk": f.publicJWK(t, alg)}), p.claims, own))
	add("a test key named by jku under our kid", forge(head(alg, map[string]any{"jku": "https://keys.attacker.example/jwks.json"}), p.claims, own))

	for _, other := range []string{"JWT", "at+jwt", "runtime+jwt", "credential+jwt", ""} {
		if strings.EqualFold(other, typ) || (other == "" && typ == "JWT") {
			// An ID token may go without typ (RFC 7519 §5.1).
			continue
		}
		name, set := "typ "+other, map[string]any{"typ": other}
		if other == "" {
			name, set = "no typ", map[string]any{"typ": nil}
		}
		add(name+" under our kid", forge(head(alg, set), p.claims, own))
	}
	add("a made-up issuer under our kid", forge(head(alg, nil), changed(p.claims, map[string]any{"iss": "https://login.attacker.example"}), own))
	add("a foreign audience under our kid", forge(head(alg, nil), changed(p.claims, map[string]any{"aud": "https://api.attacker.example"}), own))
	add("two audiences under our kid", forge(head(alg, nil), changed(p.claims, map[string]any{"aud": []any{p.claims["aud"], "https://api.attacker.example"}}), own))
	for _, name := range slices.Sorted(maps.Keys(foreign)) {
		add("minted by the "+name+" issuer", foreign[name])
	}
	return out
}

// auditEntry is an event of `gatehouse audit list --json`.
type auditEntry struct {
	Actor   string            `json:"actor"`
	Action  string            `json:"action"`
	Target  string            `json:"target"`
	Result  string            `json:"result"`
	Details map[string]string `json:"details"`
}

// claimOf returns a string claim of a JWT.
func claimOf(t *testing.T, raw, name string) string {
	t.Helper()
	v, _ := splitJWT(t, raw).claims[name].(string)
	if v == "" {
		t.Fatalf("the token has no %s claim", name)
	}
	return v
}

// runCLI runs a CLI command with --json against the running server's store
// and decodes its answer.
func runCLI(t *testing.T, d *deployment, v any, args ...string) {
	t.Helper()
	out, errOut, err := d.env.run("", append(args, "--json")...)
	if err != nil {
		t.Fatalf("gatehouse %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("gatehouse %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// testCrossUseAudit creates, uses and revokes one credential of each kind
// and checks that the audit log tells it, and tells no secret.
func testCrossUseAudit(t *testing.T, d *deployment, s *crossSite, mine issued) {
	tn := s.tn
	// Every secret value seen; none may appear in the log.
	secrets := map[string]string{
		"API key": tn.apiKey, "client secret": tn.app.Secret(), "access token": mine.access,
		"ID token": mine.id, "refresh token": mine.refresh, "runtime token": mine.runtime,
		"JWT credential": mine.credential, "access token (JWT credential)": mine.credentialAccess,
	}
	type expectation struct {
		what  string
		match func(e auditEntry) bool
	}
	var want []expectation
	expect := func(what string, match func(e auditEntry) bool) { want = append(want, expectation{what, match}) }
	apiActor := "apikey:" + tn.apiKeyID

	// Server API keys: created, used (what the key does is recorded with
	// it as the actor, and its last use on the key), revoked.
	var k2 apiKeyJSON
	runCLI(t, d, &k2, "apikey", "create", "--tenant", tn.slug, "--name", "reporting", "--scopes", "apikeys.read")
	secrets["second API key"] = k2.Key
	if r := call(t, http.MethodGet, s.iss+"/api/v1/apikeys", nil, bearer(k2.Key)); r.status != http.StatusOK {
		t.Fatalf("the new API key: got %d %s, want 200", r.status, r.body)
	}
	if r := call(t, http.MethodDelete, s.iss+"/api/v1/apikeys/"+k2.ID, nil, bearer(tn.apiKey)); r.status != http.StatusNoContent {
		t.Fatalf("revoke the API key: got %d %s, want 204", r.status, r.body)
	}
	if got, _ := s.atAPI(t, k2.Key); got != refusedIt {
		t.Errorf("a revoked API key: got it %s, want it refused", wantWord(got))
	}
	expect("apikey.create of the first key", func(e auditEntry) bool {
		return e.Action == "apikey.create" && e.Target == "apikey:"+tn.apiKeyID
	})
	expect("apikey.create of the second key", func(e auditEntry) bool {
		return e.Action == "apikey.create" && e.Target == "apikey:"+k2.ID
	})
	expect("apikey.revoke by the first key", func(e auditEntry) bool {
		return e.Action == "apikey.revoke" && e.Target == "apikey:"+k2.ID && e.Actor == apiActor
	})
	var keys []apiKeyJSON
	runCLI(t, d, &keys, "apikey", "list", "--tenant", tn.slug)
	for _, k := range keys {
		switch {
		case k.ID == tn.apiKeyID && k.LastUsedAt == nil:
			t.Errorf("apikey list: the key in use has no last_used_at")
		case k.ID == k2.ID && k.RevokedAt == nil:
			t.Errorf("apikey list: the revoked key has no revoked_at")
		}
	}

	// Install keys: created, rotated and revoked through the API.
	var ik, rotated installKeyJSON
	r := call(t, http.MethodPost, s.iss+"/api/v1/installkeys", nil, bearer(tn.apiKey))
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &ik) != nil {
		t.Fatalf("create an install key: got %d %s", r.status, r.body)
	}
	r = call(t, http.MethodPost, s.iss+"/api/v1/installkeys/"+ik.ID+"/rotate", nil, bearer(tn.apiKey))
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &rotated) != nil {
		t.Fatalf("rotate the install key: got %d %s", r.status, r.body)
	}
	if r := call(t, http.MethodDelete, s.iss+"/api/v1/installkeys/"+rotated.ID, nil, bearer(tn.apiKey)); r.status != http.StatusNoContent {
		t.Fatalf("revoke the install key: got %d %s", r.status, r.body)
	}
	for _, k := range []string{ik.Key, rotated.Key} {
		if got, _ := s.atInstall(t, k); got != refusedIt {
			t.Errorf("a rotated or revoked install key: got it %s, want it refused", wantWord(got))
		}
	}
	expect("installkey.create by the API key", func(e auditEntry) bool {
		return e.Action == "installkey.create" && e.Target == "installkey:"+ik.ID && e.Actor == apiActor
	})
	expect("installkey.rotate", func(e auditEntry) bool {
		return e.Action == "installkey.rotate" && e.Target == "installkey:"+ik.ID && e.Details["new_id"] == rotated.ID
	})
	expect("installkey.revoke", func(e auditEntry) bool {
		return e.Action == "installkey.revoke" && e.Target == "installkey:"+rotated.ID
	})

	// Runtime tokens: each one minted is recorded with its jti.
	jti := claimOf(t, mine.runtime, "jti")
	expect("runtime.token.issue by the API key", func(e auditEntry) bool {
		return e.Action == "runtime.token.issue" && e.Actor == apiActor && e.Details["jti"] == jti
	})

	// Authorization codes and refresh tokens: used, and replayed.
	code := s.code(t)
	secrets["authorization code"] = code
	if r := s.exchange(t, code); r.status != http.StatusOK {
		t.Fatalf("code exchange: got %d %s", r.status, r.body)
	}
	if got, _ := s.atCode(t, code); got != refusedIt {
		t.Errorf("a spent code: got it %s, want it refused", wantWord(got))
	}
	first := s.tokens(t)
	secrets["refresh token 2"] = first.RefreshToken
	r = s.asApp(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}})
	next := r.token()
	if r.status != http.StatusOK || next.RefreshToken == "" {
		t.Fatalf("refresh: got %d %s", r.status, r.body)
	}
	secrets["refresh token 3"] = next.RefreshToken
	if got, _ := s.atRefresh(t, first.RefreshToken); got != refusedIt {
		t.Errorf("a spent refresh token: got it %s, want it refused", wantWord(got))
	}
	if got, _ := s.atIntrospect(t, next.RefreshToken); got != refusedIt {
		t.Errorf("the successor of a replayed refresh token: got it %s, want it refused (its grant is revoked)", wantWord(got))
	}
	for _, g := range []string{"authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"} {
		expect("token.issue with "+g, func(e auditEntry) bool {
			return e.Action == "token.issue" && e.Result == "success" && e.Details["grant_type"] == g &&
				e.Details["client_id"] == tn.app.ClientID()
		})
	}
	for _, g := range []string{"authorization_code", "refresh_token"} {
		expect("token.reuse of a spent "+g, func(e auditEntry) bool {
			return e.Action == "token.reuse" && e.Result == "failure" && e.Details["grant_type"] == g
		})
	}

	// Access and refresh tokens: revoked by the app (RFC 7009).
	rev := s.tokens(t)
	secrets["access token 2"], secrets["refresh token 4"] = rev.AccessToken, rev.RefreshToken
	for _, tok := range []string{rev.AccessToken, rev.RefreshToken} {
		if r := s.asApp(t, "/oauth/revoke", url.Values{"token": {tok}}); r.status != http.StatusOK {
			t.Fatalf("revocation: got %d %s", r.status, r.body)
		}
	}
	if got, _ := s.atUserinfo(t, rev.AccessToken); got != refusedIt {
		t.Errorf("a revoked access token at userinfo: got it %s, want it refused", wantWord(got))
	}
	if got, _ := s.atIntrospect(t, rev.RefreshToken); got != refusedIt {
		t.Errorf("a revoked refresh token at introspection: got it %s, want it refused", wantWord(got))
	}
	for _, kind := range []string{"access_token", "refresh_token"} {
		expect("token.revoke of an "+kind, func(e auditEntry) bool {
			return e.Action == "token.revoke" && e.Details["token_type"] == kind
		})
	}

	// Client secrets: created with the client, used, and replaced by a
	// rotation without grace, which stops the old one at once.
	var batch cliClient
	runCLI(t, d, &batch, "client", "create", "--tenant", tn.slug, "--name", "Batch", "--grant-types", "client_credentials", "--scopes", "profile")
	oldSecret := batch.Secret()
	secrets["batch client secret"] = oldSecret
	if r := postForm(t, s.iss+"/oauth/token", url.Values{"grant_type": {"client_credentials"}}, batch.ClientID(), oldSecret); r.status != http.StatusOK {
		t.Fatalf("client_credentials: got %d %s", r.status, r.body)
	}
	var rotatedClient cliClient
	runCLI(t, d, &rotatedClient, "client", "rotate-secret", "--tenant", tn.slug, batch.ID, "--grace", "0s")
	for _, c := range rotatedClient.Credentials {
		if c.Secret != "" {
			secrets["rotated batch client secret"] = c.Secret
		}
	}
	// The CLI changed the client in the store under the running server,
	// which notices such changes within a second or so.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, detail := s.atSecretOf(t, batch.ClientID(), oldSecret)
		if got == refusedIt {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("a client secret rotated without grace: got it %s %s, want it refused", wantWord(got), detail)
			break
		}
	}
	expect("client.create", func(e auditEntry) bool { return e.Action == "client.create" && e.Target == "client:"+batch.ID })
	expect("client.secret.rotate", func(e auditEntry) bool {
		return e.Action == "client.secret.rotate" && e.Target == "client:"+batch.ID
	})

	// JWT credentials: created on the account page, used by the app,
	// revoked on the account page after a confirmation; what they
	// issued stops, and a later use is recorded as a failure.
	credID := claimOf(t, mine.credential, "jti")
	ua := s.browser(t)
	p := ua.Post(s.iss+"/account/credentials/revoke", url.Values{"credential": {credID}})
	f, ok := p.FormTo("/account/credentials/revoke")
	if !ok || f.Fields.Get("confirm") != "yes" {
		t.Fatalf("revoking a credential asks no confirmation (status %d):\n%s", p.Status, p.Body)
	}
	ua.SubmitForm(f, nil)
	if got, _ := s.atAssertion(t, mine.credential); got != refusedIt {
		t.Errorf("a revoked JWT credential: got it %s, want it refused", wantWord(got))
	}
	if got, _ := s.atUserinfo(t, mine.credentialAccess); got != refusedIt {
		t.Errorf("an access token of a revoked JWT credential: got it %s, want it refused", wantWord(got))
	}
	expect("credential.create by the user", func(e auditEntry) bool {
		return e.Action == "credential.create" && e.Target == "credential:"+credID && strings.HasPrefix(e.Actor, "user:")
	})
	expect("credential.use by the app", func(e auditEntry) bool {
		return e.Action == "credential.use" && e.Result == "success" && e.Target == "credential:"+credID &&
			e.Actor == "client:"+tn.app.ClientID()
	})
	expect("credential.revoke by the user", func(e auditEntry) bool {
		return e.Action == "credential.revoke" && e.Target == "credential:"+credID && strings.HasPrefix(e.Actor, "user:")
	})
	expect("credential.use of the revoked credential, failed", func(e auditEntry) bool {
		return e.Action == "credential.use" && e.Result == "failure" && e.Target == "credential:"+credID &&
			e.Details["reason"] == "credential revoked"
	})

	// ID tokens: used as the hint of a logout, which ends the session at
	// once. Last, since it signs the browser out.
	sid := claimOf(t, mine.id, "sid")
	p = ua.Get(s.iss + "/oauth/logout?" + url.Values{"id_token_hint": {mine.id}}.Encode())
	if p.Status != http.StatusOK {
		t.Fatalf("logout with the ID token as hint: got %d", p.Status)
	}
	expect("logout of the ID token's session", func(e auditEntry) bool {
		return e.Action == "logout" && e.Target == "session:"+sid
	})

	// Events are written in batches: wait for the last ones.
	var (
		events  []auditEntry
		missing []string
		raw     string
	)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, errOut, err := d.env.run("", "audit", "list", "--tenant", tn.slug, "--limit", "10000", "--json")
		if err != nil {
			t.Fatalf("audit list: %v\n%s", err, errOut)
		}
		raw, events = out, nil
		if err := json.Unmarshal([]byte(out), &events); err != nil {
			t.Fatalf("audit list --json: %v", err)
		}
		missing = missing[:0]
		for _, w := range want {
			if !slices.ContainsFunc(events, w.match) {
				missing = append(missing, w.what)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, m := range missing {
		t.Errorf("no audit event: %s", m)
	}
	for name, v := range secrets {
		if v != "" && strings.Contains(raw, v) {
			t.Errorf("the audit log contains a %s", name)
		}
	}
	if _, errOut, err := d.env.run("", "audit", "verify"); err != nil {
		t.Errorf("audit verify: %v\n%s", err, errOut)
	}
	counts := map[string]int{}
	for _, e := range events {
		counts[e.Action]++
	}
	t.Logf("audit events of %s by action: %v", tn.slug, counts)
}
