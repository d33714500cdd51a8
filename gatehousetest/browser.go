package gatehousetest

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

// maxRedirects is how many redirects a Browser follows for one request
// before it returns the last one as the page.
const maxRedirects = 10

// Browser is a person's browser without scripts, for tests of the hosted
// pages: it keeps cookies, follows redirects, sends Header with every
// request, and fills in and submits the forms of a page. Every failure to
// talk to the server fails the test at once, so a test reads as the
// clicks it makes.
//
// By default a Browser follows redirects only while they stay on the
// host (and port) it was made for, and returns the first one that leaves
// it as the page: Status 303, Location in Header. That is where an
// authorization or logout response goes to an application, which a test
// of the server alone does not run. FollowOffsite makes it follow every
// redirect, as a real browser does, for tests whose applications run;
// StopAtRedirects makes it follow none, for tests of the redirects
// themselves.
type Browser struct {
	// Header is added to every request (a User-Agent, Sec-Fetch-Site).
	Header http.Header
	// Jar holds the browser's cookies, for a test to read or add to (the
	// browser keeps using this jar: replacing the field has no effect).
	Jar http.CookieJar

	t         testing.TB
	base      *url.URL
	redirects redirectPolicy
	client    *http.Client
}

// redirectPolicy says which redirects a Browser follows.
type redirectPolicy int

const (
	stayOnSite redirectPolicy = iota
	followOffsite
	followNone
)

// BrowserOption changes how NewBrowser builds a browser.
type BrowserOption func(*Browser)

// FollowOffsite makes the browser follow redirects to other hosts too.
func FollowOffsite() BrowserOption { return func(b *Browser) { b.redirects = followOffsite } }

// StopAtRedirects makes the browser follow no redirect: every page is the
// server's first answer.
func StopAtRedirects() BrowserOption { return func(b *Browser) { b.redirects = followNone } }

// NewBrowser returns a browser without cookies for the server at base
// (its URL, "http://127.0.0.1:port"): paths given to its methods are
// resolved against base, and redirects stay on its host unless an option
// says otherwise.
func NewBrowser(t testing.TB, base string, opts ...BrowserOption) *Browser {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("browser for %q: %v", base, err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &Browser{Header: http.Header{}, Jar: jar, t: t, base: u}
	for _, o := range opts {
		o(b)
	}
	b.client = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: b.checkRedirect}
	return b
}

// Browser returns a new browser for s, without cookies.
func (s *Server) Browser(t testing.TB) *Browser {
	t.Helper()
	return NewBrowser(t, s.URL)
}

func (b *Browser) checkRedirect(req *http.Request, via []*http.Request) error {
	switch {
	case b.redirects == followNone, len(via) >= maxRedirects,
		b.redirects == stayOnSite && req.URL.Host != b.base.Host:
		return http.ErrUseLastResponse
	}
	return nil
}

// Page is a response read in full.
type Page struct {
	Status int
	Header http.Header
	Body   string
	// URL is where the page came from, after the redirects followed.
	URL *url.URL
}

// URL returns the absolute URL of u: a path (or any relative reference)
// is resolved against the browser's server.
func (b *Browser) URL(u string) string {
	b.t.Helper()
	ref, err := url.Parse(u)
	if err != nil {
		b.t.Fatalf("bad URL %q: %v", u, err)
	}
	return b.base.ResolveReference(ref).String()
}

// Do sends req with the browser's cookies and Header, follows the
// redirects it may, and returns the page it ends on. A request URL
// without a host is resolved against the browser's server.
func (b *Browser) Do(req *http.Request) *Page {
	b.t.Helper()
	if req.URL.Host == "" {
		req.URL = b.base.ResolveReference(req.URL)
	}
	for k, vs := range b.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("read %s: %v", req.URL.Redacted(), err)
	}
	return &Page{Status: resp.StatusCode, Header: resp.Header, Body: string(body), URL: resp.Request.URL}
}

// Get opens u, a URL or a path on the browser's server.
func (b *Browser) Get(u string) *Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.URL(u), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.Do(req)
}

// Post sends form to u as a browser posts a form
// (application/x-www-form-urlencoded).
func (b *Browser) Post(u string, form url.Values) *Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.URL(u), strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

// Submit sends the form of p whose action ends with suffix (see
// Page.Form), as pressing its button would.
func (b *Browser) Submit(p *Page, suffix string, extra url.Values) *Page {
	b.t.Helper()
	return b.SubmitForm(p.Form(b.t, suffix), extra)
}

// SubmitForm sends f with its hidden fields and extra ones, which replace
// hidden fields of the same name: as a query for a GET form, as a posted
// body otherwise.
func (b *Browser) SubmitForm(f Form, extra url.Values) *Page {
	b.t.Helper()
	v := url.Values{}
	for k, vs := range f.Fields {
		v[k] = append([]string(nil), vs...)
	}
	for k, vs := range extra {
		v[k] = vs
	}
	if f.Method == http.MethodGet {
		target := *f.URL
		target.RawQuery = v.Encode()
		return b.Get(target.String())
	}
	return b.Post(f.URL.String(), v)
}

// Cookie returns the value of the browser's cookie name for its server,
// "" when it has none.
func (b *Browser) Cookie(name string) string {
	for _, c := range b.Jar.Cookies(b.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Form is one <form> of a page.
type Form struct {
	// Method is "GET" or "POST" (HTML's default, GET, when the form
	// names none).
	Method string
	// Action is the form's action as the page writes it (unescaped); URL
	// is that action resolved against the page's address.
	Action string
	URL    *url.URL
	// Fields are the form's hidden fields.
	Fields url.Values
}

var (
	formTag  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputTag = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attrPair = regexp.MustCompile(`([a-zA-Z-]+)="([^"]*)"`)
)

// attrs returns the attributes of a tag's inside, names lower-cased and
// values unescaped.
func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, a := range attrPair.FindAllStringSubmatch(tag, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// Forms returns the forms of the page, in order, with their hidden
// fields. A form whose action is not a URL is left out.
func (p *Page) Forms() []Form {
	var out []Form
	for _, m := range formTag.FindAllStringSubmatch(p.Body, -1) {
		fa := attrs(m[1])
		target, err := p.URL.Parse(fa["action"])
		if err != nil {
			continue
		}
		method := strings.ToUpper(fa["method"])
		if method == "" {
			method = http.MethodGet
		}
		f := Form{Method: method, Action: fa["action"], URL: target, Fields: url.Values{}}
		for _, in := range inputTag.FindAllStringSubmatch(m[2], -1) {
			if ia := attrs(in[1]); ia["type"] == "hidden" {
				f.Fields.Add(ia["name"], ia["value"])
			}
		}
		out = append(out, f)
	}
	return out
}

// FormTo returns the page's first form whose action's path ends with
// suffix, and whether there is one.
func (p *Page) FormTo(suffix string) (Form, bool) {
	for _, f := range p.Forms() {
		if strings.HasSuffix(f.URL.Path, suffix) {
			return f, true
		}
	}
	return Form{}, false
}

// Form returns the page's first form whose action's path ends with
// suffix, and fails the test, showing the page, when there is none.
func (p *Page) Form(t testing.TB, suffix string) Form {
	t.Helper()
	f, ok := p.FormTo(suffix)
	if !ok {
		t.Fatalf("no form going to *%s on the page (status %d, %s):\n%s", suffix, p.Status, p.URL, p.Body)
	}
	return f
}

// Value returns the value of the page's input or text area with the
// given id, unescaped, and fails the test when there is none.
func (p *Page) Value(t testing.TB, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<input id="` + regexp.QuoteMeta(id) + `"[^>]* value="([^"]*)"`).FindStringSubmatch(p.Body)
	if m == nil {
		m = regexp.MustCompile(`(?s)<textarea id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(p.Body)
	}
	if m == nil {
		t.Fatalf("no input #%s on the page (status %d, %s):\n%s", id, p.Status, p.URL, p.Body)
	}
	return html.UnescapeString(m[1])
}
