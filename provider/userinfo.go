package provider

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
)

// serveUserinfo is the UserInfo endpoint (OpenID Connect Core §5.3), GET
// and POST: it returns the claims about the signed-in user that the
// access token's scopes release. The token comes in the Authorization
// header, or on POST in the form body (RFC 6750 §2.1, §2.2), never in the
// URL. Any token that is not a live access token of this issuer (an ID
// token, a refresh token, a runtime token, an expired or revoked one) is
// 401 invalid_token with a Bearer challenge; a token without openid is 403
// insufficient_scope.
func (p *Provider) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	iss, ok := p.issuer(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	raw, present, err := oauth.BearerToken(r)
	switch {
	case err != nil:
		oauth.WriteBearerError(w, err)
		return
	case !present:
		oauth.WriteBearerError(w, nil)
		return
	}
	claims, err := p.verifyAccessToken(ctx, iss, raw)
	if err != nil {
		p.writeBearerError(w, r, err)
		return
	}
	scopes := gatehouse.ParseScope(claims.Scope)
	if !slices.Contains(scopes, gatehouse.ScopeOpenID) {
		oauth.WriteBearerError(w, oauth.InsufficientScope("the access token was not granted the openid scope"))
		return
	}
	// A token without a grant was issued to a client for itself
	// (client_credentials) and has no user; it never carries openid, but
	// the check must not depend on that.
	if claims.GrantID == "" {
		oauth.WriteBearerError(w, oauth.InvalidToken("the access token does not belong to a user"))
		return
	}
	u, t, err := p.tokenUser(ctx, iss, claims)
	if err != nil {
		p.writeBearerError(w, r, err)
		return
	}
	out := scopeClaims(scopes, u, t)
	out["sub"] = u.ID
	writeJSON(w, http.StatusOK, out)
}

// verifyAccessToken checks an access token presented to this issuer: the
// signature, type, issuer, audience (this issuer: our own userinfo and
// introspection are its resource) and times, then the revocation of its
// jti and of its grant. Every way a token can fail is invalid_token; a
// store or key failure is returned as it is.
//
// A token verified in the last verifiedTTL skips the signature check
// (verified.go); the revocation check runs every time.
func (p *Provider) verifyAccessToken(ctx context.Context, iss gatehouse.Issuer, raw string) (*token.AccessClaims, error) {
	key := verifiedKey(iss.URL, raw)
	now := p.clock()
	claims, ok := p.verified.get(key, now)
	if !ok {
		var err error
		claims, err = p.tokens.VerifyAccessToken(raw, iss.URL, iss.URL)
		switch gatehouse.ErrorCode(err) {
		case "":
			p.verified.put(key, claims, now)
		case gatehouse.EEXPIRED:
			return nil, oauth.InvalidToken("the access token expired")
		case gatehouse.EUNAUTHORIZED:
			return nil, oauth.InvalidToken("the access token is invalid")
		default:
			return nil, fmt.Errorf("verify access token: %w", err)
		}
	}
	if !iss.Admits(claims.TenantID) {
		return nil, oauth.InvalidToken("the access token is invalid")
	}
	revoked, err := p.store.AccessTokenRevoked(ctx, claims.JTI, claims.GrantID)
	if err != nil {
		return nil, fmt.Errorf("check access token revocation: %w", err)
	}
	if revoked {
		return nil, oauth.InvalidToken("the access token was revoked")
	}
	return claims, nil
}

// tokenUser loads the user an access token speaks for, and the user's
// tenant: the user must exist, be active and belong to the token's
// tenant, which must be active. Otherwise the token is invalid_token.
func (p *Provider) tokenUser(ctx context.Context, iss gatehouse.Issuer, claims *token.AccessClaims) (*gatehouse.User, *gatehouse.Tenant, error) {
	u, err := p.store.GetUser(ctx, claims.TenantID, claims.Subject)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, nil, oauth.InvalidToken("the user of the access token no longer exists")
	case err != nil:
		return nil, nil, fmt.Errorf("load user: %w", err)
	case u.Status != gatehouse.StatusActive || u.TenantID != claims.TenantID:
		return nil, nil, oauth.InvalidToken("the user of the access token is not active")
	}
	t, err := p.activeTenant(ctx, iss, claims.TenantID)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, nil, oauth.InvalidToken("the tenant of the access token is not active")
	case err != nil:
		return nil, nil, err
	}
	return u, t, nil
}

// writeBearerError writes a userinfo error, logging what is not a
// protocol error.
func (p *Provider) writeBearerError(w http.ResponseWriter, r *http.Request, err error) {
	if oauth.ErrorFrom(err).Code == oauth.CodeServerError {
		p.log.Error("userinfo", "path", r.URL.Path, "err", err)
	}
	oauth.WriteBearerError(w, err)
}
