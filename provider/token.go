package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
)

// grantPassword and grantImplicit name the flows refused on purpose (RFC
// 9700 §2.4 and §2.1.2), so that their refusal can say what to use instead.
const (
	grantPassword = "password"
	grantImplicit = "implicit"
)

// tokenRequest is an authenticated request to the token endpoint.
type tokenRequest struct {
	r      *http.Request
	form   url.Values
	iss    gatehouse.Issuer
	client *authedClient
	now    time.Time
}

// tokenResponse is a successful token response (RFC 6749 §5.1, OpenID
// Connect Core §3.1.3.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// serveToken is the token endpoint (RFC 6749 §3.2): a form POST, an
// authenticated client, and one of the grants it registered. A grant type
// the provider does not implement is refused before the client is looked
// up; which ones it implements is public (discovery).
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	iss, ok := p.issuer(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := oauth.ParseForm(r); err != nil {
		oauth.WriteTokenError(w, err)
		return
	}
	grantType := r.PostForm.Get("grant_type")
	p.addLogAttrs(ctx, slog.String("grant_type", truncate(grantType, 64)))
	if err := checkGrantType(grantType); err != nil {
		oauth.WriteTokenError(w, err)
		return
	}
	client, err := p.authenticateClient(ctx, r, iss)
	if err != nil {
		p.writeTokenError(w, r, "authenticate client", err)
		return
	}
	if !client.HasGrant(grantType) {
		oauth.WriteTokenError(w, oauth.UnauthorizedClient("the client is not allowed to use the %s grant", grantType))
		return
	}
	tr := &tokenRequest{r: r, form: r.PostForm, iss: iss, client: client, now: p.clock()}
	var resp *tokenResponse
	switch grantType {
	case gatehouse.GrantAuthorizationCode:
		resp, err = p.codeGrant(ctx, tr)
	case gatehouse.GrantRefreshToken:
		resp, err = p.refreshGrant(ctx, tr)
	case gatehouse.GrantClientCredentials:
		resp, err = p.clientCredentialsGrant(ctx, tr)
	case gatehouse.GrantJWTBearer:
		resp, err = p.jwtBearerGrant(ctx, tr)
	}
	if err != nil {
		p.writeTokenError(w, r, grantType+" grant", err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// checkGrantType refuses every grant type but the four implemented. The
// password grant and the implicit flow are refused on purpose; the refusal
// of the password grant names what replaces it for servers, JWT
// credentials.
func checkGrantType(g string) error {
	switch g {
	case gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken, gatehouse.GrantClientCredentials,
		gatehouse.GrantJWTBearer:
		return nil
	case "":
		return oauth.InvalidRequest("grant_type is required")
	case grantPassword:
		return oauth.UnsupportedGrantType("the password grant is not supported; use the authorization_code " +
			"grant, or for server-to-server access JWT credentials, which users create on their account page, " +
			"with the " + gatehouse.GrantJWTBearer + " grant")
	case grantImplicit:
		return oauth.UnsupportedGrantType("the implicit flow is not supported; use authorization_code with PKCE")
	}
	return oauth.UnsupportedGrantType("unsupported grant_type")
}

// writeTokenError writes err as a token endpoint error. A protocol error
// goes out as it is (invalid_client with its Basic challenge when the
// client tried Basic); anything else is logged and becomes server_error or
// temporarily_unavailable without detail.
func (p *Provider) writeTokenError(w http.ResponseWriter, r *http.Request, op string, err error) {
	if _, ok := errors.AsType[*oauth.Error](err); !ok {
		p.log.Error(op, "path", r.URL.Path, "err", err)
	}
	oauth.WriteClientError(w, err, oauth.UsedBasic(r))
}

// issueUserTokens signs the tokens of a grant made by a user: an access
// token and, when the scopes include openid, an ID token bound to it by
// at_hash. nonce is set only for the code exchange (OpenID Connect Core
// §12.2: a refreshed ID token carries none).
func (p *Provider) issueUserTokens(tr *tokenRequest, u *gatehouse.User, scopes []string, s signIn, nonce string) (*tokenResponse, error) {
	c := tr.client
	access, err := p.tokens.AccessToken(token.AccessClaims{
		Issuer:   tr.iss.URL,
		Subject:  u.ID,
		Audience: []string{tr.iss.URL},
		ClientID: c.ClientID,
		Scope:    gatehouse.JoinScope(scopes),
		GrantID:  s.grantID,
		TenantID: u.TenantID,
		Expiry:   tr.now.Add(c.AccessTokenTTL),
		IssuedAt: tr.now,
		AuthTime: s.authTime,
		AMR:      s.amr,
		ACR:      s.acr,
	})
	if err != nil {
		return nil, fmt.Errorf("sign access token: %w", err)
	}
	resp := &tokenResponse{
		AccessToken: access,
		TokenType:   "Bearer",
		ExpiresIn:   int64(c.AccessTokenTTL / time.Second),
		Scope:       gatehouse.JoinScope(scopes),
	}
	if !slices.Contains(scopes, gatehouse.ScopeOpenID) {
		return resp, nil
	}
	alg := c.IDTokenAlg
	if alg == "" {
		alg = gatehouse.AlgRS256
	}
	atHash, err := token.AtHash(alg, access)
	if err != nil {
		return nil, fmt.Errorf("at_hash: %w", err)
	}
	resp.IDToken, err = p.tokens.IDToken(token.IDClaims{
		Issuer:    tr.iss.URL,
		Subject:   u.ID,
		Audience:  c.ClientID,
		Expiry:    tr.now.Add(c.IDTokenTTL),
		IssuedAt:  tr.now,
		AuthTime:  s.authTime,
		Nonce:     nonce,
		AtHash:    atHash,
		SessionID: s.sessionID,
		ACR:       s.acr,
		AMR:       s.amr,
		Extra:     scopeClaims(scopes, u, tr.client.Tenant),
	}, alg)
	if err != nil {
		return nil, fmt.Errorf("sign ID token: %w", err)
	}
	return resp, nil
}

// signIn is what a grant remembers of the user's sign-in.
type signIn struct {
	grantID   string
	sessionID string
	authTime  time.Time
	amr       []string
	acr       string
}

// grantUser loads the user of a grant and checks that it may still get
// tokens for the client: it exists, is active, and belongs to the client's
// tenant. A user that may not is invalid_grant.
func (p *Provider) grantUser(ctx context.Context, tr *tokenRequest, tenantID, userID string) (*gatehouse.User, error) {
	if tenantID != tr.client.TenantID {
		return nil, oauth.InvalidGrant("the grant belongs to another tenant")
	}
	u, err := p.store.GetUser(ctx, tenantID, userID)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, oauth.InvalidGrant("the user of this grant no longer exists")
	case err != nil:
		return nil, fmt.Errorf("load user: %w", err)
	case u.Status != gatehouse.StatusActive:
		return nil, oauth.InvalidGrant("the user of this grant is not active")
	}
	return u, nil
}

// revokeGrant revokes a grant after a failure that must stop its tokens.
// A failure to revoke is logged: the request fails anyway.
func (p *Provider) revokeGrant(ctx context.Context, tenantID, grantID string, now time.Time) {
	if grantID == "" {
		return
	}
	err := p.store.RevokeGrant(ctx, tenantID, grantID, now)
	if err != nil && !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		p.log.Error("revoke grant", "tenant", tenantID, "grant", grantID, "err", err)
	}
}

// recordIssue records a token.issue event for a grant.
func (p *Provider) recordIssue(ctx context.Context, tr *tokenRequest, grantType, target string) {
	p.record(ctx, tr.r, gatehouse.AuditEvent{
		TenantID: tr.client.TenantID,
		Actor:    "client:" + tr.client.ClientID,
		Action:   "token.issue",
		Target:   target,
		Result:   gatehouse.ResultSuccess,
		Details:  map[string]string{"grant_type": grantType, "client_id": tr.client.ClientID},
	})
}

// recordReuse records a token.reuse event: a spent code or refresh token
// was presented again and its grant revoked.
func (p *Provider) recordReuse(ctx context.Context, tr *tokenRequest, grantType, tenantID, userID, grantID string) {
	p.record(ctx, tr.r, gatehouse.AuditEvent{
		TenantID: tenantID,
		Actor:    "client:" + tr.client.ClientID,
		Action:   "token.reuse",
		Target:   "user:" + userID,
		Result:   gatehouse.ResultFailure,
		Details: map[string]string{
			"grant_type": grantType, "client_id": tr.client.ClientID, "grant_id": grantID,
			"reason": "a spent credential was presented again; its grant was revoked",
		},
	})
}

// record queues an audit event with the request's time, address and user
// agent.
func (p *Provider) record(ctx context.Context, r *http.Request, ev gatehouse.AuditEvent) {
	if p.audit == nil {
		return
	}
	ev.Time = p.clock()
	if p.clientIP != nil {
		if ip := p.clientIP(ctx); ip.IsValid() {
			ev.IP = ip.String()
		}
	}
	ev.UserAgent = truncate(r.UserAgent(), 256)
	p.audit.Record(ctx, ev)
}

// addLogAttrs adds attributes to the request's access log line.
func (p *Provider) addLogAttrs(ctx context.Context, attrs ...slog.Attr) {
	if p.logAttrs != nil {
		p.logAttrs(ctx, attrs...)
	}
}

// truncate shortens an untrusted value for a log line or an audit event.
func truncate(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// writeJSON writes a JSON response that is never cached (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Every value written is a plain struct or map of strings,
		// numbers and booleans.
		oauth.WriteTokenError(w, err)
		return
	}
	h := w.Header()
	h["Content-Type"] = valJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h["Cache-Control"] = valNoStore
	h["Pragma"] = valNoCache
	w.WriteHeader(status)
	w.Write(body)
}

// Header values of every JSON answer, built once. Each slice has no spare
// capacity, so an Add makes a new one rather than write into it.
var (
	valJSON    = []string{"application/json"}
	valNoStore = []string{"no-store"}
	valNoCache = []string{"no-cache"}
)
