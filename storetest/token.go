package storetest

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

func tokenCases() []testCase {
	return []testCase{
		{"AuthCode/Redeem", testAuthCodeRedeem},
		{"AuthCode/Refused", testAuthCodeRefused},
		{"AuthCode/IssueFailsRollsBack", testAuthCodeIssueFails},
		{"AuthCode/ConcurrentRedeem", testAuthCodeConcurrent},
		{"Grant/CreateAndGet", testGrantCreateAndGet},
		{"Grant/Revoke", testGrantRevoke},
		{"RefreshToken/Rotate", testRefreshRotate},
		{"RefreshToken/Refused", testRefreshRefused},
		{"RefreshToken/IssueFailsRollsBack", testRefreshIssueFails},
		{"RefreshToken/ConcurrentRotate", testRefreshConcurrent},
		{"RefreshToken/ExpiryCappedAtGrant", testRefreshExpiryCapped},
		{"AccessToken/Revoked", testAccessTokenRevoked},
	}
}

// tokenWorld is a tenant with a user and a client, the parents of every
// token.
type tokenWorld struct {
	tenant *gatehouse.Tenant
	user   *gatehouse.User
	client *gatehouse.Client
}

func newTokenWorld(t *testing.T, s gatehouse.Store) tokenWorld {
	tn := MustTenant(t, s, "acme")
	return tokenWorld{tn, MustUser(t, s, tn.ID, "ana"), MustClient(t, s, tn.ID)}
}

func testAuthCodeRedeem(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	code := newAuthCode(w.client, w.user, now)
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, code))

	redeemAt := now.Add(10 * time.Second)
	grant := grantFor(code, redeemAt)
	rt := newRefreshToken(grant, hash(), redeemAt)
	calls := 0
	got, err := s.RedeemAuthCode(ctx, code.Hash, redeemAt, func(c *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		calls++
		// The callback sees the stored code, already marked used.
		same(t, "code passed to issue", code, c, "UsedAt")
		if !sameInstant(c.UsedAt, redeemAt) {
			t.Errorf("code passed to issue: got UsedAt %v, want %v", c.UsedAt, redeemAt)
		}
		return grant, rt, nil
	})
	must(t, "RedeemAuthCode", err)
	if calls != 1 {
		t.Errorf("RedeemAuthCode: issue ran %d times, want 1", calls)
	}
	want := *code
	want.UsedAt = redeemAt
	same(t, "redeemed code", &want, got)

	gotGrant, err := s.GetGrant(ctx, w.tenant.ID, grant.ID)
	must(t, "GetGrant of the issued grant", err)
	same(t, "issued grant", grant, gotGrant)
	gotRT, err := s.GetRefreshToken(ctx, rt.Hash)
	must(t, "GetRefreshToken of the issued token", err)
	same(t, "issued refresh token", rt, gotRT)

	// A second use is EUSED and hands back the code, so the caller can
	// revoke the grant the first use made.
	again, err := s.RedeemAuthCode(ctx, code.Hash, redeemAt.Add(time.Second), noIssue(t))
	wantCode(t, "RedeemAuthCode a second time", err, gatehouse.EUSED)
	if again == nil {
		t.Fatal("RedeemAuthCode a second time: got no code with EUSED, want the used code")
	}
	same(t, "code returned with EUSED", &want, again)

	// Either part of what issue returns may be nil.
	bare := newAuthCode(w.client, w.user, now)
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, bare))
	_, err = s.RedeemAuthCode(ctx, bare.Hash, redeemAt, func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		return grantFor(bare, redeemAt), nil, nil
	})
	must(t, "RedeemAuthCode issuing a grant only", err)
	if _, err := s.GetGrant(ctx, w.tenant.ID, bare.GrantID); err != nil {
		t.Errorf("GetGrant of a grant issued without a refresh token: %v", err)
	}
	none := newAuthCode(w.client, w.user, now)
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, none))
	_, err = s.RedeemAuthCode(ctx, none.Hash, redeemAt, func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		return nil, nil, nil
	})
	must(t, "RedeemAuthCode issuing nothing", err)

	dup := newAuthCode(w.client, w.user, now)
	dup.Hash = code.Hash
	wantCode(t, "CreateAuthCode with a taken hash", s.CreateAuthCode(ctx, dup), gatehouse.ECONFLICT)
	orphan := newAuthCode(w.client, w.user, now)
	orphan.Client = "00000000-0000-7000-8000-000000000000"
	wantCode(t, "CreateAuthCode for an unknown client", s.CreateAuthCode(ctx, orphan), gatehouse.ENOTFOUND)
}

func testAuthCodeRefused(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	code := newAuthCode(w.client, w.user, now)
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, code))

	tests := []struct {
		name string
		hash []byte
		now  time.Time
	}{
		{"unknown code", hash(), now},
		{"empty hash", nil, now},
		{"at its expiry", code.Hash, code.ExpiresAt},
		{"after its expiry", code.Hash, code.ExpiresAt.Add(time.Minute)},
	}
	for _, tt := range tests {
		_, err := s.RedeemAuthCode(ctx, tt.hash, tt.now, noIssue(t))
		wantCode(t, "RedeemAuthCode "+tt.name, err, gatehouse.ENOTFOUND)
	}
	// Refusing an expired code did not spend it.
	_, err := s.RedeemAuthCode(ctx, code.Hash, code.ExpiresAt.Add(-time.Microsecond),
		func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) { return nil, nil, nil })
	must(t, "RedeemAuthCode just before its expiry", err)
}

func testAuthCodeIssueFails(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	code := newAuthCode(w.client, w.user, now)
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, code))

	grant := grantFor(code, now)
	rt := newRefreshToken(grant, hash(), now)
	_, err := s.RedeemAuthCode(ctx, code.Hash, now, func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		return grant, rt, errIssue
	})
	if !errors.Is(err, errIssue) {
		t.Fatalf("RedeemAuthCode with a failing issue: got %v, want the issue error", err)
	}
	_, err = s.GetGrant(ctx, w.tenant.ID, grant.ID)
	wantCode(t, "GetGrant after a failed issue", err, gatehouse.ENOTFOUND)
	_, err = s.GetRefreshToken(ctx, rt.Hash)
	wantCode(t, "GetRefreshToken after a failed issue", err, gatehouse.ENOTFOUND)

	// Storing what issue returned is part of the same transaction: when it
	// fails (here a grant id that is taken), the code is not spent either.
	taken := MustGrant(t, s, w.client, w.user.ID, now)
	_, err = s.RedeemAuthCode(ctx, code.Hash, now, func(c *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		g := grantFor(c, now)
		g.ID = taken.ID
		return g, nil, nil
	})
	if err == nil {
		t.Fatal("RedeemAuthCode issuing a grant that cannot be stored: got nil, want an error")
	}

	// The code is still unused: the next attempt succeeds.
	_, err = s.RedeemAuthCode(ctx, code.Hash, now, func(c *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		return grant, rt, nil
	})
	must(t, "RedeemAuthCode after a failed issue", err)
	if _, err := s.GetRefreshToken(ctx, rt.Hash); err != nil {
		t.Errorf("GetRefreshToken after the retry: %v", err)
	}
}

// testAuthCodeConcurrent redeems one code from many goroutines: exactly one
// wins and issues, every other gets EUSED with the code.
func testAuthCodeConcurrent(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	code := newAuthCode(w.client, w.user, now)
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, code))

	const n = 32
	var issued atomic.Int32
	codes := make([]*gatehouse.AuthCode, n)
	errs := race(n, func(i int) error {
		c, err := s.RedeemAuthCode(ctx, code.Hash, now, func(c *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
			issued.Add(1)
			g := grantFor(c, now)
			return g, newRefreshToken(g, secret.Hash(string(rune('a'+i))), now), nil
		})
		codes[i] = c
		return err
	})
	winners := 0
	for i, err := range errs {
		switch gatehouse.ErrorCode(err) {
		case "":
			winners++
		case gatehouse.EUSED:
			if codes[i] == nil || !bytes.Equal(codes[i].Hash, code.Hash) {
				t.Errorf("redeemer %d: got EUSED without the code", i)
			}
		default:
			t.Errorf("redeemer %d: got %v, want success or EUSED", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("concurrent RedeemAuthCode: got %d winners, want exactly 1", winners)
	}
	if got := issued.Load(); got < 1 {
		t.Errorf("issue ran %d times, want at least once", got)
	}
	if _, err := s.GetGrant(ctx, w.tenant.ID, code.GrantID); err != nil {
		t.Errorf("GetGrant of the winner's grant: %v", err)
	}
}

func testGrantCreateAndGet(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	g := &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, UserID: w.user.ID,
		Scopes: []string{"openid", "offline_access"}, SessionID: "sid", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, "CreateGrant", s.CreateGrant(ctx, g))
	isUUID(t, "CreateGrant", g.ID)
	got, err := s.GetGrant(ctx, w.tenant.ID, g.ID)
	must(t, "GetGrant", err)
	same(t, "GetGrant", g, got)

	// A client's own grant has no user and may have no end.
	own := &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, Scopes: []string{"users.read"}}
	must(t, "CreateGrant without a user", s.CreateGrant(ctx, own))
	got, err = s.GetGrant(ctx, w.tenant.ID, own.ID)
	must(t, "GetGrant", err)
	same(t, "grant without a user", own, got)

	_, err = s.GetGrant(ctx, w.tenant.ID, "00000000-0000-7000-8000-000000000000")
	wantCode(t, "GetGrant unknown", err, gatehouse.ENOTFOUND)
	orphan := &gatehouse.Grant{TenantID: w.tenant.ID, Client: "00000000-0000-7000-8000-000000000000", UserID: w.user.ID}
	wantCode(t, "CreateGrant for an unknown client", s.CreateGrant(ctx, orphan), gatehouse.ENOTFOUND)
	dup := *g
	wantCode(t, "CreateGrant with a taken id", s.CreateGrant(ctx, &dup), gatehouse.ECONFLICT)
}

func testGrantRevoke(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	g := MustGrant(t, s, w.client, w.user.ID, now)
	rt1, _ := MustRefreshToken(t, s, g, now)
	rt2, _ := MustRefreshToken(t, s, g, now)
	other := MustGrant(t, s, w.client, w.user.ID, now)
	otherRT, _ := MustRefreshToken(t, s, other, now)

	checkGrantRevoked(t, s, g, false)
	must(t, "RevokeGrant", s.RevokeGrant(ctx, w.tenant.ID, g.ID, now))
	checkGrantRevoked(t, s, g, true)
	for _, rt := range []*gatehouse.RefreshToken{rt1, rt2} {
		got, err := s.GetRefreshToken(ctx, rt.Hash)
		must(t, "GetRefreshToken", err)
		if !sameInstant(got.RevokedAt, now) {
			t.Errorf("refresh token of a revoked grant: got RevokedAt %v, want %v", got.RevokedAt, now)
		}
		_, err = s.RotateRefreshToken(ctx, rt.Hash, now, noRotate(t))
		wantCode(t, "RotateRefreshToken of a revoked grant's token", err, gatehouse.ENOTFOUND)
	}
	must(t, "RevokeGrant again", s.RevokeGrant(ctx, w.tenant.ID, g.ID, now.Add(time.Minute)))
	wantCode(t, "RevokeGrant unknown", s.RevokeGrant(ctx, w.tenant.ID, "00000000-0000-7000-8000-000000000000", now), gatehouse.ENOTFOUND)

	checkGrantRevoked(t, s, other, false)
	got, err := s.GetRefreshToken(ctx, otherRT.Hash)
	must(t, "GetRefreshToken", err)
	same(t, "another grant's refresh token", otherRT, got)
}

func testRefreshRotate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	g := MustGrant(t, s, w.client, w.user.ID, now)
	old, _ := MustRefreshToken(t, s, g, now)
	got, err := s.GetRefreshToken(ctx, old.Hash)
	must(t, "GetRefreshToken", err)
	same(t, "GetRefreshToken", old, got)

	at := now.Add(time.Minute)
	next := rotated(old, hash(), at)
	calls := 0
	// What RotateRefreshToken returns on success is not part of the
	// contract (the caller has the new token from its callback), so it is
	// not checked.
	_, err = s.RotateRefreshToken(ctx, old.Hash, at, func(o *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		calls++
		same(t, "token passed to issue", old, o, "RotatedAt")
		return next, nil
	})
	must(t, "RotateRefreshToken", err)
	if calls != 1 {
		t.Errorf("RotateRefreshToken: issue ran %d times, want 1", calls)
	}
	got, err = s.GetRefreshToken(ctx, old.Hash)
	must(t, "GetRefreshToken old", err)
	wantOld := *old
	wantOld.RotatedAt = at
	same(t, "rotated token", &wantOld, got)
	got, err = s.GetRefreshToken(ctx, next.Hash)
	must(t, "GetRefreshToken new", err)
	same(t, "new token", next, got)

	// Reuse of the old token is EUSED with the old token, so the caller
	// can revoke its grant.
	reused, err := s.RotateRefreshToken(ctx, old.Hash, at.Add(time.Second), noRotate(t))
	wantCode(t, "RotateRefreshToken of a rotated token", err, gatehouse.EUSED)
	if reused == nil {
		t.Fatal("RotateRefreshToken of a rotated token: got no token with EUSED, want the old one")
	}
	same(t, "token returned with EUSED", &wantOld, reused)

	// The new token rotates in turn.
	third := rotated(next, hash(), at.Add(time.Minute))
	_, err = s.RotateRefreshToken(ctx, next.Hash, at.Add(time.Minute), func(*gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		return third, nil
	})
	must(t, "RotateRefreshToken of the new token", err)

	// Once the family is revoked (what a caller does on reuse), its live
	// token is refused too.
	must(t, "RevokeGrant", s.RevokeGrant(ctx, w.tenant.ID, g.ID, at))
	_, err = s.RotateRefreshToken(ctx, third.Hash, at.Add(2*time.Minute), noRotate(t))
	wantCode(t, "RotateRefreshToken after the grant was revoked", err, gatehouse.ENOTFOUND)

	dup := newRefreshToken(g, old.Hash, now)
	wantCode(t, "CreateRefreshToken with a taken hash", s.CreateRefreshToken(ctx, dup), gatehouse.ECONFLICT)
	orphan := newRefreshToken(&gatehouse.Grant{ID: "00000000-0000-7000-8000-000000000000", TenantID: w.tenant.ID,
		Client: w.client.ID, UserID: w.user.ID}, hash(), now)
	wantCode(t, "CreateRefreshToken for an unknown grant", s.CreateRefreshToken(ctx, orphan), gatehouse.ENOTFOUND)
}

func testRefreshRefused(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	g := MustGrant(t, s, w.client, w.user.ID, now)
	live, _ := MustRefreshToken(t, s, g, now)
	revoked, _ := MustRefreshToken(t, s, g, now)
	must(t, "RevokeRefreshToken", s.RevokeRefreshToken(ctx, revoked.Hash, now))
	must(t, "RevokeRefreshToken again", s.RevokeRefreshToken(ctx, revoked.Hash, now))
	got, err := s.GetRefreshToken(ctx, revoked.Hash)
	must(t, "GetRefreshToken of a revoked token", err)
	if got.RevokedAt.IsZero() {
		t.Error("GetRefreshToken after RevokeRefreshToken: got RevokedAt zero, want set")
	}

	tests := []struct {
		name string
		hash []byte
		now  time.Time
	}{
		{"unknown token", hash(), now},
		{"empty hash", nil, now},
		{"revoked token", revoked.Hash, now},
		{"at its expiry", live.Hash, live.ExpiresAt},
		{"after its expiry", live.Hash, live.ExpiresAt.Add(time.Hour)},
	}
	for _, tt := range tests {
		_, err := s.RotateRefreshToken(ctx, tt.hash, tt.now, noRotate(t))
		wantCode(t, "RotateRefreshToken "+tt.name, err, gatehouse.ENOTFOUND)
	}
	_, err = s.GetRefreshToken(ctx, hash())
	wantCode(t, "GetRefreshToken unknown", err, gatehouse.ENOTFOUND)
	wantCode(t, "RevokeRefreshToken unknown", s.RevokeRefreshToken(ctx, hash(), now), gatehouse.ENOTFOUND)

	// Refusing an expired token did not spend it.
	_, err = s.RotateRefreshToken(ctx, live.Hash, live.ExpiresAt.Add(-time.Microsecond),
		func(o *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) { return rotated(o, hash(), now), nil })
	must(t, "RotateRefreshToken just before its expiry", err)
}

func testRefreshIssueFails(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	g := MustGrant(t, s, w.client, w.user.ID, now)
	old, _ := MustRefreshToken(t, s, g, now)
	next := rotated(old, hash(), now)
	_, err := s.RotateRefreshToken(ctx, old.Hash, now, func(*gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		return next, errIssue
	})
	if !errors.Is(err, errIssue) {
		t.Fatalf("RotateRefreshToken with a failing issue: got %v, want the issue error", err)
	}
	_, err = s.GetRefreshToken(ctx, next.Hash)
	wantCode(t, "GetRefreshToken of the token a failed issue returned", err, gatehouse.ENOTFOUND)
	got, err := s.GetRefreshToken(ctx, old.Hash)
	must(t, "GetRefreshToken old", err)
	same(t, "old token after a failed issue", old, got)

	// Storing the new token is part of the same transaction: when it fails
	// (here a hash that is taken), the old token is not spent either.
	other, _ := MustRefreshToken(t, s, g, now)
	_, err = s.RotateRefreshToken(ctx, old.Hash, now, func(o *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		return rotated(o, other.Hash, now), nil
	})
	if err == nil {
		t.Fatal("RotateRefreshToken issuing a token that cannot be stored: got nil, want an error")
	}
	got, err = s.GetRefreshToken(ctx, old.Hash)
	must(t, "GetRefreshToken old", err)
	same(t, "old token after a failed store", old, got)

	_, err = s.RotateRefreshToken(ctx, old.Hash, now, func(*gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		return next, nil
	})
	must(t, "RotateRefreshToken after a failed issue", err)
}

// testRefreshConcurrent rotates one token from many goroutines: exactly
// one wins and its new token is stored; the others get EUSED with the old
// token, and the tokens they would have issued are not stored.
func testRefreshConcurrent(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	g := MustGrant(t, s, w.client, w.user.ID, now)
	old, _ := MustRefreshToken(t, s, g, now)

	const n = 32
	nexts := make([]*gatehouse.RefreshToken, n)
	for i := range nexts {
		nexts[i] = rotated(old, hash(), now)
	}
	olds := make([]*gatehouse.RefreshToken, n)
	errs := race(n, func(i int) error {
		o, err := s.RotateRefreshToken(ctx, old.Hash, now, func(*gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
			return nexts[i], nil
		})
		olds[i] = o
		return err
	})
	winner := SoleWinner(t, "RotateRefreshToken", errs, gatehouse.EUSED)
	for i, o := range olds {
		if i != winner && (o == nil || !bytes.Equal(o.Hash, old.Hash)) {
			t.Errorf("rotator %d: got EUSED without the old token", i)
		}
	}
	for i, next := range nexts {
		_, err := s.GetRefreshToken(ctx, next.Hash)
		if i == winner {
			must(t, "GetRefreshToken of the winner's token", err)
		} else {
			wantCode(t, "GetRefreshToken of a loser's token", err, gatehouse.ENOTFOUND)
		}
	}
}

// testRefreshExpiryCapped stores refresh tokens expiring before, at and
// after their grant's end, through each of the three ways a token is
// stored: the stored expiry, and the one written back into the argument,
// is never later than the grant's end. A grant without an end caps
// nothing.
func testRefreshExpiryCapped(t *testing.T, s gatehouse.Store) {
	w := newTokenWorld(t, s)
	now := t0()
	end := now.Add(24 * time.Hour)
	year := 365 * 24 * time.Hour
	tests := []struct {
		name     string
		grantEnd time.Time // zero: the grant has no end
		expires  time.Time
		want     time.Time
	}{
		{"before the grant's end", end, end.Add(-time.Hour), end.Add(-time.Hour)},
		{"a microsecond before the grant's end", end, end.Add(-time.Microsecond), end.Add(-time.Microsecond)},
		{"at the grant's end", end, end, end},
		{"a microsecond after the grant's end", end, end.Add(time.Microsecond), end},
		{"a year after the grant's end", end, end.Add(year), end},
		{"of a grant without an end", time.Time{}, end.Add(year), end.Add(year)},
	}
	// Each way stores rt, a token of g, at now; g is not stored yet.
	ways := []struct {
		name  string
		store func(t *testing.T, g *gatehouse.Grant, rt *gatehouse.RefreshToken)
	}{
		{"CreateRefreshToken", func(t *testing.T, g *gatehouse.Grant, rt *gatehouse.RefreshToken) {
			must(t, "CreateGrant", s.CreateGrant(t.Context(), g))
			must(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), rt))
		}},
		{"RedeemAuthCode with its grant", func(t *testing.T, g *gatehouse.Grant, rt *gatehouse.RefreshToken) {
			code := newAuthCode(w.client, w.user, now)
			code.GrantID = g.ID
			must(t, "CreateAuthCode", s.CreateAuthCode(t.Context(), code))
			_, err := s.RedeemAuthCode(t.Context(), code.Hash, now,
				func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) { return g, rt, nil })
			must(t, "RedeemAuthCode", err)
		}},
		// The token may belong to a grant stored before, not the one the
		// same call stores.
		{"RedeemAuthCode for an existing grant", func(t *testing.T, g *gatehouse.Grant, rt *gatehouse.RefreshToken) {
			must(t, "CreateGrant", s.CreateGrant(t.Context(), g))
			code := newAuthCode(w.client, w.user, now)
			must(t, "CreateAuthCode", s.CreateAuthCode(t.Context(), code))
			_, err := s.RedeemAuthCode(t.Context(), code.Hash, now,
				func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) { return nil, rt, nil })
			must(t, "RedeemAuthCode", err)
		}},
		{"RotateRefreshToken", func(t *testing.T, g *gatehouse.Grant, rt *gatehouse.RefreshToken) {
			must(t, "CreateGrant", s.CreateGrant(t.Context(), g))
			old := newRefreshToken(g, hash(), now)
			must(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), old))
			_, err := s.RotateRefreshToken(t.Context(), old.Hash, now,
				func(*gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) { return rt, nil })
			must(t, "RotateRefreshToken", err)
		}},
	}
	for _, way := range ways {
		for _, tt := range tests {
			t.Run(way.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				g := &gatehouse.Grant{ID: secret.NewID(), TenantID: w.tenant.ID, Client: w.client.ID, UserID: w.user.ID,
					Scopes: []string{gatehouse.ScopeOpenID, gatehouse.ScopeOfflineAccess}, CreatedAt: now,
					ExpiresAt: tt.grantEnd}
				rt := newRefreshToken(g, hash(), now)
				rt.ExpiresAt = tt.expires
				way.store(t, g, rt)
				if !sameInstant(rt.ExpiresAt, tt.want) {
					t.Errorf("ExpiresAt written back: got %v, want %v", rt.ExpiresAt, tt.want)
				}
				got, err := s.GetRefreshToken(t.Context(), rt.Hash)
				must(t, "GetRefreshToken", err)
				if !sameInstant(got.ExpiresAt, tt.want) {
					t.Errorf("ExpiresAt stored: got %v, want %v", got.ExpiresAt, tt.want)
				}
			})
		}
	}
}

// testAccessTokenRevoked checks the revocation test behind userinfo and
// introspection. It fails closed: a grant id the store does not know,
// because its client was deleted, because the sweep removed it, or because
// it never existed, reads as revoked.
func testAccessTokenRevoked(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	live := MustGrant(t, s, w.client, w.user.ID, now)
	revoked := MustGrant(t, s, w.client, w.user.ID, now)
	must(t, "RevokeGrant", s.RevokeGrant(ctx, w.tenant.ID, revoked.ID, now))
	// A grant past its end still stands behind the access tokens it
	// issued before the end; their own expiry ends them.
	ended := &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, UserID: w.user.ID,
		Scopes: []string{gatehouse.ScopeOpenID}, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	must(t, "CreateGrant", s.CreateGrant(ctx, ended))
	own := &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, Scopes: []string{"users.read"}}
	must(t, "CreateGrant without a user or an end", s.CreateGrant(ctx, own))

	doomedClient := MustClient(t, s, w.tenant.ID)
	ofDeletedClient := MustGrant(t, s, doomedClient, w.user.ID, now)
	must(t, "DeleteClient", s.DeleteClient(ctx, w.tenant.ID, doomedClient.ID))

	swept := &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, UserID: w.user.ID,
		Scopes: []string{gatehouse.ScopeOpenID}, CreatedAt: now.Add(-72 * time.Hour),
		ExpiresAt: now.Add(-gatehouse.MaxAccessTokenTTL - time.Hour)}
	must(t, "CreateGrant", s.CreateGrant(ctx, swept))
	for range 10 {
		r, err := s.DeleteExpired(ctx, now, 100)
		must(t, "DeleteExpired", err)
		if r.Total() == 0 {
			break
		}
	}
	_, err := s.GetGrant(ctx, w.tenant.ID, swept.ID)
	wantCode(t, "GetGrant of a grant the sweep should have removed", err, gatehouse.ENOTFOUND)

	r := &gatehouse.RevokedToken{TenantID: w.tenant.ID, JTI: "jti-revoked", ExpiresAt: now.Add(time.Hour)}
	must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, r))
	// RFC 7009 §2.2: revoking a revoked token succeeds.
	must(t, "RevokeAccessToken again", s.RevokeAccessToken(ctx, r))

	tests := []struct {
		name    string
		jti     string
		grantID string
		want    bool
	}{
		{"unknown jti, no grant", "jti-live", "", false},
		{"empty jti, no grant", "", "", false},
		{"unknown jti, live grant", "jti-live", live.ID, false},
		{"unknown jti, grant past its end", "jti-live", ended.ID, false},
		{"unknown jti, grant without a user or an end", "jti-live", own.ID, false},
		{"revoked jti, no grant", "jti-revoked", "", true},
		{"revoked jti, live grant", "jti-revoked", live.ID, true},
		{"another jti, live grant", "jti-other", live.ID, false},
		{"unknown jti, revoked grant", "jti-live", revoked.ID, true},
		{"empty jti, revoked grant", "", revoked.ID, true},
		{"unknown jti, grant of a deleted client", "jti-live", ofDeletedClient.ID, true},
		{"unknown jti, swept grant", "jti-live", swept.ID, true},
		{"unknown jti, grant that never existed", "jti-live", "00000000-0000-7000-8000-000000000000", true},
		{"unknown jti, grant id that is no UUID", "jti-live", "not-a-grant", true},
	}
	for _, tt := range tests {
		got, err := s.AccessTokenRevoked(ctx, tt.jti, tt.grantID)
		if err != nil {
			t.Errorf("AccessTokenRevoked %s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("AccessTokenRevoked %s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// noRotate is an issue callback that must not run.
func noRotate(t testing.TB) func(*gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
	return func(*gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		t.Errorf("issue ran for a refresh token that should have been refused")
		return nil, errIssue
	}
}
