package sqlite

import (
	"context"
	"fmt"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

// defaultSweepLimit bounds a sweep whose caller gave no limit.
const defaultSweepLimit = 1000

// DeleteExpired deletes at most limit rows of each kind that expired before
// now, each kind in its own short statement: auth requests, auth codes
// (used or not), sessions that expired or were revoked, refresh tokens
// (rotated and revoked ones are kept until they expire, so a replay is
// still recognized), grants whose end is more than
// gatehouse.MaxAccessTokenTTL before now, and revoked-token entries.
//
// A grant outlives its end by the longest access-token lifetime because
// AccessTokenRevoked reads a missing grant as revoked: deleted at its end,
// it would cut short the access tokens it issued just before. A grant also
// waits until its refresh tokens are gone (they expire by its end, and the
// refresh-token step removes them first), so the foreign key's cascade
// never deletes rows beyond the limit or uncounted.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (gatehouse.SweepResult, error) {
	if limit <= 0 {
		limit = defaultSweepLimit
	}
	at := now.UnixMicro()
	grantsEndedBefore := now.Add(-gatehouse.MaxAccessTokenTTL).UnixMicro()
	var r gatehouse.SweepResult
	steps := []struct {
		kind  string
		query string
		n     *int
		args  []any
	}{
		{"auth requests", `DELETE FROM auth_requests WHERE seq IN
			(SELECT seq FROM auth_requests WHERE expires_at < ? LIMIT ?)`, &r.AuthRequests, []any{at, limit}},
		{"auth codes", `DELETE FROM auth_codes WHERE hash IN
			(SELECT hash FROM auth_codes WHERE expires_at < ? LIMIT ?)`, &r.AuthCodes, []any{at, limit}},
		{"sessions", `DELETE FROM sessions WHERE seq IN
			(SELECT seq FROM sessions WHERE expires_at < ? UNION SELECT seq FROM sessions WHERE revoked_at IS NOT NULL
			LIMIT ?)`, &r.Sessions, []any{at, limit}},
		{"refresh tokens", `DELETE FROM refresh_tokens WHERE hash IN
			(SELECT hash FROM refresh_tokens WHERE expires_at < ? LIMIT ?)`, &r.RefreshTokens, []any{at, limit}},
		{"grants", `DELETE FROM grants WHERE id IN
			(SELECT id FROM grants g WHERE expires_at IS NOT NULL AND expires_at < ?
				AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.tenant_id = g.tenant_id AND r.grant_id = g.id)
			LIMIT ?)`, &r.Grants, []any{grantsEndedBefore, limit}},
		{"revoked tokens", `DELETE FROM revoked_tokens WHERE rowid IN
			(SELECT rowid FROM revoked_tokens WHERE expires_at < ? LIMIT ?)`, &r.RevokedTokens, []any{at, limit}},
	}
	for _, st := range steps {
		res, err := s.w.ExecContext(ctx, st.query, st.args...)
		if err != nil {
			return r, fail("delete expired "+st.kind, err, "", nil)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return r, fmt.Errorf("delete expired %s: %w", st.kind, err)
		}
		*st.n = int(n)
		if st.n == &r.Grants && n > 0 {
			// A missing grant reads as revoked. The grants swept ended long
			// before any token of theirs could still be checked, but the
			// cache is told all the same.
			s.revocations.Invalidate()
		}
	}
	return r, nil
}
