package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// DeleteExpired deletes at most limit rows of each kind that ended before
// now: auth requests, auth codes and refresh tokens past their expiry,
// sessions expired or revoked, grants past their end (their refresh tokens
// go with them), and revoked-token entries past the token's expiry. Rows
// locked by a running transaction are skipped, so sweeps on several nodes
// neither wait for requests nor for each other. Each kind is its own short
// statement.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (gatehouse.SweepResult, error) {
	var r gatehouse.SweepResult
	if limit <= 0 {
		return r, nil
	}
	at := ts(now)
	steps := []struct {
		n     *int
		op    string
		query string
	}{
		{&r.AuthRequests, "sweep auth requests", `DELETE FROM auth_requests WHERE id IN (
			SELECT id FROM auth_requests WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`},
		{&r.AuthCodes, "sweep auth codes", `DELETE FROM auth_codes WHERE hash IN (
			SELECT hash FROM auth_codes WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`},
		{&r.Sessions, "sweep sessions", `DELETE FROM sessions WHERE id IN (
			SELECT id FROM sessions WHERE expires_at < $1 OR revoked_at IS NOT NULL LIMIT $2 FOR UPDATE SKIP LOCKED)`},
		// Tokens before grants, so that the tokens a grant takes with it
		// are not counted as the grant's.
		{&r.RefreshTokens, "sweep refresh tokens", `DELETE FROM refresh_tokens WHERE hash IN (
			SELECT hash FROM refresh_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`},
		{&r.Grants, "sweep grants", `DELETE FROM grants WHERE id IN (
			SELECT id FROM grants WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`},
		{&r.RevokedTokens, "sweep revoked tokens", `DELETE FROM revoked_tokens WHERE jti IN (
			SELECT jti FROM revoked_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`},
	}
	for _, st := range steps {
		tag, err := s.pool.Exec(ctx, st.query, at, limit)
		if err != nil {
			return r, dbError(st.op, err)
		}
		*st.n = int(tag.RowsAffected())
	}
	return r, nil
}
