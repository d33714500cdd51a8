package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// deployment is one `gatehouse serve` with its own data directory, master
// key and issuer http://127.0.0.1:<port>, the CLI pointed at the same
// store, and app: the relying party's own web server on another port.
type deployment struct {
	t      *testing.T
	env    *env
	addr   string
	issuer string
	proc   *process
	app    *rpApp
}

func newDeployment(t *testing.T) *deployment {
	t.Helper()
	addr := freeAddr(t)
	issuer := "http://" + addr
	return &deployment{
		t:      t,
		env:    newEnv(t).with("GATEHOUSE_ISSUER="+issuer, "GATEHOUSE_MASTER_KEY="+masterKey(t)),
		addr:   addr,
		issuer: issuer,
		app:    newRPApp(t),
	}
}

// start runs `gatehouse serve`. When the test is over and the server has
// stopped, its log is scanned: a 5xx answer, a panic or an error logged
// by the server fails the test, whatever the test itself checked.
func (d *deployment) start() {
	d.t.Helper()
	// Registered before serve registers the stop, so it runs after it and
	// sees the whole log.
	d.t.Cleanup(d.checkLog)
	d.proc = d.env.serve(d.addr)
}

// tenantIssuer is the issuer of a tenant's own: /t/{slug} under the
// platform issuer.
func (d *deployment) tenantIssuer(slug string) string { return d.issuer + "/t/" + slug }

// logRecord is the part of a server log line the scan reads.
type logRecord struct {
	Level     string `json:"level"`
	Msg       string `json:"msg"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Status    int    `json:"status"`
	RequestID string `json:"request_id"`
}

func (d *deployment) checkLog() {
	if d.proc == nil {
		return
	}
	var (
		bad      []string
		requests int
	)
	for _, line := range strings.Split(d.proc.logs.String(), "\n") {
		var rec logRecord
		if line == "" || json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if rec.Status != 0 {
			requests++
		}
		if rec.Status >= 500 || rec.Level == "ERROR" || strings.Contains(rec.Msg, "panic") {
			bad = append(bad, line)
		}
	}
	if requests == 0 {
		// The scan would pass vacuously: the log format changed.
		d.t.Errorf("no access log line with a status in the server log:\n%s", d.proc.logs)
	}
	if len(bad) > 0 {
		d.t.Errorf("the server answered 5xx, panicked or logged errors:\n%s", strings.Join(bad, "\n"))
	}
}

// The --json shapes of the CLI's answers, as far as the tests read them.
type (
	cliTenant struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
		Name string `json:"name"`
	}
	cliUser struct {
		ID       string   `json:"id"`
		TenantID string   `json:"tenant_id"`
		Username string   `json:"username"`
		Email    string   `json:"email"`
		Name     string   `json:"name"`
		Roles    []string `json:"roles"`
		// password is not part of the output: the test keeps it.
		password string
	}
	cliClient struct {
		ID         string   `json:"id"`
		TenantID   string   `json:"tenant_id"`
		Name       string   `json:"name"`
		Type       string   `json:"type"`
		Scopes     []string `json:"scopes"`
		AuthMethod string   `json:"auth_method"`
		IDTokenAlg string   `json:"id_token_alg"`
		FirstParty bool     `json:"first_party"`
		Config     struct {
			RedirectURIs   []string `json:"redirect_uris"`
			PostLogoutURIs []string `json:"post_logout_uris"`
		} `json:"config"`
		Credentials []struct {
			ClientID string `json:"client_id"`
			Secret   string `json:"secret"`
		} `json:"credentials"`
	}
)

// ClientID returns the client's one OAuth client_id.
func (c cliClient) ClientID() string { return c.Credentials[0].ClientID }

// Secret returns the secret the CLI printed when it created the client.
func (c cliClient) Secret() string { return c.Credentials[0].Secret }

// cliJSON runs a CLI command with --json and decodes its answer into v.
func (d *deployment) cliJSON(v any, stdin string, args ...string) {
	d.t.Helper()
	out := d.env.mustRun(stdin, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		d.t.Fatalf("gatehouse %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (d *deployment) mustTenant(slug, name string) cliTenant {
	d.t.Helper()
	var t cliTenant
	d.cliJSON(&t, "", "tenant", "create", "--slug", slug, "--name", name)
	if t.ID == "" || t.Slug != slug {
		d.t.Fatalf("tenant create: got %+v, want slug %s with an id", t, slug)
	}
	return t
}

// mustUser creates a user with a verified email and a password given on
// standard input, as an operator's script would.
func (d *deployment) mustUser(tenant, username, name, password string, roles ...string) cliUser {
	d.t.Helper()
	var u cliUser
	d.cliJSON(&u, password+"\n", "user", "create", "--tenant", tenant, "--username", username,
		"--name", name, "--email", username+"@example.com", "--email-verified",
		"--roles", strings.Join(roles, ","), "--password-stdin")
	if u.ID == "" || u.Username != username {
		d.t.Fatalf("user create: got %+v, want username %s with an id", u, username)
	}
	u.password = password
	return u
}

// mustClient registers an OAuth client whose redirect URI is the app's
// callback and whose post-logout URI is the app's signed-out page; flags
// add to or repeat those.
func (d *deployment) mustClient(tenant, name string, flags ...string) cliClient {
	d.t.Helper()
	args := append([]string{"client", "create", "--tenant", tenant, "--name", name,
		"--redirect-uri", d.app.callback(), "--post-logout-uri", d.app.signedOut()}, flags...)
	var c cliClient
	d.cliJSON(&c, "", args...)
	if len(c.Credentials) != 1 || c.ClientID() == "" {
		d.t.Fatalf("client create: got credentials %+v, want one", c.Credentials)
	}
	if c.Type == "confidential" && c.Secret() == "" {
		d.t.Fatalf("client create: a confidential client came without its secret")
	}
	return c
}

// hit is one request that reached the app.
type hit struct {
	Method string
	Path   string
	Params url.Values
}

// rpApp is the relying party's web server: it records the requests that
// reach it with a state, as an app's OAuth callback and post-logout page
// see them (query and form body), and finds them again by that state.
type rpApp struct {
	URL string

	mu      sync.Mutex
	byState map[string]hit
	// arrived is closed and replaced at every hit, to wake waiters.
	arrived chan struct{}
}

func newRPApp(t *testing.T) *rpApp {
	t.Helper()
	a := &rpApp{byState: map[string]hit{}, arrived: make(chan struct{})}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

func (a *rpApp) callback() string  { return a.URL + "/callback" }
func (a *rpApp) signedOut() string { return a.URL + "/signed-out" }

// ServeHTTP records the request and answers with a small page that the
// browser tests wait for.
func (a *rpApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/favicon.ico":
		http.NotFound(w, r)
		return
	case "/post":
		a.servePostForm(w, r)
		return
	}
	r.ParseForm()
	h := hit{Method: r.Method, Path: r.URL.Path, Params: r.Form}
	a.mu.Lock()
	if s := r.Form.Get("state"); s != "" {
		a.byState[s] = h
	}
	close(a.arrived)
	a.arrived = make(chan struct{})
	a.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html>\n<title>Example app</title>\n<h1 id=\"app\">Back at the app</h1>\n<p id=\"path\">%s</p>\n",
		html.EscapeString(r.URL.Path))
}

// servePostForm is a page of the app with a form that posts the query's
// parameters to the URL in its "to" parameter, the way a relying party
// starts an authorization or a logout with a POST from its own site.
func (a *rpApp) servePostForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<title>Example app</title>\n<form method=\"post\" action=\"%s\">\n", html.EscapeString(q.Get("to")))
	for k, vs := range q {
		if k == "to" {
			continue
		}
		for _, v := range vs {
			fmt.Fprintf(&b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">\n", html.EscapeString(k), html.EscapeString(v))
		}
	}
	b.WriteString("<button id=\"go\" type=\"submit\">Sign in with Gatehouse</button>\n</form>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, b.String())
}

// wait returns the request that carried state, waiting up to timeout for
// it.
func (a *rpApp) wait(t *testing.T, state string, timeout time.Duration) hit {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		h, ok := a.byState[state]
		arrived := a.arrived
		a.mu.Unlock()
		if ok {
			return h
		}
		select {
		case <-arrived:
		case <-deadline.C:
			t.Fatalf("the app got no request with state %q within %v", state, timeout)
			return hit{}
		}
	}
}

// seen reports whether any request carried state.
func (a *rpApp) seen(state string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.byState[state]
	return ok
}

// randomString returns 128 random bits, for states and nonces.
func randomString() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
