package oauth

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func TestCodeParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		code, state, iss string
		want             string
	}{
		{"all", "c0de", "xyz", "https://id.example.com", "code=c0de&iss=https%3A%2F%2Fid.example.com&state=xyz"},
		{"no state", "c0de", "", "https://id.example.com", "code=c0de&iss=https%3A%2F%2Fid.example.com"},
		{"code only", "c0de", "", "", "code=c0de"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CodeParams(tt.code, tt.state, tt.iss).Encode(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        *Error
		state, iss string
		want       string
	}{
		{"full", AccessDenied("the user refused"), "s t", "https://id.example.com/t/acme",
			"error=access_denied&error_description=the+user+refused&iss=https%3A%2F%2Fid.example.com%2Ft%2Facme&state=s+t"},
		{"no description", &Error{Code: CodeLoginRequired}, "s", "https://id.example.com",
			"error=login_required&iss=https%3A%2F%2Fid.example.com&state=s"},
		{"no state", InvalidScope("scope x is unknown"), "", "https://id.example.com",
			"error=invalid_scope&error_description=scope+x+is+unknown&iss=https%3A%2F%2Fid.example.com"},
		{"nil error", nil, "", "",
			"error=server_error&error_description=the+server+could+not+complete+the+request"},
		{"hand-built description is sanitized", &Error{Code: CodeInvalidRequest, Description: "bad\r\n\"x\""}, "", "",
			"error=invalid_request&error_description=bad%3F%3F%27x%27"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ErrorParams(tt.err, tt.state, tt.iss).Encode(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriteAuthorizeResponseQuery(t *testing.T) {
	t.Parallel()
	params := CodeParams("c0de", "st&te", "https://id.example.com")
	enc := "code=c0de&iss=https%3A%2F%2Fid.example.com&state=st%26te"
	tests := []struct {
		name     string
		redirect string
		mode     string
		params   url.Values
		want     string
	}{
		{"plain", "https://app.example.com/cb", "", params, "https://app.example.com/cb?" + enc},
		{"explicit query mode", "https://app.example.com/cb", "query", params, "https://app.example.com/cb?" + enc},
		{"keeps its own query as registered", "https://app.example.com/cb?b=2&a=%2f", "", params,
			"https://app.example.com/cb?b=2&a=%2f&" + enc},
		{"trailing question mark", "https://app.example.com/cb?", "", params, "https://app.example.com/cb?" + enc},
		{"trailing ampersand", "https://app.example.com/cb?x=1&", "", params, "https://app.example.com/cb?x=1&" + enc},
		{"fragment dropped", "https://app.example.com/cb?x=1#frag", "", params, "https://app.example.com/cb?x=1&" + enc},
		{"loopback with port", "http://127.0.0.1:53121/callback", "", params, "http://127.0.0.1:53121/callback?" + enc},
		{"private-use scheme", "com.example.app:/oauth2redirect", "", params, "com.example.app:/oauth2redirect?" + enc},
		{"no params", "https://app.example.com/cb", "", nil, "https://app.example.com/cb"},
		{"error params", "https://app.example.com/cb", "", ErrorParams(AccessDenied("no"), "s", ""),
			"https://app.example.com/cb?error=access_denied&error_description=no&state=s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
			err := WriteAuthorizeResponse(rec, r, AuthorizeResponse{RedirectURI: tt.redirect, ResponseMode: tt.mode, Params: tt.params})
			if err != nil {
				t.Fatalf("WriteAuthorizeResponse: %v", err)
			}
			if rec.Code != http.StatusSeeOther {
				t.Errorf("got status %d, want 303", rec.Code)
			}
			if got := rec.Header().Get("Location"); got != tt.want {
				t.Errorf("got Location %q, want %q", got, tt.want)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("got Cache-Control %q, want no-store", got)
			}
		})
	}
}

func TestWriteAuthorizeResponseRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		redirect string
		mode     string
	}{
		{"empty", "", ""},
		{"fragment only", "#x", ""},
		{"relative", "/cb", ""},
		{"scheme-relative", "//app.example.com/cb", ""},
		{"control character", "https://app.example.com/cb\r\nSet-Cookie: a=b", ""},
		{"opaque", "mailto:someone@example.com", ""},
		{"unparsable", "https://[::1/cb", ""},
		{"fragment mode", "https://app.example.com/cb", "fragment"},
		{"unknown mode", "https://app.example.com/cb", "web_message"},
		{"form_post to an unnameable host", "https://app.example.com'/cb", "form_post"},
		{"form_post to an unnameable scheme", "x;y://a/cb", "form_post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
			err := WriteAuthorizeResponse(rec, r, AuthorizeResponse{
				RedirectURI: tt.redirect, ResponseMode: tt.mode, Params: CodeParams("c", "s", "i"),
			})
			if err == nil {
				t.Fatalf("got no error, want one; Location %q", rec.Header().Get("Location"))
			}
			if len(rec.Header()) != 0 || rec.Body.Len() != 0 || rec.Code != http.StatusOK || rec.Flushed {
				t.Errorf("wrote a response: headers %v, body %q", rec.Header(), rec.Body.String())
			}
		})
	}
}

var (
	scriptNonce = regexp.MustCompile(`<script nonce="([A-Za-z0-9_-]+)">`)
	cspNonce    = regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]+)'`)
)

func TestWriteAuthorizeResponseFormPost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		redirect   string
		wantAction string
		wantOrigin string
	}{
		{"https", "https://App.Example.com/cb?x=1&y=2#f", "https://App.Example.com/cb?x=1&amp;y=2", "https://app.example.com"},
		{"loopback with port", "http://127.0.0.1:8080/cb", "http://127.0.0.1:8080/cb", "http://127.0.0.1:8080"},
		{"IPv6 loopback", "http://[::1]:8080/cb", "http://[::1]:8080/cb", "http://[::1]:8080"},
		{"private-use scheme", "com.example.app:/cb", "com.example.app:/cb", "com.example.app:"},
		{"quotes in the query are escaped", `https://app.example.com/cb?q="><script>`,
			"https://app.example.com/cb?q=&#34;&gt;&lt;script&gt;", "https://app.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
			rec.Header().Set("Content-Security-Policy", "default-src 'self'")
			params := url.Values{"code": {"c0de"}, "state": {`"><script>alert(1)</script>`}}
			if err := WriteAuthorizeResponse(rec, r, AuthorizeResponse{RedirectURI: tt.redirect, ResponseMode: ResponseModeFormPost, Params: params}); err != nil {
				t.Fatalf("WriteAuthorizeResponse: %v", err)
			}
			h := rec.Header()
			if rec.Code != http.StatusOK {
				t.Errorf("got status %d, want 200", rec.Code)
			}
			for name, want := range map[string]string{
				"Content-Type":   "text/html; charset=utf-8",
				"Cache-Control":  "no-store",
				"Pragma":         "no-cache",
				"Content-Length": strconv.Itoa(rec.Body.Len()),
			} {
				if got := h.Get(name); got != want {
					t.Errorf("got %s %q, want %q", name, got, want)
				}
			}
			csps := h.Values("Content-Security-Policy")
			if len(csps) != 1 {
				t.Fatalf("got %d policies %q, want 1", len(csps), csps)
			}
			csp := csps[0]
			for _, want := range []string{"default-src 'none'", "form-action " + tt.wantOrigin + ";", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("policy %q lacks %q", csp, want)
				}
			}
			body := rec.Body.String()
			m1, m2 := cspNonce.FindStringSubmatch(csp), scriptNonce.FindStringSubmatch(body)
			if m1 == nil || m2 == nil || m1[1] != m2[1] || len(m1[1]) < 22 {
				t.Errorf("policy nonce %q and script nonce %q do not match", m1, m2)
			}
			if want := `action="` + tt.wantAction + `"`; !strings.Contains(body, want) {
				t.Errorf("page lacks %s:\n%s", want, body)
			}
			if strings.Contains(body, "<script>alert") || strings.Contains(body, `"><`) {
				t.Errorf("page does not escape the parameters:\n%s", body)
			}
			if !strings.Contains(body, `value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`) {
				t.Errorf("page lacks the escaped state:\n%s", body)
			}
		})
	}
}

func TestFormPostNonceIsFresh(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 20 {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
		if err := WriteAuthorizeResponse(rec, r, AuthorizeResponse{RedirectURI: "https://a.example/cb", ResponseMode: "form_post"}); err != nil {
			t.Fatal(err)
		}
		m := cspNonce.FindStringSubmatch(rec.Header().Get("Content-Security-Policy"))
		if m == nil || seen[m[1]] {
			t.Fatalf("nonce %q missing or repeated", m)
		}
		seen[m[1]] = true
	}
}

func TestFormPostHead(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodHead, "/oauth/authorize", nil)
	if err := WriteAuthorizeResponse(rec, r, AuthorizeResponse{RedirectURI: "https://a.example/cb", ResponseMode: "form_post"}); err != nil {
		t.Fatal(err)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("got a %d-byte body for HEAD, want none", rec.Body.Len())
	}
}

func TestFormPostPageGolden(t *testing.T) {
	t.Parallel()
	params := url.Values{
		"state": {`a"b<c>&d'e`},
		"code":  {"SplxlOBeZQQYbYS6WxSbIA"},
		"iss":   {"https://id.example.com/t/acme"},
	}
	got := formPostPage("https://client.example.org/cb?tenant=a&x=<y>", params, "bm9uY2Vub25jZW5vbmNl")
	golden := filepath.Join("testdata", "form_post.golden.html")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("page differs from %s (run with -update if intended):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestCSPOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		scheme, host string
		want         string
		wantErr      bool
	}{
		{"https", "https", "app.example.com", "https://app.example.com", false},
		{"upper case", "HTTPS", "APP.example.com", "https://app.example.com", false},
		{"port", "https", "app.example.com:8443", "https://app.example.com:8443", false},
		{"IPv6", "http", "[::1]:80", "http://[::1]:80", false},
		{"private-use", "com.example.app", "", "com.example.app:", false},
		{"semicolon in host", "https", "a;script-src", "", true},
		{"space in host", "https", "a b", "", true},
		{"quote in host", "https", "a'b", "", true},
		{"wildcard host", "https", "*", "", true},
		{"semicolon in scheme", "a;b", "", "", true},
		{"space in scheme", "a b", "x", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := cspOrigin(&url.URL{Scheme: tt.scheme, Host: tt.host, Path: "/cb"})
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckResponseMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode, want string
	}{
		{"", ""},
		{"query", ""},
		{"form_post", ""},
		{"fragment", "invalid_request"},
		{"query.jwt", "invalid_request"},
		{"web_message", "invalid_request"},
		{"QUERY", "invalid_request"},
		{"form_post ", "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			wantCode(t, CheckResponseMode(tt.mode), tt.want)
		})
	}
}
