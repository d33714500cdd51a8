package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gatehouse-id/gatehouse"
)

// Authorization codes.

const authCodeColumns = `hash, tenant_id, client, client_id, user_id, grant_id, session_id, redirect_uri,
	scopes, nonce, code_challenge, code_challenge_method, auth_time, amr, acr, created_at, expires_at, used_at`

func scanAuthCode(row pgx.Row) (*gatehouse.AuthCode, error) {
	var c gatehouse.AuthCode
	err := row.Scan(&c.Hash, &c.TenantID, &c.Client, &c.ClientID, &c.UserID, &c.GrantID, &c.SessionID,
		&c.RedirectURI, &c.Scopes, &c.Nonce, &c.CodeChallenge, &c.CodeChallengeMethod, tm(&c.AuthTime), &c.AMR,
		&c.ACR, tm(&c.CreatedAt), tm(&c.ExpiresAt), tm(&c.UsedAt))
	if err != nil {
		return nil, err
	}
	nilEmpty(&c.Scopes, &c.AMR)
	return &c, nil
}

// CreateAuthCode stores an authorization code, giving it a creation time
// when it has none. ENOTFOUND when the tenant, client or user does not
// exist, ECONFLICT when the hash is taken.
func (s *Store) CreateAuthCode(ctx context.Context, c *gatehouse.AuthCode) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	normTimes(&c.AuthTime, &c.CreatedAt, &c.ExpiresAt, &c.UsedAt)
	_, err := s.pool.Exec(ctx, `INSERT INTO auth_codes (`+authCodeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		authCodeArgs(c)...)
	return dbError("create auth code", err)
}

// CompleteAuthRequest deletes the authorization request and stores the
// code it ends with in one statement, which PostgreSQL runs as one
// transaction: the INSERT reads the deleted row, so nothing is stored
// when the request is gone (ENOTFOUND), and a failing INSERT keeps the
// request.
func (s *Store) CompleteAuthRequest(ctx context.Context, tenantID, id string, c *gatehouse.AuthCode) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	normTimes(&c.AuthTime, &c.CreatedAt, &c.ExpiresAt, &c.UsedAt)
	tag, err := s.pool.Exec(ctx, `WITH claimed AS (
			DELETE FROM auth_requests WHERE tenant_id = $19 AND id = $20 RETURNING 1)
		INSERT INTO auth_codes (`+authCodeColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18 FROM claimed`,
		append(authCodeArgs(c), tenantID, id)...)
	if err != nil {
		return dbError("complete auth request", err)
	}
	if tag.RowsAffected() != 1 {
		return notFound("authorization request")
	}
	return nil
}

// authCodeArgs are the values of authCodeColumns for c, in order.
func authCodeArgs(c *gatehouse.AuthCode) []any {
	return []any{c.Hash, c.TenantID, c.Client, c.ClientID, c.UserID, c.GrantID, c.SessionID, c.RedirectURI,
		list(c.Scopes), c.Nonce, c.CodeChallenge, c.CodeChallengeMethod, ts(c.AuthTime), list(c.AMR), c.ACR,
		ts(c.CreatedAt), ts(c.ExpiresAt), ts(c.UsedAt)}
}

// RedeemAuthCode spends the code with this hash and, in the same
// transaction, stores the grant and refresh token that issue returns for
// it (either may be nil), the token's ExpiresAt capped at its grant's end
// and written back. issue runs at most once, while the code's row is
// locked: a concurrent redemption of the same code waits for this
// transaction and then finds the code used.
//
// An unknown code, or an unused one expired at now, is ENOTFOUND. A used
// code is EUSED, returned with the error (expired or not) so that the
// caller can revoke the grant it made. If issue fails, nothing changes and
// its error is returned as it is.
func (s *Store) RedeemAuthCode(ctx context.Context, hash []byte, now time.Time,
	issue func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error)) (*gatehouse.AuthCode, error) {
	var code *gatehouse.AuthCode
	var issueErr error
	err := s.inTxOnce(ctx, "redeem auth code", func(tx pgx.Tx) error {
		var err error
		code, err = scanAuthCode(tx.QueryRow(ctx, `UPDATE auth_codes SET used_at = $2
			WHERE hash = $1 AND used_at IS NULL AND expires_at > $2
			RETURNING `+authCodeColumns, hash, ts(now)))
		if errors.Is(err, pgx.ErrNoRows) {
			// Nothing matched: tell a used code from an unknown or expired
			// one. The UPDATE waited for any concurrent redemption, so this
			// read sees its outcome.
			code, err = scanAuthCode(tx.QueryRow(ctx, `SELECT `+authCodeColumns+` FROM auth_codes WHERE hash = $1`, hash))
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				code = nil
				return notFound("authorization code")
			case err != nil:
				return err
			case !code.UsedAt.IsZero():
				return gatehouse.Errorf(gatehouse.EUSED, "the authorization code was already used")
			default:
				code = nil
				return notFound("authorization code")
			}
		}
		if err != nil {
			return err
		}
		grant, token, err := issue(code)
		if err != nil {
			issueErr = err
			return err
		}
		if grant != nil {
			s.stampGrant(grant, now)
			if err := insertGrant(ctx, tx, grant); err != nil {
				return err
			}
		}
		if token != nil {
			s.stampRefreshToken(token, now)
			if err := insertRefreshToken(ctx, tx, token); err != nil {
				return err
			}
		}
		return nil
	})
	if issueErr != nil {
		return nil, issueErr
	}
	if gatehouse.IsCode(err, gatehouse.EUSED) {
		return code, err
	}
	if err != nil {
		return nil, err
	}
	return code, nil
}

// Grants.

const grantColumns = `id, tenant_id, client, user_id, jwt_credential_id, scopes, session_id,
	created_at, expires_at, revoked_at`

func scanGrant(row pgx.Row) (*gatehouse.Grant, error) {
	var g gatehouse.Grant
	err := row.Scan(&g.ID, &g.TenantID, &g.Client, txt(&g.UserID), txt(&g.JWTCredentialID), &g.Scopes,
		&g.SessionID, tm(&g.CreatedAt), tm(&g.ExpiresAt), tm(&g.RevokedAt))
	if err != nil {
		return nil, err
	}
	nilEmpty(&g.Scopes)
	return &g, nil
}

func (s *Store) stampGrant(g *gatehouse.Grant, now time.Time) {
	fillID(&g.ID)
	if g.CreatedAt.IsZero() {
		g.CreatedAt = now
	}
	normTimes(&g.CreatedAt, &g.ExpiresAt, &g.RevokedAt)
}

func insertGrant(ctx context.Context, q querier, g *gatehouse.Grant) error {
	_, err := q.Exec(ctx, `INSERT INTO grants (`+grantColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		g.ID, g.TenantID, g.Client, textOrNil(g.UserID), textOrNil(g.JWTCredentialID), list(g.Scopes),
		g.SessionID, ts(g.CreatedAt), ts(g.ExpiresAt), ts(g.RevokedAt))
	return err
}

// CreateGrant stores a grant, giving it an id and creation time when it
// has none. ENOTFOUND when the tenant, client, user or JWT credential does
// not exist.
func (s *Store) CreateGrant(ctx context.Context, g *gatehouse.Grant) error {
	s.stampGrant(g, s.now())
	if g.JWTCredentialID == "" {
		return dbError("create grant", insertGrant(ctx, s.pool, g))
	}
	// A grant made with a JWT credential must not outlive a revocation that
	// races it: FOR SHARE waits for a revocation in flight (it updates the
	// credential row first) and then reads its outcome; a revocation that
	// comes after waits for this transaction and then finds the grant.
	return s.inTx(ctx, "create grant", func(tx pgx.Tx) error {
		var revoked bool
		err := tx.QueryRow(ctx, `SELECT revoked_at IS NOT NULL FROM jwt_credentials
			WHERE tenant_id = $1 AND id = $2 FOR SHARE`, g.TenantID, g.JWTCredentialID).Scan(&revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("JWT credential")
		}
		if err != nil {
			return err
		}
		if revoked {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "the JWT credential is revoked")
		}
		return insertGrant(ctx, tx, g)
	})
}

// GetGrant returns the grant whatever its state, ENOTFOUND if the tenant
// has no such grant.
func (s *Store) GetGrant(ctx context.Context, tenantID, id string) (*gatehouse.Grant, error) {
	g, err := scanGrant(s.pool.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants WHERE tenant_id = $1 AND id = $2`,
		tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("grant")
	}
	if err != nil {
		return nil, dbError("get grant", err)
	}
	return g, nil
}

// RevokeGrant marks the grant and every refresh token of it revoked, in
// one transaction. A revoked grant keeps its first revocation time.
// ENOTFOUND if the tenant has no such grant.
func (s *Store) RevokeGrant(ctx context.Context, tenantID, id string, at time.Time) error {
	defer s.revocations.Invalidate()
	return s.inTx(ctx, "revoke grant", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE grants SET revoked_at = coalesce(revoked_at, $3) WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, ts(at))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("grant")
		}
		_, err = tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $3
			WHERE tenant_id = $1 AND grant_id = $2 AND revoked_at IS NULL`, tenantID, id, ts(at))
		return err
	})
}

// RevokeGrantsByCredential revokes every unrevoked grant made with the JWT
// credential, and their refresh tokens, and returns how many grants it
// revoked.
func (s *Store) RevokeGrantsByCredential(ctx context.Context, tenantID, credentialID string, at time.Time) (int, error) {
	defer s.revocations.Invalidate()
	n, err := revokeGrantsWhere(ctx, s.pool, `tenant_id = $1 AND jwt_credential_id = $2`, ts(at), tenantID, credentialID)
	return n, dbError("revoke grants by credential", err)
}

// revokeGrantsWhere revokes the unrevoked grants matching where, whose
// placeholders are $1 to $len(args), and their refresh tokens, in one
// statement, and returns how many grants it revoked.
func revokeGrantsWhere(ctx context.Context, q querier, where string, at pgtype.Timestamptz, args ...any) (int, error) {
	atParam := fmt.Sprintf("$%d", len(args)+1)
	var n int
	err := q.QueryRow(ctx, `WITH g AS (
			UPDATE grants SET revoked_at = `+atParam+` WHERE `+where+` AND revoked_at IS NULL RETURNING tenant_id, id
		), t AS (
			UPDATE refresh_tokens r SET revoked_at = `+atParam+` FROM g
			WHERE r.tenant_id = g.tenant_id AND r.grant_id = g.id AND r.revoked_at IS NULL
		)
		SELECT count(*) FROM g`, append(args, at)...).Scan(&n)
	return n, err
}

// Refresh tokens.

const refreshTokenColumns = `hash, tenant_id, grant_id, client, user_id, scopes, session_id, auth_time, amr, acr,
	created_at, expires_at, rotated_at, revoked_at`

// refreshTokenColumnsR is refreshTokenColumns for the table aliased r, in a
// statement where grants' columns of the same names are in scope too.
const refreshTokenColumnsR = `r.hash, r.tenant_id, r.grant_id, r.client, r.user_id, r.scopes, r.session_id,
	r.auth_time, r.amr, r.acr, r.created_at, r.expires_at, r.rotated_at, r.revoked_at`

// scanRefreshToken scans refreshTokenColumns, then into extra the columns
// a statement returns after them.
func scanRefreshToken(row pgx.Row, extra ...any) (*gatehouse.RefreshToken, error) {
	var t gatehouse.RefreshToken
	err := row.Scan(append([]any{&t.Hash, &t.TenantID, &t.GrantID, &t.Client, &t.UserID, &t.Scopes, &t.SessionID,
		tm(&t.AuthTime), &t.AMR, &t.ACR, tm(&t.CreatedAt), tm(&t.ExpiresAt), tm(&t.RotatedAt), tm(&t.RevokedAt)},
		extra...)...)
	if err != nil {
		return nil, err
	}
	nilEmpty(&t.Scopes, &t.AMR)
	return &t, nil
}

func (s *Store) stampRefreshToken(t *gatehouse.RefreshToken, now time.Time) {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	normTimes(&t.AuthTime, &t.CreatedAt, &t.ExpiresAt, &t.RotatedAt, &t.RevokedAt)
}

// insertRefreshToken stores t with its expiry capped at its grant's end (a
// grant without one caps nothing) and writes the expiry it stored back
// into t. The grant is read by the same statement, which inserts nothing
// when the grant is not in the token's tenant: ENOTFOUND. A missing expiry
// stays NULL, for the NOT NULL constraint to refuse (least would have
// taken the grant's end instead).
func insertRefreshToken(ctx context.Context, q querier, t *gatehouse.RefreshToken) error {
	var stored time.Time
	err := q.QueryRow(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
			CASE WHEN g.expires_at < $12 THEN g.expires_at ELSE $12 END, $13, $14
		FROM grants g WHERE g.tenant_id = $2 AND g.id = $3
		RETURNING expires_at`, refreshArgs(t)...).Scan(tm(&stored))
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("grant")
	}
	if err != nil {
		return err
	}
	t.ExpiresAt = stored
	return nil
}

// refreshArgs are the values of refreshTokenColumns for t, in order.
func refreshArgs(t *gatehouse.RefreshToken) []any {
	return []any{t.Hash, t.TenantID, t.GrantID, t.Client, t.UserID, list(t.Scopes), t.SessionID, ts(t.AuthTime),
		list(t.AMR), t.ACR, ts(t.CreatedAt), ts(t.ExpiresAt), ts(t.RotatedAt), ts(t.RevokedAt)}
}

// CreateRefreshToken stores a refresh token of an existing grant, giving
// it a creation time when it has none, with its ExpiresAt capped at the
// grant's end (the stored value is written back). ENOTFOUND when the grant
// does not exist in the token's tenant, ECONFLICT when the hash is taken.
func (s *Store) CreateRefreshToken(ctx context.Context, t *gatehouse.RefreshToken) error {
	s.stampRefreshToken(t, s.now())
	return dbError("create refresh token", insertRefreshToken(ctx, s.pool, t))
}

// GetRefreshToken returns the token with this hash whatever its state,
// ENOTFOUND if there is none.
func (s *Store) GetRefreshToken(ctx context.Context, hash []byte) (*gatehouse.RefreshToken, error) {
	t, err := scanRefreshToken(s.pool.QueryRow(ctx, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("refresh token")
	}
	if err != nil {
		return nil, dbError("get refresh token", err)
	}
	return t, nil
}

// RotateRefreshToken spends the token with this hash and stores the token
// that issue returns for it, its ExpiresAt capped at its grant's end and
// written back, in two round trips: a read of the token with its grant,
// judged by RefreshToken.CheckRotation (a token that cannot be rotated
// costs no write and takes no lock), and, once issue has run, one
// statement that claims the old token and inserts the new one, which
// PostgreSQL runs as one transaction. Of many concurrent calls with one
// hash, on one node or several, exactly one claim succeeds: the others
// wait for its row lock, find the token rotated, and get EUSED with the
// old token so that the caller can revoke its family. On success it
// returns the old token as read, unrotated.
//
// ENOTFOUND when the token is unknown, revoked (itself or its grant) or
// expired at now. If issue fails nothing changes and its error is returned
// as it is. issue may run in a call whose claim then loses a race, so it
// must depend on nothing but the old token; only the winner's token is
// stored.
func (s *Store) RotateRefreshToken(ctx context.Context, hash []byte, now time.Time,
	issue func(old *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error)) (*gatehouse.RefreshToken, error) {
	old, grantEnd, err := s.refreshForRotation(ctx, hash, now)
	if err != nil {
		return old, err
	}
	next, err := issue(old)
	if err != nil {
		return nil, err
	}
	if next == nil {
		return nil, errors.New("rotate refresh token: issue returned no refresh token")
	}
	if next.TenantID != old.TenantID || next.GrantID != old.GrantID {
		// A grant's end never changes once it is stored.
		grantEnd = time.Time{}
		err := s.pool.QueryRow(ctx, `SELECT expires_at FROM grants WHERE tenant_id = $1 AND id = $2`,
			next.TenantID, next.GrantID).Scan(tm(&grantEnd))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, notFound("grant")
		}
		if err != nil {
			return nil, dbError("rotate refresh token", err)
		}
	}
	s.stampRefreshToken(next, now)
	if !grantEnd.IsZero() && grantEnd.Before(next.ExpiresAt) {
		next.ExpiresAt = grantEnd
	}
	tag, err := s.pool.Exec(ctx, qRotateRefresh, append(refreshArgs(next), hash, ts(now))...)
	if err != nil {
		return nil, dbError("rotate refresh token", err)
	}
	if tag.RowsAffected() != 1 {
		// The claim lost a race since the read: judge the row as it is now.
		old, _, err := s.refreshForRotation(ctx, hash, now)
		if err == nil {
			err = errors.New("rotate refresh token: the claim changed no row")
		}
		return old, err
	}
	return old, nil
}

// qRotateRefresh claims a refresh token that is still usable ($15, at
// $16: unrotated, unrevoked, unexpired, of a grant neither revoked nor past
// its end) and inserts its successor ($1 to $14, refreshArgs) in one
// statement: the INSERT reads the claimed row, so nothing is inserted when
// nothing was claimed, and a failing INSERT undoes the claim.
const qRotateRefresh = `WITH claimed AS (
		UPDATE refresh_tokens r SET rotated_at = $16
		FROM grants g
		WHERE r.hash = $15 AND r.rotated_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > $16
			AND g.tenant_id = r.tenant_id AND g.id = r.grant_id
			AND g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > $16)
		RETURNING r.hash)
	INSERT INTO refresh_tokens (` + refreshTokenColumns + `)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM claimed`

// refreshForRotation reads the token with this hash and its grant and
// judges them at now: the token, its grant's end, and CheckRotation's
// error, with the token when that is EUSED.
func (s *Store) refreshForRotation(ctx context.Context, hash []byte, now time.Time) (*gatehouse.RefreshToken, time.Time, error) {
	var grantEnd, grantRevoked time.Time
	var grantFound bool
	t, err := scanRefreshToken(s.pool.QueryRow(ctx, `SELECT `+refreshTokenColumnsR+`, g.expires_at, g.revoked_at,
			g.id IS NOT NULL
		FROM refresh_tokens r LEFT JOIN grants g ON g.tenant_id = r.tenant_id AND g.id = r.grant_id
		WHERE r.hash = $1`, hash), tm(&grantEnd), tm(&grantRevoked), &grantFound)
	switch {
	case errors.Is(err, pgx.ErrNoRows), err == nil && !grantFound:
		return nil, time.Time{}, notFound("refresh token")
	case err != nil:
		return nil, time.Time{}, dbError("rotate refresh token", err)
	}
	if err := t.CheckRotation(now, grantEnd, grantRevoked); err != nil {
		if gatehouse.IsCode(err, gatehouse.EUSED) {
			return t, grantEnd, err
		}
		return nil, time.Time{}, err
	}
	return t, grantEnd, nil
}

// RevokeRefreshToken marks the token with this hash revoked, keeping the
// first revocation time. ENOTFOUND if there is no such token.
func (s *Store) RevokeRefreshToken(ctx context.Context, hash []byte, at time.Time) error {
	return s.execOne(ctx, "revoke refresh token", "refresh token",
		`UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE hash = $1`, hash, ts(at))
}

// Revoked access tokens.

// RevokeAccessToken records the jti as revoked until r.ExpiresAt.
// Revoking it again keeps the later expiry. ENOTFOUND when the tenant does
// not exist.
func (s *Store) RevokeAccessToken(ctx context.Context, r *gatehouse.RevokedToken) error {
	defer s.revocations.Invalidate()
	normTimes(&r.ExpiresAt)
	_, err := s.pool.Exec(ctx, `INSERT INTO revoked_tokens (jti, tenant_id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (jti) DO UPDATE SET expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)`,
		r.JTI, r.TenantID, ts(r.ExpiresAt))
	return dbError("revoke access token", err)
}

// AccessTokenRevoked reports whether the jti is revoked or the grant (may
// be "", for a token of no grant) is revoked or no longer exists, in one
// query on two primary keys. It fails closed: a grant that is gone
// (deleted with its client, or swept) or was never stored reads as revoked.
//
// It answers from the store's revocation cache when it can: a revocation
// made through this Store is seen at once, one made on another node when
// its notification arrives (watch.go).
func (s *Store) AccessTokenRevoked(ctx context.Context, jti, grantID string) (bool, error) {
	s.watchChanges()
	revoked, gen, ok := s.revocations.Get(jti, grantID)
	if ok {
		return revoked, nil
	}
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)
		OR ($2 <> '' AND NOT EXISTS (SELECT 1 FROM grants WHERE id = $2 AND revoked_at IS NULL))`,
		jti, grantID).Scan(&revoked)
	if err != nil {
		return false, dbError("check access token revocation", err)
	}
	s.revocations.Put(jti, grantID, revoked, gen)
	return revoked, nil
}
