package admin_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestNoServerErrorForBadInput sends every documented operation hostile
// path values, query values and bodies with a key that holds every scope:
// whatever the input, the answer is never a 5xx, and every JSON answer
// is one the document describes.
func TestNoServerErrorForBadInput(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	platform := s.MustTenant(t, "platform")
	if err := s.App.Admin.SetPlatformAdmin(ctx, gatehousetest.Actor(), platform.ID, true); err != nil {
		t.Fatal(err)
	}
	key := mustKey(t, s, platform.ID, gatehouse.APIScopes()...)
	c := s.MustClient(t, platform.ID, nil)
	s.MustUser(t, platform.ID, "ana", "")

	doc, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	type op struct{ method, path string }
	var ops []op
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			ops = append(ops, op{strings.ToUpper(method), path})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })

	ids := []string{c.ID, "ana", "nope", "%00", "%ff%fe", strings.Repeat("a", 2000), "..%2F..", "00000000-0000-7000-8000-000000000000",
		"%27%20OR%201%3D1--"}
	bodies := []string{`null`, `"text"`, `[1,2]`, `{}`, `{"name":{"$gt":""}}`, `{"name":"` + strings.Repeat("x", 5000) + `"}`,
		`{"roles":null,"scopes":[null],"password":1e309}`, strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000),
		`{"config":{"redirect_uris":["` + "\x00" + `"]}}`, "{\"name\":\"\xff\xfe\"}", `{"expires_at":"9999-99-99T99:99:99Z"}`,
		`{"ttl_seconds":-9223372036854775808,"grace_seconds":9223372036854775807}`, `{"status":"disabled","email":7}`}
	queries := []string{"", "?limit=-1", "?limit=99999999999999999999", "?cursor=%00", "?since=%ff", "?format=../../etc", "?v=%00"}
	headers := []http.Header{nil, {"If-Match": {`"1"`}}, {"If-Match": {`"9999999999999999999999"`}}, {"If-Match": {`W/"x", "`}}}

	for _, o := range ops {
		t.Run(o.method+" "+o.path, func(t *testing.T) {
			for i, id := range ids {
				path := strings.NewReplacer("{id}", id, "{credential}", id, "{key}", id).Replace(o.path)
				for j, body := range bodies {
					if o.method == "GET" && j > 0 {
						break
					}
					q := queries[(i+j)%len(queries)]
					h := headers[(i+j)%len(headers)]
					var r response
					if strings.HasSuffix(o.path, "/logo") || strings.HasSuffix(o.path, "/logo-dark") {
						r = upload(t, s, o.method, path+q, key, "application/octet-stream", []byte(body), h)
					} else {
						r = call(t, s, o.method, path+q, key, body, h)
					}
					if r.status >= 500 {
						t.Errorf("%s %s%s with %.40q: %d %s", o.method, path, q, body, r.status, r.raw)
					}
				}
			}
		})
	}
}

// TestUnknownOperation checks that a request under /api/v1/ that no
// operation takes is answered in the API's JSON, as every other error.
func TestUnknownOperation(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeTenantRead)
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantAllow          string
	}{
		{"unknown path", "GET", "/api/v1/nope", http.StatusNotFound, ""},
		{"unknown path on a tenant issuer", "POST", "/t/acme/api/v1/clients/x/nope", http.StatusNotFound, ""},
		{"a path variable that is a lone %2F", "GET", "/api/v1/users/%2F", http.StatusNotFound, ""},
		{"a lone %2F before a sub-resource", "PUT", "/api/v1/users/%2F/roles", http.StatusNotFound, ""},
		{"method the path does not take", "DELETE", "/api/v1/tenant", http.StatusMethodNotAllowed, "GET, HEAD, PUT"},
		{"method of a path with a variable", "PATCH", "/api/v1/clients/x", http.StatusMethodNotAllowed, "GET, HEAD, PUT, DELETE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, tt.method, s.URL+tt.path, key, nil, nil)
			if r.status != tt.wantStatus || errorCode(r.doc) != gatehouse.ENOTFOUND {
				t.Errorf("got %d %q (%s), want %d %q", r.status, errorCode(r.doc), r.raw, tt.wantStatus, gatehouse.ENOTFOUND)
			}
			if got := r.header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("got Allow %q, want %q", got, tt.wantAllow)
			}
		})
	}
}
