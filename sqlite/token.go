package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Authorization codes.

const authCodeCols = `hash, tenant_id, client, client_id, user_id, grant_id, session_id, redirect_uri, scopes,
	nonce, code_challenge, code_challenge_method, auth_time, amr, acr, created_at, expires_at, used_at`

// qRedeemCode claims an unused, unexpired code: of concurrent redeemers,
// exactly one gets the row back.
const qRedeemCode = `UPDATE auth_codes SET used_at = ?
	WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING ` + authCodeCols

const qCodeByHash = `SELECT ` + authCodeCols + ` FROM auth_codes WHERE hash = ?`

func scanAuthCode(sc scanner) (*gatehouse.AuthCode, error) {
	var c gatehouse.AuthCode
	err := sc.Scan(bytesCol{&c.Hash}, &c.TenantID, &c.Client, &c.ClientID, &c.UserID, &c.GrantID, &c.SessionID,
		&c.RedirectURI, jsonCol{&c.Scopes}, &c.Nonce, &c.CodeChallenge, &c.CodeChallengeMethod,
		timeCol{&c.AuthTime}, jsonCol{&c.AMR}, &c.ACR, timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt},
		timeCol{&c.UsedAt})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CreateAuthCode stores an authorization code. ECONFLICT when the hash is
// taken, ENOTFOUND when the client or user is not in the tenant.
func (s *Store) CreateAuthCode(ctx context.Context, c *gatehouse.AuthCode) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	_, err := s.exec(ctx, qInsertAuthCode, authCodeArgs(c)...)
	return fail("create auth code", err, "client or user not found", authCodeConflicts)
}

// CompleteAuthRequest deletes the authorization request and stores the
// code it ends with, in one write: ENOTFOUND, and no code, when the
// request is gone.
func (s *Store) CompleteAuthRequest(ctx context.Context, tenantID, id string, c *gatehouse.AuthCode) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	del, err := s.wstmts.get(ctx, qDeleteAuthRequest)
	if err != nil {
		return fmt.Errorf("complete auth request: %w", err)
	}
	insert, err := s.wstmts.get(ctx, qInsertAuthCode)
	if err != nil {
		return fmt.Errorf("complete auth request: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, del).ExecContext(ctx, tenantID, id)
		if err := affected(res, err, "authorization request not found"); err != nil {
			return err
		}
		_, err = tx.StmtContext(ctx, insert).ExecContext(ctx, authCodeArgs(c)...)
		return err
	})
	return fail("complete auth request", err, "client or user not found", authCodeConflicts)
}

const qInsertAuthCode = `INSERT INTO auth_codes (` + authCodeCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

var authCodeConflicts = conflicts{"auth_codes.hash": "code is already taken"}

// authCodeArgs are qInsertAuthCode's arguments for c.
func authCodeArgs(c *gatehouse.AuthCode) []any {
	return []any{c.Hash, c.TenantID, c.Client, c.ClientID, c.UserID, c.GrantID, c.SessionID, c.RedirectURI,
		jsonArg{c.Scopes}, c.Nonce, c.CodeChallenge, c.CodeChallengeMethod, micros(c.AuthTime), jsonArg{c.AMR},
		c.ACR, micros(c.CreatedAt), micros(c.ExpiresAt), micros(c.UsedAt)}
}

// RedeemAuthCode claims the code with one UPDATE ... RETURNING inside the
// write transaction, runs issue, and stores the grant and refresh token it
// returns in the same transaction, the token's ExpiresAt capped at its
// grant's end and written back. If issue fails nothing changes and its
// error is returned. ENOTFOUND for an unknown code or one expired at now;
// EUSED, with the code, for a code already redeemed, even once expired, so
// that a replay always lets the caller revoke what the first use issued.
//
// issue runs while the write lock is held: it must be quick and must not
// use the store.
func (s *Store) RedeemAuthCode(ctx context.Context, hash []byte, now time.Time,
	issue func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error)) (*gatehouse.AuthCode, error) {
	redeem, err := s.wstmts.get(ctx, qRedeemCode)
	if err != nil {
		return nil, fmt.Errorf("redeem auth code: %w", err)
	}
	lookup, err := s.wstmts.get(ctx, qCodeByHash)
	if err != nil {
		return nil, fmt.Errorf("redeem auth code: %w", err)
	}
	insertRT, err := s.wstmts.get(ctx, qInsertRefresh)
	if err != nil {
		return nil, fmt.Errorf("redeem auth code: %w", err)
	}
	usedAt := now.UTC().Truncate(time.Microsecond)
	var code *gatehouse.AuthCode
	err = s.write(ctx, func(tx *sql.Tx) error {
		c, err := scanAuthCode(tx.StmtContext(ctx, redeem).QueryRowContext(ctx, micros(usedAt), hash, now.UnixMicro()))
		if errors.Is(err, sql.ErrNoRows) {
			c, err := scanAuthCode(tx.StmtContext(ctx, lookup).QueryRowContext(ctx, hash))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return notFound("authorization code not found")
			case err != nil:
				return err
			case !c.UsedAt.IsZero():
				code = c
				return gatehouse.Errorf(gatehouse.EUSED, "authorization code was already used")
			}
			return notFound("authorization code not found")
		}
		if err != nil {
			return err
		}
		g, rt, err := issue(c)
		if err != nil {
			return err
		}
		if g != nil {
			if err := s.insertGrant(ctx, tx, g); err != nil {
				return err
			}
		}
		if rt != nil {
			if err := s.insertRefreshToken(ctx, tx.StmtContext(ctx, insertRT), rt); err != nil {
				return err
			}
		}
		code = c
		return nil
	})
	if err != nil {
		return code, fail("redeem auth code", err, "grant, client or user not found", tokenConflicts)
	}
	return code, nil
}

var tokenConflicts = conflicts{
	"grants.id":           "grant id is already taken",
	"refresh_tokens.hash": "refresh token is already taken",
}

// Grants.

const grantCols = `id, tenant_id, client, user_id, jwt_credential_id, scopes, session_id, created_at, expires_at,
	revoked_at`

func (s *Store) insertGrant(ctx context.Context, tx *sql.Tx, g *gatehouse.Grant) error {
	if g.ID == "" {
		g.ID = secret.NewID()
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = s.now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO grants (`+grantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.TenantID, g.Client, nullable(g.UserID), nullable(g.JWTCredentialID), jsonArg{g.Scopes},
		g.SessionID, micros(g.CreatedAt), micros(g.ExpiresAt), micros(g.RevokedAt))
	return err
}

// CreateGrant stores a grant. ECONFLICT when the id is taken, ENOTFOUND
// when the client, user or JWT credential is not in the tenant.
func (s *Store) CreateGrant(ctx context.Context, g *gatehouse.Grant) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if g.JWTCredentialID != "" {
			// Checked in the write transaction, which revocations also
			// take, so a grant never outlives a revocation that races it.
			var revoked sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM jwt_credentials WHERE tenant_id = ? AND id = ?`,
				g.TenantID, g.JWTCredentialID).Scan(&revoked)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("credential not found")
			}
			if err != nil {
				return err
			}
			if revoked.Valid {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "the JWT credential is revoked")
			}
		}
		return s.insertGrant(ctx, tx, g)
	})
	return fail("create grant", err, "client, user or credential not found", tokenConflicts)
}

// GetGrant returns the tenant's grant with id in any state, ENOTFOUND when
// there is none.
func (s *Store) GetGrant(ctx context.Context, tenantID, id string) (*gatehouse.Grant, error) {
	var g gatehouse.Grant
	err := s.queryRow(ctx, `SELECT `+grantCols+` FROM grants WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(
		&g.ID, &g.TenantID, &g.Client, strCol{&g.UserID}, strCol{&g.JWTCredentialID}, jsonCol{&g.Scopes},
		&g.SessionID, timeCol{&g.CreatedAt}, timeCol{&g.ExpiresAt}, timeCol{&g.RevokedAt})
	if err != nil {
		return nil, fail("get grant", noRows(err, "grant not found"), "", nil)
	}
	return &g, nil
}

// revokeGrants marks the unrevoked grants matching where (over grants'
// own columns) revoked at at, with their refresh tokens, and returns how
// many grants it revoked.
func revokeGrants(ctx context.Context, tx *sql.Tx, at time.Time, where string, args ...any) (int, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = ?
		WHERE revoked_at IS NULL AND (tenant_id, grant_id) IN (SELECT tenant_id, id FROM grants WHERE `+where+`)`,
		append([]any{micros(at)}, args...)...); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE grants SET revoked_at = ? WHERE revoked_at IS NULL AND `+where,
		append([]any{micros(at)}, args...)...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RevokeGrant marks the grant and all its refresh tokens revoked in one
// transaction; a revoked grant keeps its first revocation time. ENOTFOUND
// when the grant is not in the tenant.
func (s *Store) RevokeGrant(ctx context.Context, tenantID, id string, at time.Time) error {
	defer s.revocations.Invalidate()
	err := s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM grants WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&one)
		if err != nil {
			return noRows(err, "grant not found")
		}
		// Tokens are revoked even when the grant already was, so none
		// added since can outlive it.
		_, err = revokeGrants(ctx, tx, at, `tenant_id = ? AND id = ?`, tenantID, id)
		return err
	})
	return fail("revoke grant", err, "", nil)
}

// RevokeGrantsByCredential revokes every unrevoked grant made with the JWT
// credential, with their refresh tokens, and returns how many grants it
// revoked.
func (s *Store) RevokeGrantsByCredential(ctx context.Context, tenantID, credentialID string, at time.Time) (int, error) {
	defer s.revocations.Invalidate()
	var n int
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = revokeGrants(ctx, tx, at, `tenant_id = ? AND jwt_credential_id = ?`, tenantID, credentialID)
		return err
	})
	return n, fail("revoke grants by credential", err, "", nil)
}

// Refresh tokens.

const refreshCols = `hash, tenant_id, grant_id, client, user_id, scopes, session_id, auth_time, amr, acr,
	created_at, expires_at, rotated_at, revoked_at`

// qRotateRefresh claims a usable refresh token: unrotated, unrevoked,
// unexpired, and of a grant that is neither revoked nor past its end. It
// returns the token and its grant's end, which caps the new token's.
const qRotateRefresh = `UPDATE refresh_tokens SET rotated_at = ?
	WHERE hash = ? AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ?
	AND EXISTS (SELECT 1 FROM grants g WHERE g.tenant_id = refresh_tokens.tenant_id AND g.id = refresh_tokens.grant_id
		AND g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > ?))
	RETURNING ` + refreshCols + `, (SELECT g.expires_at FROM grants g
		WHERE g.tenant_id = refresh_tokens.tenant_id AND g.id = refresh_tokens.grant_id)`

// qGrantEnd reads a grant's end, which never changes once the grant is
// stored.
const qGrantEnd = `SELECT expires_at FROM grants WHERE tenant_id = ? AND id = ?`

// qInsertRefreshValues stores a refresh token whose expiry is already
// capped at its grant's end; the foreign key refuses a grant that is not
// in the token's tenant.
const qInsertRefreshValues = `INSERT INTO refresh_tokens (` + refreshCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const qRefreshByHash = `SELECT ` + refreshCols + ` FROM refresh_tokens WHERE hash = ?`

// scanRefreshToken scans refreshCols, then into extra the columns a
// statement returns after them.
func scanRefreshToken(sc scanner, extra ...any) (*gatehouse.RefreshToken, error) {
	var t gatehouse.RefreshToken
	err := sc.Scan(append([]any{bytesCol{&t.Hash}, &t.TenantID, &t.GrantID, &t.Client, &t.UserID, jsonCol{&t.Scopes},
		&t.SessionID, timeCol{&t.AuthTime}, jsonCol{&t.AMR}, &t.ACR, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
		timeCol{&t.RotatedAt}, timeCol{&t.RevokedAt}}, extra...)...)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// qInsertRefresh stores a refresh token whose expiry is capped at its
// grant's end (a grant without one caps nothing) and returns the expiry it
// stored. The grant is read by the same statement, so a token of a grant
// that is not in the token's tenant inserts no row and returns none. A
// missing expiry stays NULL, for the NOT NULL constraint to refuse.
const qInsertRefresh = `INSERT INTO refresh_tokens (` + refreshCols + `)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, CASE WHEN g.expires_at < ?12 THEN g.expires_at ELSE ?12 END, ?13, ?14
	FROM grants g WHERE g.tenant_id = ?2 AND g.id = ?3
	RETURNING expires_at`

// refreshArgs are the values of refreshCols for t, in order: the arguments
// of qInsertRefresh and qInsertRefreshValues.
func refreshArgs(t *gatehouse.RefreshToken) []any {
	return []any{t.Hash, t.TenantID, t.GrantID, t.Client, t.UserID, jsonArg{t.Scopes}, t.SessionID,
		micros(t.AuthTime), jsonArg{t.AMR}, t.ACR, micros(t.CreatedAt), micros(t.ExpiresAt), micros(t.RotatedAt),
		micros(t.RevokedAt)}
}

// insertRefreshToken runs qInsertRefresh, prepared and bound to the write
// transaction, for t and writes the expiry stored back into t: ENOTFOUND
// when t's grant is not in its tenant.
func (s *Store) insertRefreshToken(ctx context.Context, insert *sql.Stmt, t *gatehouse.RefreshToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	var stored time.Time
	err := insert.QueryRowContext(ctx, refreshArgs(t)...).Scan(timeCol{&stored})
	if err != nil {
		return noRows(err, "grant not found")
	}
	t.ExpiresAt = stored
	return nil
}

// CreateRefreshToken stores a refresh token of an existing grant, its
// ExpiresAt capped at the grant's end (and the stored value written back).
// ECONFLICT when the hash is taken, ENOTFOUND when the grant is not in the
// tenant.
func (s *Store) CreateRefreshToken(ctx context.Context, t *gatehouse.RefreshToken) error {
	insert, err := s.wstmts.get(ctx, qInsertRefresh)
	if err != nil {
		return fmt.Errorf("create refresh token: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error { return s.insertRefreshToken(ctx, tx.StmtContext(ctx, insert), t) })
	return fail("create refresh token", err, "grant not found", tokenConflicts)
}

// GetRefreshToken returns the token with this hash in any state, ENOTFOUND
// when there is none.
func (s *Store) GetRefreshToken(ctx context.Context, hash []byte) (*gatehouse.RefreshToken, error) {
	t, err := scanRefreshToken(s.queryRow(ctx, qRefreshByHash, hash))
	return t, fail("get refresh token", noRows(err, "refresh token not found"), "", nil)
}

// RotateRefreshToken claims the token with one UPDATE ... RETURNING inside
// the write transaction, runs issue and stores the token it returns, its
// ExpiresAt capped at its grant's end and written back, all in one
// transaction; on success it returns the old token, now rotated. If
// issue fails nothing changes and its error is returned. ENOTFOUND when the
// token is unknown, revoked (itself or its grant) or expired at now; EUSED,
// with the old token, when it was already rotated.
//
// issue runs while the write lock is held: it must be quick and must not
// use the store. The whole rotation runs on the writer, which has the
// pages it needs in its cache: a read connection would first read them
// again (SQLite empties a reader's page cache whenever another connection
// has written), which cost more CPU than it took off the writer.
func (s *Store) RotateRefreshToken(ctx context.Context, hash []byte, now time.Time,
	issue func(old *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error)) (*gatehouse.RefreshToken, error) {
	var stmts [4]*sql.Stmt
	for i, q := range []string{qRotateRefresh, qRefreshByHash, qGrantEnd, qInsertRefreshValues} {
		st, err := s.wstmts.get(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("rotate refresh token: %w", err)
		}
		stmts[i] = st
	}
	rotate, lookup, grantEndOf, insert := stmts[0], stmts[1], stmts[2], stmts[3]
	rotatedAt := now.UTC().Truncate(time.Microsecond)
	var old *gatehouse.RefreshToken
	err := s.write(ctx, func(tx *sql.Tx) error {
		var grantEnd time.Time
		t, err := scanRefreshToken(tx.StmtContext(ctx, rotate).QueryRowContext(ctx, micros(rotatedAt), hash,
			now.UnixMicro(), now.UnixMicro()), timeCol{&grantEnd})
		if errors.Is(err, sql.ErrNoRows) {
			// Nothing claimed: EUSED for a spent token, whatever its
			// grant's state, so that its family is revoked; otherwise the
			// token or its grant is gone, revoked or past its end.
			t, err := scanRefreshToken(tx.StmtContext(ctx, lookup).QueryRowContext(ctx, hash))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return notFound("refresh token not found")
			case err != nil:
				return err
			}
			if err := t.CheckRotation(now, time.Time{}, time.Time{}); gatehouse.IsCode(err, gatehouse.EUSED) {
				old = t
				return err
			}
			return notFound("refresh token not found")
		}
		if err != nil {
			return err
		}
		next, err := issue(t)
		if err != nil {
			return err
		}
		if next == nil {
			return errors.New("issue returned no refresh token")
		}
		if next.TenantID != t.TenantID || next.GrantID != t.GrantID {
			grantEnd = time.Time{}
			err := tx.StmtContext(ctx, grantEndOf).QueryRowContext(ctx, next.TenantID, next.GrantID).Scan(timeCol{&grantEnd})
			if err != nil {
				return noRows(err, "grant not found")
			}
		}
		if !grantEnd.IsZero() && grantEnd.Before(next.ExpiresAt) {
			next.ExpiresAt = grantEnd
		}
		if next.CreatedAt.IsZero() {
			next.CreatedAt = s.now()
		}
		if _, err := tx.StmtContext(ctx, insert).ExecContext(ctx, refreshArgs(next)...); err != nil {
			return err
		}
		old = t
		return nil
	})
	if err != nil {
		return old, fail("rotate refresh token", err, "grant not found", tokenConflicts)
	}
	return old, nil
}

// RevokeRefreshToken marks one refresh token revoked; revoking it again
// keeps the first time. ENOTFOUND when there is no such token.
func (s *Store) RevokeRefreshToken(ctx context.Context, hash []byte, at time.Time) error {
	res, err := s.exec(ctx, `UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE hash = ?`,
		micros(at), hash)
	return fail("revoke refresh token", affected(res, err, "refresh token not found"), "", nil)
}

// Revoked access tokens.

// qAccessTokenRevoked is two primary-key probes in one statement: the jti
// among the revocations, and the grant, which must exist unrevoked. A grant
// that is gone (deleted with its client, or swept) reads as revoked.
const qAccessTokenRevoked = `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?)
	OR (? <> '' AND NOT EXISTS (SELECT 1 FROM grants WHERE id = ? AND revoked_at IS NULL))`

// RevokeAccessToken records the access token's jti as revoked until its
// expiry. Revoking it again is not an error (RFC 7009 §2.2) and keeps the
// later expiry. ENOTFOUND when the tenant does not exist.
func (s *Store) RevokeAccessToken(ctx context.Context, r *gatehouse.RevokedToken) error {
	defer s.revocations.Invalidate()
	_, err := s.exec(ctx, `INSERT INTO revoked_tokens (jti, tenant_id, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
		r.JTI, r.TenantID, micros(r.ExpiresAt))
	return fail("revoke access token", err, "tenant not found", nil)
}

// AccessTokenRevoked reports whether the jti is revoked or the grant (may
// be "", for a token of no grant) is revoked or no longer exists. It fails
// closed: an unknown grant id is revoked.
//
// It answers from the store's revocation cache when it can (watch.go): a
// revocation made through this Store is seen at once, one made by another
// process on the same file within watchInterval.
func (s *Store) AccessTokenRevoked(ctx context.Context, jti, grantID string) (bool, error) {
	s.watchChanges(ctx)
	revoked, gen, ok := s.revocations.Get(jti, grantID)
	if ok {
		return revoked, nil
	}
	st, err := s.rstmts.get(ctx, qAccessTokenRevoked)
	if err != nil {
		return false, fmt.Errorf("access token revoked: %w", err)
	}
	if err := st.QueryRowContext(ctx, jti, grantID, grantID).Scan(&revoked); err != nil {
		return false, fmt.Errorf("access token revoked: %w", err)
	}
	s.revocations.Put(jti, grantID, revoked, gen)
	return revoked, nil
}
