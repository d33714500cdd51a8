package storetest

import (
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func keyCases() []testCase {
	return []testCase{
		{"SigningKey/Rotate", testSigningKeyRotate},
		{"SigningKey/ConcurrentRotate", testSigningKeyConcurrentRotate},
		{"SigningKey/Delete", testSigningKeyDelete},
	}
}

func testSigningKeyRotate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	now := t0()
	oauth, runtime := gatehouse.KeyPurposeOAuth, gatehouse.KeyPurposeRuntime
	create := func(k *gatehouse.SigningKey) *gatehouse.SigningKey {
		t.Helper()
		must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
		return k
	}
	platActive := create(newSigningKey("", oauth, gatehouse.AlgRS256, gatehouse.KeyActive, now))
	platNext := create(newSigningKey("", oauth, gatehouse.AlgRS256, gatehouse.KeyNext, now))
	active := create(newSigningKey(tn.ID, oauth, gatehouse.AlgRS256, gatehouse.KeyActive, now))
	next := create(newSigningKey(tn.ID, oauth, gatehouse.AlgRS256, gatehouse.KeyNext, now))
	rtActive := create(newSigningKey(tn.ID, runtime, gatehouse.AlgRS256, gatehouse.KeyActive, now))
	esActive := create(newSigningKey(tn.ID, oauth, gatehouse.AlgES256, gatehouse.KeyActive, now))
	isUUID(t, "CreateSigningKey", active.ID)

	list := func(tenantID string) []*gatehouse.SigningKey {
		t.Helper()
		keys, err := s.ListSigningKeys(ctx, tenantID)
		must(t, "ListSigningKeys", err)
		return keys
	}
	same(t, "platform keys", []*gatehouse.SigningKey{platActive, platNext}, list(""))
	same(t, "tenant keys", []*gatehouse.SigningKey{active, next, rtActive, esActive}, list(tn.ID))

	at, notAfter := now.Add(time.Hour), now.Add(25*time.Hour)
	newNext := newSigningKey(tn.ID, oauth, gatehouse.AlgRS256, gatehouse.KeyNext, at)
	must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, next.ID, newNext, at, notAfter))

	retired, promoted := *active, *next
	retired.State, retired.RetiredAt, retired.NotAfter = gatehouse.KeyRetired, at, notAfter
	promoted.State, promoted.ActivatedAt = gatehouse.KeyActive, at
	wantKeys := []*gatehouse.SigningKey{&retired, &promoted, rtActive, esActive, newNext}
	same(t, "tenant keys after rotation", wantKeys, list(tn.ID))
	// Another purpose, another algorithm and the platform are untouched.
	same(t, "platform keys after a tenant rotation", []*gatehouse.SigningKey{platActive, platNext}, list(""))

	// next was promoted already: a second rotation of it lost the race.
	late := newSigningKey(tn.ID, oauth, gatehouse.AlgRS256, gatehouse.KeyNext, at)
	wantCode(t, "RotateSigningKeys of a key no longer next", s.RotateSigningKeys(ctx, next.ID, late, at, notAfter),
		gatehouse.ECONFLICT)
	same(t, "tenant keys after a refused rotation", wantKeys, list(tn.ID))

	// The contract names no code for an unknown key; ENOTFOUND and
	// ECONFLICT both tell the caller to reload.
	err := s.RotateSigningKeys(ctx, "00000000-0000-7000-8000-000000000000", late, at, notAfter)
	if code := gatehouse.ErrorCode(err); code != gatehouse.ENOTFOUND && code != gatehouse.ECONFLICT {
		t.Errorf("RotateSigningKeys of an unknown key: got %v, want ENOTFOUND or ECONFLICT", err)
	}
	same(t, "tenant keys after a refused rotation", wantKeys, list(tn.ID))
}

func testSigningKeyConcurrentRotate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	now := t0()
	oauth := gatehouse.KeyPurposeOAuth
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, newSigningKey("", oauth, gatehouse.AlgES256, gatehouse.KeyActive, now)))
	next := newSigningKey("", oauth, gatehouse.AlgES256, gatehouse.KeyNext, now)
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, next))

	const n = 8
	errs := race(n, func(i int) error {
		k := newSigningKey("", oauth, gatehouse.AlgES256, gatehouse.KeyNext, now)
		return s.RotateSigningKeys(ctx, next.ID, k, now.Add(time.Hour), now.Add(2*time.Hour))
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
		t.Fatalf("concurrent RotateSigningKeys: got %d winners, want 1", wins)
	}
	keys, err := s.ListSigningKeys(ctx, "")
	must(t, "ListSigningKeys", err)
	states := map[gatehouse.KeyState]int{}
	for _, k := range keys {
		states[k.State]++
	}
	if states[gatehouse.KeyActive] != 1 || states[gatehouse.KeyNext] != 1 || states[gatehouse.KeyRetired] != 1 {
		t.Errorf("keys after concurrent rotations: got %v, want one active, one next, one retired", states)
	}
}

func testSigningKeyDelete(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	now := t0()
	oauth := gatehouse.KeyPurposeOAuth
	old := newSigningKey(tn.ID, oauth, gatehouse.AlgRS256, gatehouse.KeyActive, now)
	next := newSigningKey(tn.ID, oauth, gatehouse.AlgRS256, gatehouse.KeyNext, now)
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, old))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, next))
	third := newSigningKey(tn.ID, oauth, gatehouse.AlgRS256, gatehouse.KeyNext, now)
	must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, next.ID, third, now, now.Add(time.Hour)))

	wantCode(t, "DeleteSigningKey from another tenant", s.DeleteSigningKey(ctx, "", old.ID), gatehouse.ENOTFOUND)
	// Only a retired key may go: deleting the active one would break
	// signing. Any error will do, as long as the key stays.
	if err := s.DeleteSigningKey(ctx, tn.ID, next.ID); err == nil {
		t.Error("DeleteSigningKey of the active key: got nil, want an error")
	}
	must(t, "DeleteSigningKey of the retired key", s.DeleteSigningKey(ctx, tn.ID, old.ID))
	keys, err := s.ListSigningKeys(ctx, tn.ID)
	must(t, "ListSigningKeys", err)
	if len(keys) != 2 || keys[0].ID != next.ID || keys[1].ID != third.ID {
		t.Errorf("keys after delete: got %d keys, want the active and the next one", len(keys))
	}
	wantCode(t, "DeleteSigningKey again", s.DeleteSigningKey(ctx, tn.ID, old.ID), gatehouse.ENOTFOUND)
}
