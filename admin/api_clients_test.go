package admin_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

const wpRedirect = "https://wp.example.com/wp-admin/admin-ajax.php?action=openid-connect-authorize"

// clientKeys are the API keys a client test uses.
type clientKeys struct {
	rw, ro, noScope, other, revoked string
}

func newClientKeys(t *testing.T, s *gatehousetest.Server, tenantID, otherTenantID string) clientKeys {
	t.Helper()
	k := clientKeys{
		rw:      mustKey(t, s, tenantID, gatehouse.APIScopeClientsRead, gatehouse.APIScopeClientsWrite),
		ro:      mustKey(t, s, tenantID, gatehouse.APIScopeClientsRead),
		noScope: mustKey(t, s, tenantID, gatehouse.APIScopeUsersRead, gatehouse.APIScopeUsersWrite),
		other:   mustKey(t, s, otherTenantID, gatehouse.APIScopeClientsRead, gatehouse.APIScopeClientsWrite),
		revoked: mustKey(t, s, tenantID, gatehouse.APIScopeClientsRead, gatehouse.APIScopeClientsWrite),
	}
	id := apiKeyID(t, s, tenantID, k.revoked)
	if err := s.App.Admin.RevokeAPIKey(context.Background(), gatehousetest.Actor(), tenantID, id); err != nil {
		t.Fatal(err)
	}
	return k
}

// wordpress is the body that registers a WordPress site.
func wordpress() map[string]any {
	return map[string]any{
		"name":   "WordPress",
		"config": map[string]any{"redirect_uris": []string{wpRedirect}},
		"scopes": []string{"openid", "profile", "email"},
	}
}

// clientPost posts form to a protocol endpoint of s as the client with
// the credential (HTTP Basic) and returns the status.
func clientPost(t *testing.T, s *gatehousetest.Server, path string, form url.Values, clientID, secret string) int {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// clientAuthenticates reports whether the token endpoint family accepts
// the credential: a revocation request with it is answered 200, while a
// refused client is 401.
func clientAuthenticates(t *testing.T, s *gatehousetest.Server, clientID, secret string) bool {
	t.Helper()
	switch status := clientPost(t, s, "/oauth/revoke", url.Values{"token": {"unknown"}}, clientID, secret); status {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		return false
	default:
		t.Fatalf("revoke with a client credential: got %d, want 200 or 401", status)
		return false
	}
}

// clientCredentialsToken asks the token endpoint for a client_credentials
// token and returns its status: 200 for a credential it accepts, 401 for
// one it refuses.
func clientCredentialsToken(t *testing.T, s *gatehousetest.Server, clientID, secret string) int {
	t.Helper()
	return clientPost(t, s, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, clientID, secret)
}

func credentials(r response) []map[string]any {
	var out []map[string]any
	list, _ := r.doc["credentials"].([]any)
	for _, c := range list {
		out = append(out, c.(map[string]any))
	}
	return out
}

func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	k := newClientKeys(t, s, acme.ID, other.ID)

	// Register a WordPress site with one call.
	created := call(t, s, "POST", "/api/v1/clients", k.rw, wordpress(), nil)
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	id := created.str("id")
	if got := created.header.Get("Location"); got != "/api/v1/clients/"+id {
		t.Errorf("Location: got %q, want /api/v1/clients/%s", got, id)
	}
	if got := created.header.Get("ETag"); got != `"1"` {
		t.Errorf("ETag: got %q, want \"1\"", got)
	}
	creds := credentials(created)
	if len(creds) != 1 {
		t.Fatalf("credentials: %v", creds)
	}
	clientID, _ := creds[0]["client_id"].(string)
	secretValue, _ := creds[0]["secret"].(string)
	if !strings.HasPrefix(clientID, gatehouse.PrefixClientID) || !strings.HasPrefix(secretValue, gatehouse.PrefixClientSecret) {
		t.Errorf("credential: client_id %q secret %q", clientID, secretValue)
	}
	for field, want := range map[string]any{
		"tenant_id": acme.ID, "type": "confidential", "auth_method": "client_secret_basic", "id_token_alg": "RS256",
		"access_token_ttl": float64(3600), "first_party": false,
	} {
		if created.doc[field] != want {
			t.Errorf("%s: got %v, want %v", field, created.doc[field], want)
		}
	}
	if !clientAuthenticates(t, s, clientID, secretValue) {
		t.Errorf("the new secret is refused at the token endpoints")
	}

	// The secret is never shown again.
	for _, path := range []string{"/api/v1/clients/" + id, "/api/v1/clients/" + clientID} {
		got := call(t, s, "GET", path, k.ro, nil, nil)
		if got.status != http.StatusOK || got.str("id") != id || got.header.Get("ETag") != `"1"` {
			t.Errorf("GET %s: %d %s", path, got.status, got.raw)
		}
		if strings.Contains(string(got.raw), secretValue) || strings.Contains(string(got.raw), `"secret"`) {
			t.Errorf("GET %s shows the secret", path)
		}
	}
	list := call(t, s, "GET", "/api/v1/clients", k.ro, nil, nil)
	if strings.Contains(string(list.raw), secretValue) {
		t.Errorf("the list shows the secret")
	}

	// Replace: If-Match is required and checked.
	get := call(t, s, "GET", "/api/v1/clients/"+id, k.ro, nil, nil)
	changed := get.doc
	changed["name"] = "WordPress (production)"
	changed["first_party"] = true
	changed["config"].(map[string]any)["post_logout_uris"] = []string{"https://wp.example.com/"}
	refusals := []struct {
		name     string
		header   http.Header
		wantCode int
		wantErr  string
	}{
		{"no If-Match", nil, 428, "precondition_required"},
		{"If-Match *", http.Header{"If-Match": {"*"}}, 428, "precondition_required"},
		{"a stale ETag", http.Header{"If-Match": {`"7"`}}, 412, "precondition_failed"},
		{"a weak ETag", http.Header{"If-Match": {`W/"1"`}}, 412, "precondition_failed"},
		{"garbage", http.Header{"If-Match": {`1`}}, 412, "precondition_failed"},
	}
	for _, tt := range refusals {
		t.Run("replace refused/"+tt.name, func(t *testing.T) {
			r := call(t, s, "PUT", "/api/v1/clients/"+id, k.rw, changed, tt.header)
			if r.status != tt.wantCode || errorCode(r.doc) != tt.wantErr {
				t.Errorf("got %d %q (%s), want %d %q", r.status, errorCode(r.doc), r.raw, tt.wantCode, tt.wantErr)
			}
		})
	}
	replaced := call(t, s, "PUT", "/api/v1/clients/"+id, k.rw, changed, http.Header{"If-Match": {`"0", "1"`}})
	if replaced.status != http.StatusOK || replaced.header.Get("ETag") != `"2"` || replaced.str("name") != "WordPress (production)" ||
		replaced.doc["first_party"] != true {
		t.Fatalf("replace: %d %s %s", replaced.status, replaced.header.Get("ETag"), replaced.raw)
	}
	if len(credentials(replaced)) != 1 || !clientAuthenticates(t, s, clientID, secretValue) {
		t.Errorf("replacing the settings touched the credentials")
	}
	// Sending back what was read changes nothing.
	same := call(t, s, "PUT", "/api/v1/clients/"+id, k.rw, replaced.doc, http.Header{"If-Match": {`"2"`}})
	if same.status != http.StatusOK || same.header.Get("ETag") != `"2"` {
		t.Errorf("an unchanged document: %d ETag %s, want 200 and the same ETag", same.status, same.header.Get("ETag"))
	}
	typeChange := replaced.doc
	typeChange["type"] = "public"
	if r := call(t, s, "PUT", "/api/v1/clients/"+id, k.rw, typeChange, http.Header{"If-Match": {`"2"`}}); r.status != 422 ||
		!slices.Contains(r.fields(), "type") {
		t.Errorf("changing the type: %d %v, want 422 naming type", r.status, r.fields())
	}

	// Another tenant's key does not see the client at all.
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/v1/clients/" + id}, {"GET", "/api/v1/clients/" + clientID},
		{"PUT", "/api/v1/clients/" + id}, {"DELETE", "/api/v1/clients/" + id},
		{"POST", "/api/v1/clients/" + id + "/credentials"}, {"POST", "/api/v1/clients/" + id + "/credentials/rotate"},
	} {
		var body any
		if req.method == "PUT" {
			body = wordpress()
		}
		r := call(t, s, req.method, req.path, k.other, body, http.Header{"If-Match": {`"2"`}})
		if r.status != http.StatusNotFound || errorCode(r.doc) != "not_found" {
			t.Errorf("%s %s with another tenant's key: %d %s, want 404", req.method, req.path, r.status, r.raw)
		}
	}
	if r := call(t, s, "GET", "/api/v1/clients", k.other, nil, nil); strings.Contains(string(r.raw), id) {
		t.Errorf("another tenant's list shows the client")
	}

	// Delete: If-Match required; then every token endpoint refuses it.
	if r := call(t, s, "DELETE", "/api/v1/clients/"+id, k.rw, nil, nil); r.status != 428 {
		t.Errorf("delete without If-Match: %d, want 428", r.status)
	}
	if r := call(t, s, "DELETE", "/api/v1/clients/"+id, k.rw, nil, http.Header{"If-Match": {`"1"`}}); r.status != 412 {
		t.Errorf("delete with a stale ETag: %d, want 412", r.status)
	}
	if r := call(t, s, "DELETE", "/api/v1/clients/"+id, k.rw, nil, http.Header{"If-Match": {`"2"`}}); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	if r := call(t, s, "GET", "/api/v1/clients/"+id, k.ro, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("GET after delete: %d, want 404", r.status)
	}
	if clientAuthenticates(t, s, clientID, secretValue) {
		t.Errorf("a deleted client's secret still authenticates")
	}

	// Every change is audited with the key that made it.
	wantActions := []string{"client.create", "client.update", "client.delete"}
	var got []string
	rwID := apiKeyID(t, s, acme.ID, k.rw)
	for _, ev := range s.MustAuditEvents(t, acme.ID, "") {
		if strings.HasPrefix(ev.Action, "client.") {
			got = append(got, ev.Action)
			if ev.Actor != "apikey:"+rwID || ev.Target != "client:"+id || ev.IP == "" {
				t.Errorf("%s: actor %q target %q IP %q", ev.Action, ev.Actor, ev.Target, ev.IP)
			}
			if strings.Contains(ev.Details["fields"]+ev.Details["client_id"], secretValue) {
				t.Errorf("an audit event holds the secret")
			}
		}
	}
	if !slices.Equal(got, wantActions) {
		t.Errorf("audit: got %v, want %v", got, wantActions)
	}
	update := s.MustAuditEvents(t, acme.ID, "client.update")
	if len(update) != 1 || update[0].Details["fields"] != "config.post_logout_uris,first_party,name" {
		t.Errorf("client.update details: %+v, want the changed fields", update)
	}
}

func TestClientValidation(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeClientsRead, gatehouse.APIScopeClientsWrite)
	with := func(change func(b map[string]any)) map[string]any {
		b := wordpress()
		change(b)
		return b
	}
	config := func(name string, v any) map[string]any {
		return with(func(b map[string]any) { b["config"].(map[string]any)[name] = v })
	}
	tests := []struct {
		name      string
		body      any
		wantField string
	}{
		{"no name", with(func(b map[string]any) { delete(b, "name") }), "name"},
		{"a name with a newline", with(func(b map[string]any) { b["name"] = "a\nb" }), "name"},
		{"a relative redirect URI", config("redirect_uris", []string{"/callback"}), "config.redirect_uris[0]"},
		{"a redirect URI with a fragment", config("redirect_uris", []string{"https://wp.example.com/cb#x"}), "config.redirect_uris[0]"},
		{"an http redirect URI", config("redirect_uris", []string{"http://wp.example.com/cb"}), "config.redirect_uris[0]"},
		{"a javascript redirect URI", config("redirect_uris", []string{"javascript:alert(1)"}), "config.redirect_uris[0]"},
		{"a custom scheme without a dot", config("redirect_uris", []string{"myapp:/cb"}), "config.redirect_uris[0]"},
		{"the same redirect URI twice", config("redirect_uris", []string{wpRedirect, wpRedirect}), "config.redirect_uris[1]"},
		{"no redirect URI for the code grant", config("redirect_uris", []string{}), "config.redirect_uris"},
		{"an http post-logout URI", config("post_logout_uris", []string{"http://wp.example.com/"}), "config.post_logout_uris[0]"},
		{"an origin with a path", config("allowed_origins", []string{"https://wp.example.com/app"}), "config.allowed_origins[0]"},
		{"an http logo", config("logo_uri", "http://cdn.example.com/logo.png"), "config.logo_uri"},
		{"a relative dark logo", config("logo_dark_mode_uri", "/logo.png"), "config.logo_dark_mode_uri"},
		{"config not an object", with(func(b map[string]any) { b["config"] = "x" }), "config"},
		{"redirect URIs not a list", config("redirect_uris", wpRedirect), "config.redirect_uris"},
		{"an unknown scope", with(func(b map[string]any) { b["scopes"] = []string{"admin"} }), "scopes[0]"},
		{"a planned scope", with(func(b map[string]any) { b["scopes"] = []string{"openid", "oauth.clients.read"} }), "scopes[1]"},
		{"the password grant", with(func(b map[string]any) { b["grant_types"] = []string{"password"} }), "grant_types[0]"},
		{"the implicit flow", with(func(b map[string]any) { b["grant_types"] = []string{"authorization_code", "implicit"} }), "grant_types[1]"},
		{"a public client with client credentials", with(func(b map[string]any) {
			b["type"] = "public"
			b["grant_types"] = []string{"client_credentials"}
		}), "grant_types[0]"},
		{"a public client with a secret method", with(func(b map[string]any) {
			b["type"] = "public"
			b["auth_method"] = "client_secret_basic"
		}), "auth_method"},
		{"an unknown type", with(func(b map[string]any) { b["type"] = "service" }), "type"},
		{"an HMAC ID token", with(func(b map[string]any) { b["id_token_alg"] = "HS256" }), "id_token_alg"},
		{"an access token for ten seconds", with(func(b map[string]any) { b["access_token_ttl"] = 10 }), "access_token_ttl"},
		{"an access token for a week", with(func(b map[string]any) { b["access_token_ttl"] = 7 * 24 * 3600 }), "access_token_ttl"},
		{"a negative lifetime", with(func(b map[string]any) { b["id_token_ttl"] = -60 }), "id_token_ttl"},
		{"an absurd lifetime", with(func(b map[string]any) { b["id_token_ttl"] = 1 << 60 }), "id_token_ttl"},
		{"a lifetime out of int64", with(func(b map[string]any) { b["id_token_ttl"] = 1e30 }), "id_token_ttl"},
		{"a fractional lifetime", with(func(b map[string]any) { b["id_token_ttl"] = 90.5 }), "id_token_ttl"},
		{"refresh absolute shorter than idle", with(func(b map[string]any) {
			b["refresh_token_idle_ttl"] = 7200
			b["refresh_token_absolute_ttl"] = 3600
		}), "refresh_token_absolute_ttl"},
		{"a bad role", with(func(b map[string]any) { b["allowed_roles"] = []string{"Sales Team"} }), "allowed_roles[0]"},
		{"an unknown field", with(func(b map[string]any) { b["client_secret"] = "mine" }), "client_secret"},
		{"a name of the wrong type", with(func(b map[string]any) { b["name"] = 42 }), "name"},
		{"first party not a boolean", with(func(b map[string]any) { b["first_party"] = "yes" }), "first_party"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := call(t, s, "POST", "/api/v1/clients", key, tt.body, nil)
			if r.status != http.StatusUnprocessableEntity || errorCode(r.doc) != "invalid" || !slices.Contains(r.fields(), tt.wantField) {
				t.Errorf("got %d %q fields %v (%s), want 422 naming %s", r.status, errorCode(r.doc), r.fields(), r.raw, tt.wantField)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		t.Parallel()
		r := call(t, s, "POST", "/api/v1/clients", key, map[string]any{
			"name": "", "config": map[string]any{"redirect_uris": []string{"http://x.example.com/cb", "/cb"}},
			"scopes": []string{"openid", "nope"}, "id_token_alg": "none",
		}, nil)
		want := []string{"name", "config.redirect_uris[0]", "config.redirect_uris[1]", "scopes[1]", "id_token_alg"}
		for _, f := range want {
			if !slices.Contains(r.fields(), f) {
				t.Errorf("fields %v lack %s", r.fields(), f)
			}
		}
	})
	accepted := []struct {
		name string
		body any
	}{
		{"a native app with a private-use scheme", map[string]any{"name": "Mobile", "type": "public",
			"config": map[string]any{"redirect_uris": []string{"com.example.app:/oauth/callback", "http://127.0.0.1/cb"}}}},
		{"a backend with client credentials only", map[string]any{"name": "CRM sync", "grant_types": []string{"client_credentials"},
			"scopes": []string{"profile"}}},
		{"every field", map[string]any{"name": "CRM", "description": "Sales", "type": "confidential",
			"config": map[string]any{"redirect_uris": []string{"https://crm.example.com/cb"}, "post_logout_uris": []string{"https://crm.example.com/"},
				"allowed_origins": []string{"https://crm.example.com"}, "logo_uri": "https://crm.example.com/l.png",
				"logo_dark_mode_uri": "https://crm.example.com/d.png"},
			"scopes": []string{"openid", "email", "offline_access", "roles.read", "tenant.read"}, "grant_types": []string{"authorization_code", "refresh_token"},
			"auth_method": "client_secret_post", "id_token_alg": "ES256", "access_token_ttl": 900, "id_token_ttl": 600,
			"refresh_token_idle_ttl": 86400, "refresh_token_absolute_ttl": 864000, "first_party": true,
			"always_issue_refresh_token": true, "allowed_roles": []string{"agent", "admin"}}},
	}
	for _, tt := range accepted {
		t.Run("accepted/"+tt.name, func(t *testing.T) {
			t.Parallel()
			if r := call(t, s, "POST", "/api/v1/clients", key, tt.body, nil); r.status != http.StatusCreated {
				t.Errorf("got %d %s, want 201", r.status, r.raw)
			}
		})
	}
	malformed := []struct {
		name  string
		body  string
		ctype string
		want  int
	}{
		{"not JSON", `{"name":`, "application/json", 400},
		{"an array", `[]`, "application/json", 400},
		{"two objects", `{"name":"a"}{"name":"b"}`, "application/json", 400},
		{"a form", `name=x`, "application/x-www-form-urlencoded", 415},
		{"empty", ``, "application/json", 400},
	}
	for _, tt := range malformed {
		t.Run("malformed/"+tt.name, func(t *testing.T) {
			t.Parallel()
			r := upload(t, s, "POST", "/api/v1/clients", key, tt.ctype, []byte(tt.body), nil)
			if r.status != tt.want {
				t.Errorf("got %d %s, want %d", r.status, r.raw, tt.want)
			}
		})
	}
}

func TestClientAuthorization(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	k := newClientKeys(t, s, acme.ID, other.ID)
	c := s.MustClient(t, acme.ID, nil)
	tests := []struct {
		name     string
		method   string
		path     string
		key      string
		header   http.Header
		wantCode int
		wantErr  string
	}{
		{"no key", "GET", "/api/v1/clients", "", nil, 401, "unauthorized"},
		{"a revoked key", "GET", "/api/v1/clients", k.revoked, nil, 401, "unauthorized"},
		{"a client secret as a key", "GET", "/api/v1/clients", c.ClientSecret, nil, 401, "unauthorized"},
		{"a key without the scope", "GET", "/api/v1/clients", k.noScope, nil, 403, "forbidden"},
		{"a read-only key writing", "POST", "/api/v1/clients", k.ro, nil, 403, "forbidden"},
		{"a read-only key deleting", "DELETE", "/api/v1/clients/" + c.ID, k.ro, http.Header{"If-Match": {`"1"`}}, 403, "forbidden"},
		{"a key from a browser", "GET", "/api/v1/clients", k.rw, http.Header{"Origin": {"https://evil.example"}}, 403, "forbidden"},
		{"another tenant's key at this tenant's issuer", "GET", "/t/acme/api/v1/clients", k.other, nil, 403, "forbidden"},
		{"another tenant's key on this client", "GET", "/api/v1/clients/" + c.ID, k.other, nil, 404, "not_found"},
		{"an unknown client", "GET", "/api/v1/clients/00000000-0000-7000-8000-000000000000", k.ro, nil, 404, "not_found"},
		{"a malformed id", "GET", "/api/v1/clients/%00%ff..", k.ro, nil, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.method == "POST" {
				body = wordpress()
			}
			r := call(t, s, tt.method, tt.path, tt.key, body, tt.header)
			if r.status != tt.wantCode || errorCode(r.doc) != tt.wantErr {
				t.Errorf("got %d %q (%s), want %d %q", r.status, errorCode(r.doc), r.raw, tt.wantCode, tt.wantErr)
			}
		})
	}
	if r := call(t, s, "GET", "/t/acme/api/v1/clients/"+c.ID, k.ro, nil, nil); r.status != http.StatusOK {
		t.Errorf("the tenant's own key at its issuer: %d, want 200", r.status)
	}
	// A disabled tenant's keys stop working.
	setTenant(t, s, other.ID, func(tn *gatehouse.Tenant) { tn.Status = gatehouse.StatusDisabled })
	s.Clock.Advance(time.Minute)
	if r := call(t, s, "GET", "/api/v1/clients", k.other, nil, nil); r.status != http.StatusForbidden {
		t.Errorf("a disabled tenant's key: %d, want 403", r.status)
	}
}

// TestClientConcurrentReplace sends PUTs with the same If-Match at once:
// exactly one wins, every other is 412, and the winner's change is what is
// stored.
func TestClientConcurrentReplace(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeClientsRead, gatehouse.APIScopeClientsWrite)
	created := call(t, s, "POST", "/api/v1/clients", key, wordpress(), nil)
	id := created.str("id")
	const n = 6
	results := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			body := wordpress()
			body["name"] = "Editor " + string(rune('A'+i))
			<-start
			results[i] = send(t, "PUT", s.URL+"/api/v1/clients/"+id, key, body, http.Header{"If-Match": {`"1"`}})
		})
	}
	close(start)
	wg.Wait()
	var winners []string
	for i, r := range results {
		switch r.status {
		case http.StatusOK:
			winners = append(winners, r.str("name"))
		case http.StatusPreconditionFailed:
			if errorCode(r.doc) != "precondition_failed" {
				t.Errorf("PUT %d: %s", i, r.raw)
			}
		default:
			t.Errorf("PUT %d: %d %s, want 200 or 412", i, r.status, r.raw)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d PUTs won, want exactly 1: %v", len(winners), winners)
	}
	got := call(t, s, "GET", "/api/v1/clients/"+id, key, nil, nil)
	if got.str("name") != winners[0] || got.header.Get("ETag") != `"2"` {
		t.Errorf("stored: %s ETag %s, want %s and \"2\"", got.str("name"), got.header.Get("ETag"), winners[0])
	}
}

func TestClientPagination(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeClientsRead)
	var want []string
	for range 7 {
		want = append(want, s.MustClient(t, acme.ID, nil).ID)
	}
	s.MustClient(t, other.ID, nil)
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		path := "/api/v1/clients?limit=3"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := call(t, s, "GET", path, key, nil, nil)
		if r.status != http.StatusOK {
			t.Fatalf("page: %d %s", r.status, r.raw)
		}
		items := r.doc["items"].([]any)
		if len(items) > 3 {
			t.Errorf("a page of %d items, want at most 3", len(items))
		}
		for _, it := range items {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		cursor = r.str("next_cursor")
		if cursor == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages: got %v, want %v (creation order, this tenant only)", got, want)
	}
	for _, bad := range []string{"limit=0", "limit=1001", "limit=x", "cursor=not-a-cursor", "cursor=-5"} {
		if r := call(t, s, "GET", "/api/v1/clients?"+bad, key, nil, nil); r.status != http.StatusUnprocessableEntity {
			t.Errorf("?%s: %d %s, want 422", bad, r.status, r.raw)
		}
	}
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeClientsRead, gatehouse.APIScopeClientsWrite)
	created := call(t, s, "POST", "/api/v1/clients", key, wordpress(), nil)
	id := created.str("id")
	first := credentials(created)[0]
	firstID, firstSecret := first["client_id"].(string), first["secret"].(string)
	base := "/api/v1/clients/" + id

	added := call(t, s, "POST", base+"/credentials", key, map[string]any{"name": "staging"}, nil)
	if added.status != http.StatusCreated {
		t.Fatalf("add: %d %s", added.status, added.raw)
	}
	cred := added.doc["credential"].(map[string]any)
	stagingID, stagingSecret := cred["client_id"].(string), cred["secret"].(string)
	if cred["name"] != "staging" || stagingSecret == "" || len(added.doc["client"].(map[string]any)["credentials"].([]any)) != 2 {
		t.Errorf("add: %s", added.raw)
	}
	if !clientAuthenticates(t, s, stagingID, stagingSecret) || !clientAuthenticates(t, s, firstID, firstSecret) {
		t.Errorf("after adding, both credentials must work")
	}
	if r := call(t, s, "POST", base+"/credentials", key, nil, nil); r.status != http.StatusCreated {
		t.Errorf("add without a body: %d %s", r.status, r.raw)
	}
	for name, body := range map[string]map[string]any{
		"a past expiry":    {"expires_at": s.Clock.Now().Add(-time.Hour).Format(time.RFC3339)},
		"a malformed time": {"expires_at": "tomorrow"},
		"a long name":      {"name": strings.Repeat("n", 101)},
	} {
		if r := call(t, s, "POST", base+"/credentials", key, body, nil); r.status != 422 {
			t.Errorf("add with %s: %d %s, want 422", name, r.status, r.raw)
		}
	}

	// Rotation with a grace period: the new secret works, the old ones
	// work until the grace ends.
	rotated := call(t, s, "POST", base+"/credentials/rotate", key, map[string]any{"grace_seconds": 3600}, nil)
	if rotated.status != http.StatusCreated {
		t.Fatalf("rotate: %d %s", rotated.status, rotated.raw)
	}
	rc := rotated.doc["credential"].(map[string]any)
	newID, newSecret := rc["client_id"].(string), rc["secret"].(string)
	if !clientAuthenticates(t, s, newID, newSecret) || !clientAuthenticates(t, s, firstID, firstSecret) {
		t.Errorf("during the grace period, old and new must work")
	}
	if r := call(t, s, "POST", base+"/credentials/rotate", key, map[string]any{"grace_seconds": -1}, nil); r.status != 422 ||
		!slices.Contains(r.fields(), "grace_seconds") {
		t.Errorf("a negative grace: %d %v", r.status, r.fields())
	}
	s.Clock.Advance(time.Hour + time.Second)
	if clientAuthenticates(t, s, firstID, firstSecret) || !clientAuthenticates(t, s, newID, newSecret) {
		t.Errorf("after the grace period only the new secret may work")
	}

	// Expire one credential now, then delete one.
	exp := call(t, s, "POST", base+"/credentials/"+newID+"/expire", key, nil, nil)
	if exp.status != http.StatusOK {
		t.Fatalf("expire: %d %s", exp.status, exp.raw)
	}
	if clientAuthenticates(t, s, newID, newSecret) {
		t.Errorf("an expired credential still authenticates")
	}
	later := s.Clock.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	if r := call(t, s, "POST", base+"/credentials/"+newID+"/expire", key, map[string]any{"expires_at": later}, nil); r.status != 422 ||
		!slices.Contains(r.fields(), "expires_at") || clientAuthenticates(t, s, newID, newSecret) {
		t.Errorf("a later expiry for an expired credential: %d %s, want 422 naming expires_at and the credential still refused", r.status, r.raw)
	}
	if r := call(t, s, "POST", base+"/credentials/"+newID+"/expire", key, nil, nil); r.status != 200 {
		t.Errorf("expiring an expired credential again: %d %s, want 200", r.status, r.raw)
	}
	if r := call(t, s, "POST", base+"/credentials/nope/expire", key, nil, nil); r.status != 404 {
		t.Errorf("expire an unknown credential: %d, want 404", r.status)
	}
	list := credentials(call(t, s, "GET", base, key, nil, nil))
	for _, c := range list[:len(list)-1] {
		if r := call(t, s, "DELETE", base+"/credentials/"+c["id"].(string), key, nil, nil); r.status != http.StatusOK {
			t.Fatalf("delete credential: %d %s", r.status, r.raw)
		}
	}
	last := list[len(list)-1]["id"].(string)
	if r := call(t, s, "DELETE", base+"/credentials/"+last, key, nil, nil); r.status != http.StatusConflict {
		t.Errorf("deleting the last credential: %d %s, want 409", r.status, r.raw)
	}
	if clientAuthenticates(t, s, stagingID, stagingSecret) {
		t.Errorf("a deleted credential still authenticates")
	}

	// A public client has no secret to rotate; a credential it adds has
	// none either.
	pub := call(t, s, "POST", "/api/v1/clients", key, map[string]any{"name": "Mobile", "type": "public",
		"config": map[string]any{"redirect_uris": []string{"com.example.app:/cb"}}}, nil)
	if r := call(t, s, "POST", "/api/v1/clients/"+pub.str("id")+"/credentials/rotate", key, nil, nil); r.status != 422 {
		t.Errorf("rotating a public client: %d %s, want 422", r.status, r.raw)
	}
	if r := call(t, s, "POST", "/api/v1/clients/"+pub.str("id")+"/credentials", key, nil, nil); r.status != 201 ||
		r.doc["credential"].(map[string]any)["secret"] != nil {
		t.Errorf("adding to a public client: %d %s, want 201 without a secret", r.status, r.raw)
	}

	var actions []string
	for _, ev := range s.MustAuditEvents(t, acme.ID, "") {
		if strings.HasPrefix(ev.Action, "client.credential.") || ev.Action == "client.secret.rotate" {
			actions = append(actions, ev.Action)
		}
	}
	for _, want := range []string{"client.credential.add", "client.secret.rotate", "client.credential.expire", "client.credential.delete"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}
}

// TestClientCredentialChange renames a credential and moves its expiry
// with PATCH: null clears a scheduled expiry, a time that has passed
// means now, an expired credential stays expired, and a refused change
// changes nothing.
func TestClientCredentialChange(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	k := newClientKeys(t, s, acme.ID, other.ID)
	created := call(t, s, "POST", "/api/v1/clients", k.rw, map[string]any{"name": "CRM sync", "grant_types": []string{"client_credentials"}}, nil)
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	id, etag := created.str("id"), created.header.Get("ETag")
	base := "/api/v1/clients/" + id
	soon := s.Clock.Now().Add(time.Hour).UTC()
	add := func(name string) map[string]any {
		t.Helper()
		r := call(t, s, "POST", base+"/credentials", k.rw, map[string]any{"name": name, "expires_at": soon.Format(time.RFC3339)}, nil)
		if r.status != http.StatusCreated {
			t.Fatalf("add %s: %d %s", name, r.status, r.raw)
		}
		return r.doc["credential"].(map[string]any)
	}
	staging, retired := add("staging"), add("retired")
	stagingID, stagingSecret := staging["client_id"].(string), staging["secret"].(string)
	path := base + "/credentials/" + staging["id"].(string)
	retiredPath := base + "/credentials/" + retired["client_id"].(string)
	if r := call(t, s, "POST", retiredPath+"/expire", k.rw, nil, nil); r.status != http.StatusOK {
		t.Fatalf("expire: %d %s", r.status, r.raw)
	}
	// credentialDoc reads one credential of the client as the API shows it.
	credentialDoc := func(clientID string) map[string]any {
		t.Helper()
		for _, c := range credentials(call(t, s, "GET", base, k.ro, nil, nil)) {
			if c["client_id"] == clientID {
				return c
			}
		}
		t.Fatalf("no credential %s", clientID)
		return nil
	}
	never := map[string]any{"expires_at": nil}

	refusals := []struct {
		name      string
		path      string
		key       string
		body      any
		header    http.Header
		wantCode  int
		wantErr   string
		wantField string
	}{
		{"a key without oauth.clients.write", path, k.ro, never, nil, 403, "forbidden", ""},
		{"a key without the clients scopes", path, k.noScope, never, nil, 403, "forbidden", ""},
		{"a key of another tenant", path, k.other, never, nil, 404, "not_found", ""},
		{"an unknown credential", base + "/credentials/nope", k.rw, never, nil, 404, "not_found", ""},
		{"an unknown client", "/api/v1/clients/00000000-0000-7000-8000-000000000000/credentials/" + stagingID, k.rw, never, nil, 404, "not_found", ""},
		{"bad JSON", path, k.rw, `{"expires_at": `, nil, 400, "malformed", ""},
		{"no body", path, k.rw, nil, nil, 400, "malformed", ""},
		{"a stale If-Match", path, k.rw, never, http.Header{"If-Match": {`"7"`}}, 412, "precondition_failed", ""},
		{"If-Match *", path, k.rw, never, http.Header{"If-Match": {"*"}}, 428, "precondition_required", ""},
		{"an empty name", path, k.rw, map[string]any{"name": ""}, nil, 422, "invalid", "name"},
		{"a long name", path, k.rw, map[string]any{"name": strings.Repeat("n", 101)}, nil, 422, "invalid", "name"},
		{"a name with a line break", path, k.rw, map[string]any{"name": "a\nb"}, nil, 422, "invalid", "name"},
		{"a malformed time", path, k.rw, map[string]any{"expires_at": "tomorrow"}, nil, 422, "invalid", "expires_at"},
		{"an empty time", path, k.rw, map[string]any{"expires_at": ""}, nil, 422, "invalid", "expires_at"},
		{"a number for a time", path, k.rw, map[string]any{"expires_at": 1767225600}, nil, 422, "invalid", "expires_at"},
		{"an unknown field", path, k.rw, map[string]any{"expire_at": nil}, nil, 422, "invalid", "expire_at"},
		{"reviving an expired credential", retiredPath, k.rw, never, nil, 422, "invalid", "expires_at"},
		{"a later expiry for an expired credential", retiredPath, k.rw,
			map[string]any{"expires_at": soon.Add(time.Hour).Format(time.RFC3339)}, nil, 422, "invalid", "expires_at"},
	}
	for _, tt := range refusals {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			r := call(t, s, "PATCH", tt.path, tt.key, tt.body, tt.header)
			if r.status != tt.wantCode || errorCode(r.doc) != tt.wantErr {
				t.Errorf("got %d %q (%s), want %d %q", r.status, errorCode(r.doc), r.raw, tt.wantCode, tt.wantErr)
			}
			if tt.wantField != "" && !slices.Contains(r.fields(), tt.wantField) {
				t.Errorf("got fields %v, want %s named", r.fields(), tt.wantField)
			}
		})
	}
	if c := credentialDoc(stagingID); c["name"] != "staging" || c["expires"] != soon.Format(time.RFC3339) {
		t.Fatalf("refused changes changed the credential: %v", c)
	}

	t.Run("clear a scheduled expiry", func(t *testing.T) {
		r := call(t, s, "PATCH", path, k.rw, never, http.Header{"If-Match": {etag}})
		if r.status != http.StatusOK || r.header.Get("ETag") != etag {
			t.Fatalf("got %d ETag %s (%s), want 200 and the client's ETag as it was, %s", r.status, r.header.Get("ETag"), r.raw, etag)
		}
		if c := credentialDoc(stagingID); c["expires"] != nil || c["name"] != "staging" {
			t.Errorf("after clearing: %v, want no expiry and the name as it was", c)
		}
		s.Clock.Set(soon.Add(time.Minute))
		if got := clientCredentialsToken(t, s, stagingID, stagingSecret); got != http.StatusOK {
			t.Errorf("after the old expiry: the token endpoint answered %d, want 200", got)
		}
		if got := clientCredentialsToken(t, s, retired["client_id"].(string), retired["secret"].(string)); got != http.StatusUnauthorized {
			t.Errorf("the expired credential: the token endpoint answered %d, want 401", got)
		}
	})

	t.Run("a time that has passed means now", func(t *testing.T) {
		now := s.Clock.Now().UTC()
		r := call(t, s, "PATCH", path, k.rw, map[string]any{"expires_at": now.Add(-24 * time.Hour).Format(time.RFC3339)}, nil)
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		if c := credentialDoc(stagingID); c["expires"] != now.Format(time.RFC3339) {
			t.Errorf("expires: got %v, want now, %s", c["expires"], now.Format(time.RFC3339))
		}
		if got := clientCredentialsToken(t, s, stagingID, stagingSecret); got != http.StatusUnauthorized {
			t.Errorf("the token endpoint answered %d, want 401", got)
		}
		// It has stopped: asking again changes nothing, bringing it back
		// is refused.
		s.Clock.Advance(time.Minute)
		if r := call(t, s, "PATCH", path, k.rw, map[string]any{"expires_at": now.Format(time.RFC3339)}, nil); r.status != http.StatusOK {
			t.Errorf("expiring it again: %d %s, want 200", r.status, r.raw)
		}
		if r := call(t, s, "PATCH", path, k.rw, never, nil); r.status != 422 || !slices.Contains(r.fields(), "expires_at") {
			t.Errorf("bringing it back: %d %s, want 422 naming expires_at", r.status, r.raw)
		}
		if c := credentialDoc(stagingID); c["expires"] != now.Format(time.RFC3339) {
			t.Errorf("expires: got %v, want it kept at %s", c["expires"], now.Format(time.RFC3339))
		}
	})

	t.Run("rename", func(t *testing.T) {
		body := map[string]any{"name": "staging (eu)"}
		r := call(t, s, "PATCH", path, k.rw, body, http.Header{"If-Match": {etag}})
		if r.status != http.StatusOK || r.header.Get("ETag") != etag {
			t.Fatalf("got %d ETag %s (%s), want 200 and %s", r.status, r.header.Get("ETag"), r.raw, etag)
		}
		if c := credentialDoc(stagingID); c["name"] != "staging (eu)" {
			t.Errorf("name: got %v, want staging (eu)", c["name"])
		}
		if evs := s.MustAuditEvents(t, acme.ID, "client.credential.rename"); len(evs) != 1 || evs[0].Details["name"] != "staging (eu)" {
			t.Errorf("client.credential.rename events: %+v, want one with the new name", evs)
		}
	})

	t.Run("an empty patch changes nothing", func(t *testing.T) {
		before := len(s.MustAuditEvents(t, acme.ID, ""))
		if r := call(t, s, "PATCH", path, k.rw, map[string]any{}, nil); r.status != http.StatusOK || r.header.Get("ETag") != etag {
			t.Errorf("got %d ETag %s (%s), want 200 and %s", r.status, r.header.Get("ETag"), r.raw, etag)
		}
		if after := len(s.MustAuditEvents(t, acme.ID, "")); after != before {
			t.Errorf("an empty patch recorded %d audit events", after-before)
		}
	})

	// Each change is recorded once, by the key that made it; a refused or
	// empty one is not.
	rw := "apikey:" + apiKeyID(t, s, acme.ID, k.rw)
	for action, want := range map[string]int{"client.credential.expiry.clear": 1, "client.credential.expire": 1} {
		var got int
		for _, ev := range s.MustAuditEvents(t, acme.ID, action) {
			if ev.Details["client_id"] != stagingID {
				continue
			}
			got++
			if ev.Actor != rw || ev.Target != "client:"+id {
				t.Errorf("%s: actor %q target %q, want %s on client:%s", action, ev.Actor, ev.Target, rw, id)
			}
		}
		if got != want {
			t.Errorf("%s events for the credential: got %d, want %d", action, got, want)
		}
	}
}

// pngOf returns a w×h PNG.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestClientLogos(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeClientsRead, gatehouse.APIScopeClientsWrite)
	otherKey := mustKey(t, s, other.ID, gatehouse.APIScopeClientsRead, gatehouse.APIScopeClientsWrite)
	created := call(t, s, "POST", "/api/v1/clients", key, wordpress(), nil)
	id := created.str("id")
	logo := pngOf(t, 2, 2)

	up := upload(t, s, "PUT", "/api/v1/clients/"+id+"/logo", key, "image/png", logo, nil)
	if up.status != http.StatusOK {
		t.Fatalf("upload: %d %s", up.status, up.raw)
	}
	uri, _ := up.doc["config"].(map[string]any)["logo_uri"].(string)
	if !strings.HasPrefix(uri, s.URL+"/assets/clients/"+id+"/logo?v=") || up.header.Get("ETag") != `"2"` {
		t.Fatalf("logo_uri %q ETag %s, want our origin's asset URL and \"2\"", uri, up.header.Get("ETag"))
	}
	resp := fetch(t, uri, nil)
	if resp.status != http.StatusOK || !bytes.Equal(resp.raw, logo) {
		t.Fatalf("fetch the logo: %d, %d bytes", resp.status, len(resp.raw))
	}
	for name, want := range map[string]string{
		"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Content-Disposition": "inline",
		"Cache-Control": "public, max-age=31536000, immutable",
	} {
		if got := resp.header.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if got := resp.header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'none'; style-src 'unsafe-inline'") {
		t.Errorf("CSP: got %q", got)
	}
	if r := fetch(t, uri, http.Header{"If-None-Match": {resp.header.Get("ETag")}}); r.status != http.StatusNotModified {
		t.Errorf("a conditional fetch: %d, want 304", r.status)
	}
	if r := fetch(t, s.URL+"/assets/clients/"+id+"/logo", nil); r.status != 200 || strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Errorf("without the version: %d %q, want 200 and a short cache", r.status, r.header.Get("Cache-Control"))
	}
	if r := fetch(t, s.URL+"/t/acme/assets/clients/"+id+"/logo", nil); r.status != 200 {
		t.Errorf("at the tenant's issuer: %d, want 200", r.status)
	}
	if r := fetch(t, s.URL+"/t/other/assets/clients/"+id+"/logo", nil); r.status != 404 {
		t.Errorf("at another tenant's issuer: %d, want 404", r.status)
	}

	// An SVG is rebuilt and served so that it cannot run anything.
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><!-- c --><rect width="10" height="10" fill="#1a73e8"/></svg>`)
	dark := upload(t, s, "PUT", "/api/v1/clients/"+id+"/logo-dark", key, "image/svg+xml", svg, http.Header{"If-Match": {`"2"`}})
	if dark.status != http.StatusOK {
		t.Fatalf("upload an SVG: %d %s", dark.status, dark.raw)
	}
	darkURI := dark.doc["config"].(map[string]any)["logo_dark_mode_uri"].(string)
	r := fetch(t, darkURI, nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" || !bytes.Contains(r.raw, []byte(`<rect width="10"`)) ||
		bytes.Contains(r.raw, []byte("<!--")) {
		t.Errorf("the SVG as served: %d %q %s", r.status, r.header.Get("Content-Type"), r.raw)
	}
	if !strings.HasPrefix(r.header.Get("Content-Security-Policy"), "default-src 'none'; style-src 'unsafe-inline'") ||
		r.header.Get("Content-Disposition") != "inline" {
		t.Errorf("SVG headers: %v", r.header)
	}

	refused := []struct {
		name     string
		ctype    string
		body     []byte
		header   http.Header
		wantCode int
		wantErr  string
	}{
		{"a script in an SVG", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), nil, 422, "invalid"},
		{"an event handler", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), nil, 422, "invalid"},
		{"too large", "image/png", append(pngOf(t, 2, 2), make([]byte, 300<<10)...), nil, 413, "too_large"},
		{"a GIF", "image/gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), nil, 415, "unsupported_media_type"},
		{"text", "text/plain", []byte("hello"), nil, 415, "unsupported_media_type"},
		{"a truncated PNG", "image/png", logo[:20], nil, 422, "invalid"},
		{"empty", "image/png", nil, nil, 422, "invalid"},
		{"a huge canvas", "image/png", pngOf(t, 5000, 1), nil, 422, "invalid"},
		{"a stale If-Match", "image/png", logo, http.Header{"If-Match": {`"1"`}}, 412, "precondition_failed"},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			r := upload(t, s, "PUT", "/api/v1/clients/"+id+"/logo", key, tt.ctype, tt.body, tt.header)
			if r.status != tt.wantCode || errorCode(r.doc) != tt.wantErr {
				t.Errorf("got %d %q (%s), want %d %q", r.status, errorCode(r.doc), r.raw, tt.wantCode, tt.wantErr)
			}
		})
	}
	if r := upload(t, s, "PUT", "/api/v1/clients/"+id+"/logo", otherKey, "image/png", logo, nil); r.status != 404 {
		t.Errorf("another tenant's upload: %d, want 404", r.status)
	}
	if r := fetch(t, uri, nil); !bytes.Equal(r.raw, logo) {
		t.Errorf("a refused upload replaced the logo")
	}

	// Deleting the logo clears the URI; the old URL stops serving.
	del := call(t, s, "DELETE", "/api/v1/clients/"+id+"/logo", key, nil, nil)
	if del.status != 200 || del.doc["config"].(map[string]any)["logo_uri"] != nil {
		t.Errorf("delete the logo: %d %s", del.status, del.raw)
	}
	if r := fetch(t, uri, nil); r.status != 404 {
		t.Errorf("a deleted logo: %d, want 404", r.status)
	}
	if r := call(t, s, "DELETE", "/api/v1/clients/"+id+"/logo", key, nil, nil); r.status != 404 {
		t.Errorf("deleting it again: %d, want 404", r.status)
	}
	// Deleting the client deletes its logos.
	cur := call(t, s, "GET", "/api/v1/clients/"+id, key, nil, nil)
	call(t, s, "DELETE", "/api/v1/clients/"+id, key, nil, http.Header{"If-Match": {cur.header.Get("ETag")}})
	if r := fetch(t, darkURI, nil); r.status != 404 {
		t.Errorf("a deleted client's logo: %d, want 404", r.status)
	}
	var actions []string
	for _, ev := range s.MustAuditEvents(t, acme.ID, "") {
		if strings.HasPrefix(ev.Action, "client.logo.") {
			actions = append(actions, ev.Action+" "+ev.Details["asset"])
		}
	}
	if want := []string{"client.logo.set logo", "client.logo.set logo-dark", "client.logo.delete logo"}; !slices.Equal(actions, want) {
		t.Errorf("audit: got %v, want %v", actions, want)
	}
}

// fetch GETs an absolute URL, like a browser loading an image.
func fetch(t *testing.T, u string, header http.Header) response {
	t.Helper()
	return send(t, http.MethodGet, u, "", nil, header)
}
