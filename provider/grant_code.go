package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
)

// codeGrant exchanges an authorization code (RFC 6749 §4.1.3, OpenID
// Connect Core §3.1.3). The code is redeemed in one store transaction
// that also stores the grant and the refresh token; the checks that bind
// the code to its client, redirect URI and PKCE verifier run inside it, so
// a failed check spends nothing. A code presented a second time revokes
// the grant its first use created, and with it every token issued from it
// (RFC 6749 §4.1.2).
func (p *Provider) codeGrant(ctx context.Context, tr *tokenRequest) (*tokenResponse, error) {
	code := tr.form.Get("code")
	if code == "" {
		return nil, oauth.InvalidRequest("code is required")
	}
	redirectURI := tr.form.Get("redirect_uri")
	verifier := tr.form.Get("code_verifier")
	c := tr.client
	var refreshValue string
	issue := func(ac *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		if err := checkCode(ac, c, redirectURI, verifier); err != nil {
			return nil, nil, err
		}
		g := &gatehouse.Grant{
			ID:        ac.GrantID,
			TenantID:  ac.TenantID,
			Client:    ac.Client,
			UserID:    ac.UserID,
			Scopes:    ac.Scopes,
			SessionID: ac.SessionID,
			CreatedAt: tr.now,
			ExpiresAt: tr.now.Add(c.RefreshAbsoluteTTL),
		}
		if !refreshDue(c.Client, ac.Scopes) {
			return g, nil, nil
		}
		value, hash := token.NewHandle()
		refreshValue = value
		return g, &gatehouse.RefreshToken{
			Hash:      hash,
			TenantID:  ac.TenantID,
			GrantID:   ac.GrantID,
			Client:    ac.Client,
			UserID:    ac.UserID,
			Scopes:    ac.Scopes,
			SessionID: ac.SessionID,
			AuthTime:  ac.AuthTime,
			AMR:       ac.AMR,
			ACR:       ac.ACR,
			CreatedAt: tr.now,
			ExpiresAt: tr.now.Add(c.RefreshIdleTTL),
		}, nil
	}
	ac, err := p.store.RedeemAuthCode(ctx, token.HashHandle(code), tr.now, issue)
	if err != nil {
		if _, ok := errors.AsType[*oauth.Error](err); ok {
			return nil, err
		}
		switch gatehouse.ErrorCode(err) {
		case gatehouse.ENOTFOUND:
			return nil, oauth.InvalidGrant("the authorization code is invalid or expired")
		case gatehouse.EUSED:
			if ac != nil {
				p.revokeGrant(ctx, ac.TenantID, ac.GrantID, tr.now)
				p.recordReuse(ctx, tr, gatehouse.GrantAuthorizationCode, ac.TenantID, ac.UserID, ac.GrantID)
			}
			return nil, oauth.InvalidGrant("the authorization code was already used; the tokens issued for it are revoked")
		}
		return nil, fmt.Errorf("redeem authorization code: %w", err)
	}
	u, err := p.grantUser(ctx, tr, ac.TenantID, ac.UserID)
	if err != nil {
		p.revokeGrant(ctx, ac.TenantID, ac.GrantID, tr.now)
		return nil, err
	}
	resp, err := p.issueUserTokens(tr, u, ac.Scopes, signIn{
		grantID: ac.GrantID, sessionID: ac.SessionID, authTime: ac.AuthTime, amr: ac.AMR, acr: ac.ACR,
	}, ac.Nonce)
	if err != nil {
		// The code is spent and no token left: revoke the grant so the
		// refresh token stored with it cannot be used either.
		p.revokeGrant(ctx, ac.TenantID, ac.GrantID, tr.now)
		return nil, err
	}
	resp.RefreshToken = refreshValue
	p.recordIssue(ctx, tr, gatehouse.GrantAuthorizationCode, "user:"+u.ID)
	return resp, nil
}

// checkCode checks that a code may be exchanged by this request: issued
// to the authenticating client_id, with the same redirect URI, and with
// the PKCE verifier of its challenge. It returns invalid_grant.
func checkCode(ac *gatehouse.AuthCode, c *authedClient, redirectURI, verifier string) error {
	if ac.ClientID != c.ClientID || ac.Client != c.ID || ac.TenantID != c.TenantID {
		return oauth.InvalidGrant("the authorization code was issued to another client")
	}
	// RFC 6749 §4.1.3: redirect_uri must repeat the authorization
	// request's exactly. When that request left it out (the client has a
	// single URI), one sent anyway must still be a registered one.
	switch {
	case ac.RedirectURI != "" && redirectURI == "":
		return oauth.InvalidGrant("redirect_uri is required: the authorization request had one")
	case ac.RedirectURI != "" && redirectURI != ac.RedirectURI:
		return oauth.InvalidGrant("redirect_uri does not match the authorization request")
	case ac.RedirectURI == "" && redirectURI != "" && !c.HasRedirectURI(redirectURI):
		return oauth.InvalidGrant("redirect_uri does not match the authorization request")
	}
	switch {
	case ac.CodeChallenge != "" && verifier == "":
		return oauth.InvalidGrant("code_verifier is required")
	case ac.CodeChallenge != "":
		if ac.CodeChallengeMethod != oauth.CodeChallengeMethodS256 || !oauth.VerifyS256(verifier, ac.CodeChallenge) {
			return oauth.InvalidGrant("code_verifier does not match the code_challenge")
		}
	case verifier != "":
		// RFC 9700 §4.8.2: a verifier for a code issued without a
		// challenge means someone removed the challenge on the way.
		return oauth.InvalidGrant("code_verifier was sent but the authorization request had no code_challenge")
	case c.IsPublic():
		return oauth.InvalidGrant("a public client must use PKCE")
	}
	return nil
}

// refreshDue reports whether a grant with these scopes gets a refresh
// token: it needs offline_access, or a client set to always get one, and
// the client must be allowed the refresh_token grant.
func refreshDue(c *gatehouse.Client, scopes []string) bool {
	return c.HasGrant(gatehouse.GrantRefreshToken) &&
		(c.AlwaysIssueRefreshToken || slices.Contains(scopes, gatehouse.ScopeOfflineAccess))
}
