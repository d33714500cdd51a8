package login

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/web"
)

// Pages of an issuer other than the account page that need to know who is
// signed in (the tenant dashboard) use the account page's session and
// sign-in through the methods below, so that there is one session cookie,
// one password check with its throttling and lockout, and one audit
// trail for every sign-in.

// SignedIn returns who is signed in on the request's issuer: the
// browser's active session and its user, when the user is active and the
// issuer serves the user's tenant (on a tenant's issuer, a session of
// another tenant counts as none, as on the account page). Nobody signed
// in is nil, nil, nil; only a failure to read the store, or a request
// that did not come through the server's issuer resolution, is an error.
// A use of the session is recorded, as for every page.
func (l *Login) SignedIn(r *http.Request) (*gatehouse.Session, *gatehouse.User, error) {
	iss, ok := gatehouse.IssuerFrom(r.Context())
	if !ok || iss.URL == "" {
		return nil, nil, errors.New("login: no issuer in the request context")
	}
	a, err := l.currentAccount(r, iss)
	if err != nil {
		return nil, nil, fmt.Errorf("login: read the session: %w", err)
	}
	if a == nil {
		return nil, nil, nil
	}
	return a.sess, a.user, nil
}

// HasSessionCookie reports whether the request carries a session cookie
// of its issuer that could be one of ours, without reading the store: a
// cheap way for another handler (the management API) to tell a browser
// that means to use its session from a request that sends nothing, before
// it checks where the request comes from and reads the session with
// SignedIn.
func (l *Login) HasSessionCookie(r *http.Request) bool {
	iss, ok := gatehouse.IssuerFrom(r.Context())
	return ok && iss.URL != "" && sessionCookie(r, iss) != ""
}

// SignInPrompt is the sign-in of a page other than the account page.
type SignInPrompt struct {
	// Title heads the forms ("Sign in to the dashboard").
	Title string
	// Action is the path (on the issuer's host, its base path included)
	// that serves the prompt: a GET shows it with ShowSignIn, a POST
	// checks it with CheckSignIn.
	Action string
	// Return is the path the browser goes to once signed in. It travels
	// in the forms' "return" field; the page must check a posted value
	// is one of its own before it passes it back here or follows it.
	Return string
}

// ShowSignIn asks a signed-out browser to sign in, with status. On a
// tenant's issuer it shows the tenant's sign-in form. On the platform's
// issuer it shows the sign-in form of the organization named by the
// query's "organization" field, or first asks for the organization, with
// a form that comes back to Action by GET. Every form carries Return.
func (l *Login) ShowSignIn(w http.ResponseWriter, r *http.Request, status int, p SignInPrompt) {
	iss, ok := l.issuer(w, r)
	if !ok {
		return
	}
	l.showSignIn(w, r, iss, status, p, r.URL.Query().Get("organization"))
}

// showSignIn is ShowSignIn for the organization typed (on the platform's
// issuer).
func (l *Login) showSignIn(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, status int, p SignInPrompt, organization string) {
	tenant, slug, perr := l.accountTenant(r, iss, organization)
	switch {
	case perr != nil:
		l.renderError(w, r, iss, nil, perr)
	case tenant == nil:
		data := web.Organization{Action: p.Action, Name: "organization", Slug: slug}
		if p.Return != "" {
			data.Hidden = []web.Field{{Name: "return", Value: p.Return}}
		}
		if slug != "" {
			data.Error = "There is no active organization with that name."
		}
		l.render(w, r, status, web.Page{Title: p.Title, Brand: l.brand(nil), Data: data})
	default:
		l.renderPromptSignIn(w, r, iss, tenant, status, p, "", "")
	}
}

// CheckSignIn checks a sign-in form that ShowSignIn showed, posted to
// Action. A correct password of an active account starts a session
// exactly as the account page's sign-in does (the same throttling,
// lockout and audit event) and returns the user: the caller then sends
// the browser on, to Return. Otherwise CheckSignIn has answered (the
// form again, with a message that does not say which part was wrong, or
// an error page) and returns nil.
func (l *Login) CheckSignIn(w http.ResponseWriter, r *http.Request, p SignInPrompt) *gatehouse.User {
	iss, ok := l.formIssuer(w, r)
	if !ok {
		return nil
	}
	tenant, slug, perr := l.accountTenant(r, iss, r.PostForm.Get("organization"))
	if perr != nil {
		l.renderError(w, r, iss, nil, perr)
		return nil
	}
	if tenant == nil {
		l.showSignIn(w, r, iss, http.StatusOK, p, slug)
		return nil
	}
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	user, ok := l.signIn(w, r, tenant, username, password, func(status int, problem string) {
		l.renderPromptSignIn(w, r, iss, tenant, status, p, username, problem)
	})
	if !ok {
		return nil
	}
	if user.Status != gatehouse.StatusActive {
		l.renderPromptSignIn(w, r, iss, tenant, http.StatusForbidden, p, username,
			"This account is disabled. Ask an administrator of "+tenant.Name+" to enable it.")
		return nil
	}
	sess, err := l.startSession(w, r, iss, user, []string{amrPassword})
	if err != nil {
		l.renderError(w, r, iss, tenant, l.storeError(r, "start session", err))
		return nil
	}
	l.recordSignIn(r, user, sess, "")
	return user
}

// renderPromptSignIn shows the sign-in form of a prompt for tenant.
func (l *Login) renderPromptSignIn(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, tenant *gatehouse.Tenant,
	status int, p SignInPrompt, username, problem string) {
	data := web.SignIn{Action: p.Action, Username: username, Error: problem}
	if iss.Tenant == nil {
		data.Hidden = []web.Field{{Name: "organization", Value: tenant.Slug}}
		other := url.Values{}
		if p.Return != "" {
			other.Set("return", p.Return)
		}
		data.OtherOrganizationURL = p.Action
		if len(other) > 0 {
			data.OtherOrganizationURL += "?" + other.Encode()
		}
	}
	if p.Return != "" {
		data.Hidden = append(data.Hidden, web.Field{Name: "return", Value: p.Return})
	}
	l.render(w, r, status, web.Page{Title: p.Title, Brand: l.brand(tenant), Data: data})
}
