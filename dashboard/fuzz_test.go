package dashboard_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// The fuzz targets drive the whole server in-process, as a browser
// signed in to the dashboard would: its handler with every middleware
// (issuer resolution, body limits, the cross-origin check), over a real
// SQLite store that refuses, as PostgreSQL would, text it could not keep.
// Whatever the input, the answer is a page, the form again with its
// problems, or a redirect to one of our own pages, never a 5xx; a
// cross-site post is refused; an answer that changes nothing (an error,
// a form shown again, a confirmation) writes no row and leaves every
// revision as it was; and nothing reaches the store that PostgreSQL would
// refuse.

// sessionCookie is the browser session's cookie on a plain-http
// loopback issuer.
const sessionCookie = "gatehouse_session"

// strictStore adds to TextStore's checks those of the writes the
// dashboard's operations make, which TextStore lets through: every text
// of what is written, at any depth, must be one PostgreSQL keeps.
type strictStore struct {
	*gatehousetest.TextStore

	mu      sync.Mutex
	refused []string
}

var _ gatehouse.Store = (*strictStore)(nil)

// takeRefused returns what either check refused since the last call.
func (s *strictStore) takeRefused() []string {
	s.mu.Lock()
	out := s.refused
	s.refused = nil
	s.mu.Unlock()
	return append(out, s.TextStore.TakeRefused()...)
}

// check refuses v when a string in it is not UTF-8 or holds a NUL.
func (s *strictStore) check(op string, v any) error {
	if bad, ok := badText(reflect.ValueOf(v)); !ok {
		s.mu.Lock()
		s.refused = append(s.refused, fmt.Sprintf("%s: %.80q", op, bad))
		s.mu.Unlock()
		return gatehouse.Errorf(gatehouse.EINVALID, "a value cannot be stored")
	}
	return nil
}

// badText walks v's exported fields, elements and map entries and returns
// the first string PostgreSQL's text refuses.
func badText(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return s, false
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return badText(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			// Bytes are kept as bytes (hashes, images).
			return "", true
		}
		for i := range v.Len() {
			if bad, ok := badText(v.Index(i)); !ok {
				return bad, false
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if bad, ok := badText(it.Key()); !ok {
				return bad, false
			}
			if bad, ok := badText(it.Value()); !ok {
				return bad, false
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if bad, ok := badText(v.Field(i)); !ok {
					return bad, false
				}
			}
		}
	}
	return "", true
}

func (s *strictStore) UpdateTenant(ctx context.Context, t *gatehouse.Tenant) error {
	if err := s.check("UpdateTenant", t); err != nil {
		return err
	}
	return s.TextStore.UpdateTenant(ctx, t)
}

func (s *strictStore) CreateUser(ctx context.Context, u *gatehouse.User) error {
	if err := s.check("CreateUser", u); err != nil {
		return err
	}
	return s.TextStore.CreateUser(ctx, u)
}

func (s *strictStore) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	if err := s.check("UpdateUser", u); err != nil {
		return err
	}
	return s.TextStore.UpdateUser(ctx, u)
}

func (s *strictStore) CreateClient(ctx context.Context, c *gatehouse.Client) error {
	if err := s.check("CreateClient", c); err != nil {
		return err
	}
	return s.TextStore.CreateClient(ctx, c)
}

func (s *strictStore) UpdateClient(ctx context.Context, c *gatehouse.Client) error {
	if err := s.check("UpdateClient", c); err != nil {
		return err
	}
	return s.TextStore.UpdateClient(ctx, c)
}

func (s *strictStore) AddClientCredential(ctx context.Context, c *gatehouse.ClientCredential, expireOthersBy time.Time) error {
	if err := s.check("AddClientCredential", c); err != nil {
		return err
	}
	return s.TextStore.AddClientCredential(ctx, c, expireOthersBy)
}

func (s *strictStore) UpdateClientCredential(ctx context.Context, tenantID, credentialID, name string, expiresAt time.Time) error {
	if err := s.check("UpdateClientCredential", []string{tenantID, credentialID, name}); err != nil {
		return err
	}
	return s.TextStore.UpdateClientCredential(ctx, tenantID, credentialID, name, expiresAt)
}

func (s *strictStore) CreateAPIKey(ctx context.Context, k *gatehouse.APIKey) error {
	if err := s.check("CreateAPIKey", k); err != nil {
		return err
	}
	return s.TextStore.CreateAPIKey(ctx, k)
}

func (s *strictStore) GetAPIKey(ctx context.Context, tenantID, id string) (*gatehouse.APIKey, error) {
	if err := s.check("GetAPIKey", []string{tenantID, id}); err != nil {
		return nil, err
	}
	return s.TextStore.GetAPIKey(ctx, tenantID, id)
}

func (s *strictStore) PutClientAsset(ctx context.Context, a *gatehouse.ClientAsset) error {
	if err := s.check("PutClientAsset", a); err != nil {
		return err
	}
	return s.TextStore.PutClientAsset(ctx, a)
}

func (s *strictStore) ListAuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, int64, error) {
	if err := s.check("ListAuditEvents", f); err != nil {
		return nil, 0, err
	}
	return s.TextStore.ListAuditEvents(ctx, f)
}

// dashWorld is a server with the tenants and users the fuzz targets
// share, and the resources an input may change (dashFixture).
type dashWorld struct {
	s     *gatehousetest.Server
	h     http.Handler
	db    *gatehousetest.DB
	host  string
	store *strictStore

	acme, globex *gatehouse.Tenant
	// owner is acme's owner, signed in as most inputs; gxAdmin is
	// globex's admin, who must see nothing of acme.
	owner, gxAdmin   *gatehouse.User
	ownerSess        *gatehouse.Session
	ownerCookie      string
	gxCookie         string
	gxClient         *gatehousetest.Client
	made, sent       int
	fx               *dashFixture
	pngLogo, svgLogo string
}

// dashFixture is what inputs act on: an app of acme with a second
// credential that expires, an agent of acme signed in, and an API key.
// An input that changed one of them gets a new fixture for the next, so
// that no input depends on what an earlier one did.
type dashFixture struct {
	client      *gatehousetest.Client
	credential  string
	agent       *gatehouse.User
	agentCookie string
	keyID       string
}

func newDashWorld(f *testing.F) *dashWorld {
	f.Helper()
	var store *strictStore
	s := gatehousetest.MustRunServer(f, gatehousetest.WithStore(func(st gatehouse.Store) gatehouse.Store {
		store = &strictStore{TextStore: gatehousetest.NewTextStore(st)}
		return store
	}))
	u, err := url.Parse(s.URL)
	if err != nil {
		f.Fatal(err)
	}
	w := &dashWorld{s: s, h: s.App.Handler(), db: s.MustOpenDB(f), host: u.Host, store: store}
	w.acme = s.MustTenant(f, "acme")
	w.globex = s.MustTenant(f, "globex")
	w.owner = s.MustUser(f, w.acme.ID, "olga", password, "owner")
	w.gxAdmin = s.MustUser(f, w.globex.ID, "gus", "", "admin")
	w.gxClient = s.MustClient(f, w.globex.ID, nil)
	w.ownerSess, w.ownerCookie = w.s.MustSession(f, w.owner)
	_, w.gxCookie = w.s.MustSession(f, w.gxAdmin)

	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		f.Fatal(err)
	}
	w.pngLogo = b.String()
	w.svgLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>`
	return w
}

// fixture returns the current fixture, or a new one when there is none.
func (w *dashWorld) fixture(t *testing.T) *dashFixture {
	t.Helper()
	if w.fx != nil {
		return w.fx
	}
	ctx := context.Background()
	w.made++
	fx := &dashFixture{}
	fx.client = w.s.MustClient(t, w.acme.ID, func(c *gatehouse.Client) { c.Name = "App " + strconv.Itoa(w.made) })
	c, issued, err := w.s.App.Admin.AddClientCredential(ctx, gatehousetest.Actor(), w.acme.ID, fx.client.ID,
		admin.CredentialInput{Name: "second", ExpiresAt: w.s.Clock.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, cr := range c.Credentials {
		if cr.ClientID == issued.ClientID {
			fx.credential = cr.ID
		}
	}
	fx.agent = w.s.MustUser(t, w.acme.ID, "agent-"+strconv.Itoa(w.made), "", "agent")
	_, fx.agentCookie = w.s.MustSession(t, fx.agent)
	k, _, err := w.s.App.Admin.CreateAPIKey(ctx, gatehousetest.Actor(), w.acme.ID,
		admin.APIKeyInput{Name: "fuzz", Scopes: []string{gatehouse.APIScopeClientsRead}})
	if err != nil {
		t.Fatal(err)
	}
	fx.keyID = k.ID
	w.fx = fx
	return fx
}

// state sums up everything an input may change of the world, to tell
// whether it changed anything.
func (w *dashWorld) state(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	fx := w.fx
	var b strings.Builder
	if tn, err := w.s.Store.GetTenant(ctx, w.acme.ID); err == nil {
		fmt.Fprintf(&b, "tenant %d %s %v|", tn.Revision, tn.Status, tn.Domains)
	}
	for _, id := range []string{w.owner.ID, fx.agent.ID} {
		if u, err := w.s.Store.GetUser(ctx, w.acme.ID, id); err == nil {
			fmt.Fprintf(&b, "user %d %s %v|", u.Revision, u.Status, u.Roles)
		} else {
			b.WriteString("user gone|")
		}
	}
	if c, err := w.s.Store.GetClient(ctx, w.acme.ID, fx.client.ID); err == nil {
		fmt.Fprintf(&b, "client %d %q %q|", c.Revision, c.LogoURI, c.LogoDarkURI)
		for _, cr := range c.Credentials {
			fmt.Fprintf(&b, "credential %s %q %v|", cr.ID, cr.Name, cr.ExpiresAt)
		}
	} else {
		b.WriteString("client gone|")
	}
	if k, err := w.s.Store.GetAPIKey(ctx, w.acme.ID, fx.keyID); err == nil {
		fmt.Fprintf(&b, "key %v|", k.RevokedAt)
	}
	if c, err := w.s.Store.GetClient(ctx, w.globex.ID, w.gxClient.ID); err == nil {
		fmt.Fprintf(&b, "globex client %d|", c.Revision)
	} else {
		b.WriteString("globex client gone|")
	}
	return b.String()
}

// checkStored fails the test when the input made the server hand its
// store something PostgreSQL would refuse, audit events included.
func (w *dashWorld) checkStored(t *testing.T) {
	t.Helper()
	if err := w.s.App.Audit.Flush(context.Background()); err != nil {
		t.Errorf("write audit events: %v", err)
	}
	if refused := w.store.takeRefused(); refused != nil {
		t.Errorf("the store was handed what PostgreSQL refuses: %v", refused)
	}
}

// Who a fuzz input is signed in as.
const (
	asOwner = iota
	asNobody
	asAgent
	asOtherTenant
)

// Fetch metadata a fuzz input picks for its request: none (a client that
// is not a browser), a same-origin form, a cross-site form, or a foreign
// Origin from a browser without Sec-Fetch-Site.
const (
	fetchNone = iota
	fetchSameOrigin
	fetchCrossSite
	fetchForeignOrigin
)

// Bits of a fuzz input's flags.
const (
	onTenant  = 1
	fetchBits = 1 // shift: two bits of fetch metadata
	whoBits   = 3 // shift: two bits of who is signed in
)

// dashRoute is a page of the dashboard. Its path names what it acts on
// as {client}, {credential}, {user}, {key} and {logo}.
type dashRoute struct{ method, path string }

var dashForms = []dashRoute{
	{http.MethodPost, "/dashboard/signin"},
	{http.MethodPost, "/dashboard/clients"},
	{http.MethodPost, "/dashboard/clients/{client}"},
	{http.MethodPost, "/dashboard/clients/{client}/delete"},
	{http.MethodPost, "/dashboard/clients/{client}/rotate"},
	{http.MethodPost, "/dashboard/clients/{client}/credentials"},
	{http.MethodPost, "/dashboard/clients/{client}/credentials/{credential}/expiry"},
	{http.MethodPost, "/dashboard/clients/{client}/credentials/{credential}/keep"},
	{http.MethodPost, "/dashboard/clients/{client}/credentials/{credential}/delete"},
	{http.MethodPost, "/dashboard/clients/{client}/logos/{logo}"},
	{http.MethodPost, "/dashboard/clients/{client}/logos/{logo}/delete"},
	{http.MethodPost, "/dashboard/users"},
	{http.MethodPost, "/dashboard/users/{user}"},
	{http.MethodPost, "/dashboard/users/{user}/roles"},
	{http.MethodPost, "/dashboard/users/{user}/status"},
	{http.MethodPost, "/dashboard/users/{user}/password-link"},
	{http.MethodPost, "/dashboard/apikeys"},
	{http.MethodPost, "/dashboard/apikeys/{key}/revoke"},
	{http.MethodPost, "/dashboard/branding"},
	{http.MethodPost, "/dashboard/branding/domains"},
}

var dashPages = []dashRoute{
	{http.MethodGet, "/dashboard"},
	{http.MethodGet, "/dashboard/"},
	{http.MethodGet, "/dashboard/signin"},
	{http.MethodGet, "/dashboard/clients"},
	{http.MethodGet, "/dashboard/clients/new"},
	{http.MethodGet, "/dashboard/clients/{client}"},
	{http.MethodGet, "/dashboard/clients/{client}/edit"},
	{http.MethodGet, "/dashboard/clients/{client}/credentials/new"},
	{http.MethodGet, "/dashboard/clients/{client}/credentials/{credential}/expiry"},
	{http.MethodGet, "/dashboard/users"},
	{http.MethodGet, "/dashboard/users/new"},
	{http.MethodGet, "/dashboard/users/{user}"},
	{http.MethodGet, "/dashboard/users/{user}/edit"},
	{http.MethodGet, "/dashboard/apikeys"},
	{http.MethodGet, "/dashboard/apikeys/new"},
	{http.MethodGet, "/dashboard/audit"},
	{http.MethodGet, "/dashboard/branding"},
	{http.MethodGet, "/dashboard/{page}"},
}

// routeIndex returns the index of a route in routes, for seeds.
func routeIndex(f *testing.F, routes []dashRoute, method, path string) uint8 {
	i := slices.Index(routes, dashRoute{method, path})
	if i < 0 {
		f.Fatalf("no route %s %s", method, path)
	}
	return uint8(i)
}

// target builds the path of rt for fx on the issuer base; seg, when not
// empty, replaces the last resource the path names. routable is false
// for a path ServeMux redirects before any route (dot segments).
func (w *dashWorld) target(rt dashRoute, fx *dashFixture, base, seg string) (path string, routable bool) {
	ids := map[string]string{"{client}": fx.client.ID, "{credential}": fx.credential, "{user}": fx.agent.ID,
		"{key}": fx.keyID, "{logo}": gatehouse.AssetLogo, "{page}": "nothing"}
	path, routable = gatehousetest.FillPath(rt.path, ids, seg)
	return base + path, routable
}

// revision is the revision a form of rt carries, current when the input
// asks for it with {rev}.
func (w *dashWorld) revision(t *testing.T, rt dashRoute, fx *dashFixture) string {
	t.Helper()
	ctx := context.Background()
	var rev int64
	switch {
	case strings.HasPrefix(rt.path, "/dashboard/branding"):
		if tn, err := w.s.Store.GetTenant(ctx, w.acme.ID); err == nil {
			rev = tn.Revision
		}
	case strings.HasPrefix(rt.path, "/dashboard/users"):
		if u, err := w.s.Store.GetUser(ctx, w.acme.ID, fx.agent.ID); err == nil {
			rev = u.Revision
		}
	default:
		if c, err := w.s.Store.GetClient(ctx, w.acme.ID, fx.client.ID); err == nil {
			rev = c.Revision
		}
	}
	return strconv.FormatInt(rev, 10)
}

// send serves req in-process as the server would have received it from
// the network, with the session of who.
func (w *dashWorld) send(req *http.Request, fx *dashFixture, who int) *httptest.ResponseRecorder {
	w.sent++
	n := w.sent
	req.Host = w.host
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:40000", n>>16&255, n>>8&255, n&255)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	cookie := ""
	switch who {
	case asOwner:
		cookie = w.ownerCookie
	case asAgent:
		cookie = fx.agentCookie
	case asOtherTenant:
		cookie = w.gxCookie
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	return rec
}

// newRequest builds a request for path with raw as its query (GET) or
// body (POST).
func newRequest(method, path, raw, contentType string) (*http.Request, error) {
	u, err := url.Parse(path)
	if err != nil {
		return nil, err
	}
	req := &http.Request{
		Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody,
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
	return req, nil
}

// confirmation reports whether a page asks to confirm a change, which it
// must not have made yet.
func confirmation(body string) bool {
	return strings.Contains(body, `<input type="hidden" name="confirm" value="yes">`)
}

// checkAnswer checks what every answer of the dashboard must be, and
// that an answer that changed nothing wrote nothing.
func (w *dashWorld) checkAnswer(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder, rows gatehousetest.RowCounts, before string) {
	t.Helper()
	what := fmt.Sprintf("%s %.200s", req.Method, req.URL)
	loc := rec.Header().Get("Location")
	if rec.Code >= 500 {
		t.Fatalf("%s: got %d:\n%.2000s", what, rec.Code, rec.Body)
	}
	if loc != "" && gatehousetest.Offsite(loc) {
		t.Errorf("%s: redirected off the site, to %.200q", what, loc)
	}
	body := rec.Body.String()
	unchanged := rec.Code >= 400 || req.Method == http.MethodGet || confirmation(body)
	if rec.Code >= 400 {
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") && rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: got %d of type %q, want a page", what, rec.Code, ct)
		}
	}
	if !unchanged {
		return
	}
	if added := rows.Added(w.db.MustRowCounts(t)); added != nil {
		t.Errorf("%s: an answer that changes nothing (%d) wrote rows: %v", what, rec.Code, added)
	}
	if after := w.state(t); after != before {
		t.Errorf("%s: an answer that changes nothing (%d) changed\n%s\nto\n%s", what, rec.Code, before, after)
	}
}

// FuzzDashboardForms posts arbitrary bodies, of any content type, to
// every form of the dashboard, with the fetch metadata of a same-origin
// form, of a cross-site one or none, signed in as acme's owner, as
// nobody, as an agent or as another tenant's admin. seg, when not empty,
// replaces the last resource of the form's path. In body, {rev} stands
// for the current revision of what the form changes, {png} and {svg} for
// a small image of that type.
func FuzzDashboardForms(f *testing.F) {
	w := newDashWorld(f)
	route := func(path string) uint8 { return routeIndex(f, dashForms, http.MethodPost, path) }
	const (
		form        = "application/x-www-form-urlencoded"
		multipart   = "multipart/form-data; boundary=x"
		sameOrigin  = fetchSameOrigin << fetchBits
		crossSite   = fetchCrossSite << fetchBits
		foreign     = fetchForeignOrigin << fetchBits
		nobody      = asNobody << whoBits
		agent       = asAgent << whoBits
		otherTenant = asOtherTenant << whoBits
	)
	huge := strings.Repeat("x", 100<<10)
	upload := func(field, value string) string {
		return "--x\r\nContent-Disposition: form-data; name=\"revision\"\r\n\r\n{rev}\r\n" +
			"--x\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"l\"\r\n\r\n" + value + "\r\n--x--\r\n"
	}
	client := "name=Blog&description=d&type=confidential&redirect_uris=https%3A%2F%2Fblog.example%2Fcb&scopes=openid&scopes=profile&id_token_alg=RS256"
	seeds := []struct {
		route       uint8
		flags       uint8
		seg         string
		body, ctype string
	}{
		{route("/dashboard/signin"), sameOrigin | nobody, "", "organization=acme&username=olga&password=" + url.QueryEscape(password) + "&return=%2Fdashboard%2Fusers", form},
		{route("/dashboard/signin"), sameOrigin | nobody | onTenant, "", "username=olga&password=" + url.QueryEscape(password) + "&return=https%3A%2F%2Fevil.example", form},
		{route("/dashboard/signin"), sameOrigin, "", "return=%2F%2Fevil.example%2F", form},
		{route("/dashboard/signin"), sameOrigin, "", "return=%2Fdashboard%2F..%2F..%2Fevil", form},
		{route("/dashboard/signin"), sameOrigin | nobody, "", "organization=%ff&username=%00&password=x&return=%2Fdashboard%5Cevil", form},
		{route("/dashboard/signin"), crossSite | nobody, "", "organization=acme&username=olga&password=x", form},
		{route("/dashboard/clients"), sameOrigin, "", client, form},
		{route("/dashboard/clients"), sameOrigin | onTenant, "", client + "&type=public&first_party=on&allowed_origins=https%3A%2F%2Fblog.example", form},
		{route("/dashboard/clients"), sameOrigin, "", client + "&name=Other&type=web", form},
		{route("/dashboard/clients"), sameOrigin, "", "name=%00&description=%ff&redirect_uris=javascript%3Aalert(1)%0A%0Ahttp%3A%2F%2Fevil.example%2Fcb%23f&scopes=openid&scopes=admin&id_token_alg=none", form},
		{route("/dashboard/clients"), sameOrigin, "", "name=\xff\xfe&scopes=openid&redirect_uris=https%3A%2F%2Fa.example%2F%ff", form},
		{route("/dashboard/clients"), sameOrigin, "", "name=" + huge + "&scopes=openid", form},
		// A redirect URI that is not UTF-8 passed every check and reached
		// the store, which PostgreSQL answers with an error.
		{route("/dashboard/clients"), 0, "", strings.Replace(client, "blog", "bl\x88g", 1), form},
		{route("/dashboard/clients"), sameOrigin, "", "name=App&scopes=openid&redirect_uris=" + strings.Repeat("https%3A%2F%2Fa.example%2Fcb%0A", 2000), form},
		{route("/dashboard/clients"), sameOrigin, "", "name=App", form},
		{route("/dashboard/clients"), sameOrigin, "", client, "application/json"},
		{route("/dashboard/clients"), sameOrigin, "", client, "-"},
		{route("/dashboard/clients"), sameOrigin, "", client, "application/x-www-form-urlencoded; ="},
		{route("/dashboard/clients"), sameOrigin, "", "name=%zz", form},
		{route("/dashboard/clients"), sameOrigin, "", upload("name", "App"), multipart},
		{route("/dashboard/clients"), crossSite, "", client, form},
		{route("/dashboard/clients"), foreign, "", client, form},
		{route("/dashboard/clients"), sameOrigin | agent, "", client, form},
		{route("/dashboard/clients"), sameOrigin | nobody, "", client, form},
		{route("/dashboard/clients/{client}"), sameOrigin, "", client + "&revision={rev}", form},
		{route("/dashboard/clients/{client}"), sameOrigin, "", client + "&revision=1", form},
		{route("/dashboard/clients/{client}"), sameOrigin, "", client + "&revision=99999999999999999999", form},
		{route("/dashboard/clients/{client}"), sameOrigin, "", client + "&revision=-1&revision={rev}", form},
		{route("/dashboard/clients/{client}"), sameOrigin, "", "name=%00&scopes=openid&revision={rev}", form},
		{route("/dashboard/clients/{client}"), sameOrigin, "not-a-uuid", client, form},
		{route("/dashboard/clients/{client}"), sameOrigin, "00000000-0000-7000-8000-000000000000", client, form},
		{route("/dashboard/clients/{client}"), sameOrigin, "\xff", client, form},
		{route("/dashboard/clients/{client}"), sameOrigin, "..", client, form},
		{route("/dashboard/clients/{client}"), sameOrigin | otherTenant, "", client + "&revision={rev}", form},
		{route("/dashboard/clients/{client}/delete"), sameOrigin, "", "", form},
		{route("/dashboard/clients/{client}/delete"), sameOrigin, "", "confirm=yes&revision={rev}", form},
		{route("/dashboard/clients/{client}/delete"), sameOrigin, "", "confirm=yes&revision=1", form},
		{route("/dashboard/clients/{client}/delete"), crossSite, "", "confirm=yes&revision={rev}", form},
		{route("/dashboard/clients/{client}/rotate"), sameOrigin, "", "", form},
		{route("/dashboard/clients/{client}/rotate"), sameOrigin, "", "confirm=yes&grace=3600", form},
		{route("/dashboard/clients/{client}/rotate"), sameOrigin, "", "confirm=yes&grace=99999999999999999999", form},
		{route("/dashboard/clients/{client}/rotate"), sameOrigin, "", "confirm=yes&grace=-3600", form},
		{route("/dashboard/clients/{client}/credentials"), sameOrigin, "", "name=ci&expires=never", form},
		{route("/dashboard/clients/{client}/credentials"), sameOrigin, "", "name=ci&expires=at&expires_at=2099-01-01T00%3A00", form},
		{route("/dashboard/clients/{client}/credentials"), sameOrigin, "", "name=%00&expires=at&expires_at=9999-12-31T23%3A59%3A59", form},
		{route("/dashboard/clients/{client}/credentials"), sameOrigin, "", "name=\xff&expires=at&expires_at=2000-01-01T00%3A00", form},
		{route("/dashboard/clients/{client}/credentials"), sameOrigin, "", "name=" + huge + "&expires=now", form},
		{route("/dashboard/clients/{client}/credentials/{credential}/expiry"), sameOrigin, "", "expires=at&expires_at=2099-01-01T00%3A00", form},
		{route("/dashboard/clients/{client}/credentials/{credential}/expiry"), sameOrigin, "", "expires=now", form},
		{route("/dashboard/clients/{client}/credentials/{credential}/expiry"), sameOrigin, "", "expires=now&confirm=yes", form},
		{route("/dashboard/clients/{client}/credentials/{credential}/expiry"), sameOrigin, "", "expires=never", form},
		{route("/dashboard/clients/{client}/credentials/{credential}/expiry"), sameOrigin, "", "expires=at&expires_at=%00", form},
		{route("/dashboard/clients/{client}/credentials/{credential}/expiry"), sameOrigin, "nope", "expires=never", form},
		{route("/dashboard/clients/{client}/credentials/{credential}/keep"), sameOrigin, "", "", form},
		{route("/dashboard/clients/{client}/credentials/{credential}/delete"), sameOrigin, "", "", form},
		{route("/dashboard/clients/{client}/credentials/{credential}/delete"), sameOrigin, "", "confirm=yes", form},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, "", upload("image", "{png}"), multipart},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, gatehouse.AssetLogoDark, upload("image", "{svg}"), multipart},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, "", upload("image", "<svg><script>alert(1)</script></svg>"), multipart},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, "", upload("image", "not an image"), multipart},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, "", upload("image", ""), multipart},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, "", upload("image", strings.Repeat("\x89PNG", 70<<10)), multipart},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, "", "--x\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc", multipart},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, "", "image=x", form},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, "", upload("image", "{png}"), "multipart/form-data"},
		{route("/dashboard/clients/{client}/logos/{logo}"), sameOrigin, "icon", upload("image", "{png}"), multipart},
		{route("/dashboard/clients/{client}/logos/{logo}"), crossSite, "", upload("image", "{png}"), multipart},
		{route("/dashboard/clients/{client}/logos/{logo}/delete"), sameOrigin, "", "", form},
		{route("/dashboard/clients/{client}/logos/{logo}/delete"), sameOrigin, "", "confirm=yes&revision={rev}", form},
		{route("/dashboard/users"), sameOrigin, "", "username=carol&email=carol%40example.com&name=Carol&roles=agent&invite=yes", form},
		{route("/dashboard/users"), sameOrigin, "", "username=dave&roles=admin%2C+agent&invite=no&password=" + url.QueryEscape(password), form},
		{route("/dashboard/users"), sameOrigin, "", "username=olga&invite=yes", form},
		{route("/dashboard/users"), sameOrigin, "", "username=%00&email=%ff&name=\xff&roles=owner,owner,,%00&invite=no&password=short", form},
		{route("/dashboard/users"), sameOrigin, "", "username=" + huge + "&roles=" + huge, form},
		{route("/dashboard/users"), sameOrigin | onTenant, "", "username=eve&roles=owner&invite=yes", form},
		{route("/dashboard/users"), sameOrigin | agent, "", "username=eve&invite=yes", form},
		{route("/dashboard/users/{user}"), sameOrigin, "", "name=Ana&email=ana%40example.com&revision={rev}", form},
		{route("/dashboard/users/{user}"), sameOrigin, "", "name=%00&email=not+an+email&revision={rev}", form},
		{route("/dashboard/users/{user}"), sameOrigin, "", "name=Ana&revision=1", form},
		{route("/dashboard/users/{user}"), sameOrigin, "", "name=Ana&email=olga%40example.com&revision={rev}", form},
		{route("/dashboard/users/{user}/roles"), sameOrigin, "", "roles=admin+agent&revision={rev}", form},
		{route("/dashboard/users/{user}/roles"), sameOrigin, "", "roles=owner&revision={rev}", form},
		{route("/dashboard/users/{user}/roles"), sameOrigin, "", "roles=%ff%00,\xff&revision={rev}", form},
		{route("/dashboard/users/{user}/roles"), sameOrigin, "", "roles=" + strings.Repeat("r", 500) + "&revision={rev}", form},
		{route("/dashboard/users/{user}/status"), sameOrigin, "", "status=disabled&revision={rev}", form},
		{route("/dashboard/users/{user}/status"), sameOrigin, "", "status=disabled&confirm=yes&revision={rev}", form},
		{route("/dashboard/users/{user}/status"), sameOrigin, "", "status=active&revision={rev}", form},
		{route("/dashboard/users/{user}/status"), sameOrigin, "", "status=deleted", form},
		{route("/dashboard/users/{user}/password-link"), sameOrigin, "", "", form},
		{route("/dashboard/users/{user}/password-link"), sameOrigin, "%00", "", form},
		{route("/dashboard/apikeys"), sameOrigin, "", "name=ci&scopes=oauth.clients.read&expires=90", form},
		{route("/dashboard/apikeys"), sameOrigin, "", "name=ci&scopes=platform.tenants.write&expires=never", form},
		{route("/dashboard/apikeys"), sameOrigin, "", "name=%00&scopes=%ff&scopes=&expires=99999999999", form},
		{route("/dashboard/apikeys"), sameOrigin, "", "name=ci&scopes=oauth.clients.read&expires=30&expires=never", form},
		{route("/dashboard/apikeys/{key}/revoke"), sameOrigin, "", "", form},
		{route("/dashboard/apikeys/{key}/revoke"), sameOrigin, "", "confirm=yes", form},
		{route("/dashboard/apikeys/{key}/revoke"), sameOrigin, "00000000-0000-7000-8000-000000000000", "confirm=yes", form},
		// ServeMux matches no path variable to a lone "%2F", and answered
		// such a path in plain text.
		{route("/dashboard/apikeys/{key}/revoke"), onTenant | agent, "/", "confirm=yes", form},
		{route("/dashboard/users/{user}/roles"), sameOrigin, "/", "roles=admin", form},
		{route("/dashboard/branding"), sameOrigin, "", "name=Acme&primary_color=%23123456&background_color=%23ffffff&logo_uri=https%3A%2F%2Fcdn.example%2Fl.png&revision={rev}", form},
		{route("/dashboard/branding"), sameOrigin, "", "name=%00&primary_color=red&logo_uri=javascript%3Aalert(1)&logo_dark_uri=%ff&revision={rev}", form},
		{route("/dashboard/branding"), sameOrigin, "", "name=" + huge + "&revision={rev}", form},
		{route("/dashboard/branding"), sameOrigin, "", "name=Acme&revision=0", form},
		{route("/dashboard/branding/domains"), sameOrigin, "", "domains=login.acme.example&revision={rev}", form},
		{route("/dashboard/branding/domains"), sameOrigin, "", "domains=127.0.0.1+a..b+%00+\xff&revision={rev}", form},
		{route("/dashboard/branding/domains"), sameOrigin, "", "domains=" + strings.Repeat("d", 300) + ".example&revision={rev}", form},
		{route("/dashboard/branding/domains"), sameOrigin, "", "domains=&confirm=yes&revision={rev}", form},
		{route("/dashboard/branding/domains"), crossSite, "", "domains=evil.example&revision={rev}", form},
	}
	for _, sd := range seeds {
		f.Add(sd.route, sd.flags, sd.seg, sd.body, sd.ctype)
	}
	f.Fuzz(func(t *testing.T, routeIndex, flags uint8, seg, body, contentType string) {
		defer w.checkStored(t)
		ctx := context.Background()
		rt := dashForms[int(routeIndex)%len(dashForms)]
		fx := w.fixture(t)
		// Each input starts from an owner who may sign in.
		if err := w.s.Store.ResetSignInFailures(ctx, w.acme.ID, w.owner.ID); err != nil {
			t.Fatal(err)
		}
		base := ""
		if flags&onTenant != 0 {
			base = "/t/acme"
		}
		fetch := int(flags>>fetchBits) & 3
		who := int(flags>>whoBits) & 3
		path, routable := w.target(rt, fx, base, seg)
		if strings.Contains(body, "{rev}") {
			body = strings.ReplaceAll(body, "{rev}", w.revision(t, rt, fx))
		}
		body = strings.NewReplacer("{png}", w.pngLogo, "{svg}", w.svgLogo).Replace(body)
		if contentType == "" {
			contentType = "application/x-www-form-urlencoded"
		}
		req, err := newRequest(rt.method, path, body, contentType)
		if err != nil {
			t.Fatalf("path %q: %v", path, err)
		}
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
		rows, before := w.db.MustRowCounts(t), w.state(t)
		rec := w.send(req, fx, who)
		if fetch == fetchCrossSite || fetch == fetchForeignOrigin {
			if routable && rec.Code != http.StatusForbidden {
				t.Errorf("a cross-site post to %s got %d to %q, want 403", rt.path, rec.Code, rec.Header().Get("Location"))
			}
			if !w.sessionActive(t, w.ownerSess) {
				t.Errorf("a cross-site post to %s ended the owner's session", rt.path)
			}
		}
		w.checkAnswer(t, req, rec, rows, before)
		if w.state(t) != before {
			w.fx = nil
		}
	})
}

// sessionActive reports whether sess may still be used.
func (w *dashWorld) sessionActive(tb testing.TB, sess *gatehouse.Session) bool {
	tb.Helper()
	got, err := w.s.Store.GetSession(context.Background(), sess.TenantID, sess.ID)
	if err != nil {
		tb.Fatalf("read session: %v", err)
	}
	return got.Active(w.s.Clock.Now())
}

// FuzzDashboardPages opens every page of the dashboard with arbitrary
// query strings and path segments, signed in as acme's owner, as nobody,
// as an agent or as another tenant's admin. seg, when not empty, replaces
// the last resource of the page's path; method, when it is one, replaces
// GET (with no body: the forms are FuzzDashboardForms's).
func FuzzDashboardPages(f *testing.F) {
	w := newDashWorld(f)
	route := func(path string) uint8 { return routeIndex(f, dashPages, http.MethodGet, path) }
	const (
		nobody      = asNobody << whoBits
		agent       = asAgent << whoBits
		otherTenant = asOtherTenant << whoBits
	)
	huge := strings.Repeat("q", 70<<10)
	seeds := []struct {
		route              uint8
		flags              uint8
		method, seg, query string
	}{
		{route("/dashboard"), 0, "", "", ""},
		{route("/dashboard/"), onTenant, "", "", "x=1"},
		{route("/dashboard/signin"), nobody, "", "", "return=%2Fdashboard%2Fusers%3Fcursor%3Dx"},
		{route("/dashboard/signin"), 0, "", "", "return=https%3A%2F%2Fevil.example"},
		{route("/dashboard/signin"), 0, "", "", "return=%2F%2Fevil.example"},
		{route("/dashboard/signin"), onTenant, "", "", "return=%2Ft%2Facme%2Fdashboard%2F%2Fevil.example"},
		{route("/dashboard/signin"), 0, "", "", "return=/dashboard/%2e%2e/account"},
		{route("/dashboard/signin"), nobody, "", "", "return=%ff%00&organization=%00"},
		{route("/dashboard/clients"), 0, "", "", "cursor=x"},
		{route("/dashboard/clients"), 0, "", "", "cursor=%00%ff"},
		{route("/dashboard/clients"), 0, "", "", "cursor=" + strings.Repeat("9", 199)},
		{route("/dashboard/clients"), 0, "", "", "done=client-deleted&done=x"},
		{route("/dashboard/clients"), nobody, "", "", "cursor=x&return=https://evil.example"},
		{route("/dashboard/clients"), agent, "", "", ""},
		{route("/dashboard/clients"), otherTenant, "", "", ""},
		{route("/dashboard/clients/new"), 0, "", "", ""},
		{route("/dashboard/clients/{client}"), 0, "", "", "done=logo-saved"},
		{route("/dashboard/clients/{client}"), 0, "", "not-a-uuid", ""},
		{route("/dashboard/clients/{client}"), 0, "", "00000000-0000-7000-8000-000000000000", ""},
		{route("/dashboard/clients/{client}"), 0, "", "\x00", ""},
		{route("/dashboard/clients/{client}"), 0, "", "a/b", ""},
		{route("/dashboard/clients/{client}"), 0, "", "..", ""},
		{route("/dashboard/clients/{client}"), otherTenant, "", "", ""},
		{route("/dashboard/clients/{client}/edit"), onTenant, "", "", ""},
		{route("/dashboard/clients/{client}/credentials/new"), 0, "", "", ""},
		{route("/dashboard/clients/{client}/credentials/{credential}/expiry"), 0, "", "", ""},
		{route("/dashboard/clients/{client}/credentials/{credential}/expiry"), 0, "", "%ff", ""},
		{route("/dashboard/users"), 0, "", "", "cursor=-1"},
		{route("/dashboard/users"), 0, "", "", "cursor=" + huge},
		{route("/dashboard/users/new"), 0, "", "", ""},
		{route("/dashboard/users/{user}"), 0, "", "", "done=roles-saved"},
		{route("/dashboard/users/{user}"), 0, "", "ana", ""},
		{route("/dashboard/users/{user}/edit"), 0, "", "", ""},
		{route("/dashboard/apikeys"), 0, "", "", "cursor=" + strings.Repeat("9", 300)},
		{route("/dashboard/apikeys/new"), 0, "", "", ""},
		{route("/dashboard/audit"), 0, "", "", ""},
		{route("/dashboard/audit"), 0, "", "", "action=user.create&actor=olga&result=success&since=2020-01-01&until=2099-12-31"},
		{route("/dashboard/audit"), 0, "", "", "actor=%00&action=%ff"},
		{route("/dashboard/audit"), 0, "", "", "actor=user%3A%00"},
		{route("/dashboard/audit"), 0, "", "", "actor=olga%40example.com&result=bogus"},
		{route("/dashboard/audit"), 0, "", "", "since=9999-99-99&until=0000-01-01"},
		{route("/dashboard/audit"), 0, "", "", "since=2030-01-01&until=2020-01-01"},
		{route("/dashboard/audit"), 0, "", "", "until=9999-12-31"},
		{route("/dashboard/audit"), 0, "", "", "after=99999999999999999999"},
		{route("/dashboard/audit"), 0, "", "", "after=-1"},
		{route("/dashboard/audit"), 0, "", "", "after=9223372036854775807"},
		{route("/dashboard/audit"), 0, "", "", "actor=" + strings.Repeat("a", 201)},
		{route("/dashboard/audit"), 0, "", "", "action=%zz;x"},
		{route("/dashboard/branding"), 0, "", "", "done=%00"},
		{route("/dashboard/branding"), agent | onTenant, "", "", ""},
		{route("/dashboard/{page}"), 0, "", "", ""},
		{route("/dashboard/{page}"), nobody, "", "", "x=%ff"},
		{route("/dashboard/{page}"), 0, "", "clients/", ""},
		{route("/dashboard/{page}"), 0, "DELETE", "clients", ""},
		{route("/dashboard/clients/{client}"), 0, "PUT", "", ""},
		{route("/dashboard/clients/{client}"), 0, "PUT", "/", ""},
		// ServeMux redirected the root, seen without the tenant's path, to
		// the platform's.
		{route("/dashboard"), onTenant, "POST", "", ""},
		{route("/dashboard"), onTenant, "OPTIONS", "", ""},
		{route("/dashboard/"), onTenant, "BREW", "", ""},
	}
	for _, sd := range seeds {
		f.Add(sd.route, sd.flags, sd.method, sd.seg, sd.query)
	}
	f.Fuzz(func(t *testing.T, routeIndex, flags uint8, method, seg, query string) {
		defer w.checkStored(t)
		rt := dashPages[int(routeIndex)%len(dashPages)]
		fx := w.fixture(t)
		base := ""
		if flags&onTenant != 0 {
			base = "/t/acme"
		}
		who := int(flags>>whoBits) & 3
		path, _ := w.target(rt, fx, base, seg)
		req, err := newRequest(http.MethodGet, path, query, "")
		if err != nil {
			t.Fatalf("path %q: %v", path, err)
		}
		if validMethod(method) {
			req.Method = method
		}
		rows, before := w.db.MustRowCounts(t), w.state(t)
		rec := w.send(req, fx, who)
		w.checkAnswer(t, req, rec, rows, before)
		if w.state(t) != before {
			w.fx = nil
		}
	})
}

// validMethod reports whether m can be a request's method (an RFC 9110
// token).
func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c > 0x7e || c <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", c) {
			return false
		}
	}
	return true
}
