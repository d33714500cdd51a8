package storetest

import (
	"sync"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func credentialCases() []testCase {
	return []testCase{
		{"APIKey/Lifecycle", testAPIKeyLifecycle},
		{"APIKey/List", testAPIKeyList},
		{"InstallKey/Lifecycle", testInstallKeyLifecycle},
		{"InstallKey/Rotate", testInstallKeyRotate},
		{"InstallKey/ConcurrentRotate", testInstallKeyConcurrentRotate},
		{"JWTCredential/Lifecycle", testJWTCredentialLifecycle},
		{"JWTCredential/RevokeGrants", testJWTCredentialRevokeGrants},
		{"JWTCredential/RevokeRacesGrant", testJWTCredentialRevokeRacesGrant},
	}
}

func testAPIKeyLifecycle(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	now := t0()
	k := newAPIKey(tn.ID, now)
	must(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
	isUUID(t, "CreateAPIKey", k.ID)

	got, err := s.GetAPIKeyByHash(ctx, k.Hash)
	must(t, "GetAPIKeyByHash", err)
	same(t, "GetAPIKeyByHash", k, got)
	got, err = s.GetAPIKey(ctx, tn.ID, k.ID)
	must(t, "GetAPIKey", err)
	same(t, "GetAPIKey", k, got)

	must(t, "TouchAPIKey", s.TouchAPIKey(ctx, k.ID, now.Add(time.Hour)))
	must(t, "RevokeAPIKey", s.RevokeAPIKey(ctx, tn.ID, k.ID, now.Add(2*time.Hour)))
	must(t, "RevokeAPIKey again", s.RevokeAPIKey(ctx, tn.ID, k.ID, now.Add(3*time.Hour)))
	// A revoked key is still found by its hash: the caller checks Usable.
	got, err = s.GetAPIKeyByHash(ctx, k.Hash)
	must(t, "GetAPIKeyByHash of a revoked key", err)
	if !sameInstant(got.LastUsedAt, now.Add(time.Hour)) || got.RevokedAt.IsZero() {
		t.Errorf("key after touch and revoke: got LastUsedAt %v RevokedAt %v, want %v and set",
			got.LastUsedAt, got.RevokedAt, now.Add(time.Hour))
	}
	if got.Usable(now) {
		t.Error("revoked key: got Usable, want not")
	}

	dup := newAPIKey(tn.ID, now)
	dup.Hash = k.Hash
	wantCode(t, "CreateAPIKey with a taken hash", s.CreateAPIKey(ctx, dup), gatehouse.ECONFLICT)
	wantCode(t, "CreateAPIKey in an unknown tenant", s.CreateAPIKey(ctx, newAPIKey("00000000-0000-7000-8000-000000000000", now)),
		gatehouse.ENOTFOUND)
	unknown := "00000000-0000-7000-8000-000000000000"
	_, err = s.GetAPIKeyByHash(ctx, hash())
	wantCode(t, "GetAPIKeyByHash unknown", err, gatehouse.ENOTFOUND)
	_, err = s.GetAPIKey(ctx, tn.ID, unknown)
	wantCode(t, "GetAPIKey unknown", err, gatehouse.ENOTFOUND)
	wantCode(t, "TouchAPIKey unknown", s.TouchAPIKey(ctx, unknown, now), gatehouse.ENOTFOUND)
	wantCode(t, "RevokeAPIKey unknown", s.RevokeAPIKey(ctx, tn.ID, unknown, now), gatehouse.ENOTFOUND)
}

func testAPIKeyList(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	other := MustTenant(t, s, "other")
	var want []*gatehouse.APIKey
	for range 4 {
		k := newAPIKey(tn.ID, t0())
		must(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
		want = append(want, k)
		must(t, "CreateAPIKey other", s.CreateAPIKey(ctx, newAPIKey(other.ID, t0())))
	}
	checkPages(t, "ListAPIKeys", want, func(opt gatehouse.ListOptions) ([]*gatehouse.APIKey, string, error) {
		return s.ListAPIKeys(ctx, tn.ID, opt)
	})
}

func testInstallKeyLifecycle(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	other := MustTenant(t, s, "other")
	k1 := &gatehouse.InstallKey{TenantID: tn.ID, Key: gatehouse.PrefixInstallKey + rnd()}
	k2 := &gatehouse.InstallKey{TenantID: tn.ID, Key: gatehouse.PrefixInstallKey + rnd(), CreatedAt: t0()}
	must(t, "CreateInstallKey", s.CreateInstallKey(ctx, k1))
	must(t, "CreateInstallKey", s.CreateInstallKey(ctx, &gatehouse.InstallKey{TenantID: other.ID, Key: gatehouse.PrefixInstallKey + rnd()}))
	must(t, "CreateInstallKey", s.CreateInstallKey(ctx, k2))
	isUUID(t, "CreateInstallKey", k1.ID)
	if k1.CreatedAt.IsZero() {
		t.Error("CreateInstallKey: got zero CreatedAt, want it filled")
	}

	got, err := s.GetInstallKey(ctx, k1.Key)
	must(t, "GetInstallKey", err)
	same(t, "GetInstallKey", k1, got)
	list, err := s.ListInstallKeys(ctx, tn.ID)
	must(t, "ListInstallKeys", err)
	same(t, "ListInstallKeys", []*gatehouse.InstallKey{k1, k2}, list)

	must(t, "RevokeInstallKey", s.RevokeInstallKey(ctx, tn.ID, k1.ID, t0()))
	must(t, "RevokeInstallKey again", s.RevokeInstallKey(ctx, tn.ID, k1.ID, t0()))
	_, err = s.GetInstallKey(ctx, k1.Key)
	wantCode(t, "GetInstallKey of a revoked key", err, gatehouse.ENOTFOUND)
	if _, err := s.GetInstallKey(ctx, k2.Key); err != nil {
		t.Errorf("GetInstallKey of the other key: %v", err)
	}

	dup := &gatehouse.InstallKey{TenantID: other.ID, Key: k2.Key}
	wantCode(t, "CreateInstallKey with a taken value", s.CreateInstallKey(ctx, dup), gatehouse.ECONFLICT)
	wantCode(t, "CreateInstallKey in an unknown tenant", s.CreateInstallKey(ctx, &gatehouse.InstallKey{
		TenantID: "00000000-0000-7000-8000-000000000000", Key: gatehouse.PrefixInstallKey + rnd()}), gatehouse.ENOTFOUND)
	_, err = s.GetInstallKey(ctx, "gth_pk_unknown")
	wantCode(t, "GetInstallKey unknown", err, gatehouse.ENOTFOUND)
	wantCode(t, "RevokeInstallKey unknown", s.RevokeInstallKey(ctx, tn.ID, "00000000-0000-7000-8000-000000000000", t0()),
		gatehouse.ENOTFOUND)
}

func testInstallKeyRotate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	other := MustTenant(t, s, "other")
	old := &gatehouse.InstallKey{TenantID: tn.ID, Key: gatehouse.PrefixInstallKey + rnd(), CreatedAt: t0()}
	must(t, "CreateInstallKey", s.CreateInstallKey(ctx, old))
	foreign := &gatehouse.InstallKey{TenantID: other.ID, Key: gatehouse.PrefixInstallKey + rnd(), CreatedAt: t0()}
	must(t, "CreateInstallKey", s.CreateInstallKey(ctx, foreign))

	list := func() []*gatehouse.InstallKey {
		t.Helper()
		l, err := s.ListInstallKeys(ctx, tn.ID)
		must(t, "ListInstallKeys", err)
		return l
	}
	// Each refusal changes nothing: no key is revoked and none is added.
	unchanged := list()
	unknown := "00000000-0000-7000-8000-000000000000"
	refusals := []struct {
		name     string
		tenantID string
		oldID    string
		next     *gatehouse.InstallKey
		code     string
	}{
		{"an unknown key", tn.ID, unknown, &gatehouse.InstallKey{TenantID: tn.ID, Key: gatehouse.PrefixInstallKey + rnd()}, gatehouse.ENOTFOUND},
		{"a key of another tenant", tn.ID, foreign.ID, &gatehouse.InstallKey{TenantID: tn.ID, Key: gatehouse.PrefixInstallKey + rnd()}, gatehouse.ENOTFOUND},
		{"a new key of another tenant", tn.ID, old.ID, &gatehouse.InstallKey{TenantID: other.ID, Key: gatehouse.PrefixInstallKey + rnd()}, gatehouse.EINVALID},
		{"a new key with a taken value", tn.ID, old.ID, &gatehouse.InstallKey{TenantID: tn.ID, Key: foreign.Key}, gatehouse.ECONFLICT},
	}
	for _, r := range refusals {
		err := s.RotateInstallKey(ctx, r.tenantID, r.oldID, r.next, t0().Add(time.Hour))
		wantCode(t, "RotateInstallKey of "+r.name, err, r.code)
		same(t, "install keys after refusing "+r.name, unchanged, list())
	}
	if _, err := s.GetInstallKey(ctx, foreign.Key); err != nil {
		t.Errorf("the other tenant's key after a refused rotation: %v", err)
	}

	next := &gatehouse.InstallKey{TenantID: tn.ID, Key: gatehouse.PrefixInstallKey + rnd()}
	at := t0().Add(2 * time.Hour)
	must(t, "RotateInstallKey", s.RotateInstallKey(ctx, tn.ID, old.ID, next, at))
	isUUID(t, "RotateInstallKey", next.ID)
	if next.CreatedAt.IsZero() {
		t.Error("RotateInstallKey: got zero CreatedAt for the new key, want it filled")
	}
	_, err := s.GetInstallKey(ctx, old.Key)
	wantCode(t, "GetInstallKey of the rotated key", err, gatehouse.ENOTFOUND)
	got, err := s.GetInstallKey(ctx, next.Key)
	must(t, "GetInstallKey of the new key", err)
	same(t, "GetInstallKey of the new key", next, got)
	revoked := *old
	revoked.RevokedAt = at
	same(t, "install keys after rotation", []*gatehouse.InstallKey{&revoked, next}, list())

	wantCode(t, "RotateInstallKey of a revoked key",
		s.RotateInstallKey(ctx, tn.ID, old.ID, &gatehouse.InstallKey{TenantID: tn.ID, Key: gatehouse.PrefixInstallKey + rnd()}, at),
		gatehouse.ECONFLICT)
	if n := len(list()); n != 2 {
		t.Errorf("install keys after rotating a revoked key: got %d, want 2", n)
	}
}

// testInstallKeyConcurrentRotate is two admins rotating the same key at
// once: exactly one new key replaces it.
func testInstallKeyConcurrentRotate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	old := &gatehouse.InstallKey{TenantID: tn.ID, Key: gatehouse.PrefixInstallKey + rnd()}
	must(t, "CreateInstallKey", s.CreateInstallKey(ctx, old))
	const n = 8
	errs := race(n, func(int) error {
		return s.RotateInstallKey(ctx, tn.ID, old.ID,
			&gatehouse.InstallKey{TenantID: tn.ID, Key: gatehouse.PrefixInstallKey + rnd()}, t0())
	})
	wins := 0
	for i, err := range errs {
		switch gatehouse.ErrorCode(err) {
		case "":
			wins++
		case gatehouse.ECONFLICT:
		default:
			t.Errorf("rotator %d: got %v, want success or ECONFLICT", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("concurrent RotateInstallKey: got %d winners, want 1", wins)
	}
	keys, err := s.ListInstallKeys(ctx, tn.ID)
	must(t, "ListInstallKeys", err)
	usable := 0
	for _, k := range keys {
		if k.RevokedAt.IsZero() {
			usable++
		}
	}
	if len(keys) != 2 || usable != 1 {
		t.Errorf("install keys after concurrent rotations: got %d keys, %d unrevoked; want 2 and 1", len(keys), usable)
	}
}

func testJWTCredentialLifecycle(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	other := MustUser(t, s, tn.ID, "bob")
	now := t0()

	c1, c2 := newJWTCredential(u, now), newJWTCredential(u, now)
	c2.AllowedClientIDs = nil
	must(t, "CreateJWTCredential", s.CreateJWTCredential(ctx, c1))
	must(t, "CreateJWTCredential other user", s.CreateJWTCredential(ctx, newJWTCredential(other, now)))
	must(t, "CreateJWTCredential", s.CreateJWTCredential(ctx, c2))
	isUUID(t, "CreateJWTCredential", c1.ID)

	got, err := s.GetJWTCredential(ctx, tn.ID, c1.ID)
	must(t, "GetJWTCredential", err)
	same(t, "GetJWTCredential", c1, got)
	list, err := s.ListJWTCredentials(ctx, tn.ID, u.ID)
	must(t, "ListJWTCredentials", err)
	same(t, "ListJWTCredentials", []*gatehouse.JWTCredential{c1, c2}, list)

	must(t, "TouchJWTCredential", s.TouchJWTCredential(ctx, tn.ID, c1.ID, now.Add(time.Minute)))
	must(t, "RevokeJWTCredential", s.RevokeJWTCredential(ctx, tn.ID, c1.ID, now.Add(time.Hour)))
	must(t, "RevokeJWTCredential again", s.RevokeJWTCredential(ctx, tn.ID, c1.ID, now.Add(2*time.Hour)))
	got, err = s.GetJWTCredential(ctx, tn.ID, c1.ID)
	must(t, "GetJWTCredential", err)
	if !sameInstant(got.LastUsedAt, now.Add(time.Minute)) || !sameInstant(got.RevokedAt, now.Add(time.Hour)) {
		t.Errorf("credential after touch and revoke: got LastUsedAt %v RevokedAt %v, want %v and %v (the first revocation)",
			got.LastUsedAt, got.RevokedAt, now.Add(time.Minute), now.Add(time.Hour))
	}

	unknown := "00000000-0000-7000-8000-000000000000"
	orphan := newJWTCredential(u, now)
	orphan.UserID = unknown
	wantCode(t, "CreateJWTCredential for an unknown user", s.CreateJWTCredential(ctx, orphan), gatehouse.ENOTFOUND)
	_, err = s.GetJWTCredential(ctx, tn.ID, unknown)
	wantCode(t, "GetJWTCredential unknown", err, gatehouse.ENOTFOUND)
	wantCode(t, "TouchJWTCredential unknown", s.TouchJWTCredential(ctx, tn.ID, unknown, now), gatehouse.ENOTFOUND)
	wantCode(t, "RevokeJWTCredential unknown", s.RevokeJWTCredential(ctx, tn.ID, unknown, now), gatehouse.ENOTFOUND)
}

func testJWTCredentialRevokeGrants(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	grantWith := func(cred *gatehouse.JWTCredential) *gatehouse.Grant {
		g := &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, UserID: w.user.ID,
			JWTCredentialID: cred.ID, Scopes: []string{"openid"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		must(t, "CreateGrant with a credential", s.CreateGrant(ctx, g))
		return g
	}

	cred := newJWTCredential(w.user, now)
	must(t, "CreateJWTCredential", s.CreateJWTCredential(ctx, cred))
	g1, g2 := grantWith(cred), grantWith(cred)
	got, err := s.GetGrant(ctx, w.tenant.ID, g1.ID)
	must(t, "GetGrant", err)
	same(t, "grant made with a credential", g1, got)
	plain := MustGrant(t, s, w.client, w.user.ID, now)

	must(t, "RevokeJWTCredential", s.RevokeJWTCredential(ctx, w.tenant.ID, cred.ID, now))
	checkGrantRevoked(t, s, g1, true)
	checkGrantRevoked(t, s, g2, true)
	checkGrantRevoked(t, s, plain, false)

	// RevokeGrantsByCredential counts the grants it revoked: a second call
	// finds none left.
	cred2 := newJWTCredential(w.user, now)
	must(t, "CreateJWTCredential", s.CreateJWTCredential(ctx, cred2))
	g3, g4 := grantWith(cred2), grantWith(cred2)
	rt, _ := MustRefreshToken(t, s, g3, now)
	n, err := s.RevokeGrantsByCredential(ctx, w.tenant.ID, cred2.ID, now)
	must(t, "RevokeGrantsByCredential", err)
	if n != 2 {
		t.Errorf("RevokeGrantsByCredential: got %d, want 2", n)
	}
	checkGrantRevoked(t, s, g3, true)
	checkGrantRevoked(t, s, g4, true)
	_, err = s.RotateRefreshToken(ctx, rt.Hash, now, noRotate(t))
	wantCode(t, "RotateRefreshToken of a grant revoked by credential", err, gatehouse.ENOTFOUND)
	n, err = s.RevokeGrantsByCredential(ctx, w.tenant.ID, cred2.ID, now)
	must(t, "RevokeGrantsByCredential again", err)
	if n != 0 {
		t.Errorf("RevokeGrantsByCredential again: got %d, want 0", n)
	}
	checkGrantRevoked(t, s, plain, false)
}

// testJWTCredentialRevokeRacesGrant checks that a grant made with a
// credential never survives a revocation: a grant for a revoked credential
// is refused, and grants created while a revocation runs are either refused
// or revoked by it.
func testJWTCredentialRevokeRacesGrant(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	newGrant := func(cred *gatehouse.JWTCredential) *gatehouse.Grant {
		return &gatehouse.Grant{TenantID: w.tenant.ID, Client: w.client.ID, UserID: w.user.ID,
			JWTCredentialID: cred.ID, Scopes: []string{"openid"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	revoked := newJWTCredential(w.user, now)
	must(t, "CreateJWTCredential", s.CreateJWTCredential(ctx, revoked))
	must(t, "RevokeJWTCredential", s.RevokeJWTCredential(ctx, w.tenant.ID, revoked.ID, now))
	wantCode(t, "CreateGrant with a revoked credential", s.CreateGrant(ctx, newGrant(revoked)), gatehouse.ECONFLICT)

	cred := newJWTCredential(w.user, now)
	must(t, "CreateJWTCredential", s.CreateJWTCredential(ctx, cred))
	const n = 16
	grants := make([]*gatehouse.Grant, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		grants[i] = newGrant(cred)
		wg.Go(func() {
			<-start
			errs[i] = s.CreateGrant(ctx, grants[i])
		})
	}
	var revokeErr error
	wg.Go(func() {
		<-start
		revokeErr = s.RevokeJWTCredential(ctx, w.tenant.ID, cred.ID, now)
	})
	close(start)
	wg.Wait()
	must(t, "RevokeJWTCredential while grants are created", revokeErr)
	for i, err := range errs {
		switch {
		case err == nil:
			checkGrantRevoked(t, s, grants[i], true)
		case gatehouse.IsCode(err, gatehouse.ECONFLICT):
		default:
			t.Errorf("CreateGrant %d racing a revocation: got %v, want success (then revoked) or ECONFLICT", i, err)
		}
	}
}
