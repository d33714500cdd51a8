package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// apiCall sends one management API request to a path of s (see send)
// and returns the status and the decoded answer; an answer that is not
// JSON fails the test.
func apiCall(t *testing.T, s *gatehousetest.Server, method, path, key string, body any, header http.Header) (int, map[string]any) {
	t.Helper()
	r := send(t, method, s.URL+path, key, body, header)
	if len(r.raw) > 0 && r.doc == nil {
		t.Fatalf("%s %s: %d, body is not JSON: %q", method, path, r.status, r.raw)
	}
	return r.status, r.doc
}

func mustKey(t *testing.T, s *gatehousetest.Server, tenantID string, scopes ...string) string {
	t.Helper()
	_, value, err := s.App.Admin.CreateAPIKey(context.Background(), gatehousetest.Actor(), tenantID,
		admin.APIKeyInput{Name: "backend", Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return value
}

func errorCode(doc map[string]any) string {
	e, _ := doc["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	admin := mustKey(t, s, acme.ID, gatehouse.APIScopeAPIKeysRead, gatehouse.APIScopeAPIKeysWrite)
	readOnly := mustKey(t, s, acme.ID, gatehouse.APIScopeAPIKeysRead)
	otherKey := mustKey(t, s, other.ID, gatehouse.APIScopeAPIKeysRead, gatehouse.APIScopeAPIKeysWrite)

	code, doc := apiCall(t, s, "POST", "/api/v1/apikeys", admin, map[string]any{
		"name": "runtime minting", "scopes": []string{"runtime.tokens.write"},
	}, nil)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, doc)
	}
	newKey, _ := doc["key"].(string)
	id, _ := doc["id"].(string)
	if !strings.HasPrefix(newKey, gatehouse.PrefixAPIKey) || !strings.HasPrefix(newKey, doc["prefix"].(string)) {
		t.Errorf("created key %q with prefix %v", newKey, doc["prefix"])
	}

	code, doc = apiCall(t, s, "GET", "/api/v1/apikeys", readOnly, nil, nil)
	if code != http.StatusOK {
		t.Fatalf("list: %d %v", code, doc)
	}
	items, _ := doc["items"].([]any)
	if len(items) != 3 {
		t.Errorf("list shows %d keys, want 3", len(items))
	}
	for _, it := range items {
		if _, ok := it.(map[string]any)["key"]; ok {
			t.Error("a listed key shows its secret")
		}
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
		{"no key", "GET", "/api/v1/apikeys", "", nil, nil, 401, "unauthorized"},
		{"unknown key", "GET", "/api/v1/apikeys", gatehouse.PrefixAPIKey + "nope", nil, nil, 401, "unauthorized"},
		{"a key without the scope", "POST", "/api/v1/apikeys", readOnly, map[string]any{"name": "x", "scopes": []string{"audit.read"}}, nil, 403, "forbidden"},
		{"a key from a browser", "GET", "/api/v1/apikeys", admin, nil, http.Header{"Origin": {"https://evil.example"}}, 403, "forbidden"},
		{"a key with browser fetch metadata", "GET", "/api/v1/apikeys", admin, nil, http.Header{"Sec-Fetch-Site": {"same-origin"}}, 403, "forbidden"},
		{"another tenant's key cannot revoke", "DELETE", "/api/v1/apikeys/" + id, otherKey, nil, nil, 404, "not_found"},
		{"validation names each field", "POST", "/api/v1/apikeys", admin, map[string]any{"name": "", "scopes": []string{"root"}}, nil, 422, "invalid"},
		{"unknown field", "POST", "/api/v1/apikeys", admin, map[string]any{"name": "x", "scopes": []string{"audit.read"}, "admin": true}, nil, 422, "invalid"},
		{"negative lifetime", "POST", "/api/v1/apikeys", admin, map[string]any{"name": "x", "scopes": []string{"audit.read"}, "ttl_seconds": -5}, nil, 422, "invalid"},
		{"bad limit", "GET", "/api/v1/apikeys?limit=0", admin, nil, nil, 422, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, doc := apiCall(t, s, tt.method, tt.path, tt.key, tt.body, tt.header)
			if code != tt.wantCode || errorCode(doc) != tt.wantErr {
				t.Errorf("got %d %q (%v), want %d %q", code, errorCode(doc), doc, tt.wantCode, tt.wantErr)
			}
		})
	}

	code, doc = apiCall(t, s, "POST", "/api/v1/apikeys", admin, map[string]any{"name": "", "scopes": []string{"root"}}, nil)
	fields := map[string]bool{}
	for _, f := range doc["error"].(map[string]any)["fields"].([]any) {
		fields[f.(map[string]any)["field"].(string)] = true
	}
	if !fields["name"] || !fields["scopes[0]"] {
		t.Errorf("validation fields = %v, want name and scopes[0]", fields)
	}

	// Revoked keys stop at once.
	if code, _ := apiCall(t, s, "DELETE", "/api/v1/apikeys/"+id, admin, nil, nil); code != http.StatusNoContent {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := apiCall(t, s, "GET", "/api/v1/apikeys", newKey, nil, nil); code != http.StatusUnauthorized {
		t.Errorf("revoked key: %d, want 401", code)
	}
}
