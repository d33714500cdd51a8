package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// apiOp is an operation of the management API the fuzz target drives. Its
// path names the resources it acts on as {tenant}, {client},
// {credential}, {user} and {key}.
type apiOp struct {
	method, path string
	// emptyBody marks the operations that take no body as an empty
	// object.
	emptyBody bool
}

var apiOps = []apiOp{
	{http.MethodPost, "/api/v1/tenants", false},
	{http.MethodPut, "/api/v1/tenant", false},
	{http.MethodGet, "/api/v1/tenants/{tenant}", false},
	{http.MethodPost, "/api/v1/clients", false},
	{http.MethodPut, "/api/v1/clients/{client}", false},
	{http.MethodGet, "/api/v1/clients/{client}", false},
	{http.MethodPost, "/api/v1/clients/{client}/credentials", true},
	{http.MethodPost, "/api/v1/clients/{client}/credentials/rotate", true},
	{http.MethodPost, "/api/v1/clients/{client}/credentials/{credential}/expire", true},
	{http.MethodPatch, "/api/v1/clients/{client}/credentials/{credential}", false},
	{http.MethodPost, "/api/v1/users", false},
	{http.MethodPost, "/api/v1/users/invite", false},
	{http.MethodGet, "/api/v1/users/{user}", false},
	{http.MethodPatch, "/api/v1/users/{user}", false},
	{http.MethodPut, "/api/v1/users/{user}/roles", false},
	{http.MethodPost, "/api/v1/users/{user}/password", false},
	{http.MethodPost, "/api/v1/users/{user}/password-link", true},
	{http.MethodPost, "/api/v1/apikeys", false},
	{http.MethodGet, "/api/v1/apikeys/{key}", false},
}

// onTenantIssuer, set in a fuzz input's op, sends the request to the
// tenant's own issuer rather than the platform's.
const onTenantIssuer = 0x80

// apiWorld is a running server the fuzz target sends requests to,
// in-process.
type apiWorld struct {
	s    *gatehousetest.Server
	h    http.Handler
	db   *gatehousetest.DB
	host string
	// made counts the fixtures made, to name each tenant apart.
	made int
	// fx serves inputs until one changes it.
	fx *apiFixture
}

// apiFixture is a platform tenant with a key holding every scope, a
// client and a user. An input that changed one gets a new fixture for the
// next, so that no input depends on what an earlier one did; an error
// answer changes nothing, which the target checks.
type apiFixture struct {
	tenant *gatehouse.Tenant
	key    string
	keyID  string
	client *gatehousetest.Client
	user   *gatehouse.User
}

// fixture returns the current fixture, or a new one when there is none.
func (w *apiWorld) fixture(t *testing.T) apiFixture {
	t.Helper()
	if w.fx == nil {
		fx := w.newFixture(t)
		w.fx = &fx
	}
	return *w.fx
}

func (w *apiWorld) newFixture(t *testing.T) apiFixture {
	t.Helper()
	ctx := context.Background()
	w.made++
	var fx apiFixture
	fx.tenant = w.s.MustTenant(t, "fuzz-"+strconv.Itoa(w.made))
	if err := w.s.App.Admin.SetPlatformAdmin(ctx, gatehousetest.Actor(), fx.tenant.ID, true); err != nil {
		t.Fatal(err)
	}
	k, value, err := w.s.App.Admin.CreateAPIKey(ctx, gatehousetest.Actor(), fx.tenant.ID,
		admin.APIKeyInput{Name: "fuzz", Scopes: gatehouse.APIScopes()})
	if err != nil {
		t.Fatal(err)
	}
	fx.key, fx.keyID = value, k.ID
	fx.client = w.s.MustClient(t, fx.tenant.ID, nil)
	fx.user = w.s.MustUser(t, fx.tenant.ID, "ana", "")
	return fx
}

// revisions are the revisions of the fixture's resources.
type revisions struct{ tenant, client, user int64 }

// revisions reads them; a resource the input deleted reads as -1.
func (w *apiWorld) revisions(t *testing.T, fx apiFixture) revisions {
	t.Helper()
	ctx := context.Background()
	r := revisions{-1, -1, -1}
	if tn, err := w.s.Store.GetTenant(ctx, fx.tenant.ID); err == nil {
		r.tenant = tn.Revision
	}
	if c, err := w.s.Store.GetClient(ctx, fx.tenant.ID, fx.client.ID); err == nil {
		r.client = c.Revision
	}
	if u, err := w.s.Store.GetUser(ctx, fx.tenant.ID, fx.user.ID); err == nil {
		r.user = u.Revision
	}
	return r
}

// FuzzAdminAPI sends the management API's create and update operations
// arbitrary bodies, path segments, content types and If-Match values,
// with a server API key that holds every scope. seg, when not empty,
// replaces the last resource of the operation's path; ifMatch "{etag}"
// stands for the current ETag of the resource changed.
func FuzzAdminAPI(f *testing.F) {
	var text *gatehousetest.TextStore
	s := gatehousetest.MustRunServer(f, gatehousetest.WithStore(func(st gatehouse.Store) gatehouse.Store {
		text = gatehousetest.NewTextStore(st)
		return text
	}))
	u, err := url.Parse(s.URL)
	if err != nil {
		f.Fatal(err)
	}
	w := &apiWorld{s: s, h: s.App.Handler(), db: s.MustOpenDB(f), host: u.Host}
	// checkStored fails an input that made the server hand its store
	// something PostgreSQL would refuse, audit events included.
	checkStored := func(t *testing.T) {
		if err := s.App.Audit.Flush(context.Background()); err != nil {
			t.Errorf("write audit events: %v", err)
		}
		if refused := text.TakeRefused(); refused != nil {
			t.Errorf("the store was handed what PostgreSQL refuses: %v", refused)
		}
	}
	op := func(method, path string) uint8 {
		i := slices.IndexFunc(apiOps, func(o apiOp) bool { return o.method == method && o.path == path })
		if i < 0 {
			f.Fatalf("no operation %s %s", method, path)
		}
		return uint8(i)
	}
	huge := strings.Repeat("x", 300<<10)
	client := `{"name":"App","config":{"redirect_uris":["https://app.example/cb"]},"scopes":["openid","profile"]}`
	seeds := []struct {
		op             uint8
		seg            string
		body           string
		ctype, ifMatch string
	}{
		{op("POST", "/api/v1/tenants"), "", `{"slug":"newco","name":"New Co","domains":["login.newco.example"]}`, "", ""},
		{op("POST", "/api/v1/tenants"), "", `{"slug":"NEWCO ","name":"x"}`, "", ""},
		{op("POST", "/api/v1/tenants"), "", `{"slug":"a","slug":"b","name":"dup"}`, "", ""},
		{op("POST", "/api/v1/tenants"), "", `{"slug":"x","name":"y","domains":["127.0.0.1","a..b","` + strings.Repeat("d", 300) + `.example"]}`, "", ""},
		{op("POST", "/api/v1/tenants"), "", `{"slug":"fuzz-1","name":"taken"}`, "", ""},
		{op("PUT", "/api/v1/tenant"), "", `{"name":"Acme","branding":{"primary_color":"#123456","logo_uri":"https://cdn.example/l.png"},"settings":{"sso_return_url":"https://app.example/","widget":{"theme":"dark"}}}`, "", "{etag}"},
		{op("PUT", "/api/v1/tenant") | onTenantIssuer, "", `{"name":"Acme","domains":["login.acme.example"]}`, "", "{etag}"},
		{op("PUT", "/api/v1/tenant"), "", `{"name":"Acme"}`, "", ""},
		{op("PUT", "/api/v1/tenant"), "", `{"name":"Acme"}`, "", "*"},
		{op("PUT", "/api/v1/tenant"), "", `{"name":"Acme"}`, "", `"1", W/"2", "99999999999999999999"`},
		{op("PUT", "/api/v1/tenant"), "", `{"name":"\u0000","branding":{"primary_color":"red","logo_uri":"javascript:alert(1)"},"settings":{"widget":{"":"` + strings.Repeat("v", 5000) + `"}}}`, "", "{etag}"},
		{op("PUT", "/api/v1/tenant"), "", `{"name":"x","id":{"a":[1,2]},"status":"disabled","slug":7}`, "", "{etag}"},
		{op("GET", "/api/v1/tenants/{tenant}"), "", "", "", ""},
		{op("GET", "/api/v1/tenants/{tenant}"), "fuzz-1", "", "", ""},
		{op("GET", "/api/v1/tenants/{tenant}"), "%00", "", "", ""},
		{op("POST", "/api/v1/clients"), "", client, "", ""},
		{op("POST", "/api/v1/clients") | onTenantIssuer, "", `{"name":"Native","type":"public","config":{"redirect_uris":["com.example.app:/cb","http://127.0.0.1/cb"]},"grant_types":["authorization_code"]}`, "", ""},
		{op("POST", "/api/v1/clients"), "", `{"name":"App","config":{"redirect_uris":["https://app.example/cb#frag","http://evil.example/cb"," "]}}`, "", ""},
		{op("POST", "/api/v1/clients"), "", `{"name":"App","access_token_ttl":9223372036854775807,"id_token_ttl":-1,"refresh_token_idle_ttl":1e3}`, "", ""},
		{op("POST", "/api/v1/clients"), "", `{"name":"App","scopes":"openid","grant_types":[null],"allowed_roles":[1]}`, "", ""},
		{op("POST", "/api/v1/clients"), "", `{"name":123,"type":true}`, "", ""},
		{op("POST", "/api/v1/clients"), "", client, "text/plain", ""},
		{op("POST", "/api/v1/clients"), "", client, "-", ""},
		{op("POST", "/api/v1/clients"), "", client, "application/json; charset=latin1", ""},
		{op("POST", "/api/v1/clients"), "", client, "application/json; =", ""},
		{op("POST", "/api/v1/clients"), "", client[:40], "", ""},
		{op("POST", "/api/v1/clients"), "", client + client, "", ""},
		{op("POST", "/api/v1/clients"), "", "\xef\xbb\xbf" + client, "", ""},
		{op("POST", "/api/v1/clients"), "", "{\"name\":\"\xff\xfe\",\"description\":\"\\ud800\"}", "", ""},
		{op("POST", "/api/v1/clients"), "", `{"name":"` + huge + `"}`, "", ""},
		{op("POST", "/api/v1/clients"), "", strings.Repeat(`{"config":`, 10000) + "{}" + strings.Repeat("}", 10000), "", ""},
		{op("POST", "/api/v1/clients"), "", strings.Repeat("[", 100000), "", ""},
		{op("PUT", "/api/v1/clients/{client}"), "", client, "", "{etag}"},
		{op("PUT", "/api/v1/clients/{client}"), "", client, "", ""},
		{op("PUT", "/api/v1/clients/{client}"), "", `{"name":"App","type":"public"}`, "", "{etag}"},
		{op("PUT", "/api/v1/clients/{client}"), "nope", client, "", `"1"`},
		{op("PUT", "/api/v1/clients/{client}"), strings.Repeat("c", 2000), client, "", `"1"`},
		{op("GET", "/api/v1/clients/{client}"), "", "", "", ""},
		{op("GET", "/api/v1/clients/{client}"), "..", "", "", ""},
		{op("GET", "/api/v1/clients/{client}"), "a/b", "", "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials"), "", `{"name":"second","expires_at":"2099-01-01T00:00:00Z"}`, "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials"), "", "", "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials"), "", `{"expires_at":"9999-99-99T99:99:99Z"}`, "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials"), "", `{"expires_at":"0001-01-01T00:00:00Z"}`, "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials"), "", `{"expires_at":"+275760-09-13T00:00:00Z"}`, "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials/rotate"), "", `{"grace_seconds":3600}`, "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials/rotate"), "", `{"grace_seconds":-9223372036854775808}`, "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials/rotate"), "", `{"grace_seconds":"1"}`, "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials/{credential}/expire"), "", `{"expires_at":"2000-01-01T00:00:00Z"}`, "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials/{credential}/expire"), "", "", "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials/{credential}/expire"), "nope", `{}`, "", ""},
		{op("PATCH", "/api/v1/clients/{client}/credentials/{credential}"), "", `{"name":"renamed","expires_at":null}`, "", "{etag}"},
		{op("PATCH", "/api/v1/clients/{client}/credentials/{credential}"), "", `{"name":null,"expires_at":""}`, "", ""},
		{op("PATCH", "/api/v1/clients/{client}/credentials/{credential}"), "", `{"expires_at":12}`, "", ""},
		{op("PATCH", "/api/v1/clients/{client}/credentials/{credential}"), "", `{"name":"` + strings.Repeat("n", 1000) + `"}`, "", ""},
		{op("POST", "/api/v1/users"), "", `{"username":"carol","email":"carol@example.com","password":"correct horse battery","roles":["agent"]}`, "", ""},
		{op("POST", "/api/v1/users"), "", `{"username":"ana"}`, "", ""},
		{op("POST", "/api/v1/users"), "", `{"username":"c d@","email":"not an email","picture":"http://x","roles":["owner","owner",""]}`, "", ""},
		{op("POST", "/api/v1/users"), "", `{"username":"dave","password":"` + strings.Repeat("p", 5000) + `"}`, "", ""},
		{op("POST", "/api/v1/users"), "", `{"username":"e","email_verified":"yes","roles":{"a":1}}`, "", ""},
		{op("POST", "/api/v1/users/invite"), "", `{"username":"dave","email":"dave@example.com"}`, "", ""},
		{op("POST", "/api/v1/users/invite"), "", `{"username":"eve","password":"correct horse battery"}`, "", ""},
		{op("GET", "/api/v1/users/{user}"), "", "", "", ""},
		{op("GET", "/api/v1/users/{user}"), "ana", "", "", ""},
		{op("GET", "/api/v1/users/{user}"), "\xff", "", "", ""},
		// Bodies the API used to take: data after the object, null for an
		// object, a member given twice (the last one won), and a member
		// without a name, refused with a field error naming no field.
		{op("POST", "/api/v1/apikeys"), "", `{"name":"k","scopes":["clients.read"]}}`, "", ""},
		{op("POST", "/api/v1/apikeys"), "", `{"name":"k","scopes":["clients.read"]}]`, "", ""},
		{op("PATCH", "/api/v1/users/{user}"), "", `null`, "", ""},
		{op("POST", "/api/v1/clients/{client}/credentials"), "", " null ", "", ""},
		{op("POST", "/api/v1/tenants"), "", `{"slug":"dup","name":"a","name":"b"}`, "", ""},
		{op("PUT", "/api/v1/tenant"), "", `{"name":"Acme","settings":{"widget":{"a":"1","a":"2"}}}`, "", "{etag}"},
		{op("PUT", "/api/v1/users/{user}/roles"), "", `{"roles":["admin"],"roles":[]}`, "", ""},
		{op("PATCH", "/api/v1/clients/{client}/credentials/{credential}"), "\xe3\xda", `{"name":"Acme","":["x"]}`, "", ""},
		// ServeMux matches no path variable to a lone "%2F", and used to
		// answer such a path in plain text.
		{op("PUT", "/api/v1/users/{user}/roles"), "/", `{"roles":[]}`, "", ""},
		{op("GET", "/api/v1/users/{user}"), "/", "", "", ""},
		{op("PATCH", "/api/v1/users/{user}"), "", `{"name":"Ana","status":"disabled"}`, "", "{etag}"},
		{op("PATCH", "/api/v1/users/{user}"), "", `{"status":"deleted","email":"","picture":"ftp://x"}`, "", ""},
		{op("PATCH", "/api/v1/users/{user}"), "", `{"status":"invited"}`, "", ""},
		{op("PATCH", "/api/v1/users/{user}"), "", `{"email":"ANA@Example.com","email_verified":true}`, "", `"0"`},
		{op("PUT", "/api/v1/users/{user}/roles"), "", `{"roles":["admin","agent"]}`, "", "{etag}"},
		{op("PUT", "/api/v1/users/{user}/roles"), "", `{"roles":null}`, "", ""},
		{op("PUT", "/api/v1/users/{user}/roles"), "", `{"roles":["` + strings.Repeat("r", 500) + `"]}`, "", ""},
		{op("POST", "/api/v1/users/{user}/password"), "", `{"password":"correct horse battery"}`, "", ""},
		{op("POST", "/api/v1/users/{user}/password"), "", `{"password":"short"}`, "", ""},
		{op("POST", "/api/v1/users/{user}/password-link"), "", "", "", ""},
		{op("POST", "/api/v1/users/{user}/password-link"), "", `{"x":1}`, "", ""},
		{op("POST", "/api/v1/apikeys"), "", `{"name":"k","scopes":["clients.read"],"ttl_seconds":3600}`, "", ""},
		{op("POST", "/api/v1/apikeys"), "", `{"name":"k","scopes":["platform.tenants.write"]}`, "", ""},
		{op("POST", "/api/v1/apikeys"), "", `{"name":"k","scopes":[],"ttl_seconds":1e400}`, "", ""},
		{op("POST", "/api/v1/apikeys"), "", `{"name":"k","scopes":["clients.read"],"ttl_seconds":-1}`, "", ""},
		{op("POST", "/api/v1/apikeys"), "", `{"name":"k","scopes":["clients.read"],"ttl_seconds":99999999999}`, "", ""},
		{op("GET", "/api/v1/apikeys/{key}"), "", "", "", ""},
		{op("GET", "/api/v1/apikeys/{key}"), "00000000-0000-7000-8000-000000000000", "", "", ""},
	}
	for _, sd := range seeds {
		f.Add(sd.op, sd.seg, []byte(sd.body), sd.ctype, sd.ifMatch)
	}
	codes := admin.ErrorCodes()
	f.Fuzz(func(t *testing.T, opIndex uint8, seg string, body []byte, contentType, ifMatch string) {
		defer checkStored(t)
		o := apiOps[int(opIndex&^onTenantIssuer)%len(apiOps)]
		fx := w.fixture(t)

		ids := map[string]string{
			"{tenant}": fx.tenant.ID, "{client}": fx.client.ID, "{credential}": fx.client.Credentials[0].ID,
			"{user}": fx.user.ID, "{key}": fx.keyID,
		}
		path, routable := gatehousetest.FillPath(o.path, ids, seg)
		if opIndex&onTenantIssuer != 0 {
			path = "/t/" + fx.tenant.Slug + path
		}
		target, err := url.Parse(path)
		if err != nil {
			t.Fatalf("path %q: %v", path, err)
		}

		req := &http.Request{
			Method: o.method, URL: target, RequestURI: target.RequestURI(),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Body: http.NoBody, Host: w.host, RemoteAddr: "192.0.2.1:40000",
		}
		req.Header.Set("Authorization", "Bearer "+fx.key)
		if len(body) > 0 {
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
		}
		switch contentType {
		case "":
			req.Header.Set("Content-Type", "application/json")
		case "-":
		default:
			req.Header.Set("Content-Type", gatehousetest.HeaderSafe(contentType))
		}
		before := w.revisions(t, fx)
		switch ifMatch {
		case "":
		case "{etag}":
			rev := before.client
			switch {
			case strings.HasPrefix(o.path, "/api/v1/tenant"):
				rev = before.tenant
			case strings.HasPrefix(o.path, "/api/v1/users"):
				rev = before.user
			}
			req.Header.Set("If-Match", admin.ETag(rev))
		default:
			req.Header.Set("If-Match", gatehousetest.HeaderSafe(ifMatch))
		}
		rows := w.db.MustRowCounts(t)

		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		if rec.Code < 400 && o.method != http.MethodGet {
			w.fx = nil
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %.200s: got %d:\n%s", o.method, path, rec.Code, rec.Body)
		}
		if !routable || rec.Code == http.StatusRequestEntityTooLarge {
			// ServeMux redirects a path with dot segments, and the server
			// refuses a body declared over its limit before any route:
			// neither reaches the API.
			return
		}
		var doc map[string]any
		if rec.Code != http.StatusNoContent {
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("%s %.200s: got %d of type %q, want JSON:\n%.500s", o.method, path, rec.Code, ct, rec.Body)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
				t.Fatalf("%s %.200s: got %d with a body that is not a JSON object: %v\n%.500s", o.method, path, rec.Code, err, rec.Body)
			}
		}
		if rec.Code < 400 {
			if problem := badBody(body, o.emptyBody); o.method != http.MethodGet && problem != "" {
				t.Errorf("%s %.200s: got %d for a body that %s:\n%.500q", o.method, path, rec.Code, problem, body)
			}
			return
		}
		if problem := checkErrorDoc(doc, codes); problem != "" {
			t.Errorf("%s %.200s: got %d with %s:\n%.500s", o.method, path, rec.Code, problem, rec.Body)
		}
		if added := rows.Added(w.db.MustRowCounts(t)); added != nil {
			t.Errorf("%s %.200s: an error answer (%d) wrote rows: %v", o.method, path, rec.Code, added)
		}
		if after := w.revisions(t, fx); after != before {
			t.Errorf("%s %.200s: an error answer (%d) changed the revisions from %+v to %+v", o.method, path, rec.Code, before, after)
		}
	})
}

// badBody returns what makes b a body no operation may take, "" when
// nothing does: it is not one JSON object (RFC 8259), or an object in it
// has two members of one name, which could only be read one way by
// dropping the other. An empty body stands for an empty object where
// emptyOK.
func badBody(b []byte, emptyOK bool) string {
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	switch {
	case len(trimmed) == 0 && emptyOK:
		return ""
	case len(trimmed) == 0:
		return "is empty"
	case !json.Valid(b):
		return "is not JSON"
	case trimmed[0] != '{':
		return "is not an object"
	case repeatsName(json.NewDecoder(bytes.NewReader(b))):
		return "repeats a member"
	}
	return ""
}

// repeatsName reads one JSON value from dec, which must be valid, and
// reports whether an object in it has two members of one name.
func repeatsName(dec *json.Decoder) bool {
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			name, _ := dec.Token()
			key, _ := name.(string)
			if seen[key] || repeatsName(dec) {
				return true
			}
			seen[key] = true
		}
		dec.Token()
	case json.Delim('['):
		for dec.More() {
			if repeatsName(dec) {
				return true
			}
		}
		dec.Token()
	}
	return false
}

// checkErrorDoc returns what is wrong with an API error body, "" when
// nothing is: {"error": {"code", "message", "fields"?}} with a documented
// code.
func checkErrorDoc(doc map[string]any, codes []string) string {
	e, ok := doc["error"].(map[string]any)
	if !ok {
		return "no error object"
	}
	code, _ := e["code"].(string)
	if !slices.Contains(codes, code) {
		return fmt.Sprintf("the undocumented code %q", code)
	}
	if m, _ := e["message"].(string); m == "" {
		return "no message"
	}
	if fields, ok := e["fields"]; ok {
		list, ok := fields.([]any)
		if !ok {
			return "fields that are not a list"
		}
		for _, fe := range list {
			m, _ := fe.(map[string]any)
			if name, _ := m["field"].(string); name == "" {
				return "a field error without a field"
			}
		}
	}
	return ""
}
