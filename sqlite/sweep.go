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
// still recognized), grants past their end (revoked grants are kept until
// then, so the access tokens they issued stay revoked), and revoked-token
// entries. Refresh tokens go before grants, so the grants' cascade finds
// nothing left to delete.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (gatehouse.SweepResult, error) {
	if limit <= 0 {
		limit = defaultSweepLimit
	}
	at := now.UnixMicro()
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
			(SELECT id FROM grants WHERE expires_at IS NOT NULL AND expires_at < ? LIMIT ?)`, &r.Grants, []any{at, limit}},
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
	}
	return r, nil
}
