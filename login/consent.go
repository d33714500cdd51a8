package login

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/web"
)

// serveConsentPage shows the consent page of a stored request, or moves
// the request on when it needs something else first.
func (l *Login) serveConsentPage(w http.ResponseWriter, r *http.Request) {
	f, sess, ok := l.resumeFlow(w, r, r.URL.Query().Get("request"))
	if !ok {
		return
	}
	l.proceed(w, r, f, sess, false, onConsent)
}

// serveConsent takes the user's answer. Allow records the consent (the
// union with what the user allowed before) and issues the code; deny
// sends access_denied. Either only when the request is at the consent
// step (or past it): a post cannot skip the sign-in or the checks.
func (l *Login) serveConsent(w http.ResponseWriter, r *http.Request) {
	f, sess, ok := l.resumeFlow(w, r, r.PostFormValue("request"))
	if !ok {
		return
	}
	d, err := l.decide(r, f, sess, false)
	if err != nil {
		l.renderError(w, r, f.iss, f.tenant, l.storeError(r, "authorize", err))
		return
	}
	if d.step != stepConsent && d.step != stepIssue {
		l.proceed(w, r, f, sess, false, onOther)
		return
	}
	actor := userActor(d.user.ID)
	if r.PostFormValue("decision") != "allow" {
		l.deny(w, r, f, actor, "user_denied")
		return
	}
	if !f.client.FirstParty {
		scopes := f.req.Scopes
		prev, err := l.store.GetConsent(r.Context(), f.client.TenantID, d.user.ID, f.client.ID)
		switch {
		case err == nil:
			scopes = gatehouse.ParseScope(gatehouse.JoinScope(slices.Concat(prev.Scopes, f.req.Scopes)))
		case !gatehouse.IsCode(err, gatehouse.ENOTFOUND):
			l.renderError(w, r, f.iss, f.tenant, l.storeError(r, "get consent", err))
			return
		}
		c := &gatehouse.Consent{TenantID: f.client.TenantID, UserID: d.user.ID, Client: f.client.ID, Scopes: scopes}
		if err := l.store.PutConsent(r.Context(), c); err != nil {
			l.renderError(w, r, f.iss, f.tenant, l.storeError(r, "put consent", err))
			return
		}
		l.record(r, f.client.TenantID, actor, "consent.grant", "client:"+f.client.ID, gatehouse.ResultSuccess,
			map[string]string{"client_id": f.req.ClientID, "scope": gatehouse.JoinScope(f.req.Scopes)})
	}
	d.step = stepIssue
	l.issue(w, r, f, d)
}

// renderConsent shows the consent page: the client, who is signed in, and
// one plain-language line per requested scope.
func (l *Login) renderConsent(w http.ResponseWriter, r *http.Request, f *flow, d decision) {
	name := d.user.Name
	if name == "" {
		name = d.user.Username
	}
	l.render(w, r, http.StatusOK, web.Page{
		Title: "Allow " + f.client.Name + "?",
		Brand: l.brand(f.tenant),
		Data: web.Consent{
			Action:            base(f.iss) + pathConsent,
			Hidden:            []web.Field{{Name: "request", Value: f.handle()}},
			ClientName:        f.client.Name,
			ClientLogoURI:     f.client.LogoURI,
			ClientLogoDarkURI: f.client.LogoDarkURI,
			UserName:          name,
			SwitchURL:         link(f.iss, pathSignIn, url.Values{"request": {f.handle()}, "switch": {"1"}}),
			Scopes:            l.scopeLines(f.req.Scopes),
			AccountURL:        base(f.iss) + pathAccount,
		},
	})
}

// scopeLines describes scopes in catalog words and catalog order (openid
// first), whatever order they were requested in.
func (l *Login) scopeLines(scopes []string) []web.ScopeLine {
	lines := make([]web.ScopeLine, 0, len(scopes))
	for _, sc := range l.scopes.Available() {
		if slices.Contains(scopes, sc.Name) {
			lines = append(lines, web.ScopeLine{Name: sc.Name, Description: sc.Description})
		}
	}
	for _, s := range scopes {
		if sc, ok := l.scopes.Lookup(s); !ok || sc.Planned {
			lines = append(lines, web.ScopeLine{Name: s, Description: s})
		}
	}
	return lines
}
