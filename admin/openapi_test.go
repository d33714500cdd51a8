package admin

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/token"
)

var update = flag.Bool("update", false, "rewrite docs/openapi.json from the code")

const openAPIFile = "../docs/openapi.json"

// TestOpenAPIFile checks that docs/openapi.json is the document the server
// serves, byte for byte.
func TestOpenAPIFile(t *testing.T) {
	t.Parallel()
	got := OpenAPI()
	if *update {
		if err := os.WriteFile(openAPIFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatalf("%v (run go test ./admin -run OpenAPIFile -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not the document the code generates; run go test ./admin -run OpenAPIFile -update", openAPIFile)
	}
	if bytes.Contains(got, []byte("no schema for")) {
		t.Errorf("the document names a type it cannot describe")
	}
}

// routes records what Register registers.
type routes struct{ patterns []string }

func (r *routes) HandleAPI(p string, _ http.Handler)       { r.patterns = append(r.patterns, p) }
func (r *routes) HandleAPIUpload(p string, _ http.Handler) { r.patterns = append(r.patterns, p) }
func (r *routes) HandlePage(p string, _ http.Handler)      { r.patterns = append(r.patterns, p) }

// TestOpenAPICoversRoutes walks the document and the registered routes:
// every route is documented, every documented operation is registered.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	rec := &routes{}
	NewAPI(APIOptions{Runtime: token.NewRuntime(token.RuntimeOptions{})}).Register(rec)

	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	ids := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			id, _ := op.(map[string]any)["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q is empty or repeated", method, path, id)
			}
			ids[id] = true
		}
	}
	for _, p := range rec.patterns {
		if p == apiPrefix {
			// The answer to what no operation takes is not an operation.
			continue
		}
		if !slices.Contains(documented, p) {
			t.Errorf("route %q is registered but not documented", p)
		}
		if strings.Contains(p, "/api/") && !strings.HasPrefix(strings.Fields(p)[1], "/api/v1/") {
			t.Errorf("route %q is outside /api/v1", p)
		}
	}
	for _, d := range documented {
		if !slices.Contains(rec.patterns, d) {
			t.Errorf("operation %q is documented but not registered", d)
		}
	}
	if len(rec.patterns) < 40 {
		t.Errorf("only %d routes registered; the recorder is broken", len(rec.patterns))
	}
}

// TestOpenAPIShape checks what every operation must say: its security
// (a scope, or explicitly none), its answers, and for a change guarded by
// If-Match the precondition errors.
func TestOpenAPIShape(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi: got %v, want 3.1.0", doc["openapi"])
	}
	for path, item := range doc["paths"].(map[string]any) {
		for method, raw := range item.(map[string]any) {
			op := raw.(map[string]any)
			name := strings.ToUpper(method) + " " + path
			sec, ok := op["security"].([]any)
			if !ok {
				t.Errorf("%s: no security", name)
			}
			responses := op["responses"].(map[string]any)
			if len(sec) > 0 {
				for _, st := range []string{"401", "403"} {
					if responses[st] == nil {
						t.Errorf("%s: authenticated but %s is not documented", name, st)
					}
				}
			}
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if d, _ := pm["description"].(string); d == "" {
					t.Errorf("%s: parameter %v has no description", name, pm["name"])
				}
				if pm["name"] == "If-Match" && responses["412"] == nil {
					t.Errorf("%s: takes If-Match but 412 is not documented", name)
				}
				if pm["name"] == "If-Match" && pm["required"] == true && responses["428"] == nil {
					t.Errorf("%s: requires If-Match but 428 is not documented", name)
				}
			}
			if strings.Contains(path, "{") && responses["404"] == nil {
				t.Errorf("%s: has a path parameter but 404 is not documented", name)
			}
		}
	}
}

// TestOpenAPISessionSecurity checks that every operation a dashboard
// session may call lists the session scheme beside the key, and that the
// platform's operations and the public ones do not.
func TestOpenAPISessionSecurity(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	if s, _ := schemes["session"].(map[string]any); s["in"] != "cookie" || s["type"] != "apiKey" {
		t.Errorf("got session scheme %v, want an apiKey scheme in a cookie", schemes["session"])
	}
	withSession := 0
	for path, item := range doc["paths"].(map[string]any) {
		for method, raw := range item.(map[string]any) {
			sec, _ := raw.(map[string]any)["security"].([]any)
			var names []string
			for _, req := range sec {
				for name := range req.(map[string]any) {
					names = append(names, name)
				}
			}
			platform := strings.HasPrefix(path, "/api/v1/tenants")
			want := len(sec) > 0 && !platform
			if got := slices.Contains(names, "session"); got != want {
				t.Errorf("%s %s: session scheme listed %v, want %v (security %v)", strings.ToUpper(method), path, got, want, names)
			}
			if want {
				withSession++
			}
		}
	}
	if withSession < 30 {
		t.Errorf("only %d operations take a session; the walk is broken", withSession)
	}
}
