package login

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/web"
)

// notices confirm the account page's actions; the query names one, so no
// text from the URL reaches the page.
var notices = map[string]string{
	"session":    "That session is signed out.",
	"app":        "The application's access was removed.",
	"credential": "The credential was revoked. Applications that used it no longer have access.",
}

// account is the signed-in user of the account page.
type account struct {
	iss    gatehouse.Issuer
	sess   *gatehouse.Session
	user   *gatehouse.User
	tenant *gatehouse.Tenant
}

// currentAccount returns the account of the browser's session when the
// issuer serves its tenant and the user is still active; nil otherwise.
func (l *Login) currentAccount(r *http.Request, iss gatehouse.Issuer) (*account, error) {
	sess, err := l.currentSession(r, iss)
	if err != nil || sess == nil || !iss.Admits(sess.TenantID) {
		return nil, err
	}
	user, err := l.store.GetUser(r.Context(), sess.TenantID, sess.UserID)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if user.Status != gatehouse.StatusActive {
		return nil, nil
	}
	tenant, err := l.store.GetTenant(r.Context(), sess.TenantID)
	if err != nil {
		return nil, err
	}
	return &account{iss: iss, sess: sess, user: user, tenant: tenant}, nil
}

// serveAccount shows the user's sessions, authorized applications and JWT
// credentials, or, without a session, the way to sign in: on a tenant's
// issuer its sign-in form, on the platform's first the organization.
func (l *Login) serveAccount(w http.ResponseWriter, r *http.Request) {
	iss, ok := l.issuer(w, r)
	if !ok {
		return
	}
	a, err := l.currentAccount(r, iss)
	if err != nil {
		l.renderError(w, r, iss, nil, l.storeError(r, "read session", err))
		return
	}
	if a == nil {
		tenant, slug, perr := l.accountTenant(r, iss, r.URL.Query().Get("organization"))
		switch {
		case perr != nil:
			l.renderError(w, r, iss, nil, perr)
		case tenant == nil:
			l.renderOrganization(w, r, iss, slug, http.StatusOK)
		default:
			l.renderAccountSignIn(w, r, iss, tenant, http.StatusOK, "", "", "")
		}
		return
	}
	ctx := r.Context()
	now := l.clock()
	sessions, err := l.store.ListSessions(ctx, a.user.TenantID, a.user.ID, now)
	if err != nil {
		l.renderError(w, r, iss, a.tenant, l.storeError(r, "list sessions", err))
		return
	}
	consents, err := l.store.ListConsents(ctx, a.user.TenantID, a.user.ID)
	if err != nil {
		l.renderError(w, r, iss, a.tenant, l.storeError(r, "list consents", err))
		return
	}
	data := web.Account{
		Name:                    a.user.Name,
		Username:                a.user.Username,
		Email:                   a.user.Email,
		Notice:                  notices[r.URL.Query().Get("done")],
		RevokeSessionAction:     base(iss) + pathRevokeSession,
		RevokeAppAction:         base(iss) + pathRevokeApp,
		SignOutAction:           base(iss) + pathLogoutConfirm,
		SignOutEverywhereAction: base(iss) + pathSignOutEverywhere,
		NewCredentialURL:        base(iss) + pathNewCredential,
		RevokeCredentialAction:  base(iss) + pathRevokeCredential,
	}
	for _, s := range sessions {
		data.Sessions = append(data.Sessions, web.AccountSession{
			ID:       s.ID,
			Current:  s.ID == a.sess.ID,
			SignedIn: s.AuthTime,
			LastSeen: s.LastSeenAt,
			IP:       s.IP,
			Device:   describeBrowser(s.UserAgent),
		})
	}
	for _, c := range consents {
		client, err := l.store.GetClient(ctx, c.TenantID, c.Client)
		if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
			continue
		}
		if err != nil {
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "get client", err))
			return
		}
		data.Apps = append(data.Apps, web.AccountApp{
			Client: c.Client,
			Name:   client.Name,
			Scopes: l.scopeLines(c.Scopes),
			Since:  c.CreatedAt,
		})
	}
	data.Credentials, err = l.accountCredentials(r, a, now)
	if err != nil {
		l.renderError(w, r, iss, a.tenant, l.storeError(r, "list JWT credentials", err))
		return
	}
	l.render(w, r, http.StatusOK, web.Page{Title: "Your account", Brand: l.brand(a.tenant), Data: data})
}

// accountAction runs a form of the account page for the signed-in user;
// without one it goes back to the page, which asks to sign in.
func (l *Login) accountAction(w http.ResponseWriter, r *http.Request, act func(iss gatehouse.Issuer, a *account)) {
	iss, ok := l.formIssuer(w, r)
	if !ok {
		return
	}
	a, err := l.currentAccount(r, iss)
	if err != nil {
		l.renderError(w, r, iss, nil, l.storeError(r, "read session", err))
		return
	}
	if a == nil {
		redirect(w, base(iss)+pathAccount)
		return
	}
	act(iss, a)
}

// serveRevokeSession signs one of the user's sessions out.
func (l *Login) serveRevokeSession(w http.ResponseWriter, r *http.Request) {
	l.accountAction(w, r, func(iss gatehouse.Issuer, a *account) {
		id := r.PostForm.Get("session")
		if id == "" || len(id) > 64 || !gatehouse.StorableText(id) {
			redirect(w, accountDone(iss, ""))
			return
		}
		s, err := l.store.GetSession(r.Context(), a.user.TenantID, id)
		if gatehouse.IsCode(err, gatehouse.ENOTFOUND) || (err == nil && s.UserID != a.user.ID) {
			// Not one of this user's sessions: nothing to do, and nothing
			// to tell about someone else's.
			redirect(w, accountDone(iss, ""))
			return
		}
		if err != nil {
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "get session", err))
			return
		}
		if err := l.store.RevokeSession(r.Context(), s.TenantID, s.ID, l.clock()); err != nil {
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "revoke session", err))
			return
		}
		if s.ID == a.sess.ID {
			clearSessionCookie(w, iss)
		}
		l.record(r, a.user.TenantID, userActor(a.user.ID), "session.revoke", "session:"+s.ID, gatehouse.ResultSuccess, nil)
		redirect(w, accountDone(iss, "session"))
	})
}

// serveRevokeApp removes an application's access: the consent goes and,
// with it, every grant (refresh tokens, and access tokens by their grant).
func (l *Login) serveRevokeApp(w http.ResponseWriter, r *http.Request) {
	l.accountAction(w, r, func(iss gatehouse.Issuer, a *account) {
		client := r.PostForm.Get("client")
		if client == "" || len(client) > 64 || !gatehouse.StorableText(client) {
			redirect(w, accountDone(iss, ""))
			return
		}
		err := l.store.RevokeConsent(r.Context(), a.user.TenantID, a.user.ID, client, l.clock())
		if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
			redirect(w, accountDone(iss, ""))
			return
		}
		if err != nil {
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "revoke consent", err))
			return
		}
		l.record(r, a.user.TenantID, userActor(a.user.ID), "consent.revoke", "client:"+client, gatehouse.ResultSuccess, nil)
		redirect(w, accountDone(iss, "app"))
	})
}

// serveSignOutEverywhere ends every session of the user, this one too.
func (l *Login) serveSignOutEverywhere(w http.ResponseWriter, r *http.Request) {
	l.accountAction(w, r, func(iss gatehouse.Issuer, a *account) {
		n, err := l.store.RevokeUserSessions(r.Context(), a.user.TenantID, a.user.ID, l.clock())
		if err != nil {
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "revoke sessions", err))
			return
		}
		clearSessionCookie(w, iss)
		l.record(r, a.user.TenantID, userActor(a.user.ID), "logout", "user:"+a.user.ID, gatehouse.ResultSuccess,
			map[string]string{"everywhere": "true", "sessions": strconv.Itoa(n)})
		l.render(w, r, http.StatusOK, web.Page{
			Title: "Signed out everywhere",
			Brand: l.brand(a.tenant),
			Data:  web.SignedOut{AccountURL: base(iss) + pathAccount},
		})
	})
}

func accountDone(iss gatehouse.Issuer, notice string) string {
	if notice == "" {
		return base(iss) + pathAccount
	}
	return link(iss, pathAccount, url.Values{"done": {notice}})
}

// describeBrowser names a browser from its User-Agent in a few words, for
// the session list; "" when it cannot tell.
func describeBrowser(ua string) string {
	var browser, system string
	switch {
	case strings.Contains(ua, "Edg/"):
		browser = "Edge"
	case strings.Contains(ua, "Firefox/"):
		browser = "Firefox"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "Chromium/"):
		browser = "Chrome"
	case strings.Contains(ua, "Safari/"):
		browser = "Safari"
	}
	switch {
	case strings.Contains(ua, "Android"):
		system = "Android"
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad"):
		system = "iOS"
	case strings.Contains(ua, "Windows"):
		system = "Windows"
	case strings.Contains(ua, "Mac OS X"):
		system = "macOS"
	case strings.Contains(ua, "Linux"):
		system = "Linux"
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "A browser on " + system
	}
	return ""
}
