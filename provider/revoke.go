package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
)

// Token type hints (RFC 7009 §2.1, RFC 7662 §2.1).
const (
	hintAccessToken  = "access_token"
	hintRefreshToken = "refresh_token"
)

// serveRevoke is the revocation endpoint (RFC 7009). An authenticated
// client revokes one of its own tokens: a refresh token revokes its whole
// grant, the refresh tokens and the access tokens issued with it (§2.1);
// an access token is revoked by its jti until it expires. A token that is
// unknown, invalid, already revoked or another client's is answered 200 as
// well, and left alone (§2.2): the answer never tells a client whether a
// token exists.
//
// token_type_hint is not needed: access tokens are JWTs and refresh tokens
// opaque handles, so the form of the token tells them apart.
func (p *Provider) serveRevoke(w http.ResponseWriter, r *http.Request) {
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
	if err != nil {
		p.writeTokenError(w, r, "authenticate client", err)
		return
	}
	raw := r.PostForm.Get("token")
	if raw == "" {
		oauth.WriteTokenError(w, oauth.InvalidRequest("token is required"))
		return
	}
	var kind string
	if isJWT(raw) {
		kind, err = p.revokeAccessToken(ctx, iss, client, raw)
	} else {
		kind, err = p.revokeRefreshToken(ctx, client, raw)
	}
	if err != nil {
		p.writeTokenError(w, r, "revoke token", err)
		return
	}
	if kind != "" {
		p.record(ctx, r, gatehouse.AuditEvent{
			TenantID: client.TenantID,
			Actor:    "client:" + client.ClientID,
			Action:   "token.revoke",
			Target:   "client:" + client.ClientID,
			Result:   gatehouse.ResultSuccess,
			Details:  map[string]string{"client_id": client.ClientID, "token_type": kind},
		})
	}
	h := w.Header()
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// isJWT reports whether a token has the form of a compact JWS: three
// parts. Refresh tokens are base64url handles without a dot.
func isJWT(raw string) bool { return strings.Count(raw, ".") == 2 }

// revokeAccessToken revokes an access token of the client by its jti,
// until its expiry, and returns "access_token"; it returns "" for a token
// that needs nothing (invalid, expired, of another client or tenant). It
// fails only when keys or the store cannot answer.
func (p *Provider) revokeAccessToken(ctx context.Context, iss gatehouse.Issuer, c *authedClient, raw string) (string, error) {
	claims, err := p.tokens.VerifyAccessToken(raw, iss.URL, iss.URL)
	switch gatehouse.ErrorCode(err) {
	case "":
	case gatehouse.EEXPIRED, gatehouse.EUNAUTHORIZED:
		return "", nil
	default:
		return "", fmt.Errorf("verify access token: %w", err)
	}
	if _, ours := c.Credential(claims.ClientID); !ours || claims.TenantID != c.TenantID {
		return "", nil
	}
	err = p.store.RevokeAccessToken(ctx, &gatehouse.RevokedToken{
		TenantID: claims.TenantID, JTI: claims.JTI, ExpiresAt: claims.Expiry,
	})
	if err != nil {
		return "", fmt.Errorf("revoke access token: %w", err)
	}
	return hintAccessToken, nil
}

// revokeRefreshToken revokes the grant of a refresh token of the client
// and returns "refresh_token"; it returns "" for a token that is unknown
// or of another client.
func (p *Provider) revokeRefreshToken(ctx context.Context, c *authedClient, raw string) (string, error) {
	rt, err := p.store.GetRefreshToken(ctx, token.HashHandle(raw))
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("load refresh token: %w", err)
	case rt.Client != c.ID || rt.TenantID != c.TenantID:
		return "", nil
	}
	err = p.store.RevokeGrant(ctx, rt.TenantID, rt.GrantID, p.clock())
	if err != nil && !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return "", fmt.Errorf("revoke grant: %w", err)
	}
	return hintRefreshToken, nil
}
