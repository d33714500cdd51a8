package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Authorization requests.

const authRequestCols = `id, tenant_id, client, client_id, redirect_uri, response_mode, state, nonce, scopes,
	code_challenge, code_challenge_method, prompt, max_age, login_hint, ui_locales, acr_values, issuer,
	id_token_hint_subject, user_id, session_id, created_at, expires_at`

// CreateAuthRequest stores a pending authorization request. ENOTFOUND when
// the client is not in the tenant.
func (s *Store) CreateAuthRequest(ctx context.Context, r *gatehouse.AuthRequest) error {
	if r.ID == "" {
		r.ID = secret.NewID()
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	_, err := s.exec(ctx, `INSERT INTO auth_requests (`+authRequestCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.TenantID, r.Client, r.ClientID, r.RedirectURI, r.ResponseMode, r.State, r.Nonce, jsonArg{r.Scopes},
		r.CodeChallenge, r.CodeChallengeMethod, jsonArg{r.Prompt}, r.MaxAge, r.LoginHint, r.UILocales,
		r.ACRValues, r.Issuer, r.IDTokenHintSubject, nullable(r.UserID), r.SessionID, micros(r.CreatedAt), micros(r.ExpiresAt))
	return fail("create auth request", err, "client or user not found", conflicts{"auth_requests.id": "request id is already taken"})
}

// GetAuthRequest returns the request unless it is unknown in the tenant or
// expired at now (ENOTFOUND).
func (s *Store) GetAuthRequest(ctx context.Context, tenantID, id string, now time.Time) (*gatehouse.AuthRequest, error) {
	var r gatehouse.AuthRequest
	err := s.queryRow(ctx, `SELECT `+authRequestCols+` FROM auth_requests
		WHERE tenant_id = ? AND id = ? AND expires_at > ?`, tenantID, id, now.UnixMicro()).Scan(
		&r.ID, &r.TenantID, &r.Client, &r.ClientID, &r.RedirectURI, &r.ResponseMode, &r.State, &r.Nonce,
		jsonCol{&r.Scopes}, &r.CodeChallenge, &r.CodeChallengeMethod, jsonCol{&r.Prompt}, &r.MaxAge, &r.LoginHint,
		&r.UILocales, &r.ACRValues, &r.Issuer, &r.IDTokenHintSubject, strCol{&r.UserID}, &r.SessionID, timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt})
	if err != nil {
		return nil, fail("get auth request", noRows(err, "authorization request not found"), "", nil)
	}
	return &r, nil
}

// SetAuthRequestUser records who signed in for the request. ENOTFOUND when
// the request, or the user, is not in the tenant.
func (s *Store) SetAuthRequestUser(ctx context.Context, tenantID, id, userID, sessionID string) error {
	res, err := s.exec(ctx, `UPDATE auth_requests SET user_id = ?, session_id = ? WHERE tenant_id = ? AND id = ?`,
		nullable(userID), sessionID, tenantID, id)
	return fail("set auth request user", affected(res, err, "authorization request not found"), "user not found", nil)
}

// DeleteAuthRequest removes the request. ENOTFOUND when it is not in the
// tenant.
const qDeleteAuthRequest = `DELETE FROM auth_requests WHERE tenant_id = ? AND id = ?`

func (s *Store) DeleteAuthRequest(ctx context.Context, tenantID, id string) error {
	res, err := s.exec(ctx, qDeleteAuthRequest, tenantID, id)
	return fail("delete auth request", affected(res, err, "authorization request not found"), "", nil)
}

// Sessions.

const sessionCols = `id, token_hash, tenant_id, user_id, auth_time, amr, acr, ip, user_agent, created_at,
	last_seen_at, expires_at, revoked_at`

const qSessionByToken = `SELECT ` + sessionCols + ` FROM sessions
	WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?`

func scanSession(sc scanner) (*gatehouse.Session, error) {
	var x gatehouse.Session
	err := sc.Scan(&x.ID, bytesCol{&x.TokenHash}, &x.TenantID, &x.UserID, timeCol{&x.AuthTime}, jsonCol{&x.AMR},
		&x.ACR, &x.IP, &x.UserAgent, timeCol{&x.CreatedAt}, timeCol{&x.LastSeenAt}, timeCol{&x.ExpiresAt},
		timeCol{&x.RevokedAt})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// CreateSession stores a browser session. ECONFLICT when its token hash is
// taken, ENOTFOUND when the user is not in the tenant.
func (s *Store) CreateSession(ctx context.Context, x *gatehouse.Session) error {
	if x.ID == "" {
		x.ID = secret.NewID()
	}
	if x.CreatedAt.IsZero() {
		x.CreatedAt = s.now()
	}
	_, err := s.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.TokenHash, x.TenantID, x.UserID, micros(x.AuthTime), jsonArg{x.AMR}, x.ACR, x.IP, x.UserAgent,
		micros(x.CreatedAt), micros(x.LastSeenAt), micros(x.ExpiresAt), micros(x.RevokedAt))
	return fail("create session", err, "user not found", conflicts{
		"sessions.token_hash": "session token is already taken",
		"sessions.id":         "session id is already taken",
	})
}

// GetSessionByToken returns the session whose cookie hashes to tokenHash,
// ENOTFOUND when it is unknown, revoked or expired at now.
func (s *Store) GetSessionByToken(ctx context.Context, tokenHash []byte, now time.Time) (*gatehouse.Session, error) {
	st, err := s.rstmts.get(ctx, qSessionByToken)
	if err != nil {
		return nil, fmt.Errorf("get session by token: %w", err)
	}
	x, err := scanSession(st.QueryRowContext(ctx, tokenHash, now.UnixMicro()))
	return x, fail("get session by token", noRows(err, "session not found"), "", nil)
}

// GetSession returns the tenant's session with id in any state, ENOTFOUND
// when there is none.
func (s *Store) GetSession(ctx context.Context, tenantID, id string) (*gatehouse.Session, error) {
	x, err := scanSession(s.queryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE tenant_id = ? AND id = ?`,
		tenantID, id))
	return x, fail("get session", noRows(err, "session not found"), "", nil)
}

// ListSessions returns the user's sessions active at now, newest first.
func (s *Store) ListSessions(ctx context.Context, tenantID, userID string, now time.Time) ([]*gatehouse.Session, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, seq DESC`, tenantID, userID, now.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// TouchSession records activity and the session's new expiry. ENOTFOUND
// when the session is not in the tenant.
func (s *Store) TouchSession(ctx context.Context, tenantID, id string, lastSeen, expiresAt time.Time) error {
	res, err := s.exec(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE tenant_id = ? AND id = ?`,
		micros(lastSeen), micros(expiresAt), tenantID, id)
	return fail("touch session", affected(res, err, "session not found"), "", nil)
}

// RevokeSession ends the session; revoking it again keeps the first time.
// ENOTFOUND when the session is not in the tenant.
func (s *Store) RevokeSession(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := s.exec(ctx, `UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?`,
		micros(at), tenantID, id)
	return fail("revoke session", affected(res, err, "session not found"), "", nil)
}

// RevokeUserSessions ends every session of the user that is active at at
// and returns how many it ended.
func (s *Store) RevokeUserSessions(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
		micros(at), tenantID, userID, at.UnixMicro())
	if err != nil {
		return 0, fail("revoke user sessions", err, "", nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke user sessions: %w", err)
	}
	return int(n), nil
}

// Consents.

// PutConsent creates the consent of (user, client) or replaces its scopes;
// a replaced consent keeps its CreatedAt, which is written back into c.
// ENOTFOUND when the user or the client is not in the tenant.
func (s *Store) PutConsent(ctx context.Context, c *gatehouse.Consent) error {
	now := s.now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now
	}
	var created time.Time
	err := s.w.QueryRowContext(ctx, `INSERT INTO consents (tenant_id, user_id, client, scopes, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, user_id, client) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at
		RETURNING created_at`,
		c.TenantID, c.UserID, c.Client, jsonArg{c.Scopes}, micros(c.CreatedAt), micros(c.UpdatedAt)).Scan(timeCol{&created})
	if err != nil {
		return fail("put consent", err, "user or client not found", nil)
	}
	c.CreatedAt = created
	return nil
}

const consentCols = `tenant_id, user_id, client, scopes, created_at, updated_at`

func scanConsent(sc scanner) (*gatehouse.Consent, error) {
	var c gatehouse.Consent
	if err := sc.Scan(&c.TenantID, &c.UserID, &c.Client, jsonCol{&c.Scopes}, timeCol{&c.CreatedAt},
		timeCol{&c.UpdatedAt}); err != nil {
		return nil, err
	}
	return &c, nil
}

// GetConsent returns the consent of (user, client), ENOTFOUND when there
// is none.
func (s *Store) GetConsent(ctx context.Context, tenantID, userID, client string) (*gatehouse.Consent, error) {
	c, err := scanConsent(s.queryRow(ctx, `SELECT `+consentCols+` FROM consents
		WHERE tenant_id = ? AND user_id = ? AND client = ?`, tenantID, userID, client))
	return c, fail("get consent", noRows(err, "consent not found"), "", nil)
}

// ListConsents returns the user's consents in creation order.
func (s *Store) ListConsents(ctx context.Context, tenantID, userID string) ([]*gatehouse.Consent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+consentCols+` FROM consents WHERE tenant_id = ? AND user_id = ?
		ORDER BY seq`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.Consent
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, fmt.Errorf("list consents: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	return out, nil
}

// RevokeConsent deletes the consent of (user, client) and revokes every
// grant of that pair with its refresh tokens, in one transaction. It is
// not an error when there was nothing to revoke: "revoke this app" also
// serves clients that skip consent and so have grants only.
func (s *Store) RevokeConsent(ctx context.Context, tenantID, userID, client string, at time.Time) error {
	defer s.revocations.Invalidate()
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM consents WHERE tenant_id = ? AND user_id = ? AND client = ?`,
			tenantID, userID, client); err != nil {
			return err
		}
		_, err := revokeGrants(ctx, tx, at, `tenant_id = ? AND client = ? AND user_id = ?`, tenantID, client, userID)
		return err
	})
	return fail("revoke consent", err, "", nil)
}
