package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

// Authorization requests.

const authRequestColumns = `id, tenant_id, client, client_id, redirect_uri, response_mode, state, nonce,
	scopes, code_challenge, code_challenge_method, prompt, max_age, login_hint, ui_locales, acr_values,
	issuer, id_token_hint_subject, user_id, session_id, created_at, expires_at`

// CreateAuthRequest stores a pending authorization request, giving it an
// id and creation time when it has none. ENOTFOUND when the tenant or the
// client does not exist.
func (s *Store) CreateAuthRequest(ctx context.Context, r *gatehouse.AuthRequest) error {
	fillID(&r.ID)
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	normTimes(&r.CreatedAt, &r.ExpiresAt)
	_, err := s.pool.Exec(ctx, `INSERT INTO auth_requests (`+authRequestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		r.ID, r.TenantID, r.Client, r.ClientID, r.RedirectURI, r.ResponseMode, r.State, r.Nonce,
		list(r.Scopes), r.CodeChallenge, r.CodeChallengeMethod, list(r.Prompt), r.MaxAge, r.LoginHint,
		r.UILocales, r.ACRValues, r.Issuer, r.IDTokenHintSubject, r.UserID, r.SessionID, ts(r.CreatedAt), ts(r.ExpiresAt))
	return dbError("create auth request", err)
}

// GetAuthRequest returns the request if it has not expired at now;
// ENOTFOUND when it is unknown in the tenant or expired.
func (s *Store) GetAuthRequest(ctx context.Context, tenantID, id string, now time.Time) (*gatehouse.AuthRequest, error) {
	var r gatehouse.AuthRequest
	err := s.pool.QueryRow(ctx, `SELECT `+authRequestColumns+` FROM auth_requests
		WHERE tenant_id = $1 AND id = $2 AND expires_at > $3`, tenantID, id, ts(now)).Scan(
		&r.ID, &r.TenantID, &r.Client, &r.ClientID, &r.RedirectURI, &r.ResponseMode, &r.State, &r.Nonce,
		&r.Scopes, &r.CodeChallenge, &r.CodeChallengeMethod, &r.Prompt, &r.MaxAge, &r.LoginHint, &r.UILocales,
		&r.ACRValues, &r.Issuer, &r.IDTokenHintSubject, &r.UserID, &r.SessionID, tm(&r.CreatedAt), tm(&r.ExpiresAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("authorization request")
	}
	if err != nil {
		return nil, dbError("get auth request", err)
	}
	nilEmpty(&r.Scopes, &r.Prompt)
	return &r, nil
}

// SetAuthRequestUser records who signed in for the request. ENOTFOUND if
// the tenant has no such request.
func (s *Store) SetAuthRequestUser(ctx context.Context, tenantID, id, userID, sessionID string) error {
	return s.execOne(ctx, "set auth request user", "authorization request",
		`UPDATE auth_requests SET user_id = $3, session_id = $4 WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, userID, sessionID)
}

// DeleteAuthRequest removes the request. ENOTFOUND if the tenant has no
// such request.
func (s *Store) DeleteAuthRequest(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete auth request", "authorization request",
		`DELETE FROM auth_requests WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

// Sessions.

const sessionColumns = `id, token_hash, tenant_id, user_id, auth_time, amr, acr, ip, user_agent,
	created_at, last_seen_at, expires_at, revoked_at`

func scanSession(row pgx.Row) (*gatehouse.Session, error) {
	var x gatehouse.Session
	err := row.Scan(&x.ID, &x.TokenHash, &x.TenantID, &x.UserID, tm(&x.AuthTime), &x.AMR, &x.ACR, &x.IP,
		&x.UserAgent, tm(&x.CreatedAt), tm(&x.LastSeenAt), tm(&x.ExpiresAt), tm(&x.RevokedAt))
	if err != nil {
		return nil, err
	}
	nilEmpty(&x.AMR)
	return &x, nil
}

// CreateSession stores a browser session, giving it an id and creation
// time when it has none. ENOTFOUND when the tenant or user does not exist,
// ECONFLICT when the id or token hash is taken.
func (s *Store) CreateSession(ctx context.Context, x *gatehouse.Session) error {
	fillID(&x.ID)
	if x.CreatedAt.IsZero() {
		x.CreatedAt = s.now()
	}
	normTimes(&x.AuthTime, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt, &x.RevokedAt)
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		x.ID, x.TokenHash, x.TenantID, x.UserID, ts(x.AuthTime), list(x.AMR), x.ACR, x.IP, x.UserAgent,
		ts(x.CreatedAt), ts(x.LastSeenAt), ts(x.ExpiresAt), ts(x.RevokedAt))
	return dbError("create session", err)
}

// GetSessionByToken returns the session whose cookie hashes to tokenHash
// if it is active at now; ENOTFOUND when it is unknown, revoked or
// expired.
func (s *Store) GetSessionByToken(ctx context.Context, tokenHash []byte, now time.Time) (*gatehouse.Session, error) {
	x, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2`, tokenHash, ts(now)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, dbError("get session by token", err)
	}
	return x, nil
}

// GetSession returns the session whatever its state, ENOTFOUND if the
// tenant has no such session.
func (s *Store) GetSession(ctx context.Context, tenantID, id string) (*gatehouse.Session, error) {
	x, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, dbError("get session", err)
	}
	return x, nil
}

// ListSessions returns the user's sessions active at now, newest first.
func (s *Store) ListSessions(ctx context.Context, tenantID, userID string, now time.Time) ([]*gatehouse.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC, seq DESC`, tenantID, userID, ts(now))
	if err != nil {
		return nil, dbError("list sessions", err)
	}
	return collectAll(rows, scanSession, "list sessions")
}

// TouchSession records activity and moves the expiry. ENOTFOUND if the
// tenant has no such session.
func (s *Store) TouchSession(ctx context.Context, tenantID, id string, lastSeen, expiresAt time.Time) error {
	return s.execOne(ctx, "touch session", "session",
		`UPDATE sessions SET last_seen_at = $3, expires_at = $4 WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, ts(lastSeen), ts(expiresAt))
}

// RevokeSession ends the session; revoking it again keeps the first time.
// ENOTFOUND if the tenant has no such session.
func (s *Store) RevokeSession(ctx context.Context, tenantID, id string, at time.Time) error {
	return s.execOne(ctx, "revoke session", "session",
		`UPDATE sessions SET revoked_at = coalesce(revoked_at, $3) WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, ts(at))
}

// RevokeUserSessions ends every session of the user that is active at at
// and returns how many it ended.
func (s *Store) RevokeUserSessions(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $3
		WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3`, tenantID, userID, ts(at))
	if err != nil {
		return 0, dbError("revoke user sessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// Consents.

const consentColumns = `tenant_id, user_id, client, scopes, created_at, updated_at`

func scanConsent(row pgx.Row) (*gatehouse.Consent, error) {
	var c gatehouse.Consent
	if err := row.Scan(&c.TenantID, &c.UserID, &c.Client, &c.Scopes, tm(&c.CreatedAt), tm(&c.UpdatedAt)); err != nil {
		return nil, err
	}
	nilEmpty(&c.Scopes)
	return &c, nil
}

// PutConsent creates the consent of (user, client) or replaces its scopes,
// keeping the first creation time (written back into c). ENOTFOUND when
// the tenant, user or client does not exist.
func (s *Store) PutConsent(ctx context.Context, c *gatehouse.Consent) error {
	now := s.now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now
	}
	normTimes(&c.CreatedAt, &c.UpdatedAt)
	var created time.Time
	err := s.pool.QueryRow(ctx, `INSERT INTO consents (tenant_id, user_id, client, scopes, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, user_id, client) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at
		RETURNING created_at`,
		c.TenantID, c.UserID, c.Client, list(c.Scopes), ts(c.CreatedAt), ts(c.UpdatedAt)).Scan(tm(&created))
	if err != nil {
		return dbError("put consent", err)
	}
	c.CreatedAt = created
	return nil
}

// GetConsent returns the consent of (user, client), ENOTFOUND if there is
// none.
func (s *Store) GetConsent(ctx context.Context, tenantID, userID, client string) (*gatehouse.Consent, error) {
	c, err := scanConsent(s.pool.QueryRow(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE tenant_id = $1 AND user_id = $2 AND client = $3`, tenantID, userID, client))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("consent")
	}
	if err != nil {
		return nil, dbError("get consent", err)
	}
	return c, nil
}

// ListConsents returns the user's consents in creation order.
func (s *Store) ListConsents(ctx context.Context, tenantID, userID string) ([]*gatehouse.Consent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE tenant_id = $1 AND user_id = $2 ORDER BY seq`, tenantID, userID)
	if err != nil {
		return nil, dbError("list consents", err)
	}
	return collectAll(rows, scanConsent, "list consents")
}

// RevokeConsent deletes the consent of (user, client) and revokes every
// grant of that pair, with their refresh tokens, in one transaction. It
// is not an error when there is nothing to delete or revoke: "revoke this
// app" also serves first-party clients that hold grants without a
// consent, and a second click.
func (s *Store) RevokeConsent(ctx context.Context, tenantID, userID, client string, at time.Time) error {
	defer s.revocations.Invalidate()
	return s.inTx(ctx, "revoke consent", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client = $3`,
			tenantID, userID, client); err != nil {
			return err
		}
		_, err := revokeGrantsWhere(ctx, tx, `tenant_id = $1 AND user_id = $2 AND client = $3`, ts(at),
			tenantID, userID, client)
		return err
	})
}

// collectAll scans every row.
func collectAll[T any](rows pgx.Rows, scan func(pgx.Row) (T, error), op string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, dbError(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}
