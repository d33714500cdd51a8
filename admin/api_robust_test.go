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
