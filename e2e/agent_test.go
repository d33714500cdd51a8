package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// userAgent is a browser without scripts: it keeps cookies, follows
// redirects (to the app too, like a real browser), and fills in and
// submits the hosted pages' forms.
type userAgent struct {
	t *testing.T
	c *http.Client
	// app is where authorization responses end.
	app string
}

func newUserAgent(t *testing.T, app string) *userAgent {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &userAgent{t: t, app: app, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

// page is a response, read in full, and the URL it came from after
// redirects.
type page struct {
	status int
	header http.Header
	body   string
	url    *url.URL
}

func (u *userAgent) do(req *http.Request) *page {
	u.t.Helper()
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		u.t.Fatalf("read %s: %v", req.URL.Redacted(), err)
	}
	return &page{status: resp.StatusCode, header: resp.Header, body: string(b), url: resp.Request.URL}
}

func (u *userAgent) get(rawURL string) *page {
	u.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		u.t.Fatal(err)
	}
	return u.do(req)
}

func (u *userAgent) post(rawURL string, form url.Values) *page {
	u.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		u.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

// atApp reports whether the page is the app's.
func (p *page) atApp(app string) bool { return strings.HasPrefix(p.url.String(), app+"/") }

// form is one <form> of a page: where it goes and its hidden fields.
type form struct {
	method string
	action string
	fields url.Values
}

var (
	formTag  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputTag = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attr     = regexp.MustCompile(`([a-zA-Z-]+)="([^"]*)"`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attr.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// forms returns the page's forms, with their actions resolved against the
// page's URL.
func (p *page) forms() []form {
	var out []form
	for _, m := range formTag.FindAllStringSubmatch(p.body, -1) {
		fa := attrs(m[1])
		action, err := p.url.Parse(fa["action"])
		if err != nil {
			continue
		}
		f := form{method: strings.ToLower(fa["method"]), action: action.String(), fields: url.Values{}}
		for _, in := range inputTag.FindAllStringSubmatch(m[2], -1) {
			ia := attrs(in[1])
			if ia["type"] == "hidden" {
				f.fields.Add(ia["name"], ia["value"])
			}
		}
		out = append(out, f)
	}
	return out
}

// formTo returns the page's form that posts to a URL whose path ends with
// suffix.
func (p *page) formTo(suffix string) (form, bool) {
	for _, f := range p.forms() {
		if a, err := url.Parse(f.action); err == nil && strings.HasSuffix(a.Path, suffix) {
			return f, true
		}
	}
	return form{}, false
}

// submit posts f with its hidden fields and extra ones, as pressing its
// button would.
func (u *userAgent) submit(f form, extra url.Values) *page {
	u.t.Helper()
	v := url.Values{}
	for k, vs := range f.fields {
		v[k] = append([]string(nil), vs...)
	}
	for k, vs := range extra {
		v[k] = vs
	}
	return u.post(f.action, v)
}

// authorize follows an authorization request to its end as a user would:
// it signs in when the sign-in form is shown, presses Allow on the consent
// page, submits a form_post page, and returns the app's page it ended on.
func (u *userAgent) authorize(authURL string, user cliUser) *page {
	u.t.Helper()
	p := u.get(authURL)
	for range 5 {
		if p.atApp(u.app) {
			return p
		}
		if f, ok := p.formTo("/login"); ok {
			p = u.submit(f, url.Values{"username": {user.Username}, "password": {user.password}})
			continue
		}
		if f, ok := p.formTo("/login/consent"); ok {
			p = u.submit(f, url.Values{"decision": {"allow"}})
			continue
		}
		if fs := p.forms(); len(fs) == 1 && strings.HasPrefix(fs[0].action, u.app+"/") && fs[0].method == "post" {
			// The form_post response mode: the page's script would post it.
			p = u.submit(fs[0], nil)
			continue
		}
		break
	}
	u.t.Fatalf("the authorization ended at %s (status %d), not at the app:\n%s", p.url.Redacted(), p.status, p.body)
	return nil
}

// noRedirects returns an HTTP client that stops at the first redirect, to
// see where the server sends a browser.
func noRedirects() *http.Client {
	return &http.Client{
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// within returns an HTTP client that follows redirects on the server at
// base and stops at the first one that leaves it.
func within(base string) *http.Client {
	return &http.Client{
		Timeout: 20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !strings.HasPrefix(req.URL.String(), base+"/") || len(via) >= 5 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}
