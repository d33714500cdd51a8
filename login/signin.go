package login

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/web"
)

// The sign-in form's messages. Neither says which part was wrong, or
// whether the account exists.
const (
	msgBadCredentials = "The username or password is incorrect."
	msgTooMany        = "Too many attempts. Try again later."
)

// maxSignInName bounds what is looked up: an email address is at most 320
// characters.
const maxSignInName = 320

// outcome is the result of checking a password.
type outcome int

const (
	signInOK outcome = iota
	signInBad
	signInThrottled
)

// authenticate checks a username or email and a password within one
// tenant. An unknown name costs the same argon2id work as a wrong password
// (a fixed dummy hash is verified) and gets the same answer; so does an
// account without a password. Failures are counted per account (in the
// store) and per address, and past the threshold an account, or an
// unknown name, must wait before its next attempt is even checked. Only a
// store or context failure is an error.
func (l *Login) authenticate(r *http.Request, tenantID, name, password string) (*gatehouse.User, outcome, string, error) {
	ctx := r.Context()
	now := l.clock()
	ip := l.remoteIP(r)
	name = strings.ToLower(strings.TrimSpace(name))
	if l.ipFails.blocked(ip, now) {
		return nil, signInThrottled, "rate_limited", nil
	}
	if name == "" || password == "" || len(name) > maxSignInName || len(password) > gatehouse.MaxPasswordLength ||
		!gatehouse.StorableText(name) {
		l.ipFails.fail(ip, now)
		return nil, signInBad, "malformed", nil
	}
	var (
		user *gatehouse.User
		err  error
	)
	if strings.Contains(name, "@") {
		user, err = l.store.GetUserByEmail(ctx, tenantID, name)
	} else {
		user, err = l.store.GetUserByUsername(ctx, tenantID, name)
	}
	if err != nil && !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, 0, "", err
	}
	if user == nil {
		if l.unknown.lockedOut(tenantID, name, now) {
			return nil, signInThrottled, "locked_out", nil
		}
		if err := l.hasher.Verify(ctx, password, l.dummyHash); err != nil && !errors.Is(err, secret.ErrPasswordMismatch) {
			if ctx.Err() != nil {
				return nil, 0, "", ctx.Err()
			}
		}
		l.unknown.fail(tenantID, name, now)
		l.ipFails.fail(ip, now)
		return nil, signInBad, "unknown_user", nil
	}
	if lockedOut(user.FailedSignIns, user.LastFailedSignIn, now) {
		return user, signInThrottled, "locked_out", nil
	}
	hash, reason := user.PasswordHash, "bad_password"
	if hash == "" {
		hash, reason = l.dummyHash, "no_password"
	}
	err = l.hasher.Verify(ctx, password, hash)
	if err == nil && reason == "no_password" {
		// Nobody knows the dummy's password, but never let it through.
		err = secret.ErrPasswordMismatch
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, "", ctx.Err()
		}
		if !errors.Is(err, secret.ErrPasswordMismatch) {
			l.log.ErrorContext(ctx, "verify password: stored hash is unusable", "user", user.ID, "err", err)
			reason = "unusable_hash"
		}
		if _, err := l.store.RecordSignInFailure(context.WithoutCancel(ctx), tenantID, user.ID, now); err != nil {
			return nil, 0, "", err
		}
		l.ipFails.fail(ip, now)
		return user, signInBad, reason, nil
	}
	if user.FailedSignIns > 0 {
		if err := l.store.ResetSignInFailures(ctx, tenantID, user.ID); err != nil {
			return nil, 0, "", err
		}
	}
	return user, signInOK, "", nil
}

// serveSignInPage shows the sign-in form of a stored request, unless the
// browser's session already settles it: then the request moves on (this
// is where a relying party's cross-site POST lands as a GET with the
// session cookie). With switch=1 the form is shown whatever the session.
func (l *Login) serveSignInPage(w http.ResponseWriter, r *http.Request) {
	iss, ok := l.issuer(w, r)
	if !ok {
		return
	}
	handle := r.URL.Query().Get("request")
	if handle == "" {
		redirect(w, base(iss)+pathAccount)
		return
	}
	f, ok := l.loadFlowOrFail(w, r, iss, handle)
	if !ok {
		return
	}
	if r.URL.Query().Get("switch") == "1" {
		l.renderSignIn(w, r, f, http.StatusOK, f.req.LoginHint, "")
		return
	}
	sess, err := l.currentSession(r, iss)
	if err != nil {
		l.renderError(w, r, iss, f.tenant, l.storeError(r, "read session", err))
		return
	}
	l.proceed(w, r, f, sess, false, onSignIn)
}

// renderSignIn shows the sign-in form for a request.
func (l *Login) renderSignIn(w http.ResponseWriter, r *http.Request, f *flow, status int, username, problem string) {
	l.render(w, r, status, web.Page{
		Title: "Sign in",
		Brand: l.brand(f.tenant),
		Data: web.SignIn{
			Action:     base(f.iss) + pathSignIn,
			Hidden:     []web.Field{{Name: "request", Value: f.handle()}},
			Username:   username,
			Error:      problem,
			ClientName: f.client.Name,
		},
	})
}

// serveSignIn checks the sign-in form. For a request, success starts a
// session and moves the request on; for the account page, it goes there.
func (l *Login) serveSignIn(w http.ResponseWriter, r *http.Request) {
	iss, ok := l.formIssuer(w, r)
	if !ok {
		return
	}
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	if handle := r.PostForm.Get("request"); handle != "" {
		f, ok := l.loadFlowOrFail(w, r, iss, handle)
		if !ok {
			return
		}
		user, ok := l.signIn(w, r, f.tenant, username, password, func(status int, problem string) {
			l.renderSignIn(w, r, f, status, username, problem)
		})
		if !ok {
			return
		}
		if user.Status != gatehouse.StatusActive {
			l.renderDenied(w, r, f, "Your account is disabled. Ask an administrator of "+f.tenant.Name+" to enable it.")
			return
		}
		sess, err := l.startSession(w, r, iss, user, []string{amrPassword})
		if err != nil {
			l.renderError(w, r, iss, f.tenant, l.storeError(r, "start session", err))
			return
		}
		l.recordSignIn(r, user, sess, f.req.ClientID)
		if err := l.store.SetAuthRequestUser(r.Context(), f.req.TenantID, f.req.ID, user.ID, sess.ID); err != nil {
			if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
				l.renderError(w, r, iss, f.tenant, errExpired)
				return
			}
			l.renderError(w, r, iss, f.tenant, l.storeError(r, "record sign-in for request", err))
			return
		}
		f.req.UserID, f.req.SessionID = user.ID, sess.ID
		l.proceed(w, r, f, sess, false, onOther)
		return
	}
	tenant, slug, perr := l.accountTenant(r, iss, r.PostForm.Get("organization"))
	if perr != nil {
		l.renderError(w, r, iss, nil, perr)
		return
	}
	if tenant == nil {
		l.renderOrganization(w, r, iss, slug, http.StatusOK)
		return
	}
	ret := r.PostForm.Get("return")
	user, ok := l.signIn(w, r, tenant, username, password, func(status int, problem string) {
		l.renderAccountSignIn(w, r, iss, tenant, status, username, problem, ret)
	})
	if !ok {
		return
	}
	if user.Status != gatehouse.StatusActive {
		l.renderAccountSignIn(w, r, iss, tenant, http.StatusForbidden, username,
			"This account is disabled. Ask an administrator of "+tenant.Name+" to enable it.", ret)
		return
	}
	sess, err := l.startSession(w, r, iss, user, []string{amrPassword})
	if err != nil {
		l.renderError(w, r, iss, tenant, l.storeError(r, "start session", err))
		return
	}
	l.recordSignIn(r, user, sess, "")
	redirect(w, accountReturn(iss, ret))
}

// signIn checks the password and answers a failure with fail (the form
// again, with the generic message); ok is true for a correct password,
// whatever the account's status.
func (l *Login) signIn(w http.ResponseWriter, r *http.Request, tenant *gatehouse.Tenant, username, password string,
	fail func(status int, problem string)) (*gatehouse.User, bool) {
	user, res, reason, err := l.authenticate(r, tenant.ID, username, password)
	if err != nil {
		if r.Context().Err() != nil {
			return nil, false
		}
		l.renderError(w, r, gatehouse.Issuer{}, tenant, l.storeError(r, "sign in", err))
		return nil, false
	}
	if res == signInOK {
		if user.Status != gatehouse.StatusActive {
			l.record(r, tenant.ID, userActor(user.ID), "signin", "user:"+user.ID, gatehouse.ResultFailure,
				map[string]string{"reason": "disabled", "username": user.Username})
		}
		return user, true
	}
	actor, target := "anonymous", ""
	if user != nil {
		actor, target = userActor(user.ID), "user:"+user.ID
	}
	l.record(r, tenant.ID, actor, "signin", target, gatehouse.ResultFailure, map[string]string{
		"reason":   reason,
		"username": auditName(username),
	})
	if res == signInThrottled {
		fail(http.StatusTooManyRequests, msgTooMany)
		return nil, false
	}
	fail(http.StatusOK, msgBadCredentials)
	return nil, false
}

// auditName is the typed name as the audit log keeps it: trimmed,
// lower-cased, without control characters and bounded. It must stay
// UTF-8: details that are not come back from the store changed, and no
// longer match the chain's hash; PostgreSQL refuses a NUL outright.
func auditName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(strings.ToLower(strings.TrimSpace(s)), ""))
	if len(s) > 100 {
		s = strings.ToValidUTF8(s[:100], "")
	}
	return s
}

func (l *Login) recordSignIn(r *http.Request, user *gatehouse.User, sess *gatehouse.Session, clientID string) {
	details := map[string]string{"username": user.Username, "session": sess.ID, "amr": strings.Join(sess.AMR, " ")}
	if clientID != "" {
		details["client_id"] = clientID
	}
	l.record(r, user.TenantID, userActor(user.ID), "signin", "user:"+user.ID, gatehouse.ResultSuccess, details)
}

// accountTenant finds the tenant whose account page is asked for: the
// issuer's own, or on the platform issuer the organization named by slug.
// A nil tenant without error means the organization must be asked for
// (slug is what was typed, to show again).
func (l *Login) accountTenant(r *http.Request, iss gatehouse.Issuer, slug string) (*gatehouse.Tenant, string, *web.PageError) {
	if iss.Tenant != nil {
		return iss.Tenant, "", nil
	}
	slug = strings.ToLower(strings.TrimSpace(slug))
	if slug == "" || !gatehouse.ValidSlug(slug) {
		return nil, slug, nil
	}
	t, err := l.store.GetTenantBySlug(r.Context(), slug)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, slug, nil
	}
	if err != nil {
		return nil, slug, l.storeError(r, "get tenant", err)
	}
	if t.Status != gatehouse.StatusActive {
		return nil, slug, nil
	}
	return t, slug, nil
}

// renderAccountSignIn shows the sign-in form of the account page. ret,
// when it is a page the account sign-in may return to (accountReturn),
// is where a successful sign-in goes instead of the account page.
func (l *Login) renderAccountSignIn(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, t *gatehouse.Tenant,
	status int, username, problem, ret string) {
	data := web.SignIn{Action: base(iss) + pathSignIn, Username: username, Error: problem}
	if iss.Tenant == nil {
		data.Hidden = []web.Field{{Name: "organization", Value: t.Slug}}
		data.OtherOrganizationURL = base(iss) + pathAccount
	}
	if ret, ok := safeReturn(iss, ret); ok {
		data.Hidden = append(data.Hidden, web.Field{Name: "return", Value: ret})
	}
	l.render(w, r, status, web.Page{Title: "Sign in to your account", Brand: l.brand(t), Data: data})
}

// renderOrganization asks which organization to sign in to; slug, when
// not empty, was typed and matched nothing.
func (l *Login) renderOrganization(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, slug string, status int) {
	data := web.Organization{Action: base(iss) + pathAccount, Name: "organization", Slug: slug}
	if slug != "" {
		data.Error = "There is no active organization with that name."
	}
	l.render(w, r, status, web.Page{Title: "Sign in to your account", Brand: l.brand(nil), Data: data})
}
