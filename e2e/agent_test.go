package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// userAgent is a browser without scripts (gatehousetest.Browser) that
// follows redirects to the app too, like a real browser, and so ends
// where a person would.
type userAgent struct {
	*gatehousetest.Browser
	t *testing.T
	// app is where authorization responses end.
	app string
}

func newUserAgent(t *testing.T, app string) *userAgent {
	t.Helper()
	return &userAgent{Browser: gatehousetest.NewBrowser(t, app, gatehousetest.FollowOffsite()), t: t, app: app}
}

// atApp reports whether the page is the app's.
func atApp(p *gatehousetest.Page, app string) bool { return strings.HasPrefix(p.URL.String(), app+"/") }

// authorize follows an authorization request to its end as a user would:
// it signs in when the sign-in form is shown, presses Allow on the consent
// page, submits a form_post page, and returns the app's page it ended on.
func (u *userAgent) authorize(authURL string, user cliUser) *gatehousetest.Page {
	u.t.Helper()
	p := u.Get(authURL)
	for range 5 {
		if atApp(p, u.app) {
			return p
		}
		if f, ok := p.FormTo("/login"); ok {
			p = u.SubmitForm(f, url.Values{"username": {user.Username}, "password": {user.password}})
			continue
		}
		if f, ok := p.FormTo("/login/consent"); ok {
			p = u.SubmitForm(f, url.Values{"decision": {"allow"}})
			continue
		}
		if fs := p.Forms(); len(fs) == 1 && strings.HasPrefix(fs[0].URL.String(), u.app+"/") && fs[0].Method == http.MethodPost {
			// The form_post response mode: the page's script would post it.
			p = u.SubmitForm(fs[0], nil)
			continue
		}
		break
	}
	u.t.Fatalf("the authorization ended at %s (status %d), not at the app:\n%s", p.URL.Redacted(), p.Status, p.Body)
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
