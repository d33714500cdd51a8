package oauth

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// newRequest builds a request; a contentType of "-" means none.
func newRequest(method, target, contentType, body string, auth ...string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	switch contentType {
	case "-":
	case "":
		r.Header.Set("Content-Type", formContentType)
	default:
		r.Header.Set("Content-Type", contentType)
	}
	for _, a := range auth {
		r.Header.Add("Authorization", a)
	}
	return r
}

func TestParseForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		wantErr     string
		want        url.Values
	}{
		{name: "simple", body: "grant_type=authorization_code&code=abc",
			want: url.Values{"grant_type": {"authorization_code"}, "code": {"abc"}}},
		{name: "charset parameter", contentType: "application/x-www-form-urlencoded; charset=UTF-8", body: "a=1",
			want: url.Values{"a": {"1"}}},
		{name: "upper-case media type", contentType: "Application/X-WWW-Form-Urlencoded", body: "a=1",
			want: url.Values{"a": {"1"}}},
		{name: "empty body", body: "", want: url.Values{}},
		{name: "empty value is absent", body: "a=1&scope=&b", want: url.Values{"a": {"1"}}},
		{name: "empty and full value count once", body: "scope=&scope=openid", want: url.Values{"scope": {"openid"}}},
		{name: "query is not merged", target: "/oauth/token?code=fromurl", body: "grant_type=x",
			want: url.Values{"grant_type": {"x"}}},
		{name: "escapes decoded", body: "redirect_uri=https%3A%2F%2Fa.example%2Fcb&x=a+b",
			want: url.Values{"redirect_uri": {"https://a.example/cb"}, "x": {"a b"}}},
		{name: "GET", method: http.MethodGet, body: "a=1", wantErr: "invalid_request"},
		{name: "PUT", method: http.MethodPut, body: "a=1", wantErr: "invalid_request"},
		{name: "JSON", contentType: "application/json", body: `{"a":1}`, wantErr: "invalid_request"},
		{name: "multipart", contentType: "multipart/form-data; boundary=x", body: "--x--", wantErr: "invalid_request"},
		{name: "no content type", contentType: "-", body: "a=1", wantErr: "invalid_request"},
		{name: "malformed content type", contentType: "application/x-www-form-urlencoded; =", body: "a=1", wantErr: "invalid_request"},
		{name: "repeated parameter", body: "code=a&code=b", wantErr: "invalid_request"},
		{name: "repeated long parameter name", body: strings.Repeat("n", 5000) + "=a&" + strings.Repeat("n", 5000) + "=b", wantErr: "invalid_request"},
		{name: "bad escape", body: "code=%zz", wantErr: "invalid_request"},
		{name: "semicolon separator", body: "a=1;b=2", wantErr: "invalid_request"},
		{name: "too large", body: "a=" + strings.Repeat("x", MaxFormBody), wantErr: "invalid_request"},
		{name: "largest allowed", body: "a=" + strings.Repeat("x", MaxFormBody-2),
			want: url.Values{"a": {strings.Repeat("x", MaxFormBody-2)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			method, target := tt.method, tt.target
			if method == "" {
				method = http.MethodPost
			}
			if target == "" {
				target = "/oauth/token"
			}
			r := newRequest(method, target, tt.contentType, tt.body)
			err := ParseForm(r)
			wantCode(t, err, tt.wantErr)
			if err != nil {
				if e := ErrorFrom(err); len(e.Description) > maxDescription {
					t.Errorf("description is %d bytes long", len(e.Description))
				}
				return
			}
			if !equalValues(r.PostForm, tt.want) {
				t.Errorf("got PostForm %v, want %v", r.PostForm, tt.want)
			}
			if !equalValues(r.Form, tt.want) {
				t.Errorf("got Form %v, want %v", r.Form, tt.want)
			}
		})
	}
}

func equalValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || len(va) != len(vb) {
			return false
		}
		for i := range va {
			if va[i] != vb[i] {
				return false
			}
		}
	}
	return true
}

func TestParseFormAlreadyParsed(t *testing.T) {
	t.Parallel()
	r := newRequest(http.MethodPost, "/oauth/token", "", "code=a&code=b")
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, ParseForm(r), CodeInvalidRequest)
}

// failingReader fails every read.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestParseFormReadError(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", failingReader{})
	r.Header.Set("Content-Type", formContentType)
	wantCode(t, ParseForm(r), CodeInvalidRequest)
}

func TestParseClientAuth(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 600)
	tests := []struct {
		name    string
		target  string
		body    string
		auth    []string
		want    ClientAuth
		wantErr string
	}{
		{name: "basic", body: "grant_type=client_credentials", auth: []string{basic("app", "s3cret")},
			want: ClientAuth{ClientID: "app", Secret: "s3cret", Method: AuthMethodBasic}},
		{name: "basic with form-encoded values", body: "grant_type=x", auth: []string{basic("my%3Aapp", "a%2Bb+c%25")},
			want: ClientAuth{ClientID: "my:app", Secret: "a+b c%", Method: AuthMethodBasic}},
		{name: "basic lower-case scheme and extra spaces", body: "grant_type=x", auth: []string{"basic   " + base64.StdEncoding.EncodeToString([]byte("app:pw")) + " "},
			want: ClientAuth{ClientID: "app", Secret: "pw", Method: AuthMethodBasic}},
		{name: "basic with a colon in the secret", body: "grant_type=x", auth: []string{basic("app", "a:b")},
			want: ClientAuth{ClientID: "app", Secret: "a:b", Method: AuthMethodBasic}},
		{name: "basic and the same client_id in the body", body: "client_id=app", auth: []string{basic("app", "pw")},
			want: ClientAuth{ClientID: "app", Secret: "pw", Method: AuthMethodBasic}},
		{name: "post", body: "client_id=app&client_secret=pw",
			want: ClientAuth{ClientID: "app", Secret: "pw", Method: AuthMethodPost}},
		{name: "none", body: "client_id=app&code=x",
			want: ClientAuth{ClientID: "app", Method: AuthMethodNone}},
		{name: "empty secret means none", body: "client_id=app&client_secret=",
			want: ClientAuth{ClientID: "app", Method: AuthMethodNone}},

		{name: "nothing", body: "grant_type=x", wantErr: "invalid_client"},
		{name: "basic and client_secret", body: "client_secret=pw", auth: []string{basic("app", "pw")}, wantErr: "invalid_request"},
		{name: "basic and another client_id", body: "client_id=other", auth: []string{basic("app", "pw")}, wantErr: "invalid_request"},
		{name: "secret without id", body: "client_secret=pw", wantErr: "invalid_request"},
		{name: "repeated client_id", body: "client_id=a&client_id=b", wantErr: "invalid_request"},
		{name: "secret in the query", target: "/oauth/token?client_secret=pw", body: "client_id=app", wantErr: "invalid_request"},
		{name: "client_id in the query", target: "/oauth/token?client_id=app", body: "grant_type=x", wantErr: "invalid_request"},
		{name: "secret in the query after 10,000 parameters", target: "/oauth/token?" + strings.Repeat("a&", 10000) + "client_secret=pw",
			body: "client_id=app&client_secret=pw", wantErr: "invalid_request"},
		{name: "client_id in the query after a semicolon", target: "/oauth/token?a=1;client_id=app", body: "client_id=app", wantErr: "invalid_request"},
		{name: "encoded client_id in the query", target: "/oauth/token?client%5Fid=app", body: "client_id=app", wantErr: "invalid_request"},
		{name: "other parameters in the query", target: "/oauth/token?client=app&x_client_id=1&%zz", body: "client_id=app",
			want: ClientAuth{ClientID: "app", Method: AuthMethodNone}},
		{name: "client assertion", body: "client_id=app&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=e30", wantErr: "invalid_client"},
		{name: "two authorization headers", body: "grant_type=x", auth: []string{basic("a", "b"), basic("a", "b")}, wantErr: "invalid_request"},
		{name: "bearer scheme", body: "grant_type=x", auth: []string{"Bearer abc"}, wantErr: "invalid_client"},
		{name: "empty authorization header", body: "client_id=app", auth: []string{""}, wantErr: "invalid_client"},
		{name: "scheme only", body: "grant_type=x", auth: []string{"Basic"}, wantErr: "invalid_client"},
		{name: "not base64", body: "grant_type=x", auth: []string{"Basic !!!"}, wantErr: "invalid_client"},
		{name: "unpadded base64", body: "grant_type=x", auth: []string{"Basic YXBwOnB3MQ"}, wantErr: "invalid_client"},
		{name: "no colon", body: "grant_type=x", auth: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("app"))}, wantErr: "invalid_client"},
		{name: "empty id", body: "grant_type=x", auth: []string{basic("", "pw")}, wantErr: "invalid_client"},
		{name: "empty secret", body: "grant_type=x", auth: []string{basic("app", "")}, wantErr: "invalid_client"},
		{name: "bad escape in basic", body: "grant_type=x", auth: []string{basic("app", "100%")}, wantErr: "invalid_client"},
		{name: "long basic id", body: "grant_type=x", auth: []string{basic(long, "pw")}, wantErr: "invalid_client"},
		{name: "long basic secret", body: "grant_type=x", auth: []string{basic("app", long+long)}, wantErr: "invalid_client"},
		{name: "long form id", body: "client_id=" + long, wantErr: "invalid_client"},
		{name: "long form secret", body: "client_id=app&client_secret=" + long, wantErr: "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := tt.target
			if target == "" {
				target = "/oauth/token"
			}
			r := newRequest(http.MethodPost, target, "", tt.body, tt.auth...)
			got, err := ParseClientAuth(r)
			wantCode(t, err, tt.wantErr)
			if err != nil {
				if got != (ClientAuth{}) {
					t.Errorf("got %+v with an error, want the zero value", got)
				}
				if strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q mentions a secret", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseClientAuthParsesTheBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		method  string
		ctype   string
		wantErr string
	}{
		{"POST form", http.MethodPost, "", ""},
		{"GET", http.MethodGet, "", "invalid_request"},
		{"JSON", http.MethodPost, "application/json", "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRequest(tt.method, "/oauth/token", tt.ctype, "client_id=app")
			_, err := ParseClientAuth(r)
			wantCode(t, err, tt.wantErr)
		})
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	const jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		auth        []string
		want        string
		wantPresent bool
		wantErr     string
	}{
		{name: "header", auth: []string{"Bearer " + jwt}, want: jwt, wantPresent: true},
		{name: "header any case", auth: []string{"bEaReR " + jwt}, want: jwt, wantPresent: true},
		{name: "header with padding characters", auth: []string{"Bearer a+b/c=="}, want: "a+b/c==", wantPresent: true},
		{name: "header with extra spaces", auth: []string{"Bearer   " + jwt + " "}, want: jwt, wantPresent: true},
		{name: "POST header", method: http.MethodPost, auth: []string{"Bearer " + jwt}, want: jwt, wantPresent: true},
		{name: "POST header with an empty form", method: http.MethodPost, contentType: formContentType, auth: []string{"Bearer " + jwt}, want: jwt, wantPresent: true},
		{name: "form body", method: http.MethodPost, contentType: formContentType, body: "access_token=" + jwt, want: jwt, wantPresent: true},
		{name: "nothing", wantPresent: false},
		{name: "basic is not a bearer token", auth: []string{basic("a", "b")}, wantPresent: false},
		{name: "form body on GET is ignored", method: http.MethodGet, contentType: formContentType, body: "access_token=" + jwt, wantPresent: false},
		{name: "JSON body is ignored", method: http.MethodPost, contentType: "application/json", body: `{"access_token":"x"}`, wantPresent: false},

		{name: "query", target: "/oauth/userinfo?access_token=" + jwt, wantPresent: true, wantErr: "invalid_request"},
		{name: "query next to a header", target: "/oauth/userinfo?access_token=" + jwt, auth: []string{"Bearer " + jwt}, wantPresent: true, wantErr: "invalid_request"},
		{name: "query after 10,000 parameters", target: "/oauth/userinfo?" + strings.Repeat("a&", 10000) + "access_token=" + jwt,
			auth: []string{"Bearer " + jwt}, wantPresent: true, wantErr: "invalid_request"},
		{name: "query after a semicolon", target: "/oauth/userinfo?a=1;access_token=" + jwt, auth: []string{"Bearer " + jwt},
			wantPresent: true, wantErr: "invalid_request"},
		{name: "header and body", method: http.MethodPost, contentType: formContentType, body: "access_token=" + jwt, auth: []string{"Bearer " + jwt}, wantPresent: true, wantErr: "invalid_request"},
		{name: "two headers", auth: []string{"Bearer a", "Bearer b"}, wantPresent: true, wantErr: "invalid_request"},
		{name: "empty bearer", auth: []string{"Bearer "}, wantPresent: true, wantErr: "invalid_request"},
		{name: "scheme alone", auth: []string{"Bearer"}, wantPresent: true, wantErr: "invalid_request"},
		{name: "space inside", auth: []string{"Bearer a b"}, wantPresent: true, wantErr: "invalid_request"},
		{name: "padding first", auth: []string{"Bearer =abc"}, wantPresent: true, wantErr: "invalid_request"},
		{name: "character after padding", auth: []string{"Bearer abc=d"}, wantPresent: true, wantErr: "invalid_request"},
		{name: "quote", auth: []string{`Bearer "abc"`}, wantPresent: true, wantErr: "invalid_request"},
		{name: "malformed form token", method: http.MethodPost, contentType: formContentType, body: "access_token=a%20b", wantPresent: true, wantErr: "invalid_request"},
		{name: "repeated form token", method: http.MethodPost, contentType: formContentType, body: "access_token=a&access_token=b", wantErr: "invalid_request"},
		{name: "malformed form", method: http.MethodPost, contentType: formContentType, body: "access_token=%zz", wantErr: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			method, target, ctype := tt.method, tt.target, tt.contentType
			if method == "" {
				method = http.MethodGet
			}
			if target == "" {
				target = "/oauth/userinfo"
			}
			if ctype == "" {
				ctype = "-"
			}
			r := newRequest(method, target, ctype, tt.body, tt.auth...)
			got, present, err := BearerToken(r)
			wantCode(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("got token %q, want %q", got, tt.want)
			}
			if err == nil || tt.wantPresent {
				if present != tt.wantPresent {
					t.Errorf("got present %v, want %v", present, tt.wantPresent)
				}
			}
		})
	}
}

func TestIsB64Token(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"abc", true}, {"a-._~+/", true}, {"abc==", true}, {"a=", true},
		{"", false}, {"=", false}, {"a=b", false}, {"a b", false}, {"a,b", false}, {"\u00e9", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := isB64Token(tt.in); got != tt.want {
				t.Errorf("isB64Token(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzParseClientAuth feeds arbitrary bodies, queries and Authorization
// headers: it must never panic, and what it accepts must be consistent.
func FuzzParseClientAuth(f *testing.F) {
	f.Add("client_id=app&client_secret=pw", "", basic("app", "pw"))
	f.Add("client_id=app", "", "")
	f.Add("client_id=a%zz", "x=1", "Basic !!")
	f.Add("a=1;b=2", "client_secret=s", "bearer x")
	f.Add("client_id=app&client_id=app", "", "Basic "+base64.StdEncoding.EncodeToString([]byte("%:%")))
	f.Fuzz(func(t *testing.T, body, query, auth string) {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", formContentType)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		got, err := ParseClientAuth(r)
		if err != nil {
			var e *Error
			if e = ErrorFrom(err); e.Code != CodeInvalidRequest && e.Code != CodeInvalidClient {
				t.Fatalf("got code %q, want invalid_request or invalid_client", e.Code)
			}
			if got != (ClientAuth{}) {
				t.Fatalf("got %+v with an error", got)
			}
			for i := 0; i < len(e.Description); i++ {
				if !allowedDescriptionByte(e.Description[i]) {
					t.Fatalf("description %q has a disallowed byte", e.Description)
				}
			}
			return
		}
		if got.ClientID == "" || len(got.ClientID) > maxClientID || len(got.Secret) > maxClientSecret {
			t.Fatalf("accepted %+v", got)
		}
		switch got.Method {
		case AuthMethodBasic, AuthMethodPost:
			if got.Secret == "" {
				t.Fatalf("%s without a secret", got.Method)
			}
		case AuthMethodNone:
			if got.Secret != "" {
				t.Fatalf("none with a secret")
			}
		default:
			t.Fatalf("unknown method %q", got.Method)
		}
	})
}
