package login

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
	"github.com/gatehouse-id/gatehouse/web"
)

// step is what an authorization request needs next.
type step int

const (
	// stepSignIn: the browser has no session the request can use.
	stepSignIn step = iota
	// stepDenied: the signed-in account may not use the client.
	stepDenied
	// stepConsent: the user must allow the client.
	stepConsent
	// stepIssue: everything is settled; issue the code.
	stepIssue
)

// decision is the outcome of decide.
type decision struct {
	step step
	sess *gatehouse.Session
	user *gatehouse.User
	// why says, for stepDenied, what the user is told.
	why string
}

// decide re-checks everything an authorization request depends on, from
// the start, against the browser's current session: the session itself,
// prompt=login and max_age (satisfied only by a sign-in made for this very
// request, or a recent enough one), the account's tenant, status and
// roles, the id_token_hint's subject, and consent (skipped for first-party
// clients, forced by prompt=consent unless consentGiven: the user has just
// allowed it). Every page of the flow acts on its answer, so no page can
// skip a step. Only store failures are errors.
func (l *Login) decide(r *http.Request, f *flow, sess *gatehouse.Session, consentGiven bool) (decision, error) {
	ctx := r.Context()
	if sess == nil {
		return decision{step: stepSignIn}, nil
	}
	d := decision{sess: sess}
	fresh := f.req.SessionID != "" && f.req.SessionID == sess.ID
	if !fresh {
		if f.has(promptLogin) || f.has(promptSelectAccount) {
			return decision{step: stepSignIn}, nil
		}
		if f.req.MaxAge >= 0 && l.clock().Sub(sess.AuthTime) >= time.Duration(f.req.MaxAge)*time.Second {
			return decision{step: stepSignIn}, nil
		}
	}
	if sess.TenantID != f.client.TenantID {
		d.step = stepDenied
		d.why = "You are signed in with an account of another organization. " + f.client.Name +
			" admits only accounts of " + f.tenant.Name + "."
		return d, nil
	}
	user, err := l.store.GetUser(ctx, sess.TenantID, sess.UserID)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return decision{step: stepSignIn}, nil
	}
	if err != nil {
		return decision{}, err
	}
	d.user = user
	if hint := f.req.IDTokenHintSubject; hint != "" && hint != user.ID {
		// OpenID Connect Core §3.1.2.2: the application expects another
		// user; only a new sign-in can settle it.
		return decision{step: stepSignIn}, nil
	}
	if user.Status != gatehouse.StatusActive {
		d.step = stepDenied
		d.why = "Your account is disabled. Ask an administrator of " + f.tenant.Name + " to enable it."
		return d, nil
	}
	if len(f.client.AllowedRoles) > 0 && !user.HasRole(f.client.AllowedRoles...) {
		d.step = stepDenied
		d.why = "Your account does not have a role that " + f.client.Name + " admits."
		return d, nil
	}
	if f.client.FirstParty || consentGiven {
		d.step = stepIssue
		return d, nil
	}
	if f.has(promptConsent) {
		d.step = stepConsent
		return d, nil
	}
	c, err := l.store.GetConsent(ctx, f.client.TenantID, user.ID, f.client.ID)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		d.step = stepConsent
	case err != nil:
		return decision{}, err
	case gatehouse.ContainsAll(c.Scopes, f.req.Scopes):
		d.step = stepIssue
	default:
		d.step = stepConsent
	}
	return d, nil
}

// page says which page is asking proceed to move on, so that the step it
// shows itself is rendered rather than redirected to.
type page int

const (
	onOther page = iota
	onSignIn
	onConsent
)

// proceed moves a stored request on to its next step: the sign-in form,
// the denied page, the consent page, or the code.
func (l *Login) proceed(w http.ResponseWriter, r *http.Request, f *flow, sess *gatehouse.Session, consentGiven bool, here page) {
	d, err := l.decide(r, f, sess, consentGiven)
	if err != nil {
		l.renderError(w, r, f.iss, f.tenant, l.storeError(r, "authorize", err))
		return
	}
	q := url.Values{"request": {f.handle()}}
	switch d.step {
	case stepSignIn:
		if here == onSignIn {
			l.renderSignIn(w, r, f, http.StatusOK, f.req.LoginHint, "")
			return
		}
		redirect(w, link(f.iss, pathSignIn, q))
	case stepDenied:
		l.renderDenied(w, r, f, d.why)
	case stepConsent:
		if here == onConsent {
			l.renderConsent(w, r, f, d)
			return
		}
		redirect(w, link(f.iss, pathConsent, q))
	case stepIssue:
		l.issue(w, r, f, d)
	}
}

// loadFlow finds the stored request a page continues, with its client and
// tenant, and checks them again: the issuer must still admit the tenant,
// the client must still exist and the redirect URI still be registered.
func (l *Login) loadFlow(r *http.Request, iss gatehouse.Issuer, handle string) (*flow, *web.PageError) {
	tenantID, id, ok := splitHandle(handle)
	if !ok || !iss.Admits(tenantID) {
		return nil, errExpired
	}
	ctx := r.Context()
	req, err := l.store.GetAuthRequest(ctx, tenantID, id, l.clock())
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, errExpired
	}
	if err != nil {
		return nil, l.storeError(r, "get authorization request", err)
	}
	if req.Issuer != iss.URL {
		// The handle was carried to another issuer (the platform's from a
		// tenant's, say): the response's iss must be the one the client
		// asked, so the request cannot continue here.
		return nil, errExpired
	}
	tenant, err := l.tenant(ctx, iss, tenantID)
	if err != nil {
		return nil, l.storeError(r, "get tenant", err)
	}
	client, err := l.requestClient(ctx, req)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return &flow{iss: iss, tenant: tenant}, errClientGone
	}
	if err != nil {
		return nil, l.storeError(r, "get client", err)
	}
	f := &flow{iss: iss, tenant: tenant, client: client, req: req, stored: true}
	if tenant.Status != gatehouse.StatusActive {
		return f, errTenantDisabled
	}
	target, perr := redirectTarget(client, req.RedirectURI)
	if perr != nil {
		return f, perr
	}
	f.target = target
	return f, nil
}

// loadFlowOrFail is loadFlow that shows its error page; ok is false when
// it did.
func (l *Login) loadFlowOrFail(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, handle string) (*flow, bool) {
	f, perr := l.loadFlow(r, iss, handle)
	if perr != nil {
		var t *gatehouse.Tenant
		if f != nil {
			t = f.tenant
		}
		l.renderError(w, r, iss, t, perr)
		return nil, false
	}
	return f, true
}

// resumeFlow starts a page that continues a stored request (handle, from
// the page's "request" parameter): it returns the request and the
// browser's session on its issuer, or false when it showed an error page.
func (l *Login) resumeFlow(w http.ResponseWriter, r *http.Request, handle string) (*flow, *gatehouse.Session, bool) {
	iss, ok := l.issuer(w, r)
	if !ok {
		return nil, nil, false
	}
	f, ok := l.loadFlowOrFail(w, r, iss, handle)
	if !ok {
		return nil, nil, false
	}
	sess, err := l.currentSession(r, iss)
	if err != nil {
		l.renderError(w, r, iss, f.tenant, l.storeError(r, "read session", err))
		return nil, nil, false
	}
	return f, sess, true
}

// claim deletes a stored request, so that it completes once: of two
// concurrent completions, only the one that deleted it goes on.
func (l *Login) claim(w http.ResponseWriter, r *http.Request, f *flow) bool {
	if !f.stored {
		return true
	}
	err := l.store.DeleteAuthRequest(r.Context(), f.req.TenantID, f.req.ID)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		l.renderError(w, r, f.iss, f.tenant, errExpired)
		return false
	}
	if err != nil {
		l.renderError(w, r, f.iss, f.tenant, l.storeError(r, "delete authorization request", err))
		return false
	}
	f.stored = false
	return true
}

// issue creates the authorization code and sends it to the client with
// state and iss (RFC 6749 §4.1.2, RFC 9207). The code is stored as its
// hash, for gatehouse.AuthCodeTTL, bound to the client_id, the redirect
// URI exactly as the request gave it ("" when it gave none), the PKCE
// challenge and the nonce, and to a new grant id that its exchange will
// create.
func (l *Login) issue(w http.ResponseWriter, r *http.Request, f *flow, d decision) {
	now := l.clock()
	code, hash := token.NewHandle()
	ac := &gatehouse.AuthCode{
		Hash:                hash,
		TenantID:            f.client.TenantID,
		Client:              f.client.ID,
		ClientID:            f.req.ClientID,
		UserID:              d.user.ID,
		GrantID:             secret.NewID(),
		SessionID:           d.sess.ID,
		RedirectURI:         f.req.RedirectURI,
		Scopes:              f.req.Scopes,
		Nonce:               f.req.Nonce,
		CodeChallenge:       f.req.CodeChallenge,
		CodeChallengeMethod: f.req.CodeChallengeMethod,
		AuthTime:            d.sess.AuthTime,
		AMR:                 d.sess.AMR,
		ACR:                 d.sess.ACR,
		CreatedAt:           now,
		ExpiresAt:           now.Add(gatehouse.AuthCodeTTL),
	}
	var err error
	if f.stored {
		// A stored request ends with its code in one write, so that it
		// completes once: of two concurrent completions one gets a code.
		err = l.store.CompleteAuthRequest(r.Context(), f.req.TenantID, f.req.ID, ac)
	} else {
		err = l.store.CreateAuthCode(r.Context(), ac)
	}
	switch {
	case f.stored && gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		l.renderError(w, r, f.iss, f.tenant, errExpired)
		return
	case err != nil:
		l.renderError(w, r, f.iss, f.tenant, l.storeError(r, "create authorization code", err))
		return
	}
	f.stored = false
	l.respond(w, r, f, "authorization response", oauth.CodeParams(code, f.req.State, f.iss.URL))
}

// deny ends a stored request with access_denied to the client.
func (l *Login) deny(w http.ResponseWriter, r *http.Request, f *flow, actor, reason string) {
	if !l.claim(w, r, f) {
		return
	}
	l.record(r, f.client.TenantID, actor, "authorize.deny", "client:"+f.client.ID, gatehouse.ResultFailure,
		map[string]string{"client_id": f.req.ClientID, "reason": reason})
	l.redirectError(w, r, f, oauth.AccessDenied("the request was denied"))
}

// renderDenied shows that the signed-in account may not use the client,
// with a way back to it (access_denied) and a way to switch accounts.
func (l *Login) renderDenied(w http.ResponseWriter, r *http.Request, f *flow, why string) {
	q := url.Values{"request": {f.handle()}, "switch": {"1"}}
	l.render(w, r, http.StatusForbidden, web.Page{
		Title: "This account cannot use " + f.client.Name,
		Brand: l.brand(f.tenant),
		Data: web.Denied{
			Message:    why,
			ClientName: f.client.Name,
			Action:     base(f.iss) + pathContinue,
			Hidden:     []web.Field{{Name: "request", Value: f.handle()}},
			SwitchURL:  link(f.iss, pathSignIn, q),
		},
	})
}

// serveContinue is the denied page's way back: the client learns that
// access was denied.
func (l *Login) serveContinue(w http.ResponseWriter, r *http.Request) {
	f, sess, ok := l.resumeFlow(w, r, r.PostFormValue("request"))
	if !ok {
		return
	}
	actor, reason := "anonymous", "account_not_allowed"
	if sess != nil {
		actor = userActor(sess.UserID)
		if sess.TenantID != f.client.TenantID {
			reason = "other_tenant"
		}
	}
	l.deny(w, r, f, actor, reason)
}

// tenant returns the tenant with this id: the issuer's own when the issuer
// is that tenant's, as the server resolved it for this request (an active
// tenant, kept a few seconds by the server's tenant cache, the freshness
// every request to the issuer already has); else through Options.Tenants,
// the same cache, or from the store when there is none.
func (l *Login) tenant(ctx context.Context, iss gatehouse.Issuer, tenantID string) (*gatehouse.Tenant, error) {
	switch {
	case iss.Tenant != nil && iss.Tenant.ID == tenantID:
		return iss.Tenant, nil
	case l.tenants != nil:
		return l.tenants.TenantByID(ctx, tenantID)
	}
	return l.store.GetTenant(ctx, tenantID)
}

// requestClient returns the client of a stored authorization request,
// through the client_id the request presented: the store answers that
// from its client cache. A client_id that no longer names the request's
// client (its credential was removed) is ENOTFOUND, as a removed client
// is.
func (l *Login) requestClient(ctx context.Context, req *gatehouse.AuthRequest) (*gatehouse.Client, error) {
	if req.ClientID == "" {
		return l.store.GetClient(ctx, req.TenantID, req.Client)
	}
	c, err := l.store.GetClientByClientID(ctx, req.ClientID)
	if err != nil {
		return nil, err
	}
	if c.ID != req.Client || c.TenantID != req.TenantID {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "client not found")
	}
	return c, nil
}
