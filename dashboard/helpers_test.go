package dashboard_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

const password = "correct horse battery"

// browser is a browser on the test server (gatehousetest.Browser) that
// signs in to the dashboard.
type browser struct {
	*gatehousetest.Browser
	t *testing.T
}

func newBrowser(t *testing.T, s *gatehousetest.Server) *browser {
	t.Helper()
	return &browser{Browser: s.Browser(t), t: t}
}

// fieldError returns the problems listed next to a form field, "" for
// none.
func fieldError(p *gatehousetest.Page, id string) string {
	m := regexp.MustCompile(`(?s)<ul class="field-error" id="` + regexp.QuoteMeta(id) + `-error">(.*?)</ul>`).FindStringSubmatch(p.Body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], ""))
}

// signIn opens a dashboard page signed out and signs in through the
// pages it leads to, as user of org (asked for on the platform issuer).
func (b *browser) signIn(path, org, username string) *gatehousetest.Page {
	b.t.Helper()
	p := b.Get(path)
	if strings.Contains(p.Body, `name="organization" type="text"`) {
		p = b.Submit(p, "/dashboard/signin", url.Values{"organization": {org}})
	}
	if !strings.Contains(p.Body, `autocomplete="current-password"`) {
		b.t.Fatalf("got %d at %s, want the sign-in form:\n%s", p.Status, p.URL, p.Body)
	}
	return b.Submit(p, "/dashboard/signin", url.Values{"username": {username}, "password": {password}})
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
