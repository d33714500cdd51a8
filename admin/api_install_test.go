package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// response is one answer of the server: status, headers and the raw and
// decoded JSON body.
type response struct {
	status int
	header http.Header
	raw    []byte
	doc    map[string]any
}

// send sends one request with an optional bearer value, a JSON body (a
// string is sent as is) and extra headers.
func send(t *testing.T, method, target, bearer string, body any, header http.Header) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := response{status: resp.StatusCode, header: resp.Header}
	out.raw, _ = io.ReadAll(resp.Body)
	if len(out.raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(out.raw, &out.doc); err != nil {
			t.Fatalf("%s %s: %d, body is not JSON: %q", method, target, resp.StatusCode, out.raw)
		}
	}
	return out
}

func (r response) str(name string) string { s, _ := r.doc[name].(string); return s }

// fields returns the field names of a validation error.
func (r response) fields() []string {
	e, _ := r.doc["error"].(map[string]any)
	list, _ := e["fields"].([]any)
	var out []string
	for _, f := range list {
		if m, ok := f.(map[string]any); ok {
			name, _ := m["field"].(string)
			out = append(out, name)
		}
	}
	return out
}

// setTenant changes a tenant in the store.
func setTenant(t *testing.T, s *gatehousetest.Server, id string, change func(*gatehouse.Tenant)) {
	t.Helper()
	ctx := context.Background()
	tn, err := s.Store.GetTenant(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	change(tn)
	if err := s.Store.UpdateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	s.App.Tenants.Invalidate()
}

func TestInstallKeys(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	setTenant(t, s, acme.ID, func(tn *gatehouse.Tenant) {
		tn.Branding = gatehouse.Branding{LogoURI: "https://cdn.example.com/acme.png", PrimaryColor: "#1a73e8"}
		tn.Settings.Widget = map[string]string{"position": "bottom-right", "greeting": "Hi!"}
		tn.Settings.SSOReturnURL = "https://acme.example.com/sso"
	})
	admin := mustKey(t, s, acme.ID, gatehouse.APIScopeTenantRead, gatehouse.APIScopeTenantWrite)
	readOnly := mustKey(t, s, acme.ID, gatehouse.APIScopeTenantRead)
	noScope := mustKey(t, s, acme.ID, gatehouse.APIScopeAPIKeysRead, gatehouse.APIScopeRuntimeTokensWrite)
	otherAdmin := mustKey(t, s, other.ID, gatehouse.APIScopeTenantRead, gatehouse.APIScopeTenantWrite)
	api := s.URL + "/api/v1/installkeys"

	created := send(t, "POST", api, admin, nil, nil)
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	key, id := created.str("key"), created.str("id")
	if !strings.HasPrefix(key, gatehouse.PrefixInstallKey) || len(key) < len(gatehouse.PrefixInstallKey)+20 {
		t.Errorf("created key %q, want %s and at least 20 random characters", key, gatehouse.PrefixInstallKey)
	}
	if got := created.header.Get("Location"); got != "/api/v1/installkeys/"+id {
		t.Errorf("Location: got %q, want /api/v1/installkeys/%s", got, id)
	}
	if created.str("tenant_id") != acme.ID || created.doc["revoked_at"] != nil {
		t.Errorf("created: %s", created.raw)
	}
	if r := send(t, "POST", api, admin, "{}", nil); r.status != http.StatusCreated {
		t.Errorf("create with an empty object: %d %s", r.status, r.raw)
	}
	otherKey := send(t, "POST", api, otherAdmin, nil, nil).str("key")

	list := send(t, "GET", api, readOnly, nil, nil)
	items, _ := list.doc["items"].([]any)
	if list.status != http.StatusOK || len(items) != 2 {
		t.Fatalf("list: %d, %d keys, want 200 and 2: %s", list.status, len(items), list.raw)
	}
	if first, _ := items[0].(map[string]any); first["key"] != key {
		t.Errorf("list: first key %v, want %s (creation order)", first["key"], key)
	}
	if l := send(t, "GET", api, otherAdmin, nil, nil); strings.Contains(string(l.raw), key) {
		t.Error("another tenant's list shows this tenant's key")
	}

	// The public lookup: no credential, any origin, short caching, public
	// values only.
	pub := send(t, "GET", s.URL+"/api/v1/install/"+key, "", nil, http.Header{"Origin": {"https://shop.example.net"}})
	if pub.status != http.StatusOK {
		t.Fatalf("install lookup: %d %s", pub.status, pub.raw)
	}
	if got := pub.header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin: got %q, want *", got)
	}
	if got := pub.header.Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("Access-Control-Allow-Credentials: got %q, want none", got)
	}
	if got := pub.header.Get("Cache-Control"); got != "public, max-age=60" {
		t.Errorf("Cache-Control: got %q, want public, max-age=60", got)
	}
	want := map[string]any{
		"tenant_slug": "acme", "tenant_name": "Tenant acme",
		"branding": map[string]any{"logo_uri": "https://cdn.example.com/acme.png", "primary_color": "#1a73e8"},
		"widget":   map[string]any{"position": "bottom-right", "greeting": "Hi!"},
	}
	if got, _ := json.Marshal(pub.doc); string(got) != string(mustMarshal(t, want)) {
		t.Errorf("install settings: got %s, want %s", got, mustMarshal(t, want))
	}
	if strings.Contains(string(pub.raw), acme.ID) || strings.Contains(string(pub.raw), "sso") {
		t.Errorf("install settings reveal more than the widget's public values: %s", pub.raw)
	}
	if r := send(t, "GET", s.URL+"/t/acme/api/v1/install/"+key, "", nil, nil); r.status != http.StatusOK {
		t.Errorf("lookup under the tenant's own issuer: %d", r.status)
	}

	tests := []struct {
		name     string
		method   string
		path     string
		key      string
		body     any
		header   http.Header
		wantCode int
		wantErr  string
	}{
		{"no key", "GET", "/api/v1/installkeys", "", nil, nil, 401, "unauthorized"},
		{"a key without the read scope", "GET", "/api/v1/installkeys", noScope, nil, nil, 403, "forbidden"},
		{"a read-only key cannot create", "POST", "/api/v1/installkeys", readOnly, nil, nil, 403, "forbidden"},
		{"a read-only key cannot rotate", "POST", "/api/v1/installkeys/" + id + "/rotate", readOnly, nil, nil, 403, "forbidden"},
		{"a read-only key cannot revoke", "DELETE", "/api/v1/installkeys/" + id, readOnly, nil, nil, 403, "forbidden"},
		{"a key from a browser", "POST", "/api/v1/installkeys", admin, nil, http.Header{"Origin": {"https://evil.example"}}, 403, "forbidden"},
		{"another tenant's key cannot rotate", "POST", "/api/v1/installkeys/" + id + "/rotate", otherAdmin, nil, nil, 404, "not_found"},
		{"another tenant's key cannot revoke", "DELETE", "/api/v1/installkeys/" + id, otherAdmin, nil, nil, 404, "not_found"},
		{"rotate an unknown key", "POST", "/api/v1/installkeys/00000000-0000-7000-8000-000000000000/rotate", admin, nil, nil, 404, "not_found"},
		{"revoke an unknown key", "DELETE", "/api/v1/installkeys/nope", admin, nil, nil, 404, "not_found"},
		{"an unknown field", "POST", "/api/v1/installkeys", admin, map[string]any{"tenant_id": other.ID}, nil, 422, "invalid"},
		{"a body that is not JSON", "POST", "/api/v1/installkeys", admin, "{tenant", nil, 400, "malformed"},
		{"an install key as an API key", "GET", "/api/v1/installkeys", key, nil, nil, 401, "unauthorized"},
		{"an install key as an API key, minting", "POST", "/api/v1/runtime/tokens", key, map[string]any{"external_id": "u1", "services": []string{"chat"}}, nil, 401, "unauthorized"},
		{"unknown install key", "GET", "/api/v1/install/" + gatehouse.PrefixInstallKey + "AAAAAAAAAAAAAAAAAAAAAA", "", nil, nil, 404, "not_found"},
		{"an API key as install key", "GET", "/api/v1/install/" + admin, "", nil, nil, 404, "not_found"},
		{"an overlong install key", "GET", "/api/v1/install/" + gatehouse.PrefixInstallKey + strings.Repeat("A", 200), "", nil, nil, 404, "not_found"},
		{"another tenant's issuer", "GET", "/t/other/api/v1/install/" + key, "", nil, nil, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, tt.method, s.URL+tt.path, tt.key, tt.body, tt.header)
			if r.status != tt.wantCode || errorCode(r.doc) != tt.wantErr {
				t.Errorf("got %d %q (%s), want %d %q", r.status, errorCode(r.doc), r.raw, tt.wantCode, tt.wantErr)
			}
		})
	}
	if r := send(t, "GET", api, readOnly, nil, nil); len(r.doc["items"].([]any)) != 2 {
		t.Errorf("after the refusals: %s, want the same 2 keys", r.raw)
	}

	// Rotation replaces the key at once; the old one is gone everywhere.
	rotated := send(t, "POST", api+"/"+id+"/rotate", admin, nil, nil)
	if rotated.status != http.StatusCreated {
		t.Fatalf("rotate: %d %s", rotated.status, rotated.raw)
	}
	newKey, newID := rotated.str("key"), rotated.str("id")
	if newKey == key || newID == id || !strings.HasPrefix(newKey, gatehouse.PrefixInstallKey) {
		t.Errorf("rotate: got %s", rotated.raw)
	}
	if r := send(t, "GET", s.URL+"/api/v1/install/"+key, "", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("the rotated-out key: %d, want 404", r.status)
	}
	if r := send(t, "GET", s.URL+"/api/v1/install/"+newKey, "", nil, nil); r.status != http.StatusOK || r.str("tenant_slug") != "acme" {
		t.Errorf("the new key: %d %s", r.status, r.raw)
	}
	if r := send(t, "POST", api+"/"+id+"/rotate", admin, nil, nil); r.status != http.StatusConflict {
		t.Errorf("rotating a revoked key: %d %s, want 409", r.status, r.raw)
	}

	// Revocation stops the key at once; the widget learns it with CORS.
	if r := send(t, "DELETE", api+"/"+newID, admin, nil, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	gone := send(t, "GET", s.URL+"/api/v1/install/"+newKey, "", nil, nil)
	if gone.status != http.StatusNotFound || gone.header.Get("Access-Control-Allow-Origin") != "*" ||
		strings.Contains(gone.header.Get("Cache-Control"), "public") {
		t.Errorf("revoked key: %d, CORS %q, Cache-Control %q; want 404, *, not public",
			gone.status, gone.header.Get("Access-Control-Allow-Origin"), gone.header.Get("Cache-Control"))
	}
	if r := send(t, "DELETE", api+"/"+newID, admin, nil, nil); r.status != http.StatusNoContent {
		t.Errorf("revoking again: %d, want 204", r.status)
	}

	// A disabled tenant's widget learns nothing.
	if r := send(t, "GET", s.URL+"/api/v1/install/"+otherKey, "", nil, nil); r.status != http.StatusOK {
		t.Fatalf("other tenant's key: %d", r.status)
	}
	setTenant(t, s, other.ID, func(tn *gatehouse.Tenant) { tn.Status = gatehouse.StatusDisabled })
	if r := send(t, "GET", s.URL+"/api/v1/install/"+otherKey, "", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("a disabled tenant's key: %d, want 404", r.status)
	}

	// Every change is audited with the key that made it; the lookup is not
	// a change.
	var got []string
	for _, ev := range s.MustAuditEvents(t, acme.ID, "") {
		if strings.HasPrefix(ev.Action, "installkey.") {
			got = append(got, ev.Action+" "+ev.Target)
			if !strings.HasPrefix(ev.Actor, "apikey:") || ev.IP == "" {
				t.Errorf("%s: actor %q, IP %q; want the API key and its address", ev.Action, ev.Actor, ev.IP)
			}
		}
	}
	wantAudit := []string{
		"installkey.create installkey:" + id,
		"installkey.create installkey:" + created2ID(t, s, acme.ID, id, newID),
		"installkey.rotate installkey:" + id,
		"installkey.revoke installkey:" + newID,
		"installkey.revoke installkey:" + newID,
	}
	if !slices.Equal(got, wantAudit) {
		t.Errorf("audit:\n got %q\nwant %q", got, wantAudit)
	}
}

// created2ID returns the id of the tenant's key that is neither a nor b:
// the one created with an empty object.
func created2ID(t *testing.T, s *gatehousetest.Server, tenantID, a, b string) string {
	t.Helper()
	keys, err := s.Store.ListInstallKeys(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID != a && k.ID != b {
			return k.ID
		}
	}
	t.Fatal("no third install key")
	return ""
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInstallKeyGrantsNothing presents an install key where OAuth
// credentials are expected.
func TestInstallKeyGrantsNothing(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	k, err := s.App.Admin.CreateInstallKey(context.Background(), gatehousetest.Actor(), acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := s.MustClient(t, acme.ID, func(c *gatehouse.Client) { c.GrantTypes = []string{"client_credentials"} })

	if r := send(t, "GET", s.URL+"/oauth/userinfo", k.Key, nil, nil); r.status != http.StatusUnauthorized {
		t.Errorf("as a bearer token at userinfo: %d, want 401", r.status)
	}
	tokenReq := func(user, pass string) int { return clientCredentialsToken(t, s, user, pass) }
	if got := tokenReq(c.ClientID, c.ClientSecret); got != http.StatusOK {
		t.Fatalf("the client's own secret: %d, want 200", got)
	}
	if got := tokenReq(c.ClientID, k.Key); got != http.StatusUnauthorized {
		t.Errorf("as a client secret: %d, want 401", got)
	}
	if got := tokenReq(k.Key, k.Key); got != http.StatusUnauthorized {
		t.Errorf("as a client id and secret: %d, want 401", got)
	}
	r := send(t, "POST", s.URL+"/api/v1/runtime/tokens/verify", "", map[string]any{"token": k.Key}, nil)
	if r.status != http.StatusOK || r.doc["active"] != false {
		t.Errorf("as a runtime token: %d %s, want inactive", r.status, r.raw)
	}
}
