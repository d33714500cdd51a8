package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
)

// refreshGrant exchanges a refresh token (RFC 6749 §6). The token is
// rotated in one store transaction: the presented one is marked used and
// its successor stored, with the same scopes and grant, and an idle expiry
// the store caps at the grant's end. The token is bound to the client
// registration, so a rotated credential of the same client may use it. A
// spent token presented again revokes its whole grant (RFC 9700 §4.14.2).
// The request may narrow the scope of the new access token, never widen
// it.
func (p *Provider) refreshGrant(ctx context.Context, tr *tokenRequest) (*tokenResponse, error) {
	raw := tr.form.Get("refresh_token")
	if raw == "" {
		return nil, oauth.InvalidRequest("refresh_token is required")
	}
	var requested []string
	if s := tr.form.Get("scope"); s != "" {
		requested = gatehouse.ParseScope(s)
	}
	c := tr.client
	value, hash := token.NewHandle()
	var scopes []string
	issue := func(old *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		if old.Client != c.ID || old.TenantID != c.TenantID {
			return nil, oauth.InvalidGrant("the refresh token was issued to another client")
		}
		scopes = old.Scopes
		if len(requested) > 0 {
			if !gatehouse.ContainsAll(old.Scopes, requested) {
				return nil, oauth.InvalidScope("the requested scope exceeds the scope originally granted")
			}
			scopes = requested
		}
		// RFC 6749 §6: the new refresh token keeps the original scope;
		// only the access token is narrowed.
		return &gatehouse.RefreshToken{
			Hash:      hash,
			TenantID:  old.TenantID,
			GrantID:   old.GrantID,
			Client:    old.Client,
			UserID:    old.UserID,
			Scopes:    old.Scopes,
			SessionID: old.SessionID,
			AuthTime:  old.AuthTime,
			AMR:       old.AMR,
			ACR:       old.ACR,
			CreatedAt: tr.now,
			ExpiresAt: tr.now.Add(c.RefreshIdleTTL),
		}, nil
	}
	old, err := p.store.RotateRefreshToken(ctx, token.HashHandle(raw), tr.now, issue)
	if err != nil {
		if _, ok := errors.AsType[*oauth.Error](err); ok {
			return nil, err
		}
		switch gatehouse.ErrorCode(err) {
		case gatehouse.ENOTFOUND:
			return nil, oauth.InvalidGrant("the refresh token is invalid, expired or revoked")
		case gatehouse.EUSED:
			if old != nil {
				p.revokeGrant(ctx, old.TenantID, old.GrantID, tr.now)
				p.recordReuse(ctx, tr, gatehouse.GrantRefreshToken, old.TenantID, old.UserID, old.GrantID)
			}
			return nil, oauth.InvalidGrant("the refresh token was already used; its grant is revoked")
		}
		return nil, fmt.Errorf("rotate refresh token: %w", err)
	}
	u, err := p.grantUser(ctx, tr, old.TenantID, old.UserID)
	if err != nil {
		// A user disabled or removed since the grant ends it.
		p.revokeGrant(ctx, old.TenantID, old.GrantID, tr.now)
		return nil, err
	}
	// A scope the client has since lost is not granted again.
	scopes = intersect(scopes, c.Scopes)
	resp, err := p.issueUserTokens(tr, u, scopes, signIn{
		grantID: old.GrantID, sessionID: old.SessionID, authTime: old.AuthTime, amr: old.AMR, acr: old.ACR,
	}, "")
	if err != nil {
		// The presented token is spent and its successor was never
		// handed out: revoke the grant rather than strand it silently.
		p.revokeGrant(ctx, old.TenantID, old.GrantID, tr.now)
		return nil, err
	}
	resp.RefreshToken = value
	p.recordIssue(ctx, tr, gatehouse.GrantRefreshToken, "user:"+u.ID)
	return resp, nil
}

// intersect returns the names of have that are also in allowed, in the
// order of have.
func intersect(have, allowed []string) []string {
	out := make([]string, 0, len(have))
	for _, s := range have {
		for _, a := range allowed {
			if s == a {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
