package storetest

import (
	"bytes"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func managementCases() []testCase {
	return []testCase{
		{"Management/PlatformAdmin", testPlatformAdmin},
		{"Management/ClientAssets", testClientAssets},
		{"Management/PasswordTokens", testPasswordTokens},
		{"Management/PasswordTokenConsumedOnce", testPasswordTokenConsumedOnce},
		{"Management/RevokeUserGrants", testRevokeUserGrants},
	}
}

func testPlatformAdmin(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	a := MustTenant(t, s, "platform")
	b := MustTenant(t, s, "customer")
	check := func(what string, tn *gatehouse.Tenant, want bool) {
		t.Helper()
		got, err := s.IsPlatformAdmin(ctx, tn.ID)
		must(t, what, err)
		if got != want {
			t.Errorf("%s: IsPlatformAdmin(%s) = %v, want %v", what, tn.Slug, got, want)
		}
	}
	check("new tenant", a, false)
	must(t, "SetPlatformAdmin on", s.SetPlatformAdmin(ctx, a.ID, true))
	must(t, "SetPlatformAdmin on again", s.SetPlatformAdmin(ctx, a.ID, true))
	check("marked", a, true)
	check("the other tenant", b, false)
	must(t, "SetPlatformAdmin off", s.SetPlatformAdmin(ctx, a.ID, false))
	check("unmarked", a, false)
	must(t, "SetPlatformAdmin off again", s.SetPlatformAdmin(ctx, a.ID, false))

	unknown := "00000000-0000-7000-8000-000000000000"
	wantCode(t, "SetPlatformAdmin on an unknown tenant", s.SetPlatformAdmin(ctx, unknown, true), gatehouse.ENOTFOUND)
	wantCode(t, "SetPlatformAdmin off an unknown tenant", s.SetPlatformAdmin(ctx, unknown, false), gatehouse.ENOTFOUND)
	got, err := s.IsPlatformAdmin(ctx, unknown)
	if err != nil || got {
		t.Errorf("IsPlatformAdmin(unknown): got %v, %v; want false, no error", got, err)
	}
}

func newAsset(c *gatehouse.Client, name, ctype string, data []byte) *gatehouse.ClientAsset {
	return &gatehouse.ClientAsset{TenantID: c.TenantID, Client: c.ID, Name: name, ContentType: ctype,
		Data: data, Digest: "digest-" + rnd(), UpdatedAt: t0()}
}

func testClientAssets(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	a := MustTenant(t, s, "alpha")
	b := MustTenant(t, s, "beta")
	ca := MustClient(t, s, a.ID)
	cb := MustClient(t, s, b.ID)

	// Binary data survives the round trip byte for byte, NUL included.
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00"), bytes.Repeat([]byte{0xff, 0x00}, 40000)...)
	light := newAsset(ca, gatehouse.AssetLogo, "image/png", png)
	must(t, "PutClientAsset", s.PutClientAsset(ctx, light))
	dark := newAsset(ca, gatehouse.AssetLogoDark, "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`))
	must(t, "PutClientAsset dark", s.PutClientAsset(ctx, dark))
	got, err := s.GetClientAsset(ctx, ca.ID, gatehouse.AssetLogo)
	must(t, "GetClientAsset", err)
	same(t, "light logo", light, got)
	got, err = s.GetClientAsset(ctx, ca.ID, gatehouse.AssetLogoDark)
	must(t, "GetClientAsset dark", err)
	same(t, "dark logo", dark, got)

	// A second put replaces the first.
	replaced := newAsset(ca, gatehouse.AssetLogo, "image/jpeg", []byte("\xff\xd8\xff\xe0jpeg"))
	replaced.UpdatedAt = t0().Add(time.Hour)
	must(t, "PutClientAsset replace", s.PutClientAsset(ctx, replaced))
	got, err = s.GetClientAsset(ctx, ca.ID, gatehouse.AssetLogo)
	must(t, "GetClientAsset after replace", err)
	same(t, "replaced logo", replaced, got)

	// Another tenant can neither overwrite nor delete the asset, and a
	// put for a client it does not own writes nothing.
	hostile := newAsset(ca, gatehouse.AssetLogo, "image/png", []byte("hostile"))
	hostile.TenantID = b.ID
	wantCode(t, "PutClientAsset from another tenant", s.PutClientAsset(ctx, hostile), gatehouse.ENOTFOUND)
	wantCode(t, "DeleteClientAsset from another tenant", s.DeleteClientAsset(ctx, b.ID, ca.ID, gatehouse.AssetLogo), gatehouse.ENOTFOUND)
	got, err = s.GetClientAsset(ctx, ca.ID, gatehouse.AssetLogo)
	must(t, "GetClientAsset after the other tenant tried", err)
	same(t, "logo after the other tenant tried", replaced, got)
	wantCode(t, "PutClientAsset for an unknown client",
		s.PutClientAsset(ctx, &gatehouse.ClientAsset{TenantID: a.ID, Client: "00000000-0000-7000-8000-000000000000",
			Name: gatehouse.AssetLogo, ContentType: "image/png", Data: []byte("x"), Digest: "d"}), gatehouse.ENOTFOUND)
	_, err = s.GetClientAsset(ctx, cb.ID, gatehouse.AssetLogo)
	wantCode(t, "GetClientAsset of a client without one", err, gatehouse.ENOTFOUND)

	must(t, "DeleteClientAsset", s.DeleteClientAsset(ctx, a.ID, ca.ID, gatehouse.AssetLogo))
	_, err = s.GetClientAsset(ctx, ca.ID, gatehouse.AssetLogo)
	wantCode(t, "GetClientAsset after delete", err, gatehouse.ENOTFOUND)
	wantCode(t, "DeleteClientAsset again", s.DeleteClientAsset(ctx, a.ID, ca.ID, gatehouse.AssetLogo), gatehouse.ENOTFOUND)

	// Deleting the client deletes its assets.
	must(t, "DeleteClient", s.DeleteClient(ctx, a.ID, ca.ID))
	_, err = s.GetClientAsset(ctx, ca.ID, gatehouse.AssetLogoDark)
	wantCode(t, "GetClientAsset of a deleted client", err, gatehouse.ENOTFOUND)
}

func newPasswordToken(u *gatehouse.User, now time.Time) *gatehouse.PasswordToken {
	return &gatehouse.PasswordToken{Hash: hash(), TenantID: u.TenantID, UserID: u.ID, CreatedBy: "apikey:" + rnd(),
		CreatedAt: now, ExpiresAt: now.Add(gatehouse.PasswordTokenTTL)}
}

func testPasswordTokens(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	a := MustTenant(t, s, "alpha")
	b := MustTenant(t, s, "beta")
	ana := MustUser(t, s, a.ID, "ana")
	bo := MustUser(t, s, a.ID, "bo")
	now := t0()

	first := newPasswordToken(ana, now)
	must(t, "PutPasswordToken", s.PutPasswordToken(ctx, first))
	got, err := s.GetPasswordToken(ctx, first.Hash, now)
	must(t, "GetPasswordToken", err)
	same(t, "password token", first, got)
	_, err = s.GetPasswordToken(ctx, first.Hash, first.ExpiresAt)
	wantCode(t, "GetPasswordToken at its expiry", err, gatehouse.ENOTFOUND)
	_, err = s.ConsumePasswordToken(ctx, first.Hash, first.ExpiresAt)
	wantCode(t, "ConsumePasswordToken at its expiry", err, gatehouse.ENOTFOUND)

	// A user has one token: a new one replaces the old.
	second := newPasswordToken(ana, now.Add(time.Minute))
	must(t, "PutPasswordToken again", s.PutPasswordToken(ctx, second))
	_, err = s.GetPasswordToken(ctx, first.Hash, now)
	wantCode(t, "GetPasswordToken of the replaced token", err, gatehouse.ENOTFOUND)
	bos := newPasswordToken(bo, now)
	must(t, "PutPasswordToken for another user", s.PutPasswordToken(ctx, bos))

	wrongTenant := newPasswordToken(ana, now)
	wrongTenant.TenantID = b.ID
	wantCode(t, "PutPasswordToken for a user of another tenant", s.PutPasswordToken(ctx, wrongTenant), gatehouse.ENOTFOUND)
	taken := newPasswordToken(bo, now)
	taken.Hash = second.Hash
	wantCode(t, "PutPasswordToken with a taken hash", s.PutPasswordToken(ctx, taken), gatehouse.ECONFLICT)
	_, err = s.GetPasswordToken(ctx, bos.Hash, now)
	must(t, "GetPasswordToken after a refused put", err)

	consumed, err := s.ConsumePasswordToken(ctx, second.Hash, now)
	must(t, "ConsumePasswordToken", err)
	same(t, "consumed token", second, consumed)
	_, err = s.ConsumePasswordToken(ctx, second.Hash, now)
	wantCode(t, "ConsumePasswordToken twice", err, gatehouse.ENOTFOUND)
	_, err = s.GetPasswordToken(ctx, second.Hash, now)
	wantCode(t, "GetPasswordToken after consume", err, gatehouse.ENOTFOUND)

	must(t, "DeletePasswordTokens", s.DeletePasswordTokens(ctx, a.ID, bo.ID))
	_, err = s.GetPasswordToken(ctx, bos.Hash, now)
	wantCode(t, "GetPasswordToken after DeletePasswordTokens", err, gatehouse.ENOTFOUND)
	must(t, "DeletePasswordTokens with none left", s.DeletePasswordTokens(ctx, a.ID, bo.ID))
}

func testPasswordTokenConsumedOnce(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	tok := newPasswordToken(u, t0())
	must(t, "PutPasswordToken", s.PutPasswordToken(ctx, tok))
	const n = 8
	errs := race(n, func(int) error {
		_, err := s.ConsumePasswordToken(ctx, tok.Hash, t0())
		return err
	})
	won := 0
	for i, err := range errs {
		switch gatehouse.ErrorCode(err) {
		case "":
			won++
		case gatehouse.ENOTFOUND:
		default:
			t.Errorf("ConsumePasswordToken %d: %v, want success or ENOTFOUND", i, err)
		}
	}
	if won != 1 {
		t.Errorf("concurrent ConsumePasswordToken: %d succeeded, want exactly 1", won)
	}
}

func testRevokeUserGrants(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	bo := MustUser(t, s, w.tenant.ID, "bo")
	other := MustTenant(t, s, "other")

	g1 := MustGrant(t, s, w.client, w.user.ID, now)
	g2 := MustGrant(t, s, w.client, w.user.ID, now)
	rt, _ := MustRefreshToken(t, s, g1, now)
	bos := MustGrant(t, s, w.client, bo.ID, now)
	own := MustGrant(t, s, w.client, "", now)

	n, err := s.RevokeUserGrants(ctx, other.ID, w.user.ID, now)
	must(t, "RevokeUserGrants in another tenant", err)
	if n != 0 {
		t.Errorf("RevokeUserGrants in another tenant: got %d, want 0", n)
	}
	checkGrantRevoked(t, s, g1, false)

	n, err = s.RevokeUserGrants(ctx, w.tenant.ID, w.user.ID, now)
	must(t, "RevokeUserGrants", err)
	if n != 2 {
		t.Errorf("RevokeUserGrants: got %d, want 2", n)
	}
	checkGrantRevoked(t, s, g1, true)
	checkGrantRevoked(t, s, g2, true)
	checkGrantRevoked(t, s, bos, false)
	checkGrantRevoked(t, s, own, false)
	_, err = s.RotateRefreshToken(ctx, rt.Hash, now, noRotate(t))
	wantCode(t, "RotateRefreshToken of a revoked user's grant", err, gatehouse.ENOTFOUND)

	n, err = s.RevokeUserGrants(ctx, w.tenant.ID, w.user.ID, now)
	must(t, "RevokeUserGrants again", err)
	if n != 0 {
		t.Errorf("RevokeUserGrants again: got %d, want 0", n)
	}
}
