package login

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/web"
)

// The set-password page, where a set-password link leads: an invited user
// chooses a first password, or a user whose admin started a reset chooses
// a new one. The link's token is single use: the GET only shows the form
// (a mail scanner that follows the link spends nothing), and the POST
// spends the token when it sets the password.
//
//	/password/set?token=T ──► form (token in a hidden field)
//	        │ POST: password twice, policy checked
//	        ▼
//	token consumed (exactly once) ──► password set, invited → active,
//	other sessions ended ──► "password set", link to sign in

// PasswordTokens is the part of the store behind the set-password page.
type PasswordTokens interface {
	GetPasswordToken(ctx context.Context, hash []byte, now time.Time) (*gatehouse.PasswordToken, error)
	ConsumePasswordToken(ctx context.Context, hash []byte, now time.Time) (*gatehouse.PasswordToken, error)
}

// maxTokenLen bounds the token looked up: the links hold 43 characters.
const maxTokenLen = 100

var errBadLink = &web.PageError{Status: http.StatusBadRequest, Title: "This link does not work",
	Message: "This link has expired, was already used, or was replaced by a newer one. Ask an administrator of your organization for a new link."}

// passwordLink finds the token of a set-password link and its user. A
// token of another tenant than the issuer's, or of a disabled user, is
// refused like an unknown one.
func (l *Login) passwordLink(r *http.Request, iss gatehouse.Issuer, value string) (*gatehouse.User, *gatehouse.Tenant, *web.PageError) {
	if value == "" || len(value) > maxTokenLen {
		return nil, nil, errBadLink
	}
	ctx := r.Context()
	t, err := l.store.GetPasswordToken(ctx, secret.Hash(value), l.clock())
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, nil, errBadLink
	case err != nil:
		return nil, nil, l.storeError(r, "read password token", err)
	case !iss.Admits(t.TenantID):
		return nil, nil, errBadLink
	}
	u, err := l.store.GetUser(ctx, t.TenantID, t.UserID)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, nil, errBadLink
	case err != nil:
		return nil, nil, l.storeError(r, "read user", err)
	case u.Status == gatehouse.StatusDisabled:
		return nil, nil, errBadLink
	}
	tenant, err := l.store.GetTenant(ctx, t.TenantID)
	if err != nil {
		return nil, nil, l.storeError(r, "read tenant", err)
	}
	if tenant.Status != gatehouse.StatusActive {
		return nil, nil, errTenantDisabled
	}
	return u, tenant, nil
}

func (l *Login) serveSetPasswordPage(w http.ResponseWriter, r *http.Request) {
	iss, ok := l.issuer(w, r)
	if !ok {
		return
	}
	value := r.URL.Query().Get("token")
	u, tenant, perr := l.passwordLink(r, iss, value)
	if perr != nil {
		l.renderError(w, r, iss, nil, perr)
		return
	}
	l.renderSetPassword(w, r, iss, tenant, u, value, http.StatusOK, "")
}

func (l *Login) renderSetPassword(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, t *gatehouse.Tenant,
	u *gatehouse.User, value string, status int, problem string) {
	title := "Choose a new password"
	if u.Status == gatehouse.StatusInvited {
		title = "Set your password"
	}
	l.render(w, r, status, web.Page{
		Title: title,
		Brand: l.brand(t),
		Data: web.SetPassword{
			Action:   base(iss) + pathSetPassword,
			Hidden:   []web.Field{{Name: "token", Value: value}},
			Username: u.Username,
			Invite:   u.Status == gatehouse.StatusInvited,
			Error:    problem,
		},
	})
}

func (l *Login) serveSetPassword(w http.ResponseWriter, r *http.Request) {
	iss, ok := l.formIssuer(w, r)
	if !ok {
		return
	}
	value := r.PostForm.Get("token")
	u, tenant, perr := l.passwordLink(r, iss, value)
	if perr != nil {
		l.renderError(w, r, iss, nil, perr)
		return
	}
	password, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	if msg := gatehouse.CheckPassword(password); msg != "" {
		l.renderSetPassword(w, r, iss, tenant, u, value, http.StatusBadRequest, "The password "+msg+".")
		return
	}
	if !secret.EqualString(password, confirm) {
		l.renderSetPassword(w, r, iss, tenant, u, value, http.StatusBadRequest, "The two passwords do not match.")
		return
	}
	ctx := r.Context()
	hash, err := l.hasher.Hash(ctx, password)
	if err != nil {
		l.renderError(w, r, iss, tenant, l.storeError(r, "hash password", err))
		return
	}
	// The token is spent before the password is written: of two posts of
	// one link, exactly one gets here.
	now := l.clock()
	t, err := l.store.ConsumePasswordToken(ctx, secret.Hash(value), now)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		l.renderError(w, r, iss, tenant, errBadLink)
		return
	case err != nil:
		l.renderError(w, r, iss, tenant, l.storeError(r, "consume password token", err))
		return
	}
	u, err = l.setPassword(ctx, t, hash, now)
	if err != nil {
		l.renderError(w, r, iss, tenant, l.storeError(r, "set password", err))
		return
	}
	if u.Status == gatehouse.StatusDisabled {
		l.renderError(w, r, iss, tenant, errBadLink)
		return
	}
	sessions, err := l.store.RevokeUserSessions(ctx, t.TenantID, u.ID, now)
	if err != nil {
		l.log.ErrorContext(ctx, "end sessions after a password change", "err", err)
	}
	l.record(r, t.TenantID, userActor(u.ID), "user.password.set", "user:"+u.ID, gatehouse.ResultSuccess,
		map[string]string{"via": "link", "link_by": t.CreatedBy, "sessions_ended": strconv.Itoa(sessions)})
	l.render(w, r, http.StatusOK, web.Page{Title: "Password set", Brand: l.brand(tenant),
		Data: web.PasswordSet{SignInURL: base(iss) + pathAccount}})
}

// setPassword writes the new hash and makes an invited user active,
// re-reading the user when a concurrent change won. A user disabled
// meanwhile is returned unchanged.
func (l *Login) setPassword(ctx context.Context, t *gatehouse.PasswordToken, hash string, now time.Time) (*gatehouse.User, error) {
	var err error
	for range 3 {
		var u *gatehouse.User
		if u, err = l.store.GetUser(ctx, t.TenantID, t.UserID); err != nil {
			return nil, err
		}
		if u.Status == gatehouse.StatusDisabled {
			return u, nil
		}
		u.PasswordHash = hash
		if u.Status == gatehouse.StatusInvited {
			u.Status = gatehouse.StatusActive
		}
		u.UpdatedAt = now
		if err = l.store.UpdateUser(ctx, u); err == nil {
			return u, nil
		}
		if !gatehouse.IsCode(err, gatehouse.ECONFLICT) {
			return nil, err
		}
	}
	return nil, err
}
