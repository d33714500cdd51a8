package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/token"
)

// env is a running server with one tenant and one signed-up user.
type env struct {
	s      *gatehousetest.Server
	tenant *gatehouse.Tenant
	user   *gatehouse.User
}

const password = "correct horse battery staple"

func newEnv(t testing.TB) *env {
	t.Helper()
	s := gatehousetest.MustRunServer(t)
	// Stop with no client connection open (cleanups run last first): a
	// connection the client dialed but never used stays "new" to the
	// server, which then waits 5 s before closing it, as long as the
	// test server's shutdown timeout.
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	tn := s.MustTenant(t, "acme")
	u := s.MustUser(t, tn.ID, "ana", password, "agent", "admin")
	return &env{s: s, tenant: tn, user: u}
}

// codeOpts describe an authorization code as the front channel would
// issue it.
type codeOpts struct {
	scopes      []string // default: openid profile email offline_access
	redirectURI string   // default: the client's first URI; "-" for none
	verifier    string   // PKCE verifier whose S256 challenge the code carries
	nonce       string
	user        *gatehouse.User // default: the env's user
}

// mustCode stores an authorization code for the client, the way the
// authorization endpoint does, and returns its value.
func (e *env) mustCode(t testing.TB, c *gatehousetest.Client, o codeOpts) string {
	t.Helper()
	if o.scopes == nil {
		o.scopes = []string{"email", "offline_access", "openid", "profile"}
	}
	switch o.redirectURI {
	case "":
		o.redirectURI = c.RedirectURIs[0]
	case "-":
		o.redirectURI = ""
	}
	if o.user == nil {
		o.user = e.user
	}
	value, hash := token.NewHandle()
	now := e.s.Clock.Now()
	ac := &gatehouse.AuthCode{
		Hash:        hash,
		TenantID:    c.TenantID,
		Client:      c.ID,
		ClientID:    c.ClientID,
		UserID:      o.user.ID,
		GrantID:     secret.NewID(),
		SessionID:   secret.NewID(),
		RedirectURI: o.redirectURI,
		Scopes:      gatehouse.ParseScope(strings.Join(o.scopes, " ")),
		Nonce:       o.nonce,
		AuthTime:    now.Add(-time.Minute),
		AMR:         []string{"pwd"},
		ACR:         "1",
		CreatedAt:   now,
		ExpiresAt:   now.Add(gatehouse.AuthCodeTTL),
	}
	if o.verifier != "" {
		ac.CodeChallenge = oauth2.S256ChallengeFromVerifier(o.verifier)
		ac.CodeChallengeMethod = "S256"
	}
	if err := e.s.Store.CreateAuthCode(context.Background(), ac); err != nil {
		t.Fatalf("create auth code: %v", err)
	}
	return value
}

// result is an HTTP response, its body decoded when it is JSON.
type result struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r result) str(name string) string {
	s, _ := r.body[name].(string)
	return s
}

func do(t testing.TB, req *http.Request) result {
	t.Helper()
	res, err := tryDo(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return res
}

// tryDo is do for goroutines other than the test's, which must not stop
// the test.
func tryDo(req *http.Request) (result, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	res := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &res.body); err != nil {
			return result{}, fmt.Errorf("body is not JSON: %w: %s", err, raw)
		}
	}
	return res, nil
}

// clientAuth says how a request authenticates its client.
type clientAuth struct {
	id, secret string
	post       bool // client_secret_post instead of client_secret_basic
}

// authOf is the usual authentication of a registered client: Basic for a
// confidential one, client_id in the form for a public one.
func authOf(c *gatehousetest.Client) clientAuth {
	return clientAuth{id: c.ClientID, secret: c.ClientSecret, post: c.ClientSecret == ""}
}

// post sends a form to an endpoint.
func post(t testing.TB, endpoint string, form url.Values, auth clientAuth) result {
	t.Helper()
	return do(t, formPost(endpoint, form, auth))
}

// formPost builds a form POST with the client authentication.
func formPost(endpoint string, form url.Values, auth clientAuth) *http.Request {
	if form == nil {
		form = url.Values{}
	}
	if auth.post {
		if auth.id != "" {
			form.Set("client_id", auth.id)
		}
		if auth.secret != "" {
			form.Set("client_secret", auth.secret)
		}
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		panic(err) // the tests build every URL themselves
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !auth.post && auth.id != "" {
		req.SetBasicAuth(auth.id, auth.secret)
	}
	return req
}

// tokenSet is a successful token response.
type tokenSet struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
}

func mustTokens(t testing.TB, res result) tokenSet {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("token request: got %d, want 200: %s", res.status, res.raw)
	}
	var ts tokenSet
	if err := json.Unmarshal(res.raw, &ts); err != nil {
		t.Fatal(err)
	}
	return ts
}

// refresh presents a refresh token.
func (e *env) refresh(t testing.TB, c *gatehousetest.Client, rt, scope string) result {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return post(t, e.s.URL+"/oauth/token", form, authOf(c))
}

// userinfo calls the userinfo endpoint with a bearer token.
func (e *env) userinfo(t testing.TB, accessToken string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.s.URL+"/oauth/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	return do(t, req)
}

// introspect asks about a token as a client.
func (e *env) introspect(t testing.TB, c *gatehousetest.Client, tok string) result {
	t.Helper()
	return post(t, e.s.URL+"/oauth/introspect", url.Values{"token": {tok}}, authOf(c))
}

// revoke revokes a token as a client.
func (e *env) revoke(t testing.TB, c *gatehousetest.Client, tok string) result {
	t.Helper()
	return post(t, e.s.URL+"/oauth/revoke", url.Values{"token": {tok}}, authOf(c))
}

// wantError checks an error response: its status and error code, and that
// it is never a server error.
func wantError(t testing.TB, res result, status int, code string) {
	t.Helper()
	if res.status >= 500 {
		t.Fatalf("got a server error %d: %s", res.status, res.raw)
	}
	if res.status != status || res.str("error") != code {
		t.Fatalf("got %d %s, want %d %s (%s)", res.status, res.str("error"), status, code, res.raw)
	}
}

// wantActive checks an introspection answer.
func wantActive(t testing.TB, res result, active bool) {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("introspection: got %d, want 200: %s", res.status, res.raw)
	}
	if got, _ := res.body["active"].(bool); got != active {
		t.Fatalf("active: got %v, want %v: %s", got, active, res.raw)
	}
	if !active && string(res.raw) != `{"active":false}` {
		t.Fatalf("inactive answer: got %s, want exactly {\"active\":false}", res.raw)
	}
}

// mustLogin issues a code for the client and exchanges it.
func (e *env) mustLogin(t testing.TB, c *gatehousetest.Client, o codeOpts) tokenSet {
	t.Helper()
	if c.IsPublic() && o.verifier == "" {
		o.verifier = oauth2.GenerateVerifier()
	}
	code := e.mustCode(t, c, o)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	if o.redirectURI != "-" {
		form.Set("redirect_uri", c.RedirectURIs[0])
	}
	if o.verifier != "" {
		form.Set("code_verifier", o.verifier)
	}
	return mustTokens(t, post(t, e.s.URL+"/oauth/token", form, authOf(c)))
}

// setUserStatus changes a user's status in the store.
func (e *env) setUserStatus(t testing.TB, u *gatehouse.User, st gatehouse.Status) {
	t.Helper()
	ctx := context.Background()
	cur, err := e.s.Store.GetUser(ctx, u.TenantID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur.Status = st
	if err := e.s.Store.UpdateUser(ctx, cur); err != nil {
		t.Fatalf("update user: %v", err)
	}
}

// auditEvents returns the tenant's audit events of one action, once every
// queued event is written.
func (e *env) auditEvents(t testing.TB, tenantID, action string) []*gatehouse.AuditEvent {
	t.Helper()
	ctx := context.Background()
	if err := e.s.App.Audit.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := e.s.Store.ListAuditEvents(ctx, gatehouse.AuditFilter{TenantID: tenantID, Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
