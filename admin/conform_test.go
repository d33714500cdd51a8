package admin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// The tests of the new endpoints send their requests through call, which
// checks every JSON answer against the response schema that
// docs/openapi.json gives for its operation and status: the document
// cannot drift from what the server writes.

// openAPIDoc is docs/openapi.json, decoded once for all tests.
var openAPIDoc = sync.OnceValues(func() (map[string]any, error) {
	b, err := os.ReadFile("../docs/openapi.json")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	return doc, json.Unmarshal(b, &doc)
})

// call sends one request like send and checks the answer against the
// document. path is relative to the server (it may carry a query and a
// /t/{slug} issuer prefix).
func call(t *testing.T, s *gatehousetest.Server, method, path, key string, body any, header http.Header) response {
	t.Helper()
	r := send(t, method, s.URL+path, key, body, header)
	conform(t, method, path, r)
	return r
}

// upload sends a raw body with a content type.
func upload(t *testing.T, s *gatehousetest.Server, method, path, key, ctype string, body []byte, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", ctype)
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
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(out.raw, &out.doc); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, out.raw)
		}
	}
	conform(t, method, path, out)
	return out
}

// conform checks a JSON answer against its operation's schema. An answer
// with a status the operation does not document fails the test.
func conform(t *testing.T, method, target string, r response) {
	t.Helper()
	doc, err := openAPIDoc()
	if err != nil {
		t.Fatalf("read docs/openapi.json: %v", err)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	// Matched on the escaped path, so an encoded slash inside a path
	// value stays inside its segment, as the server routes it.
	p := u.EscapedPath()
	if strings.HasPrefix(p, "/t/") {
		if i := strings.Index(p[3:], "/"); i >= 0 {
			p = p[3+i:]
		}
	}
	op := findOperation(doc, strings.ToLower(method), p)
	if op == nil {
		t.Errorf("%s %s: no operation in docs/openapi.json", method, p)
		return
	}
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(r.status)].(map[string]any)
	if !ok {
		t.Errorf("%s %s answered %d, which the document does not list (%s)", method, p, r.status, r.raw)
		return
	}
	resp = resolve(doc, resp)
	content, _ := resp["content"].(map[string]any)
	jsonContent, _ := content["application/json"].(map[string]any)
	if jsonContent == nil || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		return
	}
	var v any
	if err := json.Unmarshal(r.raw, &v); err != nil {
		t.Errorf("%s %s: %d body is not JSON: %v", method, p, r.status, err)
		return
	}
	schema, _ := jsonContent["schema"].(map[string]any)
	if problems := validate(doc, schema, v, "$"); len(problems) > 0 {
		t.Errorf("%s %s: the %d answer does not match the document:\n  %s\nbody: %s", method, p, r.status,
			strings.Join(problems, "\n  "), r.raw)
	}
}

// findOperation matches a request path against the document's templated
// paths: literal segments first, as ServeMux does.
func findOperation(doc map[string]any, method, path string) map[string]any {
	paths, _ := doc["paths"].(map[string]any)
	var best map[string]any
	bestLiterals := -1
	segs := strings.Split(path, "/")
	for tmpl, item := range paths {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i := range ts {
			switch {
			case strings.HasPrefix(ts[i], "{"):
			case ts[i] == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if !ok {
			continue
		}
		if op, has := item.(map[string]any)[method].(map[string]any); has && literals > bestLiterals {
			best, bestLiterals = op, literals
		}
	}
	return best
}

// resolve follows a $ref to the components.
func resolve(doc map[string]any, s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		s = cur.(map[string]any)
	}
}

// validate checks v against the subset of JSON Schema the document uses
// and returns each problem with its JSON path.
func validate(doc, schema map[string]any, v any, at string) []string {
	if schema == nil {
		return nil
	}
	schema = resolve(doc, schema)
	var out []string
	if all, ok := schema["allOf"].([]any); ok {
		for _, s := range all {
			out = append(out, validate(doc, s.(map[string]any), v, at)...)
		}
	}
	if one, ok := schema["oneOf"].([]any); ok {
		matched := 0
		for _, s := range one {
			if len(validate(doc, s.(map[string]any), v, at)) == 0 {
				matched++
			}
		}
		if matched != 1 {
			out = append(out, fmt.Sprintf("%s: matches %d of the oneOf schemas, want 1", at, matched))
		}
	}
	if typ, ok := schema["type"]; ok && !typeMatches(typ, v) {
		return append(out, fmt.Sprintf("%s: %v is not of type %v", at, short(v), typ))
	}
	if enum, ok := schema["enum"].([]any); ok && v != nil && !slices.Contains(enum, v) {
		out = append(out, fmt.Sprintf("%s: %v is not one of %v", at, short(v), enum))
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		req, _ := schema["required"].([]any)
		for _, name := range req {
			if _, ok := x[name.(string)]; !ok {
				out = append(out, fmt.Sprintf("%s: lacks the required %s", at, name))
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				out = append(out, validate(doc, ps, x[k], at+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					out = append(out, fmt.Sprintf("%s: has %s, which the schema does not list", at, k))
				}
			case map[string]any:
				out = append(out, validate(doc, ap, x[k], at+"."+k)...)
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range x {
				out = append(out, validate(doc, items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return out
}

func typeMatches(typ, v any) bool {
	if list, ok := typ.([]any); ok {
		for _, t := range list {
			if typeMatches(t, v) {
				return true
			}
		}
		return false
	}
	switch typ {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// TestOpenAPIServed checks that the server serves docs/openapi.json, to
// anyone.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	want, err := os.ReadFile("../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	r := send(t, "GET", s.URL+"/api/v1/openapi.json", "", nil, nil)
	if r.status != http.StatusOK || !bytes.Equal(r.raw, want) || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /api/v1/openapi.json: %d %q, %d bytes; want 200 and docs/openapi.json", r.status, r.header.Get("Content-Type"), len(r.raw))
	}
	if r := send(t, "GET", s.URL+"/t/nope/api/v1/openapi.json", "", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("at an unknown tenant's issuer: %d, want 404", r.status)
	}
}
