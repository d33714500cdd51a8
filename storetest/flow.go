package storetest

import (
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func flowCases() []testCase {
	return []testCase{
		{"AuthRequest/Lifecycle", testAuthRequestLifecycle},
		{"AuthRequest/Complete", testAuthRequestComplete},
		{"Session/Lifecycle", testSessionLifecycle},
		{"Session/RevokeUserSessions", testSessionRevokeUser},
		{"Consent/PutGetList", testConsentPutGetList},
		{"Consent/Revoke", testConsentRevoke},
	}
}

func testAuthRequestLifecycle(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	c := MustClient(t, s, tn.ID)
	u := MustUser(t, s, tn.ID, "ana")
	now := t0()

	r := newAuthRequest(c, now)
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
	isUUID(t, "CreateAuthRequest", r.ID)
	got, err := s.GetAuthRequest(ctx, tn.ID, r.ID, now)
	must(t, "GetAuthRequest", err)
	same(t, "GetAuthRequest", r, got)

	// A caller-chosen handle is kept.
	handle := newAuthRequest(c, now)
	handle.ID = "req-" + rnd()
	must(t, "CreateAuthRequest with an id", s.CreateAuthRequest(ctx, handle))
	if _, err := s.GetAuthRequest(ctx, tn.ID, handle.ID, now); err != nil {
		t.Errorf("GetAuthRequest by a caller-chosen id: %v", err)
	}

	for name, at := range map[string]time.Time{
		"at its expiry":    r.ExpiresAt,
		"after its expiry": r.ExpiresAt.Add(time.Second),
	} {
		_, err := s.GetAuthRequest(ctx, tn.ID, r.ID, at)
		wantCode(t, "GetAuthRequest "+name, err, gatehouse.ENOTFOUND)
	}
	if _, err := s.GetAuthRequest(ctx, tn.ID, r.ID, r.ExpiresAt.Add(-time.Microsecond)); err != nil {
		t.Errorf("GetAuthRequest just before its expiry: %v", err)
	}

	must(t, "SetAuthRequestUser", s.SetAuthRequestUser(ctx, tn.ID, r.ID, u.ID, "sid-1"))
	got, err = s.GetAuthRequest(ctx, tn.ID, r.ID, now)
	must(t, "GetAuthRequest", err)
	r.UserID, r.SessionID = u.ID, "sid-1"
	same(t, "request after SetAuthRequestUser", r, got)

	must(t, "DeleteAuthRequest", s.DeleteAuthRequest(ctx, tn.ID, r.ID))
	_, err = s.GetAuthRequest(ctx, tn.ID, r.ID, now)
	wantCode(t, "GetAuthRequest after delete", err, gatehouse.ENOTFOUND)
	wantCode(t, "DeleteAuthRequest again", s.DeleteAuthRequest(ctx, tn.ID, r.ID), gatehouse.ENOTFOUND)
	wantCode(t, "SetAuthRequestUser of a deleted request", s.SetAuthRequestUser(ctx, tn.ID, r.ID, u.ID, "sid"), gatehouse.ENOTFOUND)

	orphan := newAuthRequest(c, now)
	orphan.Client = "00000000-0000-7000-8000-000000000000"
	wantCode(t, "CreateAuthRequest for an unknown client", s.CreateAuthRequest(ctx, orphan), gatehouse.ENOTFOUND)
}

// testAuthRequestComplete ends a request with a code: the request is gone
// and the code redeemable; completing it again, concurrently or after, or
// completing an unknown request stores no code; a code that cannot be
// stored keeps the request.
func testAuthRequestComplete(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	c := MustClient(t, s, tn.ID)
	u := MustUser(t, s, tn.ID, "ana")
	now := t0()
	redeemable := func(code *gatehouse.AuthCode) error {
		_, err := s.RedeemAuthCode(ctx, code.Hash, now, func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
			return nil, nil, nil
		})
		return err
	}

	r := newAuthRequest(c, now)
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
	const n = 8
	codes := make([]*gatehouse.AuthCode, n)
	for i := range codes {
		codes[i] = newAuthCode(c, u, now)
	}
	errs := race(n, func(i int) error { return s.CompleteAuthRequest(ctx, tn.ID, r.ID, codes[i]) })
	winner := SoleWinner(t, "CompleteAuthRequest", errs, gatehouse.ENOTFOUND)
	_, err := s.GetAuthRequest(ctx, tn.ID, r.ID, now)
	wantCode(t, "GetAuthRequest after CompleteAuthRequest", err, gatehouse.ENOTFOUND)
	for i, code := range codes {
		err := redeemable(code)
		if i == winner {
			must(t, "RedeemAuthCode of the winner's code", err)
		} else {
			wantCode(t, "RedeemAuthCode of a losing completion's code", err, gatehouse.ENOTFOUND)
		}
	}

	late := newAuthCode(c, u, now)
	wantCode(t, "CompleteAuthRequest of a completed request", s.CompleteAuthRequest(ctx, tn.ID, r.ID, late), gatehouse.ENOTFOUND)
	wantCode(t, "RedeemAuthCode of its code", redeemable(late), gatehouse.ENOTFOUND)

	// A code that cannot be stored (its user does not exist) leaves the
	// request to be completed.
	kept := newAuthRequest(c, now)
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, kept))
	orphan := newAuthCode(c, u, now)
	orphan.UserID = "00000000-0000-7000-8000-000000000000"
	if err := s.CompleteAuthRequest(ctx, tn.ID, kept.ID, orphan); err == nil {
		t.Fatal("CompleteAuthRequest with a code of an unknown user: got nil, want an error")
	}
	if _, err := s.GetAuthRequest(ctx, tn.ID, kept.ID, now); err != nil {
		t.Errorf("GetAuthRequest after a failed completion: %v, want the request kept", err)
	}
	must(t, "CompleteAuthRequest after a failed one", s.CompleteAuthRequest(ctx, tn.ID, kept.ID, newAuthCode(c, u, now)))
}

func testSessionLifecycle(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	other := MustUser(t, s, tn.ID, "bob")
	now := t0()

	var sessions []*gatehouse.Session
	for i := range 3 {
		x := newSession(u, now.Add(time.Duration(i-3)*time.Minute), now.Add(time.Hour))
		must(t, "CreateSession", s.CreateSession(ctx, x))
		isUUID(t, "CreateSession", x.ID)
		sessions = append(sessions, x)
	}
	theirs := newSession(other, now, now.Add(time.Hour))
	must(t, "CreateSession other user", s.CreateSession(ctx, theirs))

	x := sessions[0]
	got, err := s.GetSessionByToken(ctx, x.TokenHash, now)
	must(t, "GetSessionByToken", err)
	same(t, "GetSessionByToken", x, got)
	got, err = s.GetSession(ctx, tn.ID, x.ID)
	must(t, "GetSession", err)
	same(t, "GetSession", x, got)

	_, err = s.GetSessionByToken(ctx, x.TokenHash, x.ExpiresAt)
	wantCode(t, "GetSessionByToken at its expiry", err, gatehouse.ENOTFOUND)
	_, err = s.GetSessionByToken(ctx, hash(), now)
	wantCode(t, "GetSessionByToken unknown", err, gatehouse.ENOTFOUND)

	list, err := s.ListSessions(ctx, tn.ID, u.ID, now)
	must(t, "ListSessions", err)
	same(t, "ListSessions (newest first)", []*gatehouse.Session{sessions[2], sessions[1], sessions[0]}, list)

	// Touch moves the expiry: the session lives past its old end.
	seen, until := now.Add(30*time.Minute), now.Add(3*time.Hour)
	must(t, "TouchSession", s.TouchSession(ctx, tn.ID, x.ID, seen, until))
	got, err = s.GetSessionByToken(ctx, x.TokenHash, now.Add(2*time.Hour))
	must(t, "GetSessionByToken after touch", err)
	x.LastSeenAt, x.ExpiresAt = seen, until
	same(t, "session after touch", x, got)

	must(t, "RevokeSession", s.RevokeSession(ctx, tn.ID, x.ID, now))
	_, err = s.GetSessionByToken(ctx, x.TokenHash, now)
	wantCode(t, "GetSessionByToken after revoke", err, gatehouse.ENOTFOUND)
	got, err = s.GetSession(ctx, tn.ID, x.ID)
	must(t, "GetSession of a revoked session", err)
	x.RevokedAt = now
	same(t, "revoked session", x, got)
	must(t, "RevokeSession again", s.RevokeSession(ctx, tn.ID, x.ID, now.Add(time.Minute)))
	list, err = s.ListSessions(ctx, tn.ID, u.ID, now)
	must(t, "ListSessions", err)
	same(t, "ListSessions after revoke", []*gatehouse.Session{sessions[2], sessions[1]}, list)
	list, err = s.ListSessions(ctx, tn.ID, u.ID, now.Add(time.Hour))
	must(t, "ListSessions at expiry", err)
	if len(list) != 0 {
		t.Errorf("ListSessions when all expired: got %d sessions, want 0", len(list))
	}

	dup := newSession(u, now, now.Add(time.Hour))
	dup.TokenHash = sessions[1].TokenHash
	wantCode(t, "CreateSession with a taken token hash", s.CreateSession(ctx, dup), gatehouse.ECONFLICT)
	orphan := newSession(u, now, now.Add(time.Hour))
	orphan.UserID = "00000000-0000-7000-8000-000000000000"
	wantCode(t, "CreateSession for an unknown user", s.CreateSession(ctx, orphan), gatehouse.ENOTFOUND)
	unknown := "00000000-0000-7000-8000-000000000000"
	_, err = s.GetSession(ctx, tn.ID, unknown)
	wantCode(t, "GetSession unknown", err, gatehouse.ENOTFOUND)
	wantCode(t, "TouchSession unknown", s.TouchSession(ctx, tn.ID, unknown, now, now), gatehouse.ENOTFOUND)
	wantCode(t, "RevokeSession unknown", s.RevokeSession(ctx, tn.ID, unknown, now), gatehouse.ENOTFOUND)
}

func testSessionRevokeUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	other := MustUser(t, s, tn.ID, "bob")
	now := t0()
	var mine []*gatehouse.Session
	for range 3 {
		x := newSession(u, now, now.Add(time.Hour))
		must(t, "CreateSession", s.CreateSession(ctx, x))
		mine = append(mine, x)
	}
	theirs := newSession(other, now, now.Add(time.Hour))
	must(t, "CreateSession", s.CreateSession(ctx, theirs))
	must(t, "RevokeSession", s.RevokeSession(ctx, tn.ID, mine[0].ID, now))

	// The count is of sessions this call ended: an already revoked one is
	// not counted again.
	n, err := s.RevokeUserSessions(ctx, tn.ID, u.ID, now)
	must(t, "RevokeUserSessions", err)
	if n != 2 {
		t.Errorf("RevokeUserSessions: got %d, want 2", n)
	}
	for _, x := range mine {
		_, err := s.GetSessionByToken(ctx, x.TokenHash, now)
		wantCode(t, "GetSessionByToken after RevokeUserSessions", err, gatehouse.ENOTFOUND)
	}
	n, err = s.RevokeUserSessions(ctx, tn.ID, u.ID, now)
	must(t, "RevokeUserSessions again", err)
	if n != 0 {
		t.Errorf("RevokeUserSessions again: got %d, want 0", n)
	}
	if _, err := s.GetSessionByToken(ctx, theirs.TokenHash, now); err != nil {
		t.Errorf("another user's session after RevokeUserSessions: %v", err)
	}
}

func testConsentPutGetList(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	other := MustUser(t, s, tn.ID, "bob")
	c1, c2 := MustClient(t, s, tn.ID), MustClient(t, s, tn.ID)

	first := &gatehouse.Consent{TenantID: tn.ID, UserID: u.ID, Client: c2.ID, Scopes: []string{"email", "openid"}}
	must(t, "PutConsent", s.PutConsent(ctx, first))
	if first.CreatedAt.IsZero() || first.UpdatedAt.IsZero() {
		t.Errorf("PutConsent: got CreatedAt %v UpdatedAt %v, want both filled", first.CreatedAt, first.UpdatedAt)
	}
	second := &gatehouse.Consent{TenantID: tn.ID, UserID: u.ID, Client: c1.ID, Scopes: []string{"openid"}}
	must(t, "PutConsent", s.PutConsent(ctx, second))
	must(t, "PutConsent other user", s.PutConsent(ctx, &gatehouse.Consent{TenantID: tn.ID, UserID: other.ID,
		Client: c1.ID, Scopes: []string{"openid"}}))

	got, err := s.GetConsent(ctx, tn.ID, u.ID, c2.ID)
	must(t, "GetConsent", err)
	same(t, "GetConsent", first, got)

	// Putting again replaces the scopes of the same consent.
	replaced := &gatehouse.Consent{TenantID: tn.ID, UserID: u.ID, Client: c2.ID, Scopes: []string{"openid", "profile"}}
	must(t, "PutConsent replace", s.PutConsent(ctx, replaced))
	got, err = s.GetConsent(ctx, tn.ID, u.ID, c2.ID)
	must(t, "GetConsent", err)
	same(t, "replaced consent scopes", replaced.Scopes, got.Scopes)

	list, err := s.ListConsents(ctx, tn.ID, u.ID)
	must(t, "ListConsents", err)
	if len(list) != 2 || list[0].Client != c2.ID || list[1].Client != c1.ID {
		t.Errorf("ListConsents: got %d consents, want c2 then c1 (creation order)", len(list))
	}

	_, err = s.GetConsent(ctx, tn.ID, other.ID, c2.ID)
	wantCode(t, "GetConsent unknown", err, gatehouse.ENOTFOUND)
	unknown := "00000000-0000-7000-8000-000000000000"
	wantCode(t, "PutConsent for an unknown user", s.PutConsent(ctx, &gatehouse.Consent{TenantID: tn.ID, UserID: unknown,
		Client: c1.ID, Scopes: []string{"openid"}}), gatehouse.ENOTFOUND)
	wantCode(t, "PutConsent for an unknown client", s.PutConsent(ctx, &gatehouse.Consent{TenantID: tn.ID, UserID: u.ID,
		Client: unknown, Scopes: []string{"openid"}}), gatehouse.ENOTFOUND)
}

func testConsentRevoke(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	other := MustUser(t, s, tn.ID, "bob")
	c, c2 := MustClient(t, s, tn.ID), MustClient(t, s, tn.ID)
	now := t0()

	must(t, "PutConsent", s.PutConsent(ctx, &gatehouse.Consent{TenantID: tn.ID, UserID: u.ID, Client: c.ID, Scopes: []string{"openid"}}))
	must(t, "PutConsent", s.PutConsent(ctx, &gatehouse.Consent{TenantID: tn.ID, UserID: u.ID, Client: c2.ID, Scopes: []string{"openid"}}))
	g1, g2 := MustGrant(t, s, c, u.ID, now), MustGrant(t, s, c, u.ID, now)
	rt1, _ := MustRefreshToken(t, s, g1, now)
	rt2, _ := MustRefreshToken(t, s, g2, now)
	keepUser := MustGrant(t, s, c, other.ID, now)
	keepClient := MustGrant(t, s, c2, u.ID, now)
	keepRT, _ := MustRefreshToken(t, s, keepClient, now)

	must(t, "RevokeConsent", s.RevokeConsent(ctx, tn.ID, u.ID, c.ID, now))
	_, err := s.GetConsent(ctx, tn.ID, u.ID, c.ID)
	wantCode(t, "GetConsent after revoke", err, gatehouse.ENOTFOUND)
	for _, g := range []*gatehouse.Grant{g1, g2} {
		checkGrantRevoked(t, s, g, true)
	}
	for _, rt := range []*gatehouse.RefreshToken{rt1, rt2} {
		got, err := s.GetRefreshToken(ctx, rt.Hash)
		must(t, "GetRefreshToken", err)
		if got.RevokedAt.IsZero() {
			t.Error("refresh token of a revoked consent's grant: got RevokedAt zero, want set")
		}
	}
	checkGrantRevoked(t, s, keepUser, false)
	checkGrantRevoked(t, s, keepClient, false)
	if got, err := s.GetRefreshToken(ctx, keepRT.Hash); err != nil || !got.RevokedAt.IsZero() {
		t.Errorf("another client's refresh token after RevokeConsent: got %v, %v; want it unrevoked", got, err)
	}
	if _, err := s.GetConsent(ctx, tn.ID, u.ID, c2.ID); err != nil {
		t.Errorf("another client's consent after RevokeConsent: %v", err)
	}

	// "Revoke this app" also serves first-party clients that never asked
	// for consent and have grants only, and a second click: neither is an
	// error.
	g3 := MustGrant(t, s, c, u.ID, now)
	must(t, "RevokeConsent without a consent", s.RevokeConsent(ctx, tn.ID, u.ID, c.ID, now))
	checkGrantRevoked(t, s, g3, true)
	must(t, "RevokeConsent again", s.RevokeConsent(ctx, tn.ID, u.ID, c.ID, now))
}

// checkGrantRevoked checks a grant's revocation as GetGrant and
// AccessTokenRevoked see it.
func checkGrantRevoked(t testing.TB, s gatehouse.Store, g *gatehouse.Grant, want bool) {
	t.Helper()
	ctx := t.Context()
	got, err := s.GetGrant(ctx, g.TenantID, g.ID)
	must(t, "GetGrant", err)
	if revoked := !got.RevokedAt.IsZero(); revoked != want {
		t.Errorf("grant %s: got revoked %v (RevokedAt %v), want %v", g.ID, revoked, got.RevokedAt, want)
	}
	revoked, err := s.AccessTokenRevoked(ctx, "jti-"+rnd(), g.ID)
	must(t, "AccessTokenRevoked", err)
	if revoked != want {
		t.Errorf("AccessTokenRevoked(new jti, grant %s): got %v, want %v", g.ID, revoked, want)
	}
}
