package login

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/token"
	"github.com/gatehouse-id/gatehouse/web"
)

// logoutRequest is a validated RP-initiated logout request (OpenID Connect
// RP-Initiated Logout 1.0 §2).
type logoutRequest struct {
	client *gatehouse.Client
	// clientID is the OAuth client_id the request named (or its hint's
	// aud).
	clientID string
	hint     *token.IDClaims
	// returnTo is the post_logout_redirect_uri when it is registered for
	// the client, else "": then the browser stays on our signed-out page.
	returnTo string
	state    string
}

// serveLogout is the end-session endpoint, GET and POST. With an
// id_token_hint of the browser's own session the session ends at once;
// otherwise the user confirms first, since anyone can link here.
func (l *Login) serveLogout(w http.ResponseWriter, r *http.Request) {
	iss, p, ok := l.endpointParams(w, r, pathLogout)
	if !ok {
		return
	}
	if p.repeated() != "" {
		l.renderError(w, r, iss, nil, errBadRequest)
		return
	}
	lr, perr := l.checkLogout(r, iss, p.one("id_token_hint"), p.one("client_id"), p.one("post_logout_redirect_uri"), p.one("state"))
	if perr != nil {
		l.renderError(w, r, iss, nil, perr)
		return
	}
	sess, err := l.currentSession(r, iss)
	if err != nil {
		l.renderError(w, r, iss, nil, l.storeError(r, "read session", err))
		return
	}
	if sess == nil {
		// Nothing to end; a stale cookie goes all the same.
		if sessionCookie(r, iss) != "" {
			clearSessionCookie(w, iss)
		}
		l.signedOut(w, r, iss, lr)
		return
	}
	if lr.hint != nil && lr.client != nil && lr.client.TenantID == sess.TenantID && lr.hint.Subject == sess.UserID &&
		(lr.hint.SessionID == "" || lr.hint.SessionID == sess.ID) {
		l.logout(w, r, iss, sess, lr)
		return
	}
	l.renderLogoutConfirm(w, r, iss, sess, lr)
}

// checkLogout validates the parameters of a logout request. A hint must
// be an ID token of this issuer (expired is fine); client_id, when given
// with a hint, must be the hint's audience; the client must be served by
// this issuer. A post_logout_redirect_uri that is not registered for the
// client is not an error: it is just not used.
func (l *Login) checkLogout(r *http.Request, iss gatehouse.Issuer, rawHint, clientID, returnTo, state string) (*logoutRequest, *web.PageError) {
	lr := &logoutRequest{clientID: clientID, state: state}
	if rawHint != "" {
		claims, err := l.tokens.VerifyIDTokenHint(rawHint, iss.URL)
		if err != nil {
			if gatehouse.IsCode(err, gatehouse.EUNAVAILABLE) {
				return nil, web.UnavailableError()
			}
			return nil, errBadHint
		}
		if clientID != "" && clientID != claims.Audience {
			return nil, errHintMismatch
		}
		lr.hint, lr.clientID = claims, claims.Audience
	}
	if lr.clientID != "" {
		if len(lr.clientID) > maxClientIDLen || !gatehouse.StorableText(lr.clientID) {
			return nil, errUnknownClient
		}
		c, err := l.store.GetClientByClientID(r.Context(), lr.clientID)
		switch {
		case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
			return nil, errUnknownClient
		case err != nil:
			return nil, l.storeError(r, "get client", err)
		case !iss.Admits(c.TenantID):
			return nil, errWrongIssuer
		}
		lr.client = c
	}
	if returnTo != "" && lr.client != nil && slices.Contains(lr.client.PostLogoutRedirectURIs, returnTo) {
		lr.returnTo = returnTo
	}
	return lr, nil
}

// renderLogoutConfirm asks the user before ending the session. The form
// carries only validated values and goes to a CSRF-protected page.
func (l *Login) renderLogoutConfirm(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, sess *gatehouse.Session, lr *logoutRequest) {
	var hidden []web.Field
	name := ""
	if lr.client != nil {
		hidden = append(hidden, web.Field{Name: "client_id", Value: lr.clientID})
		name = lr.client.Name
	}
	if lr.returnTo != "" {
		hidden = append(hidden, web.Field{Name: "post_logout_redirect_uri", Value: lr.returnTo})
		if lr.state != "" {
			hidden = append(hidden, web.Field{Name: "state", Value: lr.state})
		}
	}
	user, tenant := l.sessionOwner(r, sess)
	l.render(w, r, http.StatusOK, web.Page{
		Title: "Sign out?",
		Brand: l.brand(tenant),
		Data: web.LogoutConfirm{
			Action:     base(iss) + pathLogoutConfirm,
			Hidden:     hidden,
			ClientName: name,
			UserName:   user,
			CancelURL:  base(iss) + pathAccount,
		},
	})
}

// sessionOwner returns the display name of the session's user and its
// tenant, for pages about it; failures only leave them out.
func (l *Login) sessionOwner(r *http.Request, sess *gatehouse.Session) (string, *gatehouse.Tenant) {
	var name string
	if u, err := l.store.GetUser(r.Context(), sess.TenantID, sess.UserID); err == nil {
		name = u.Name
		if name == "" {
			name = u.Username
		}
	}
	t, err := l.store.GetTenant(r.Context(), sess.TenantID)
	if err != nil {
		t = nil
	}
	return name, t
}

// serveLogoutConfirm ends the session after the user confirmed, or after
// the account page's sign-out button.
func (l *Login) serveLogoutConfirm(w http.ResponseWriter, r *http.Request) {
	iss, ok := l.formIssuer(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	lr, perr := l.checkLogout(r, iss, "", f.Get("client_id"), f.Get("post_logout_redirect_uri"), f.Get("state"))
	if perr != nil {
		l.renderError(w, r, iss, nil, perr)
		return
	}
	sess, err := l.currentSession(r, iss)
	if err != nil {
		l.renderError(w, r, iss, nil, l.storeError(r, "read session", err))
		return
	}
	if sess == nil {
		l.signedOut(w, r, iss, lr)
		return
	}
	l.logout(w, r, iss, sess, lr)
}

// logout ends the session, records it, and returns the browser to the
// client or shows the signed-out page.
func (l *Login) logout(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, sess *gatehouse.Session, lr *logoutRequest) {
	if err := l.endSession(w, r, iss, sess); err != nil {
		l.renderError(w, r, iss, nil, l.storeError(r, "end session", err))
		return
	}
	details := map[string]string{"session": sess.ID}
	if lr.client != nil {
		details["client_id"] = lr.clientID
	}
	l.record(r, sess.TenantID, userActor(sess.UserID), "logout", "session:"+sess.ID, gatehouse.ResultSuccess, details)
	l.signedOut(w, r, iss, lr)
}

// signedOut sends the browser to the registered post-logout URI, with
// state, or shows the signed-out page.
func (l *Login) signedOut(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, lr *logoutRequest) {
	if lr.returnTo != "" {
		loc := lr.returnTo
		if lr.state != "" {
			loc = appendQuery(loc, "state="+url.QueryEscape(lr.state))
		}
		redirect(w, loc)
		return
	}
	var tenant *gatehouse.Tenant
	name := ""
	if lr.client != nil {
		name = lr.client.Name
		if t, err := l.store.GetTenant(r.Context(), lr.client.TenantID); err == nil {
			tenant = t
		}
	}
	l.render(w, r, http.StatusOK, web.Page{
		Title: "Signed out",
		Brand: l.brand(orTenant(tenant, iss.Tenant)),
		Data:  web.SignedOut{ClientName: name, AccountURL: base(iss) + pathAccount},
	})
}

func orTenant(a, b *gatehouse.Tenant) *gatehouse.Tenant {
	if a != nil {
		return a
	}
	return b
}

// appendQuery adds an encoded parameter to a URI, after its own query,
// which is kept as registered.
func appendQuery(uri, param string) string {
	base, frag, hasFrag := strings.Cut(uri, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?" + param
	case strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&"):
		base += param
	default:
		base += "&" + param
	}
	if hasFrag {
		base += "#" + frag
	}
	return base
}
