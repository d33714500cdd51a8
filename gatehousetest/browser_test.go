package gatehousetest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// formsPage has a GET and a POST form, with escaped values and attributes
// in another order than the hosted pages write them.
const formsPage = `<!doctype html><html><body>
<form method="get" action="/search" class="stack">
<input type="hidden" name="tenant" value="a&amp;b">
<input id="q" name="q" value="typed">
</form>
<form class="stack" action="/save?x=1" method="post">
<input value="r1" name="revision" type="hidden">
<input type="hidden" name="keep" value="one">
<input type="hidden" name="keep" value="two">
</form>
</body></html>`

func TestBrowser(t *testing.T) {
	t.Parallel()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "the app")
	}))
	t.Cleanup(app.Close)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/forms":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s1", Path: "/"})
			fmt.Fprint(w, formsPage)
		case "/search", "/save":
			r.ParseForm()
			c, _ := r.Cookie("sid")
			fmt.Fprintf(w, "%s %s %s cookie=%v ua=%s", r.Method, r.URL.Path, r.Form.Encode(), c != nil, r.UserAgent())
		case "/here":
			http.Redirect(w, r, "/forms", http.StatusSeeOther)
		case "/away":
			http.Redirect(w, r, app.URL+"/callback?code=c", http.StatusSeeOther)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(site.Close)

	t.Run("forms", func(t *testing.T) {
		t.Parallel()
		b := gatehousetest.NewBrowser(t, site.URL)
		b.Header.Set("User-Agent", "browser-test")
		p := b.Get("/forms")
		if got := b.Cookie("sid"); got != "s1" {
			t.Errorf("got cookie %q, want s1", got)
		}
		fs := p.Forms()
		if len(fs) != 2 {
			t.Fatalf("got %d forms, want 2", len(fs))
		}
		if f := fs[0]; f.Method != http.MethodGet || f.Action != "/search" || f.URL.String() != site.URL+"/search" ||
			f.Fields.Encode() != "tenant=a%26b" {
			t.Errorf("got GET form %+v, want /search with the hidden tenant only", f)
		}
		if f := fs[1]; f.Method != http.MethodPost || f.Action != "/save?x=1" ||
			f.Fields.Encode() != "keep=one&keep=two&revision=r1" {
			t.Errorf("got POST form %+v, want /save?x=1 with its hidden fields", f)
		}
		if got := p.Value(t, "q"); got != "typed" {
			t.Errorf("got value %q, want typed", got)
		}
		if _, ok := p.FormTo("/nowhere"); ok {
			t.Error("found a form to /nowhere")
		}

		got := b.Submit(p, "/search", url.Values{"q": {"more"}}).Body
		if want := "GET /search q=more&tenant=a%26b cookie=true ua=browser-test"; got != want {
			t.Errorf("GET form: got %q, want %q", got, want)
		}
		got = b.Submit(p, "/save", url.Values{"keep": {"three"}}).Body
		if want := "POST /save keep=three&revision=r1&x=1 cookie=true ua=browser-test"; got != want {
			t.Errorf("POST form: got %q, want %q", got, want)
		}
	})

	tests := []struct {
		name       string
		opts       []gatehousetest.BrowserOption
		path       string
		wantStatus int
		wantURL    string
	}{
		{"a redirect on the site is followed", nil, "/here", http.StatusOK, site.URL + "/forms"},
		{"a redirect off the site is the page", nil, "/away", http.StatusSeeOther, site.URL + "/away"},
		{"FollowOffsite follows it", []gatehousetest.BrowserOption{gatehousetest.FollowOffsite()}, "/away",
			http.StatusOK, app.URL + "/callback?code=c"},
		{"StopAtRedirects stops on the site too", []gatehousetest.BrowserOption{gatehousetest.StopAtRedirects()}, "/here",
			http.StatusSeeOther, site.URL + "/here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := gatehousetest.NewBrowser(t, site.URL, tc.opts...).Get(tc.path)
			if p.Status != tc.wantStatus || p.URL.String() != tc.wantURL {
				t.Errorf("got %d at %s, want %d at %s", p.Status, p.URL, tc.wantStatus, tc.wantURL)
			}
		})
	}
}
