package storetest

import (
	"fmt"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func sweepCases() []testCase {
	return []testCase{
		{"Sweep/DeleteExpired", testSweep},
	}
}

// testSweep fills every kind with five rows the sweep must delete and some
// it must keep, sweeps in batches of two until nothing is left, and checks
// the counts, the limit, and the survivors.
//
// Grants are kept for gatehouse.MaxAccessTokenTTL after their end, since
// AccessTokenRevoked reads a missing grant as revoked. Some of the expired
// refresh tokens belong to a grant that is itself due: every one of them
// must be counted as a refresh token, which holds only if no grant's
// deletion takes tokens with it beyond the limit.
func testSweep(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	// Grants that ended before this are due.
	graceEnd := now.Add(-gatehouse.MaxAccessTokenTTL)
	const doomed = 5

	var goneRequests []*gatehouse.AuthRequest
	var goneSessions []*gatehouse.Session
	var goneGrants []*gatehouse.Grant
	var goneTokens []*gatehouse.RefreshToken
	for i := range doomed {
		r := newAuthRequest(w.client, past.Add(-time.Hour))
		r.ExpiresAt = past
		must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
		goneRequests = append(goneRequests, r)

		code := newAuthCode(w.client, w.user, past.Add(-time.Minute))
		code.ExpiresAt = past
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, code))

		// Sessions go when expired or revoked.
		x := newSession(w.user, past.Add(-time.Hour), past)
		if i%2 == 1 {
			x.ExpiresAt = future
		}
		must(t, "CreateSession", s.CreateSession(ctx, x))
		if i%2 == 1 {
			must(t, "RevokeSession", s.RevokeSession(ctx, w.tenant.ID, x.ID, past))
		}
		goneSessions = append(goneSessions, x)

		// Revoked or not, a grant goes once its end is far enough behind.
		g := &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, UserID: w.user.ID,
			Scopes: []string{"openid"}, CreatedAt: graceEnd.Add(-48 * time.Hour),
			ExpiresAt: graceEnd.Add(-time.Duration(i) * time.Hour).Add(-time.Microsecond)}
		must(t, "CreateGrant", s.CreateGrant(ctx, g))
		if i%2 == 1 {
			must(t, "RevokeGrant", s.RevokeGrant(ctx, w.tenant.ID, g.ID, g.ExpiresAt.Add(-time.Hour)))
		}
		goneGrants = append(goneGrants, g)

		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, &gatehouse.RevokedToken{TenantID: w.tenant.ID,
			JTI: fmt.Sprintf("gone-%d", i), ExpiresAt: past}))
	}

	// Expired refresh tokens, of a live grant and of a grant that is due.
	liveGrant := MustGrant(t, s, w.client, w.user.ID, now)
	for i := range doomed {
		g := liveGrant
		if i%2 == 0 {
			g = goneGrants[0]
		}
		rt := newRefreshToken(g, hash(), g.CreatedAt)
		rt.ExpiresAt = past
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, rt))
		goneTokens = append(goneTokens, rt)
	}

	// Rows to keep.
	liveRequest := newAuthRequest(w.client, now)
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, liveRequest))
	usedCode := newAuthCode(w.client, w.user, now)
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, usedCode))
	_, err := s.RedeemAuthCode(ctx, usedCode.Hash, now, func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		return nil, nil, nil
	})
	must(t, "RedeemAuthCode", err)
	liveSession := newSession(w.user, now, future)
	must(t, "CreateSession", s.CreateSession(ctx, liveSession))
	liveToken, _ := MustRefreshToken(t, s, liveGrant, now)
	// A rotated token is kept until it expires, so its reuse is still
	// recognized.
	rotatedToken, _ := MustRefreshToken(t, s, liveGrant, now)
	_, err = s.RotateRefreshToken(ctx, rotatedToken.Hash, now, func(o *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		return rotated(o, hash(), now), nil
	})
	must(t, "RotateRefreshToken", err)
	// A revoked grant is kept until its end, so the access tokens it
	// issued stay revoked.
	revokedGrant := MustGrant(t, s, w.client, w.user.ID, now)
	must(t, "RevokeGrant", s.RevokeGrant(ctx, w.tenant.ID, revokedGrant.ID, now))
	endless := &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, Scopes: []string{"users.read"}}
	must(t, "CreateGrant without an end", s.CreateGrant(ctx, endless))
	// Grants that ended, but so recently that an access token they issued
	// may still be valid: the one that ended exactly MaxAccessTokenTTL ago
	// is the boundary ("more than" that long ago goes).
	var endedGrants []*gatehouse.Grant
	for _, end := range []time.Time{past, graceEnd.Add(time.Hour), graceEnd} {
		g := &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, UserID: w.user.ID,
			Scopes: []string{"openid"}, CreatedAt: end.Add(-time.Hour), ExpiresAt: end}
		must(t, "CreateGrant", s.CreateGrant(ctx, g))
		endedGrants = append(endedGrants, g)
	}
	must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, &gatehouse.RevokedToken{TenantID: w.tenant.ID,
		JTI: "live", ExpiresAt: future}))

	var total gatehouse.SweepResult
	for round := 0; ; round++ {
		if round > 2*doomed {
			t.Fatalf("DeleteExpired still deleting after %d rounds: %+v", round, total)
		}
		r, err := s.DeleteExpired(ctx, now, 2)
		must(t, "DeleteExpired", err)
		for name, n := range map[string]int{"auth requests": r.AuthRequests, "auth codes": r.AuthCodes,
			"sessions": r.Sessions, "refresh tokens": r.RefreshTokens, "grants": r.Grants, "revoked tokens": r.RevokedTokens} {
			if n < 0 || n > 2 {
				t.Errorf("DeleteExpired round %d: deleted %d %s, want at most the limit 2", round, n, name)
			}
		}
		if r.Total() == 0 {
			break
		}
		total.AuthRequests += r.AuthRequests
		total.AuthCodes += r.AuthCodes
		total.Sessions += r.Sessions
		total.RefreshTokens += r.RefreshTokens
		total.Grants += r.Grants
		total.RevokedTokens += r.RevokedTokens
	}
	want := gatehouse.SweepResult{AuthRequests: doomed, AuthCodes: doomed, Sessions: doomed, RefreshTokens: doomed,
		Grants: doomed, RevokedTokens: doomed}
	same(t, "rows swept", want, total)

	// What expired is gone, even when looked up at a time it was valid.
	for _, r := range goneRequests {
		_, err := s.GetAuthRequest(ctx, w.tenant.ID, r.ID, r.CreatedAt)
		wantCode(t, "GetAuthRequest of a swept request", err, gatehouse.ENOTFOUND)
	}
	for _, x := range goneSessions {
		_, err := s.GetSession(ctx, w.tenant.ID, x.ID)
		wantCode(t, "GetSession of a swept session", err, gatehouse.ENOTFOUND)
	}
	for _, g := range goneGrants {
		_, err := s.GetGrant(ctx, w.tenant.ID, g.ID)
		wantCode(t, "GetGrant of a swept grant", err, gatehouse.ENOTFOUND)
		// Fail closed: the access tokens of a swept grant read as revoked.
		if revoked, err := s.AccessTokenRevoked(ctx, "jti-"+rnd(), g.ID); err != nil || !revoked {
			t.Errorf("AccessTokenRevoked of a swept grant: got %v, %v; want true", revoked, err)
		}
	}
	for _, rt := range goneTokens {
		_, err := s.GetRefreshToken(ctx, rt.Hash)
		wantCode(t, "GetRefreshToken of a swept token", err, gatehouse.ENOTFOUND)
	}
	if revoked, err := s.AccessTokenRevoked(ctx, "gone-0", ""); err != nil || revoked {
		t.Errorf("AccessTokenRevoked of a swept entry: got %v, %v; want false", revoked, err)
	}

	// What lives stays.
	if _, err := s.GetAuthRequest(ctx, w.tenant.ID, liveRequest.ID, now); err != nil {
		t.Errorf("GetAuthRequest of a live request: %v", err)
	}
	_, err = s.RedeemAuthCode(ctx, usedCode.Hash, now, noIssue(t))
	wantCode(t, "RedeemAuthCode of a used, unexpired code after the sweep", err, gatehouse.EUSED)
	if _, err := s.GetSessionByToken(ctx, liveSession.TokenHash, now); err != nil {
		t.Errorf("GetSessionByToken of a live session: %v", err)
	}
	for name, h := range map[string][]byte{"live": liveToken.Hash, "rotated": rotatedToken.Hash} {
		if _, err := s.GetRefreshToken(ctx, h); err != nil {
			t.Errorf("GetRefreshToken of the %s token: %v", name, err)
		}
	}
	for _, g := range append([]*gatehouse.Grant{liveGrant, endless}, endedGrants...) {
		if _, err := s.GetGrant(ctx, w.tenant.ID, g.ID); err != nil {
			t.Errorf("GetGrant of a grant ending %v: %v", g.ExpiresAt, err)
		}
		if revoked, err := s.AccessTokenRevoked(ctx, "jti-"+rnd(), g.ID); err != nil || revoked {
			t.Errorf("AccessTokenRevoked of a kept grant ending %v: got %v, %v; want false", g.ExpiresAt, revoked, err)
		}
	}
	checkGrantRevoked(t, s, revokedGrant, true)
	if revoked, err := s.AccessTokenRevoked(ctx, "live", ""); err != nil || !revoked {
		t.Errorf("AccessTokenRevoked of a live entry: got %v, %v; want true", revoked, err)
	}
}
