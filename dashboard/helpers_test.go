package dashboard_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

const password = "correct horse battery"

// browser is a cookie-keeping HTTP client that follows redirects within
// the server, as a browser does.
type browser struct {
	t      *testing.T
	s      *gatehousetest.Server
	c      *http.Client
	header http.Header
}

func newBrowser(t *testing.T, s *gatehousetest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, s: s, header: http.Header{}}
	b.c = &http.Client{Jar: jar, Timeout: 30 * time.Second}
	return b
}

// page is a response read in full.
type page struct {
	status int
	header http.Header
	body   string
	url    *url.URL
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	for k, vs := range b.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("read %s: %v", req.URL, err)
	}
	return &page{status: resp.StatusCode, header: resp.Header, body: string(body), url: resp.Request.URL}
}

func (b *browser) get(u string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.abs(u), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.abs(u), strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) abs(u string) string {
	if strings.HasPrefix(u, "/") {
		return b.s.URL + u
	}
	return u
}

var (
	formPattern   = regexp.MustCompile(`(?s)<form method="(get|post)" action="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenPattern = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

type form struct {
	method string
	action string
	fields url.Values
}

// forms returns the forms of the page with their hidden fields.
func (p *page) forms() []form {
	var out []form
	for _, m := range formPattern.FindAllStringSubmatch(p.body, -1) {
		f := form{method: m[1], action: html.UnescapeString(m[2]), fields: url.Values{}}
		for _, h := range hiddenPattern.FindAllStringSubmatch(m[3], -1) {
			f.fields.Add(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		out = append(out, f)
	}
	return out
}

// form returns the page's form whose action ends with suffix.
func (p *page) form(t *testing.T, suffix string) form {
	t.Helper()
	for _, f := range p.forms() {
		if strings.HasSuffix(f.action, suffix) {
			return f
		}
	}
	t.Fatalf("no form going to *%s on the page (status %d, %s):\n%s", suffix, p.status, p.url, p.body)
	return form{}
}

// submit sends a form of the page with its hidden fields and extra ones.
func (b *browser) submit(p *page, suffix string, extra url.Values) *page {
	b.t.Helper()
	f := p.form(b.t, suffix)
	v := url.Values{}
	for k, vs := range f.fields {
		v[k] = append([]string(nil), vs...)
	}
	for k, vs := range extra {
		v[k] = vs
	}
	if f.method == "get" {
		return b.get(f.action + "?" + v.Encode())
	}
	return b.post(f.action, v)
}

// value returns the value of the input or text area with the given id,
// unescaped.
func (p *page) value(t *testing.T, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<input id="` + regexp.QuoteMeta(id) + `"[^>]* value="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		m = regexp.MustCompile(`(?s)<textarea id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(p.body)
	}
	if m == nil {
		t.Fatalf("no input #%s on the page (status %d, %s):\n%s", id, p.status, p.url, p.body)
	}
	return html.UnescapeString(m[1])
}

// fieldError returns the problems listed next to a form field, "" for
// none.
func (p *page) fieldError(id string) string {
	m := regexp.MustCompile(`(?s)<ul class="field-error" id="` + regexp.QuoteMeta(id) + `-error">(.*?)</ul>`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], ""))
}

// signIn opens a dashboard page signed out and signs in through the
// pages it leads to, as user of org (asked for on the platform issuer).
func (b *browser) signIn(path, org, username string) *page {
	b.t.Helper()
	p := b.get(path)
	if strings.Contains(p.body, `name="organization" type="text"`) {
		p = b.submit(p, "/dashboard/signin", url.Values{"organization": {org}})
	}
	if !strings.Contains(p.body, `autocomplete="current-password"`) {
		b.t.Fatalf("got %d at %s, want the sign-in form:\n%s", p.status, p.url, p.body)
	}
	return b.submit(p, "/dashboard/signin", url.Values{"username": {username}, "password": {password}})
}

// fixture is a tenant with an owner, an admin and an agent.
type fixture struct {
	s      *gatehousetest.Server
	tenant *gatehouse.Tenant
	owner  *gatehouse.User
	admin  *gatehouse.User
	agent  *gatehouse.User
}

func newFixture(t *testing.T, s *gatehousetest.Server, slug string) fixture {
	t.Helper()
	tn := s.MustTenant(t, slug)
	return fixture{
		s:      s,
		tenant: tn,
		owner:  s.MustUser(t, tn.ID, slug+"-owner", password, "owner"),
		admin:  s.MustUser(t, tn.ID, slug+"-admin", password, "admin"),
		agent:  s.MustUser(t, tn.ID, slug+"-agent", password, "agent"),
	}
}

// auditEvents returns the tenant's audit events of one action.
func auditEvents(t *testing.T, s *gatehousetest.Server, tenantID, action string) []*gatehouse.AuditEvent {
	t.Helper()
	ctx := context.Background()
	if err := s.App.Audit.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := s.Store.ListAuditEvents(ctx, gatehouse.AuditFilter{TenantID: tenantID, Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
