package admin_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

func TestTenantSettings(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	s.MustTenant(t, "other")
	rw := mustKey(t, s, acme.ID, gatehouse.APIScopeTenantRead, gatehouse.APIScopeTenantWrite)
	ro := mustKey(t, s, acme.ID, gatehouse.APIScopeTenantRead)

	got := call(t, s, "GET", "/api/v1/tenant", ro, nil, nil)
	if got.status != 200 || got.str("slug") != "acme" || got.header.Get("ETag") != `"1"` {
		t.Fatalf("get: %d %s", got.status, got.raw)
	}
	body := map[string]any{
		"name": "Acme Corp",
		"branding": map[string]any{"logo_uri": "https://cdn.acme.example/logo.svg", "logo_dark_uri": "https://cdn.acme.example/dark.svg",
			"primary_color": "#1a73e8", "background_color": "#fff"},
		"domains":  []string{"Login.Acme.Example"},
		"settings": map[string]any{"sso_return_url": "https://acme.example/sso", "widget": map[string]string{"position": "left"}},
	}
	if r := call(t, s, "PUT", "/api/v1/tenant", rw, body, nil); r.status != 428 {
		t.Errorf("PUT without If-Match: %d, want 428", r.status)
	}
	if r := call(t, s, "PUT", "/api/v1/tenant", ro, body, http.Header{"If-Match": {`"1"`}}); r.status != 403 {
		t.Errorf("PUT with a read-only key: %d, want 403", r.status)
	}
	put := call(t, s, "PUT", "/api/v1/tenant", rw, body, http.Header{"If-Match": {`"1"`}})
	if put.status != 200 || put.str("name") != "Acme Corp" || put.header.Get("ETag") != `"2"` ||
		!slices.Equal(put.doc["domains"].([]any), []any{"login.acme.example"}) {
		t.Fatalf("PUT: %d %s", put.status, put.raw)
	}
	// The custom domain serves the tenant's issuer at once.
	req, _ := http.NewRequest("GET", s.URL+"/.well-known/openid-configuration", nil)
	req.Host = "login.acme.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("discovery on the new domain: %d", resp.StatusCode)
	}
	// A document read with GET can be sent back.
	if r := call(t, s, "PUT", "/api/v1/tenant", rw, put.doc, http.Header{"If-Match": {`"2"`}}); r.status != 200 || r.header.Get("ETag") != `"2"` {
		t.Errorf("sending back what was read: %d %s", r.status, r.header.Get("ETag"))
	}
	if r := call(t, s, "PUT", "/api/v1/tenant", rw, body, http.Header{"If-Match": {`"1"`}}); r.status != 412 {
		t.Errorf("a stale ETag: %d, want 412", r.status)
	}

	validation := []struct {
		name      string
		change    func(b map[string]any)
		wantCode  int
		wantField string
	}{
		{"no name", func(b map[string]any) { delete(b, "name") }, 422, "name"},
		{"a bad color", func(b map[string]any) { b["branding"].(map[string]any)["primary_color"] = "red" }, 422, "branding.primary_color"},
		{"an http logo", func(b map[string]any) { b["branding"].(map[string]any)["logo_uri"] = "http://x.example/l.png" }, 422, "branding.logo_uri"},
		{"a domain with a port", func(b map[string]any) { b["domains"] = []string{"ok.example.com", "login.example.com:8443"} }, 422, "domains[1]"},
		{"an http return URL", func(b map[string]any) { b["settings"].(map[string]any)["sso_return_url"] = "http://acme.example/sso" }, 422, "settings.sso_return_url"},
		{"a slug change", func(b map[string]any) { b["slug"] = "evil" }, 200, ""},
		{"an unknown field", func(b map[string]any) { b["platform_admin"] = true }, 422, "platform_admin"},
		{"a widget value that is not a string", func(b map[string]any) { b["settings"].(map[string]any)["widget"] = map[string]any{"a": 1} }, 422, "settings.widget"},
	}
	for _, tt := range validation {
		t.Run(tt.name, func(t *testing.T) {
			cur := call(t, s, "GET", "/api/v1/tenant", ro, nil, nil)
			b := map[string]any{"name": "Acme Corp", "branding": map[string]any{}, "settings": map[string]any{},
				"domains": []string{"login.acme.example"}}
			tt.change(b)
			r := call(t, s, "PUT", "/api/v1/tenant", rw, b, http.Header{"If-Match": {cur.header.Get("ETag")}})
			if r.status != tt.wantCode || (tt.wantField != "" && !slices.Contains(r.fields(), tt.wantField)) {
				t.Errorf("got %d fields %v (%s), want %d naming %q", r.status, r.fields(), r.raw, tt.wantCode, tt.wantField)
			}
		})
	}
	if r := call(t, s, "GET", "/api/v1/tenant", ro, nil, nil); r.str("slug") != "acme" {
		t.Errorf("the slug changed: %s", r.raw)
	}
	// Another tenant may not take the domain.
	other, err := s.App.Admin.Tenant(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	otherKey := mustKey(t, s, other.ID, gatehouse.APIScopeTenantWrite)
	if r := call(t, s, "PUT", "/api/v1/tenant", otherKey, map[string]any{"name": "Other", "domains": []string{"login.acme.example"}},
		http.Header{"If-Match": {`"1"`}}); r.status != http.StatusConflict {
		t.Errorf("a taken domain: %d %s, want 409", r.status, r.raw)
	}

	// Two PUTs with the same If-Match: exactly one wins.
	cur := call(t, s, "GET", "/api/v1/tenant", ro, nil, nil)
	codes := make([]int, 4)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range codes {
		wg.Go(func() {
			b := map[string]any{"name": "Editor " + string(rune('A'+i))}
			<-start
			codes[i] = send(t, "PUT", s.URL+"/api/v1/tenant", rw, b, http.Header{"If-Match": {cur.header.Get("ETag")}}).status
		})
	}
	close(start)
	wg.Wait()
	if won := countOf(codes, 200); won != 1 || countOf(codes, 412) != len(codes)-1 {
		t.Errorf("concurrent PUTs: %v, want one 200 and the rest 412", codes)
	}
	if evs := s.MustAuditEvents(t, acme.ID, "tenant.update"); len(evs) < 2 || !strings.Contains(evs[0].Details["fields"], "branding.primary_color") {
		t.Errorf("tenant.update events: %+v", evs)
	}
}

func countOf(codes []int, c int) int {
	n := 0
	for _, x := range codes {
		if x == c {
			n++
		}
	}
	return n
}

func TestPlatformTenants(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	platform := s.MustTenant(t, "platform")
	customer := s.MustTenant(t, "customer")
	if err := s.App.Admin.SetPlatformAdmin(ctx, gatehousetest.Actor(), platform.ID, true); err != nil {
		t.Fatal(err)
	}
	admin := mustKey(t, s, platform.ID, gatehouse.APIScopePlatformTenantsRead, gatehouse.APIScopePlatformTenantsWrite)
	plain := mustKey(t, s, platform.ID, gatehouse.APIScopeTenantRead)

	// A customer cannot even mint a key with the platform scopes.
	customerKey := mustKey(t, s, customer.ID, gatehouse.APIScopeAPIKeysWrite)
	r := call(t, s, "POST", "/api/v1/apikeys", customerKey, map[string]any{"name": "x", "scopes": []string{"audit.read", "platform.tenants.write"}}, nil)
	if r.status != 422 || !slices.Contains(r.fields(), "scopes[1]") {
		t.Errorf("a customer's key with a platform scope: %d %v, want 422 naming scopes[1]", r.status, r.fields())
	}
	platformKeys := mustKey(t, s, platform.ID, gatehouse.APIScopeAPIKeysWrite)
	if r := call(t, s, "POST", "/api/v1/apikeys", platformKeys, map[string]any{"name": "ops", "scopes": []string{"platform.tenants.read"}}, nil); r.status != 201 {
		t.Errorf("the platform's key with a platform scope: %d %s", r.status, r.raw)
	}

	created := call(t, s, "POST", "/api/v1/tenants", admin, map[string]any{"slug": "newco", "name": "NewCo"}, nil)
	if created.status != http.StatusCreated || created.str("slug") != "newco" || created.header.Get("Location") != "/api/v1/tenants/"+created.str("id") {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	if r := call(t, s, "GET", "/api/v1/tenants/newco", admin, nil, nil); r.status != 200 || r.str("id") != created.str("id") {
		t.Errorf("get by slug: %d %s", r.status, r.raw)
	}
	if r := call(t, s, "POST", "/api/v1/tenants", admin, map[string]any{"slug": "newco", "name": "Again"}, nil); r.status != 409 {
		t.Errorf("a taken slug: %d, want 409", r.status)
	}
	if r := call(t, s, "POST", "/api/v1/tenants", admin, map[string]any{"slug": "Not A Slug", "name": ""}, nil); r.status != 422 ||
		!slices.Contains(r.fields(), "slug") || !slices.Contains(r.fields(), "name") {
		t.Errorf("a bad tenant: %d %v", r.status, r.fields())
	}
	var slugs []string
	for cursor := ""; ; {
		r := call(t, s, "GET", "/api/v1/tenants?limit=2&cursor="+cursor, admin, nil, nil)
		for _, it := range r.doc["items"].([]any) {
			slugs = append(slugs, it.(map[string]any)["slug"].(string))
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	if !slices.Equal(slugs, []string{"platform", "customer", "newco"}) {
		t.Errorf("tenants: %v", slugs)
	}

	// Only keys of the platform's tenant, with the scope.
	customerAdmin := mustKey(t, s, customer.ID, gatehouse.APIScopeTenantRead)
	refusals := []struct {
		name string
		key  string
	}{
		{"a platform key without the scope", plain},
		{"a customer's key", customerAdmin},
	}
	for _, tt := range refusals {
		if r := call(t, s, "GET", "/api/v1/tenants", tt.key, nil, nil); r.status != 403 {
			t.Errorf("%s: %d, want 403", tt.name, r.status)
		}
	}
	if err := s.App.Admin.SetPlatformAdmin(ctx, gatehousetest.Actor(), platform.ID, false); err != nil {
		t.Fatal(err)
	}
	if r := call(t, s, "GET", "/api/v1/tenants", admin, nil, nil); r.status != 403 {
		t.Errorf("after unmarking the platform tenant: %d, want 403", r.status)
	}
	// Both chains record the creation, naming the key.
	adminID := apiKeyID(t, s, platform.ID, admin)
	if evs := s.MustAuditEvents(t, platform.ID, "platform.tenant.create"); len(evs) != 1 || evs[0].Actor != "apikey:"+adminID {
		t.Errorf("platform chain: %+v", evs)
	}
	if evs := s.MustAuditEvents(t, created.str("id"), "tenant.create"); len(evs) != 1 || evs[0].Actor != "apikey:"+adminID {
		t.Errorf("new tenant's chain: %+v", evs)
	}
}
