package provider

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
)

// introspection is an introspection response (RFC 7662 §2.2). An
// inactive token is answered with {"active":false} alone: nothing more may
// be said about it. A refresh token has no jti and no audience besides
// this server, so both are left out for one.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Subject   string `json:"sub,omitempty"`
	Expiry    int64  `json:"exp,omitempty"`
	IssuedAt  int64  `json:"iat,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	Audience  any    `json:"aud,omitempty"`
	JTI       string `json:"jti,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	TenantID  string `json:"tenant_id,omitempty"`
	// CredentialID names the JWT credential an access token was
	// exchanged for: the token is bound to that credential and to
	// client_id.
	CredentialID string `json:"credential_id,omitempty"`
}

// serveIntrospect is the introspection endpoint (RFC 7662). Only a
// confidential client may ask (§4: a public client's credentials prove
// nothing), and only about tokens of its own tenant: a token of another
// tenant is inactive, as is a token that is expired, revoked, spent,
// malformed, of another issuer or whose user is no longer active.
func (p *Provider) serveIntrospect(w http.ResponseWriter, r *http.Request) {
	iss, ok := p.issuer(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := oauth.ParseForm(r); err != nil {
		oauth.WriteTokenError(w, err)
		return
	}
	client, err := p.authenticateClient(ctx, r, iss)
	if err == nil && client.IsPublic() {
		err = oauth.InvalidClient("introspection requires a confidential client")
	}
	if err != nil {
		p.writeTokenError(w, r, "authenticate client", err)
		return
	}
	raw := r.PostForm.Get("token")
	if raw == "" {
		oauth.WriteTokenError(w, oauth.InvalidRequest("token is required"))
		return
	}
	var out *introspection
	if isJWT(raw) {
		out, err = p.introspectAccessToken(ctx, iss, client, raw)
	} else {
		out, err = p.introspectRefreshToken(ctx, iss, client, raw)
	}
	if err != nil {
		p.writeTokenError(w, r, "introspect token", err)
		return
	}
	if out == nil {
		out = &introspection{Active: false}
	}
	writeJSON(w, http.StatusOK, out)
}

// introspectAccessToken describes an access token, or returns nil when it
// is not active for this client.
func (p *Provider) introspectAccessToken(ctx context.Context, iss gatehouse.Issuer, c *authedClient, raw string) (*introspection, error) {
	claims, err := p.verifyAccessToken(ctx, iss, raw)
	if err != nil {
		if oauth.ErrorFrom(err).Code == oauth.CodeInvalidToken {
			return nil, nil
		}
		return nil, err
	}
	if claims.TenantID != c.TenantID {
		return nil, nil
	}
	// A user's token stays active only while the user is; a client's
	// own token (client_credentials) has no user to check.
	if claims.GrantID != "" {
		if _, _, err := p.tokenUser(ctx, iss, claims); err != nil {
			if oauth.ErrorFrom(err).Code == oauth.CodeInvalidToken {
				return nil, nil
			}
			return nil, err
		}
	}
	return &introspection{
		Active:       true,
		Scope:        claims.Scope,
		ClientID:     claims.ClientID,
		Subject:      claims.Subject,
		Expiry:       unixOrZero(claims.Expiry),
		IssuedAt:     unixOrZero(claims.IssuedAt),
		Issuer:       claims.Issuer,
		Audience:     audienceValue(claims.Audience),
		JTI:          claims.JTI,
		TokenType:    "Bearer",
		TenantID:     claims.TenantID,
		CredentialID: claims.CredentialID,
	}, nil
}

// introspectRefreshToken describes a refresh token, or returns nil when it
// is not active for this client: unknown, rotated, revoked, expired, of
// another tenant, or of a user no longer active. Its client_id is one of
// the owning client's.
func (p *Provider) introspectRefreshToken(ctx context.Context, iss gatehouse.Issuer, c *authedClient, raw string) (*introspection, error) {
	rt, err := p.store.GetRefreshToken(ctx, token.HashHandle(raw))
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("load refresh token: %w", err)
	case rt.TenantID != c.TenantID || !rt.RotatedAt.IsZero() || !rt.RevokedAt.IsZero() ||
		!p.clock().Before(rt.ExpiresAt):
		return nil, nil
	}
	clientID := c.ClientID
	if rt.Client != c.ID {
		owner, err := p.store.GetClient(ctx, rt.TenantID, rt.Client)
		switch {
		case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("load client: %w", err)
		case len(owner.Credentials) == 0:
			return nil, nil
		}
		clientID = owner.Credentials[0].ClientID
	}
	u, err := p.store.GetUser(ctx, rt.TenantID, rt.UserID)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("load user: %w", err)
	case u.Status != gatehouse.StatusActive:
		return nil, nil
	}
	return &introspection{
		Active:    true,
		Scope:     gatehouse.JoinScope(rt.Scopes),
		ClientID:  clientID,
		Subject:   rt.UserID,
		Expiry:    unixOrZero(rt.ExpiresAt),
		IssuedAt:  unixOrZero(rt.CreatedAt),
		Issuer:    iss.URL,
		TokenType: hintRefreshToken,
		TenantID:  rt.TenantID,
	}, nil
}

// audienceValue is aud as a string when there is one audience, as tokens
// carry it, and a list otherwise.
func audienceValue(aud []string) any {
	if len(aud) == 1 {
		return aud[0]
	}
	return aud
}

// unixOrZero is t in seconds since the epoch, 0 (left out) for the zero
// time.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
