package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gatehouse-id/gatehouse"
)

// DeleteExpired deletes at most limit rows of each kind that ended before
// now: auth requests, auth codes and refresh tokens past their expiry,
// sessions expired or revoked, grants whose end is more than
// gatehouse.MaxAccessTokenTTL before now, and revoked-token entries past
// the token's expiry. Rows locked by a running transaction are skipped, so
// sweeps on several nodes neither wait for requests nor for each other.
// Each kind is its own short statement.
//
// A grant outlives its end by the longest access-token lifetime because
// AccessTokenRevoked reads a missing grant as revoked: deleted at its end,
// it would cut short the access tokens it issued just before. A grant also
// waits until its refresh tokens are gone (they expire by its end, and the
// refresh-token step removes them first), so the foreign key's cascade
// never deletes rows beyond the limit or uncounted.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (gatehouse.SweepResult, error) {
	var r gatehouse.SweepResult
	if limit <= 0 {
		return r, nil
	}
	at := ts(now)
	grantsEndedBefore := ts(now.Add(-gatehouse.MaxAccessTokenTTL))
	steps := []struct {
		n      *int
		op     string
		query  string
		before pgtype.Timestamptz
	}{
		{&r.AuthRequests, "sweep auth requests", `DELETE FROM auth_requests WHERE id IN (
			SELECT id FROM auth_requests WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, at},
		{&r.AuthCodes, "sweep auth codes", `DELETE FROM auth_codes WHERE hash IN (
			SELECT hash FROM auth_codes WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, at},
		{&r.Sessions, "sweep sessions", `DELETE FROM sessions WHERE id IN (
			SELECT id FROM sessions WHERE expires_at < $1 OR revoked_at IS NOT NULL LIMIT $2 FOR UPDATE SKIP LOCKED)`, at},
		// Tokens before grants: a grant waits for its tokens to be gone.
		{&r.RefreshTokens, "sweep refresh tokens", `DELETE FROM refresh_tokens WHERE hash IN (
			SELECT hash FROM refresh_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, at},
		{&r.Grants, "sweep grants", `DELETE FROM grants WHERE id IN (
			SELECT id FROM grants g WHERE expires_at < $1
				AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.tenant_id = g.tenant_id AND r.grant_id = g.id)
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, grantsEndedBefore},
		{&r.RevokedTokens, "sweep revoked tokens", `DELETE FROM revoked_tokens WHERE jti IN (
			SELECT jti FROM revoked_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, at},
	}
	for _, st := range steps {
		tag, err := s.pool.Exec(ctx, st.query, st.before, limit)
		if err != nil {
			return r, dbError(st.op, err)
		}
		*st.n = int(tag.RowsAffected())
		if st.n == &r.Grants && *st.n > 0 {
			// A missing grant reads as revoked. The grants swept ended long
			// before any token of theirs could still be checked, but the
			// cache is told all the same.
			s.revocations.Invalidate()
		}
	}
	return r, nil
}
