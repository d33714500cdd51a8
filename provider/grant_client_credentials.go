package provider

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
)

// clientCredentialsGrant issues an access token to a confidential client
// acting for itself (RFC 6749 §4.4): its subject is the client_id, it
// carries no grant id, and there is neither an ID token (no user signed
// in) nor a refresh token (§4.4.3) nor a grant row. Without a scope
// parameter the client gets every scope it registered that makes sense
// without a user.
func (p *Provider) clientCredentialsGrant(ctx context.Context, tr *tokenRequest) (*tokenResponse, error) {
	c := tr.client
	if c.IsPublic() {
		return nil, oauth.UnauthorizedClient("the client_credentials grant needs a confidential client")
	}
	var scopes []string
	if s := tr.form.Get("scope"); s != "" {
		scopes = gatehouse.ParseScope(s)
		for _, name := range scopes {
			if userScope(name) {
				return nil, oauth.InvalidScope("scope %s needs a signed-in user and is not available to client_credentials", name)
			}
			if !c.HasScope(name) {
				return nil, oauth.InvalidScope("the client is not allowed scope %s", name)
			}
		}
	} else {
		scopes = slices.DeleteFunc(slices.Clone(c.Scopes), userScope)
	}
	scope := gatehouse.JoinScope(scopes)
	access, err := p.tokens.AccessToken(token.AccessClaims{
		Issuer:   tr.iss.URL,
		Subject:  c.ClientID,
		Audience: []string{tr.iss.URL},
		ClientID: c.ClientID,
		Scope:    scope,
		TenantID: c.TenantID,
		Expiry:   tr.now.Add(c.AccessTokenTTL),
		IssuedAt: tr.now,
	})
	if err != nil {
		return nil, fmt.Errorf("sign access token: %w", err)
	}
	p.recordIssue(ctx, tr, gatehouse.GrantClientCredentials, "client:"+c.ClientID)
	return &tokenResponse{
		AccessToken: access,
		TokenType:   "Bearer",
		ExpiresIn:   int64(c.AccessTokenTTL / time.Second),
		Scope:       scope,
	}, nil
}

// userScope reports whether a scope only makes sense for a signed-in user:
// openid asks for an ID token and offline_access for a refresh token.
func userScope(name string) bool {
	return name == gatehouse.ScopeOpenID || name == gatehouse.ScopeOfflineAccess
}
