package provider

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
)

// credentialRefused is the one description of every refused JWT
// credential: forged, malformed, unknown, of another tenant or issuer,
// revoked, expired, not allowed for the client, or of a user who may no
// longer get tokens. Saying which would tell a client holding a stolen
// credential what to try next.
const credentialRefused = "the assertion is not a JWT credential this client may use"

// jwtBearerGrant exchanges a user's JWT credential for an access token
// (RFC 7523 §2.1): the app presents the credential as the assertion and
// authenticates as itself. The credential must be one Gatehouse issued
// (token.VerifyCredential: its stored hash is the proof), of the
// client's tenant and issuer, usable, and allow this client; its user
// must be active and admitted by the client's roles. Each exchange makes
// a grant bound to the credential and the client, so revoking the
// credential revokes every token it issued. The response is an access
// token alone: no refresh token (the credential is the long-lived part)
// and no ID token (nobody signed in).
func (p *Provider) jwtBearerGrant(ctx context.Context, tr *tokenRequest) (*tokenResponse, error) {
	c := tr.client
	// RFC 7523 §3.1 lets a client go unauthenticated; here the credential
	// is bound to apps, and only authentication says which app presents
	// it. Client registration already keeps this grant from public
	// clients; this holds even if a row says otherwise.
	if c.IsPublic() {
		return nil, oauth.InvalidClient("the JWT bearer grant requires client authentication")
	}
	assertion := tr.form.Get("assertion")
	if assertion == "" {
		return nil, oauth.InvalidRequest("assertion is required")
	}
	scopes, err := jwtBearerScopes(c, tr.form.Get("scope"))
	if err != nil {
		return nil, err
	}
	// The lookup is in the client's tenant: another tenant's credential
	// is simply not found.
	cred, err := p.tokens.VerifyCredential(assertion, tr.iss.URL, tr.iss.URL+pathToken,
		func(id string) (*gatehouse.JWTCredential, error) {
			return p.store.GetJWTCredential(ctx, c.TenantID, id)
		})
	if err != nil {
		switch gatehouse.ErrorCode(err) {
		case gatehouse.EUNAUTHORIZED, gatehouse.EEXPIRED:
			return nil, p.refuseCredential(ctx, tr, cred, gatehouse.ErrorMessage(err))
		}
		return nil, fmt.Errorf("verify JWT credential: %w", err)
	}
	p.addLogAttrs(ctx, slog.String("credential_id", cred.ID))
	if cred.TenantID != c.TenantID || !credentialAllows(cred, c.Client) {
		return nil, p.refuseCredential(ctx, tr, cred, "client not allowed by the credential")
	}
	u, err := p.store.GetUser(ctx, cred.TenantID, cred.UserID)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, p.refuseCredential(ctx, tr, cred, "user no longer exists")
	case err != nil:
		return nil, fmt.Errorf("load user: %w", err)
	case u.Status != gatehouse.StatusActive:
		return nil, p.refuseCredential(ctx, tr, cred, "user not active")
	case len(c.AllowedRoles) > 0 && !u.HasRole(c.AllowedRoles...):
		// The same rule as sign-in: a client that admits only some roles
		// admits them through a credential too.
		return nil, p.refuseCredential(ctx, tr, cred, "user has no role the client admits")
	}

	// The token ends with the credential at the latest.
	exp := tr.now.Add(c.AccessTokenTTL)
	if cred.ExpiresAt.Before(exp) {
		exp = cred.ExpiresAt
	}
	g := &gatehouse.Grant{
		ID:              secret.NewID(),
		TenantID:        cred.TenantID,
		Client:          c.ID,
		UserID:          u.ID,
		JWTCredentialID: cred.ID,
		Scopes:          scopes,
		CreatedAt:       tr.now,
		// The grant lives as long as its one access token: the sweep
		// removes it after that, and a missing grant reads as revoked.
		ExpiresAt: exp,
	}
	if err := p.store.CreateGrant(ctx, g); err != nil {
		switch gatehouse.ErrorCode(err) {
		case gatehouse.ENOTFOUND:
			// The credential, user or client went away since the checks.
			return nil, p.refuseCredential(ctx, tr, cred, "credential or user deleted")
		case gatehouse.ECONFLICT:
			// The store's answer for a credential revoked since the checks
			// (Store.CreateGrant).
			return nil, p.refuseCredential(ctx, tr, cred, "credential revoked")
		}
		return nil, fmt.Errorf("create grant: %w", err)
	}
	scope := gatehouse.JoinScope(scopes)
	access, err := p.tokens.AccessToken(token.AccessClaims{
		Issuer:       tr.iss.URL,
		Subject:      u.ID,
		Audience:     []string{tr.iss.URL},
		ClientID:     c.ClientID,
		Scope:        scope,
		GrantID:      g.ID,
		TenantID:     u.TenantID,
		Expiry:       exp,
		IssuedAt:     tr.now,
		CredentialID: cred.ID,
	})
	if err != nil {
		p.revokeGrant(ctx, g.TenantID, g.ID, tr.now)
		return nil, fmt.Errorf("sign access token: %w", err)
	}
	p.touchCredential(ctx, cred, tr.now)
	p.recordIssue(ctx, tr, gatehouse.GrantJWTBearer, "user:"+u.ID)
	p.recordCredentialUse(ctx, tr, cred, gatehouse.ResultSuccess, map[string]string{"grant_id": g.ID})
	return &tokenResponse{
		AccessToken: access,
		TokenType:   "Bearer",
		ExpiresIn:   int64(exp.Sub(tr.now) / time.Second),
		Scope:       scope,
	}, nil
}

// jwtBearerScopes returns the scopes of a JWT bearer exchange: those
// asked for, each registered for the client, or without a scope
// parameter every scope the client registered. offline_access is refused:
// the grant issues no refresh token. openid is allowed (it is what
// userinfo requires of a token, OpenID Connect Core §5.3) but brings no ID
// token, since nobody signed in.
func jwtBearerScopes(c *authedClient, param string) ([]string, error) {
	if param == "" {
		return slices.DeleteFunc(slices.Clone(c.Scopes), func(s string) bool {
			return s == gatehouse.ScopeOfflineAccess
		}), nil
	}
	scopes := gatehouse.ParseScope(param)
	for _, name := range scopes {
		if name == gatehouse.ScopeOfflineAccess {
			return nil, oauth.InvalidScope("scope offline_access is not available to the JWT bearer grant: it issues no refresh token")
		}
		if !c.HasScope(name) {
			return nil, oauth.InvalidScope("the client is not allowed scope %s", name)
		}
	}
	return scopes, nil
}

// credentialAllows reports whether the credential admits the client: by
// the client_id it presented or another client_id of the same
// registration, so that an app whose client_id was rotated keeps the
// credentials its users made for it.
func credentialAllows(cred *gatehouse.JWTCredential, c *gatehouse.Client) bool {
	if len(cred.AllowedClientIDs) == 0 {
		return true
	}
	for _, cc := range c.Credentials {
		if cred.Allows(cc.ClientID) {
			return true
		}
	}
	return false
}

// refuseCredential answers a refused exchange with invalid_grant and the
// fixed description. The reason goes to the debug log, and, when the
// credential was identified (its hash matched), to the tenant's audit
// log as a failed credential.use: a revoked credential still being
// presented, or presented by the wrong app, is worth an admin's look.
func (p *Provider) refuseCredential(ctx context.Context, tr *tokenRequest, cred *gatehouse.JWTCredential, reason string) error {
	p.log.DebugContext(ctx, "JWT bearer grant refused", "client_id", tr.client.ClientID, "reason", reason)
	if cred != nil && cred.TenantID == tr.client.TenantID {
		p.recordCredentialUse(ctx, tr, cred, gatehouse.ResultFailure, map[string]string{"reason": reason})
	}
	return oauth.InvalidGrant(credentialRefused)
}

// recordCredentialUse records a credential.use event: the app presented
// the user's credential.
func (p *Provider) recordCredentialUse(ctx context.Context, tr *tokenRequest, cred *gatehouse.JWTCredential, result string, extra map[string]string) {
	details := map[string]string{"credential_id": cred.ID, "client_id": tr.client.ClientID, "user_id": cred.UserID}
	for k, v := range extra {
		details[k] = v
	}
	p.record(ctx, tr.r, gatehouse.AuditEvent{
		TenantID: cred.TenantID,
		Actor:    "client:" + tr.client.ClientID,
		Action:   "credential.use",
		Target:   "credential:" + cred.ID,
		Result:   result,
		Details:  details,
	})
}

// touchCredential records the credential's use as touch does a client
// credential's: at most once per touchInterval, across nodes by the
// stored time and within this node by the throttle, and never failing
// the exchange.
func (p *Provider) touchCredential(ctx context.Context, cred *gatehouse.JWTCredential, now time.Time) {
	if !cred.LastUsedAt.IsZero() && now.Sub(cred.LastUsedAt) < touchInterval && !now.Before(cred.LastUsedAt) {
		return
	}
	if !p.touches.due("jwt:"+cred.ID, now) {
		return
	}
	if err := p.store.TouchJWTCredential(ctx, cred.TenantID, cred.ID, now); err != nil {
		p.log.WarnContext(ctx, "record JWT credential use", "credential_id", cred.ID, "err", err)
	}
}
