package storetest

import (
	"strconv"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func keyCases() []testCase {
	return []testCase{
		{"SigningKey/OneActiveOneNext", testSigningKeyUnique},
		{"SigningKey/ConcurrentCreate", testSigningKeyConcurrentCreate},
		{"SigningKey/Rotate", testSigningKeyRotate},
		{"SigningKey/ConcurrentRotate", testSigningKeyConcurrentRotate},
		{"SigningKey/Delete", testSigningKeyDelete},
	}
}

// testSigningKeyUnique fills the active and next slots of a (tenant,
// purpose, algorithm) and tries to add a key beside each: a second active or
// next key is ECONFLICT and writes nothing, as is a key in a state that is
// none of next, active and retired (EINVALID), while a key of another
// tenant, purpose or algorithm, or a retired one, is a slot of its own.
func testSigningKeyUnique(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	acme := MustTenant(t, s, "acme").ID
	other := MustTenant(t, s, "other").ID
	now := t0()
	oauth, runtime := gatehouse.KeyPurposeOAuth, gatehouse.KeyPurposeRuntime
	rs, es := gatehouse.AlgRS256, gatehouse.AlgES256
	for _, tenantID := range []string{"", acme} {
		for _, st := range []gatehouse.KeyState{gatehouse.KeyActive, gatehouse.KeyNext, gatehouse.KeyRetired} {
			must(t, "CreateSigningKey", s.CreateSigningKey(ctx, newSigningKey(tenantID, oauth, rs, st, now)))
		}
	}
	list := func() map[string][]*gatehouse.SigningKey {
		t.Helper()
		out := map[string][]*gatehouse.SigningKey{}
		for _, id := range []string{"", acme, other} {
			keys, err := s.ListSigningKeys(ctx, id)
			must(t, "ListSigningKeys", err)
			out[id] = keys
		}
		return out
	}

	refused := []struct {
		name     string
		tenantID string
		state    gatehouse.KeyState
	}{
		{"second active key of a tenant", acme, gatehouse.KeyActive},
		{"second next key of a tenant", acme, gatehouse.KeyNext},
		{"second active key of the platform", "", gatehouse.KeyActive},
		{"second next key of the platform", "", gatehouse.KeyNext},
	}
	before := list()
	for _, tt := range refused {
		k := newSigningKey(tt.tenantID, oauth, rs, tt.state, now)
		wantCode(t, "CreateSigningKey of a "+tt.name, s.CreateSigningKey(ctx, k), gatehouse.ECONFLICT)
	}
	// A state the store does not know would escape the one-active,
	// one-next rule.
	for _, st := range []gatehouse.KeyState{"", "Active", "standby"} {
		k := newSigningKey(acme, oauth, rs, st, now)
		wantCode(t, "CreateSigningKey in state "+strconv.Quote(string(st)), s.CreateSigningKey(ctx, k), gatehouse.EINVALID)
	}
	same(t, "keys after refused creates", before, list())

	accepted := []struct {
		name     string
		tenantID string
		purpose  gatehouse.KeyPurpose
		alg      string
		state    gatehouse.KeyState
	}{
		{"another retired key", acme, oauth, rs, gatehouse.KeyRetired},
		{"active key of another algorithm", acme, oauth, es, gatehouse.KeyActive},
		{"next key of another algorithm", acme, oauth, es, gatehouse.KeyNext},
		{"active key of another purpose", acme, runtime, rs, gatehouse.KeyActive},
		{"next key of another purpose", acme, runtime, rs, gatehouse.KeyNext},
		{"active key of another tenant", other, oauth, rs, gatehouse.KeyActive},
		{"next key of another tenant", other, oauth, rs, gatehouse.KeyNext},
	}
	for _, tt := range accepted {
		k := newSigningKey(tt.tenantID, tt.purpose, tt.alg, tt.state, now)
		must(t, "CreateSigningKey of an "+tt.name, s.CreateSigningKey(ctx, k))
	}
	after := list()
	if got, want := len(after[acme]), 3+5; got != want {
		t.Errorf("keys of the tenant: got %d, want %d", got, want)
	}
	if got, want := len(after[other]), 2; got != want {
		t.Errorf("keys of the other tenant: got %d, want %d", got, want)
	}
	same(t, "platform keys", before[""], after[""])
}

// testSigningKeyConcurrentCreate is nodes bootstrapping the same key at
// once: for each of the active and next slots, exactly one create wins and
// the others are ECONFLICT.
func testSigningKeyConcurrentCreate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	now := t0()
	for _, st := range []gatehouse.KeyState{gatehouse.KeyActive, gatehouse.KeyNext} {
		const n = 8
		keys := make([]*gatehouse.SigningKey, n)
		for i := range keys {
			keys[i] = newSigningKey("", gatehouse.KeyPurposeOAuth, gatehouse.AlgES256, st, now)
		}
		errs := race(n, func(i int) error { return s.CreateSigningKey(ctx, keys[i]) })
		SoleWinner(t, "CreateSigningKey of a "+string(st)+" key", errs, gatehouse.ECONFLICT)
	}
	got, err := s.ListSigningKeys(ctx, "")
	must(t, "ListSigningKeys", err)
	if len(got) != 2 {
		t.Errorf("keys after concurrent creates: got %d, want 2 (one active, one next)", len(got))
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

	// The new next key takes the place of the promoted one: a key of
	// another tenant, purpose or algorithm is refused, and nothing moves.
	for name, k := range map[string]*gatehouse.SigningKey{
		"tenant":    newSigningKey("", oauth, gatehouse.AlgRS256, gatehouse.KeyNext, at),
		"purpose":   newSigningKey(tn.ID, runtime, gatehouse.AlgRS256, gatehouse.KeyNext, at),
		"algorithm": newSigningKey(tn.ID, oauth, gatehouse.AlgES256, gatehouse.KeyNext, at),
	} {
		wantCode(t, "RotateSigningKeys with a next key of another "+name,
			s.RotateSigningKeys(ctx, newNext.ID, k, at.Add(time.Hour), notAfter), gatehouse.EINVALID)
	}
	same(t, "tenant keys after rotations with a mismatched next key", wantKeys, list(tn.ID))
	same(t, "platform keys after rotations with a mismatched next key", []*gatehouse.SigningKey{platActive, platNext}, list(""))

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
