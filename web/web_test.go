package web

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const testNonce = "dGVzdC1ub25jZQ"

func mustRenderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := newRenderer(files, func() string { return testNonce })
	if err != nil {
		t.Fatalf("newRenderer: %v", err)
	}
	return r
}

var (
	signedIn = time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)
	lastSeen = time.Date(2026, 11, 4, 17, 5, 0, 0, time.UTC)
	acme     = Brand{
		Name:            "Acme <Corp>",
		LogoURI:         "https://cdn.acme.example/logo.svg",
		LogoDarkURI:     "https://cdn.acme.example/logo-dark.svg",
		PrimaryColor:    "#FFD500",
		BackgroundColor: "#f0f4ff",
	}
	plain = Brand{Name: "Gatehouse"}
)

// goldenPages are one rendering of every page, with branding and without,
// and with text that must be escaped.
var goldenPages = []struct {
	name string
	page Page
}{
	{"signin", Page{Title: "Sign in", Brand: acme, Data: SignIn{
		Action: "/t/acme/login", Hidden: []Field{{"request", "tenant.abc\"def"}},
		Username: "ana@example.com", ClientName: "CRM & Co",
	}}},
	{"signin-error", Page{Title: "Sign in", Brand: plain, Data: SignIn{
		Action: "/login", Hidden: []Field{{"organization", "acme"}},
		Username: "ana", Error: "The username or password is incorrect.",
		OtherOrganizationURL: "/account",
	}}},
	{"organization", Page{Title: "Sign in to your account", Brand: plain, Data: Organization{
		Action: "/account", Name: "organization", Slug: "nope", Error: "There is no organization with that name.",
	}}},
	{"consent", Page{Title: "Allow CRM & Co?", Brand: acme, Data: Consent{
		Action: "/login/consent", Hidden: []Field{{"request", "tenant.abc"}},
		ClientName: "CRM & Co", ClientLogoURI: "https://crm.example/logo.png", ClientLogoDarkURI: "https://crm.example/logo-dark.png",
		UserName: "Ana Lima", SwitchURL: "/login?request=tenant.abc&switch=1",
		Scopes: []ScopeLine{
			{"openid", "Sign you in with your account"},
			{"email", "See your email address"},
		},
		AccountURL: "/account",
	}}},
	{"denied", Page{Title: "This account cannot use CRM & Co", Brand: acme, Data: Denied{
		Message: "Your account does not have a role that this application admits.", ClientName: "CRM & Co",
		Action: "/login/continue", Hidden: []Field{{"request", "tenant.abc"}}, SwitchURL: "/login?request=tenant.abc&switch=1",
	}}},
	{"error", Page{Title: "Something is wrong with this link", Brand: plain, Data: ErrorPage{
		Message: "The application that sent you here is not registered.", HomeURL: "/account",
	}}},
	{"logout", Page{Title: "Sign out?", Brand: acme, Data: LogoutConfirm{
		Action: "/oauth/logout/confirm", Hidden: []Field{{"client_id", "crm"}, {"state", "x<y"}},
		ClientName: "CRM & Co", UserName: "Ana Lima", CancelURL: "/account",
	}}},
	{"signedout", Page{Title: "Signed out", Brand: acme, Data: SignedOut{
		ClientName: "CRM & Co", AccountURL: "/account",
	}}},
	{"account", Page{Title: "Your account", Brand: acme, Data: Account{
		Name: "Ana Lima", Username: "ana", Email: "ana@example.com", Notice: "The session was signed out.",
		Sessions: []AccountSession{
			{ID: "s1", Current: true, SignedIn: signedIn, LastSeen: lastSeen, IP: "192.0.2.1", Device: "Firefox on Linux"},
			{ID: "s2", SignedIn: signedIn.Add(-48 * time.Hour), LastSeen: lastSeen.Add(-24 * time.Hour)},
		},
		Apps: []AccountApp{{Client: "c1", Name: "CRM & Co", Since: signedIn, Scopes: []ScopeLine{{"openid", "Sign you in with your account"}}}},
		Credentials: []AccountCredential{
			{ID: "jc1", Name: "CRM <sync>", Apps: []CredentialApp{{"gth_ci_crm", "CRM & Co"}, {"gth_ci_gone", ""}},
				Created: signedIn, Expires: signedIn.Add(90 * 24 * time.Hour), LastUsed: lastSeen},
			{ID: "jc2", Name: "Old backup", AnyApp: true, Created: signedIn.Add(-400 * 24 * time.Hour), Expires: signedIn.Add(-35 * 24 * time.Hour), Expired: true},
		},
		RevokeSessionAction: "/account/sessions/revoke", RevokeAppAction: "/account/apps/revoke",
		SignOutAction: "/oauth/logout/confirm", SignOutEverywhereAction: "/account/sign-out-everywhere",
		NewCredentialURL: "/account/credentials/new", RevokeCredentialAction: "/account/credentials/revoke",
	}}},
	{"account-empty", Page{Title: "Your account", Brand: plain, Data: Account{
		Username: "bo", Sessions: []AccountSession{{ID: "s1", Current: true, SignedIn: signedIn, LastSeen: lastSeen}},
		RevokeSessionAction: "/account/sessions/revoke", RevokeAppAction: "/account/apps/revoke",
		SignOutAction: "/oauth/logout/confirm", SignOutEverywhereAction: "/account/sign-out-everywhere",
		NewCredentialURL: "/account/credentials/new", RevokeCredentialAction: "/account/credentials/revoke",
	}}},
	{"organization-return", Page{Title: "Sign in to your account", Brand: plain, Data: Organization{
		Action: "/account/credentials/new", Name: "organization",
		Hidden: []Field{{"client_id", "gth_ci_\"crm\""}},
	}}},
	{"credential-new", Page{Title: "Create a JWT credential", Brand: acme, Data: NewCredential{
		Action: "/t/acme/account/credentials", CancelURL: "/t/acme/account", OrganizationName: "Acme <Corp>",
		ConnectApp: "CRM & Co", Name: "CRM & Co", Expires: "90", MinDate: "2026-11-04", MaxDate: "2027-11-03",
		Audience: "clients", ClientIDs: "gth_ci_crm", Apps: []CredentialApp{{"gth_ci_crm", "CRM & Co"}},
	}}},
	{"credential-new-errors", Page{Title: "Create a JWT credential", Brand: plain, Data: NewCredential{
		Action: "/account/credentials", CancelURL: "/account", OrganizationName: "Acme",
		Notice:  "The application that sent you here is not registered in Acme.",
		Errors:  []string{"Give the credential a name.", "<b>gth_ci_x</b> is not an application of Acme."},
		Expires: "date", ExpiresOn: "2026-10-01", MinDate: "2026-11-04", MaxDate: "2027-11-03",
		Audience: "clients", ClientIDs: "<b>gth_ci_x</b>",
	}}},
	{"credential-created", Page{Title: "Your new JWT credential", Brand: acme, Data: CredentialCreated{
		Name: "CRM & Co", Value: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", Expires: signedIn.Add(90 * 24 * time.Hour),
		Apps: []CredentialApp{{"gth_ci_crm", "CRM & Co"}}, OrganizationName: "Acme <Corp>",
		TokenEndpoint: "https://id.example.com/t/acme/oauth/token", GrantType: "urn:ietf:params:oauth:grant-type:jwt-bearer",
		AccountURL: "/t/acme/account",
	}}},
	{"credential-created-any", Page{Title: "Your new JWT credential", Brand: plain, Data: CredentialCreated{
		Name: "Backup", Value: "a.b.c", Expires: signedIn, AnyApp: true, OrganizationName: "Acme",
		TokenEndpoint: "https://id.example.com/oauth/token", GrantType: "urn:ietf:params:oauth:grant-type:jwt-bearer",
		AccountURL: "/account",
	}}},
	{"password-set", Page{Title: "Set your password", Brand: acme, Data: SetPassword{
		Action: "/t/acme/password/set", Hidden: []Field{{"token", "tok\"en"}}, Username: "ana<b>", Invite: true,
	}}},
	{"password-set-error", Page{Title: "Set your password", Brand: plain, Data: SetPassword{
		Action: "/password/set", Hidden: []Field{{"token", "t"}}, Username: "ana", Error: "The two passwords do not match.",
	}}},
	{"password-done", Page{Title: "Password set", Brand: acme, Data: PasswordSet{SignInURL: "/t/acme/account"}}},
	{"credential-revoke", Page{Title: "Revoke this credential?", Brand: acme, Data: RevokeCredential{
		Action: "/account/credentials/revoke", Hidden: []Field{{"credential", "jc1"}, {"confirm", "yes"}},
		Name: "CRM <sync>", Apps: []CredentialApp{{"gth_ci_crm", "CRM & Co"}}, Expires: signedIn, CancelURL: "/account",
	}}},
}

// mustRender renders p with status 200.
func mustRender(t *testing.T, r *Renderer, p Page) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := r.Render(rec, http.StatusOK, p); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return rec
}

// checkGolden compares a rendered page with testdata/name.golden.html,
// or with -update rewrites that file.
func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name+".golden.html")
	if *update {
		if err := os.WriteFile(golden, body, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("page differs from %s (run go test -update if the change is intended):\n%s", golden, body)
	}
}

func TestPagesGolden(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, tc := range goldenPages {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, tc.name, mustRender(t, r, tc.page).Body.Bytes())
		})
	}
}

var (
	inputTag    = regexp.MustCompile(`<input\b[^>]*>`)
	attrPattern = regexp.MustCompile(`\b([a-z-]+)="([^"]*)"`)
)

func attrs(tag string) map[string]string {
	out := map[string]string{}
	for _, m := range attrPattern.FindAllStringSubmatch(tag, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestPagesAccessible checks what a screen-reader and phone user needs
// on every page: the language, a viewport, a label bound to every visible
// input, the right autocomplete hints, and alerts announced.
func TestPagesAccessible(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, tc := range goldenPages {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			html := mustRender(t, r, tc.page).Body.String()
			for _, want := range []string{`<html lang="en">`, `<meta name="viewport" content="width=device-width, initial-scale=1">`, "<h1>"} {
				if !strings.Contains(html, want) {
					t.Errorf("page lacks %s", want)
				}
			}
			for _, tag := range inputTag.FindAllString(html, -1) {
				a := attrs(tag)
				if a["type"] == "hidden" {
					continue
				}
				id := a["id"]
				if id == "" || !strings.Contains(html, `<label for="`+id+`">`) {
					t.Errorf("input %s has no label bound to it", tag)
				}
				switch a["type"] {
				case "password":
					// A form that chooses a password says so, so password
					// managers offer to generate one instead of filling the
					// old one.
					want := "current-password"
					if strings.HasPrefix(tc.name, "password-set") {
						want = "new-password"
					}
					if a["autocomplete"] != want {
						t.Errorf("password input: got autocomplete %q, want %s", a["autocomplete"], want)
					}
				}
				if a["name"] == "username" && a["autocomplete"] != "username" {
					t.Errorf("username input: got autocomplete %q, want username", a["autocomplete"])
				}
			}
			if strings.Contains(html, `class="alert"`) && !strings.Contains(html, `class="alert" role="alert"`) {
				t.Errorf("an alert is not announced with role=alert")
			}
		})
	}
}

func TestRenderHeaders(t *testing.T) {
	t.Parallel()
	r, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tests := []struct {
		name      string
		brand     Brand
		wantStyle bool
	}{
		{"branded", acme, true},
		{"plain", plain, false},
		{"bad colors are ignored", Brand{Name: "x", PrimaryColor: "red;}body{display:none", BackgroundColor: "url(x)"}, false},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := r.Render(rec, http.StatusBadRequest, Page{Title: "T", Brand: tc.brand, Data: ErrorPage{Message: "m"}}); err != nil {
				t.Fatalf("Render: %v", err)
			}
			if rec.Code != http.StatusBadRequest {
				t.Errorf("got status %d, want 400", rec.Code)
			}
			h := rec.Header()
			csp := h.Get("Content-Security-Policy")
			m := regexp.MustCompile(`^default-src 'none'; style-src 'self' 'nonce-([A-Za-z0-9_-]{22})'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'$`).FindStringSubmatch(csp)
			if m == nil {
				t.Fatalf("got CSP %q, want the page policy with a nonce", csp)
			}
			if seen[m[1]] {
				t.Errorf("nonce %q reused across responses", m[1])
			}
			seen[m[1]] = true
			if strings.Contains(csp, "form-action") {
				t.Errorf("CSP has form-action, which blocks redirects to clients: %q", csp)
			}
			for name, want := range map[string]string{
				"X-Frame-Options": "DENY",
				"Cache-Control":   "no-store",
				"Content-Type":    "text/html; charset=utf-8",
			} {
				if got := h.Get(name); got != want {
					t.Errorf("got %s %q, want %q", name, got, want)
				}
			}
			body := rec.Body.String()
			hasStyle := strings.Contains(body, `<style nonce="`+m[1]+`">`)
			if hasStyle != tc.wantStyle {
				t.Errorf("got inline style with the response's nonce %v, want %v", hasStyle, tc.wantStyle)
			}
			if strings.Count(body, "<style") > 1 {
				t.Errorf("more than one inline style")
			}
			if strings.Contains(body, "display:none") || strings.Contains(body, "url(x)") {
				t.Errorf("an invalid color reached the page")
			}
		})
	}
}

func TestBrandStyleContrast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		color string
		want  string
	}{
		{"#ffd500", "#111111"},
		{"#FFF", "#111111"},
		{"#1f5fbf", "#ffffff"},
		{"#000", "#ffffff"},
		{"#777777", "#ffffff"},
	}
	for _, tc := range tests {
		if got := contrastText(strings.ToLower(tc.color)); got != tc.want {
			t.Errorf("contrastText(%s): got %s, want %s", tc.color, got, tc.want)
		}
	}
	got := string(brandStyle(Brand{PrimaryColor: "#1F5FBF", BackgroundColor: "#fff"}))
	want := ":root{--on-primary:#ffffff;--primary:#1f5fbf;--tenant-bg:#fff}"
	if got != want {
		t.Errorf("brandStyle: got %q, want %q", got, want)
	}
}

func TestNewRefusesBrokenTemplates(t *testing.T) {
	t.Parallel()
	base := func() fstest.MapFS {
		fsys := fstest.MapFS{"static/gatehouse.css": {Data: []byte("body{}")}}
		layout, _ := files.ReadFile("templates/layout.html")
		fsys["templates/layout.html"] = &fstest.MapFile{Data: layout}
		for _, p := range allPages {
			fsys["templates/"+p+".html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}x{{end}}`)}
		}
		return fsys
	}
	if _, err := newRenderer(base(), newNonce); err != nil {
		t.Fatalf("a complete set: got %v, want no error", err)
	}
	tests := []struct {
		name   string
		modify func(fstest.MapFS)
		want   string
	}{
		{"syntax error", func(f fstest.MapFS) { f["templates/signin.html"].Data = []byte(`{{define "content"}}{{.X{{end}}`) }, "parse signin.html"},
		{"no content block", func(f fstest.MapFS) { f["templates/consent.html"].Data = []byte(`hello`) }, "consent.html must define"},
		{"missing page", func(f fstest.MapFS) { delete(f, "templates/account.html") }, `no template for page "account"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := base()
			tc.modify(f)
			_, err := newRenderer(f, newNonce)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRenderFailureWritesNothingPartial(t *testing.T) {
	t.Parallel()
	layout, _ := files.ReadFile("templates/layout.html")
	fsys := fstest.MapFS{
		"static/gatehouse.css":  {Data: []byte("body{}")},
		"templates/layout.html": {Data: layout},
	}
	for _, p := range allPages {
		fsys["templates/"+p+".html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{asset "missing.css"}}{{end}}`)}
	}
	r, err := newRenderer(fsys, newNonce)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := r.Render(rec, http.StatusOK, Page{Title: "T", Data: ErrorPage{}}); err == nil {
		t.Fatal("got no error rendering an unknown asset")
	}
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "<html") {
		t.Errorf("got %d %q, want a plain 500", rec.Code, rec.Body.String())
	}
	if err := r.Render(httptest.NewRecorder(), http.StatusOK, Page{Title: "T"}); err == nil {
		t.Error("got no error rendering a page without data")
	}
}

func TestStatic(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	u, ok := r.AssetURL("gatehouse.css")
	if !ok || !regexp.MustCompile(`^/static/gatehouse\.[0-9a-f]{12}\.css$`).MatchString(u) {
		t.Fatalf("got asset URL %q, %v, want a content-hashed /static/ URL", u, ok)
	}
	rec := httptest.NewRecorder()
	if err := r.Render(rec, http.StatusOK, Page{Title: "T", Data: ErrorPage{}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.Body.String(), `href="`+u+`"`) {
		t.Errorf("page does not link the stylesheet at %s", u)
	}
	css, _ := files.ReadFile("static/gatehouse.css")
	h := r.Static()
	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		wantStatus int
		wantBody   []byte
	}{
		{"hashed name", http.MethodGet, u, nil, http.StatusOK, css},
		{"head", http.MethodHead, u, nil, http.StatusOK, nil},
		{"unhashed name", http.MethodGet, "/static/gatehouse.css", nil, http.StatusNotFound, nil},
		{"stale hash", http.MethodGet, "/static/gatehouse.000000000000.css", nil, http.StatusNotFound, nil},
		{"template source", http.MethodGet, "/static/../templates/layout.html", nil, http.StatusNotFound, nil},
		{"other etag", http.MethodGet, u, map[string]string{"If-None-Match": `"x", "y"`}, http.StatusOK, css},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("got status %d, want %d", rec.Code, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusOK {
				return
			}
			if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("got Cache-Control %q, want a year, immutable", got)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/css") {
				t.Errorf("got Content-Type %q, want text/css", got)
			}
			if tc.wantBody != nil && !bytes.Equal(rec.Body.Bytes(), tc.wantBody) {
				t.Errorf("got a body of %d bytes, want the stylesheet (%d bytes)", rec.Body.Len(), len(tc.wantBody))
			}
		})
	}
	t.Run("not modified", func(t *testing.T) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		req := httptest.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
		rec2 := httptest.NewRecorder()
		h.ServeHTTP(rec2, req)
		if rec2.Code != http.StatusNotModified || rec2.Body.Len() != 0 {
			t.Errorf("got %d with %d bytes, want 304 and no body", rec2.Code, rec2.Body.Len())
		}
	})
}
