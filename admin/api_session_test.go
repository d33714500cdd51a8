package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

const sessionPassword = "correct horse battery"

// sessionBrowser is a browser signed in to the dashboard, that calls the
// API as a script on the dashboard's pages does.
type sessionBrowser struct {
	*gatehousetest.Browser
	t *testing.T
}

// signedIn signs username in through the dashboard's sign-in form of
// the tenant issuer base ("/t/acme"), as a browser does.
func signedIn(t *testing.T, s *gatehousetest.Server, base, username string) *sessionBrowser {
	t.Helper()
	b := &sessionBrowser{Browser: s.Browser(t), t: t}
	form := url.Values{"username": {username}, "password": {sessionPassword}, "return": {base + "/dashboard"}}
	p := b.Post(base+"/dashboard/signin", form)
	if b.Cookie("gatehouse_session") == "" {
		t.Fatalf("signing %s in: got %d and no session cookie", username, p.Status)
	}
	return b
}

// sameOrigin are the headers a browser sends with a fetch from a page of
// the test server's own origin.
func sameOrigin(s *gatehousetest.Server) http.Header {
	return http.Header{"Sec-Fetch-Site": {"same-origin"}, "Sec-Fetch-Mode": {"cors"}, "Origin": {s.URL}}
}

// call sends one API request with the session cookie and header, and
// decodes the JSON answer.
func (b *sessionBrowser) call(method, path string, body any, header http.Header) (int, map[string]any) {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.URL(path), rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "session-test/1.0")
	for k, v := range header {
		req.Header[k] = v
	}
	p := b.Do(req)
	var doc map[string]any
	if len(p.Body) > 0 {
		if err := json.Unmarshal([]byte(p.Body), &doc); err != nil {
			b.t.Fatalf("%s %s: %d, body is not JSON: %q", method, path, p.Status, p.Body)
		}
	}
	return p.Status, doc
}

func errorMessage(doc map[string]any) string {
	e, _ := doc["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// errorFields returns the fields an error names.
func errorFields(doc map[string]any) []string {
	e, _ := doc["error"].(map[string]any)
	list, _ := e["fields"].([]any)
	var out []string
	for _, f := range list {
		name, _ := f.(map[string]any)["field"].(string)
		out = append(out, name)
	}
	return out
}

// TestSessionAuthentication calls the API with dashboard sessions over
// real HTTP: a same-origin call of an owner or admin works and is audited
// as the user; a cross-site one is refused for every method; an agent, a
// session of another tenant and no session are refused; the platform's
// operations stay with keys.
func TestSessionAuthentication(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	globex := s.MustTenant(t, "globex")
	adm := s.MustUser(t, acme.ID, "ana", sessionPassword, "admin")
	s.MustUser(t, acme.ID, "bo", sessionPassword, "agent")
	s.MustUser(t, globex.ID, "gus", sessionPassword, "owner")
	s.MustClient(t, globex.ID, func(c *gatehouse.Client) { c.Name = "Globex App" })
	ana := signedIn(t, s, "/t/acme", "ana")
	bo := signedIn(t, s, "/t/acme", "bo")
	gus := signedIn(t, s, "/t/globex", "gus")

	t.Run("a same-origin call works and is audited as the user", func(t *testing.T) {
		code, doc := ana.call("POST", "/t/acme/api/v1/clients", map[string]any{
			"name": "Session App", "config": map[string]any{"redirect_uris": []string{"https://app.acme.example/cb"}},
		}, sameOrigin(s))
		if code != http.StatusCreated {
			t.Fatalf("create with a session: got %d %v, want 201", code, doc)
		}
		id, _ := doc["id"].(string)
		if doc["tenant_id"] != acme.ID {
			t.Errorf("created in tenant %v, want acme's", doc["tenant_id"])
		}
		evs := s.MustAuditEvents(t, acme.ID, "client.create")
		if len(evs) != 1 || evs[0].Actor != "user:"+adm.ID || evs[0].Target != "client:"+id ||
			evs[0].IP != "127.0.0.1" || evs[0].UserAgent != "session-test/1.0" {
			t.Errorf("got client.create events %+v, want one by user:%s with the address and user agent", evs, adm.ID)
		}
		// A read without an Origin header (a same-origin GET sends none).
		code, doc = ana.call("GET", "/t/acme/api/v1/clients", nil, http.Header{"Sec-Fetch-Site": {"same-origin"}})
		if items, _ := doc["items"].([]any); code != http.StatusOK || len(items) != 1 {
			t.Errorf("list with a session: got %d %v, want 200 with the one client", code, doc)
		}
		// On the platform issuer the session acts on the user's own tenant.
		code, doc = ana.call("GET", "/api/v1/clients", nil, sameOrigin(s))
		if items, _ := doc["items"].([]any); code != http.StatusOK || len(items) != 1 {
			t.Errorf("list on the platform issuer: got %d %v, want 200 with acme's one client", code, doc)
		}
	})

	t.Run("refused", func(t *testing.T) {
		cross := func(h map[string]string) http.Header {
			out := http.Header{}
			for k, v := range h {
				out.Set(k, v)
			}
			return out
		}
		// A browser that never signed in.
		nobody := &sessionBrowser{Browser: s.Browser(t), t: t}
		tests := []struct {
			name     string
			b        *sessionBrowser
			method   string
			path     string
			header   http.Header
			wantCode int
			wantErr  string
		}{
			{"cross-site read", ana, "GET", "/t/acme/api/v1/users", cross(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}), 403, "forbidden"},
			{"cross-site write", ana, "POST", "/t/acme/api/v1/apikeys", cross(map[string]string{"Sec-Fetch-Site": "cross-site"}), 403, "forbidden"},
			{"same-site read", ana, "GET", "/t/acme/api/v1/users", cross(map[string]string{"Sec-Fetch-Site": "same-site"}), 403, "forbidden"},
			{"a typed address", ana, "GET", "/t/acme/api/v1/users", cross(map[string]string{"Sec-Fetch-Site": "none"}), 403, "forbidden"},
			{"no fetch metadata", ana, "GET", "/t/acme/api/v1/users", nil, 403, "forbidden"},
			{"another origin claiming same-origin", ana, "DELETE", "/t/acme/api/v1/apikeys/x", cross(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}), 403, "forbidden"},
			{"an opaque origin", ana, "GET", "/t/acme/api/v1/users", cross(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "null"}), 403, "forbidden"},
			{"an agent's session", bo, "GET", "/t/acme/api/v1/users", sameOrigin(s), 403, "forbidden"},
			{"a session of another tenant", gus, "GET", "/t/acme/api/v1/clients", sameOrigin(s), 401, "unauthorized"},
			{"another tenant's session on its issuer", ana, "GET", "/t/globex/api/v1/clients", sameOrigin(s), 401, "unauthorized"},
			{"no session", nobody, "GET", "/t/acme/api/v1/clients", sameOrigin(s), 401, "unauthorized"},
			{"a cookie that cannot be a session", nobody, "GET", "/t/acme/api/v1/clients",
				func() http.Header { h := sameOrigin(s); h.Set("Cookie", "gatehouse_session=forged"); return h }(), 401, "unauthorized"},
			{"an unknown session", nobody, "GET", "/t/acme/api/v1/clients",
				func() http.Header {
					h := sameOrigin(s)
					h.Set("Cookie", "gatehouse_session="+strings.Repeat("A", 43))
					return h
				}(), 401, "unauthorized"},
			{"the platform's operations", ana, "GET", "/api/v1/tenants", sameOrigin(s), 403, "forbidden"},
			{"a bad key beside a session", ana, "GET", "/t/acme/api/v1/clients",
				cross(map[string]string{"Authorization": "Bearer " + gatehouse.PrefixAPIKey + "nope"}), 401, "unauthorized"},
			{"a key beside a session, from a browser", ana, "GET", "/t/acme/api/v1/clients", func() http.Header {
				h := sameOrigin(s)
				h.Set("Authorization", "Bearer "+gatehouse.PrefixAPIKey+"nope")
				return h
			}(), 403, "forbidden"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var body any
				if tc.method == "POST" {
					body = map[string]any{"name": "stolen", "scopes": []string{"audit.read"}}
				}
				code, doc := tc.b.call(tc.method, tc.path, body, tc.header)
				if code != tc.wantCode || errorCode(doc) != tc.wantErr {
					t.Errorf("got %d %q (%v), want %d %q", code, errorCode(doc), doc, tc.wantCode, tc.wantErr)
				}
			})
		}
		keys, _, err := s.App.Admin.ListAPIKeys(context.Background(), acme.ID, gatehouse.ListOptions{})
		if err != nil || len(keys) != 0 {
			t.Errorf("got %d API keys after refused calls (%v), want none", len(keys), err)
		}
		// A globex client stays unseen from acme's session.
		if _, doc := gus.call("GET", "/t/globex/api/v1/clients", nil, sameOrigin(s)); len(doc["items"].([]any)) != 1 {
			t.Errorf("globex's owner on globex's issuer: got %v, want its one client", doc)
		}
	})

	t.Run("a session ends with sign-out", func(t *testing.T) {
		carl := s.MustUser(t, acme.ID, "carl", sessionPassword, "owner")
		b := signedIn(t, s, "/t/acme", carl.Username)
		if code, _ := b.call("GET", "/t/acme/api/v1/tenant", nil, sameOrigin(s)); code != http.StatusOK {
			t.Fatalf("before sign-out: got %d, want 200", code)
		}
		if _, err := s.Store.RevokeUserSessions(context.Background(), acme.ID, carl.ID, s.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		if code, doc := b.call("GET", "/t/acme/api/v1/tenant", nil, sameOrigin(s)); code != http.StatusUnauthorized {
			t.Errorf("after the session ended: got %d %v, want 401", code, doc)
		}
	})
}

// TestSessionRoleRules checks that the rules of who may change whom hold
// for dashboard sessions calling the API, and that keys act for the
// tenant without them.
func TestSessionRoleRules(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	owner := s.MustUser(t, acme.ID, "olga", sessionPassword, "owner")
	adm := s.MustUser(t, acme.ID, "ana", sessionPassword, "admin")
	agent := s.MustUser(t, acme.ID, "bo", sessionPassword, "agent")
	spare := s.MustUser(t, acme.ID, "cy", sessionPassword, "agent")
	o := signedIn(t, s, "/t/acme", owner.Username)
	a := signedIn(t, s, "/t/acme", adm.Username)
	users := "/t/acme/api/v1/users/"

	const (
		ownerRole    = "Only an owner can give or take away the owner role."
		ownerAccount = "Only an owner can change the account of an owner."
		ownAccess    = "You cannot remove your own access to the dashboard here; another owner or admin can."
		ownDisable   = "You cannot disable your own account; another owner or admin can."
	)
	tests := []struct {
		name      string
		method    string
		path      string
		body      any
		want      string
		wantField string
	}{
		{"an admin makes an owner", "PUT", users + agent.ID + "/roles", map[string]any{"roles": []string{"owner"}}, ownerRole, "roles"},
		{"an admin unmakes an owner", "PUT", users + owner.ID + "/roles", map[string]any{"roles": []string{"admin"}}, ownerRole, "roles"},
		{"an admin removes own access", "PUT", users + adm.ID + "/roles", map[string]any{"roles": []string{"agent"}}, ownAccess, "roles"},
		{"an admin creates an owner", "POST", "/t/acme/api/v1/users", map[string]any{"username": "dee", "roles": []string{"owner"}}, ownerRole, "roles"},
		{"an admin invites an owner", "POST", "/t/acme/api/v1/users/invite", map[string]any{"username": "dee", "roles": []string{"owner"}}, ownerRole, "roles"},
		{"an admin disables own account", "PATCH", users + adm.ID, map[string]any{"status": "disabled"}, ownDisable, ""},
		{"an admin disables an owner", "PATCH", users + owner.ID, map[string]any{"status": "disabled"}, ownerAccount, ""},
		{"an admin renames an owner", "PATCH", users + owner.ID, map[string]any{"name": "Mallory"}, ownerAccount, ""},
		{"an admin sets an owner's password", "POST", users + owner.ID + "/password", map[string]any{"password": "a new long passphrase"}, ownerAccount, ""},
		{"an admin issues an owner's link", "POST", users + owner.ID + "/password-link", nil, ownerAccount, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, doc := a.call(tc.method, tc.path, tc.body, sameOrigin(s))
			if code != http.StatusForbidden || errorCode(doc) != "forbidden" || !strings.Contains(errorMessage(doc), tc.want) {
				t.Errorf("got %d %v, want 403 with %q", code, doc, tc.want)
			}
			if f := errorFields(doc); tc.wantField != "" && (len(f) != 1 || f[0] != tc.wantField) {
				t.Errorf("got fields %v, want %s", f, tc.wantField)
			}
		})
	}
	ctx := context.Background()
	for _, u := range []*gatehouse.User{owner, adm, agent} {
		got, err := s.App.Admin.User(ctx, acme.ID, u.ID)
		if err != nil || got.Revision != u.Revision || got.Status != gatehouse.StatusActive {
			t.Errorf("%s after refused changes: %+v, %v; want it untouched", u.Username, got, err)
		}
	}
	if _, err := s.App.Admin.User(ctx, acme.ID, "dee"); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		t.Errorf("a refused creation made the user: %v", err)
	}

	// What the rules allow.
	allowed := []struct {
		name   string
		b      *sessionBrowser
		method string
		path   string
		body   any
	}{
		{"an admin renames itself", a, "PATCH", users + adm.ID, map[string]any{"name": "Ana L."}},
		{"an admin gives an agent a role", a, "PUT", users + agent.ID + "/roles", map[string]any{"roles": []string{"agent", "supervisor"}}},
		{"an admin disables an agent", a, "PATCH", users + spare.ID, map[string]any{"status": "disabled"}},
		{"an owner makes an owner", o, "PUT", users + agent.ID + "/roles", map[string]any{"roles": []string{"owner"}}},
		{"an owner renames an owner", o, "PATCH", users + agent.ID, map[string]any{"name": "Bo"}},
		{"an owner keeps admin access", o, "PUT", users + owner.ID + "/roles", map[string]any{"roles": []string{"admin", "owner"}}},
	}
	for _, tc := range allowed {
		t.Run(tc.name, func(t *testing.T) {
			if code, doc := tc.b.call(tc.method, tc.path, tc.body, sameOrigin(s)); code != http.StatusOK {
				t.Errorf("got %d %v, want 200", code, doc)
			}
		})
	}
	if got, _ := s.App.Admin.User(ctx, acme.ID, agent.ID); !got.HasRole(gatehouse.RoleOwner) {
		t.Errorf("the owner's grant: roles %v, want owner", got.Roles)
	}

	// A key acts for the tenant: the rules of sessions do not bind it.
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeUsersWrite)
	if code, doc := apiCall(t, s, "PUT", users+spare.ID+"/roles", key, map[string]any{"roles": []string{"owner"}}, nil); code != http.StatusOK {
		t.Errorf("a key grants owner: got %d %v, want 200", code, doc)
	}
}
