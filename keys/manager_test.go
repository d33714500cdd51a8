package keys

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/sqlite"
)

// openStore opens (and migrates) the SQLite file at path; each call is a
// separate handle, as a separate process would have.
func openStore(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return st
}

func dbPath(tb testing.TB) string { return filepath.Join(tb.TempDir(), "gatehouse.db") }

func mustEnsure(tb testing.TB, m *Manager) {
	tb.Helper()
	if err := m.Ensure(context.Background()); err != nil {
		tb.Fatalf("Ensure: %v", err)
	}
}

func mustList(tb testing.TB, m *Manager) []*gatehouse.SigningKey {
	tb.Helper()
	keys, err := m.List(context.Background())
	if err != nil {
		tb.Fatalf("List: %v", err)
	}
	return keys
}

// slotKey names the one active or next key a (purpose, algorithm) may have.
type slotKey struct {
	purpose gatehouse.KeyPurpose
	alg     string
	state   gatehouse.KeyState
}

// slots indexes keys by slot and fails on a slot held twice.
func slots(tb testing.TB, keys []*gatehouse.SigningKey) map[slotKey]*gatehouse.SigningKey {
	tb.Helper()
	out := make(map[slotKey]*gatehouse.SigningKey)
	for _, k := range keys {
		if k.State == gatehouse.KeyRetired {
			continue
		}
		s := slotKey{k.Purpose, k.Algorithm, k.State}
		if prev := out[s]; prev != nil {
			tb.Errorf("two %s %s %s keys: %s and %s", s.purpose, s.alg, s.state, prev.ID, k.ID)
		}
		out[s] = k
	}
	return out
}

func kids(keys []*gatehouse.SigningKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.ID)
	}
	slices.Sort(out)
	return out
}

func setKids(s *Set) []string {
	var out []string
	for _, k := range s.Keys() {
		out = append(out, k.ID)
	}
	slices.Sort(out)
	return out
}

func TestEnsureCreatesEverySlot(t *testing.T) {
	t.Parallel()
	m := NewManager(openStore(t, dbPath(t)), mustSealer(t, 1), newClock().Now, nil)
	mustEnsure(t, m)
	keys := mustList(t, m)
	if want := len(Purposes()) * len(Algorithms()) * 2; len(keys) != want {
		t.Fatalf("Ensure made %d keys, want %d", len(keys), want)
	}
	bySlot := slots(t, keys)
	for _, p := range Purposes() {
		for _, alg := range Algorithms() {
			for _, st := range []gatehouse.KeyState{gatehouse.KeyActive, gatehouse.KeyNext} {
				if bySlot[slotKey{p, alg, st}] == nil {
					t.Errorf("no %s %s %s key", p, alg, st)
				}
			}
			s, err := m.Current().Signer(p, alg)
			if err != nil || s.ID != bySlot[slotKey{p, alg, gatehouse.KeyActive}].ID || s.Private == nil {
				t.Errorf("Signer(%s, %s) = %v, %v; want the active key with its private part", p, alg, s, err)
			}
		}
	}
	for _, k := range keys {
		if k.SealedPrivateKey != nil {
			t.Errorf("List returned the sealed private key of %s", k.ID)
		}
		if len(k.PublicKey) == 0 {
			t.Errorf("List returned no public key for %s", k.ID)
		}
	}
}

func TestRestartLoadsSameKeys(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	first := NewManager(openStore(t, path), mustSealer(t, 1), newClock().Now, nil)
	mustEnsure(t, first)
	want := setKids(first.Current())

	tests := []struct {
		name string
		load func(*Manager) error
	}{
		{"Ensure", func(m *Manager) error { return m.Ensure(context.Background()) }},
		{"Load", func(m *Manager) error { return m.Load(context.Background()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A new process: a new store handle and manager, the same key.
			m := NewManager(openStore(t, path), mustSealer(t, 1), newClock().Now, nil)
			if err := tt.load(m); err != nil {
				t.Fatalf("%s after restart: %v", tt.name, err)
			}
			if got := setKids(m.Current()); !slices.Equal(got, want) {
				t.Errorf("kids after restart = %v, want %v", got, want)
			}
			if got := kids(mustList(t, m)); !slices.Equal(got, want) {
				t.Errorf("stored kids after restart = %v, want %v (nothing new created)", got, want)
			}
			for _, p := range Purposes() {
				if string(m.Current().JWKS(p)) != string(first.Current().JWKS(p)) {
					t.Errorf("%s JWKS differs after restart", p)
				}
			}
		})
	}
}

func TestWrongMasterKeyFailsLoudly(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustEnsure(t, NewManager(openStore(t, path), mustSealer(t, 1), newClock().Now, nil))
	stored := mustList(t, NewManager(openStore(t, path), mustSealer(t, 1), newClock().Now, nil))

	for _, op := range []string{"Ensure", "Load"} {
		t.Run(op, func(t *testing.T) {
			m := NewManager(openStore(t, path), mustSealer(t, 2), newClock().Now, nil)
			var err error
			if op == "Ensure" {
				err = m.Ensure(context.Background())
			} else {
				err = m.Load(context.Background())
			}
			if !errors.Is(err, secret.ErrUnseal) {
				t.Fatalf("%s with the wrong master key = %v, want ErrUnseal", op, err)
			}
			named := false
			for _, k := range stored {
				named = named || strings.Contains(err.Error(), k.ID)
			}
			if !named {
				t.Errorf("error %q names no kid", err)
			}
			if m.Current() != nil {
				t.Error("a set was loaded despite the error")
			}
		})
	}
	if got := len(mustList(t, NewManager(openStore(t, path), mustSealer(t, 1), newClock().Now, nil))); got != len(stored) {
		t.Errorf("after the failed starts the store holds %d keys, want %d (none added)", got, len(stored))
	}
}

// TestConcurrentEnsure starts several processes at once over one empty
// database: together they must make exactly one key set, and all load it.
func TestConcurrentEnsure(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	openStore(t, path) // migrate once, as the migrate command would
	const processes = 3
	managers := make([]*Manager, processes)
	for i := range managers {
		managers[i] = NewManager(openStore(t, path), mustSealer(t, 1), newClock().Now, nil)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, m := range managers {
		wg.Go(func() {
			<-start
			if err := m.Ensure(context.Background()); err != nil {
				t.Errorf("Ensure: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	keys := mustList(t, managers[0])
	slots(t, keys)
	if want := len(Purposes()) * len(Algorithms()) * 2; len(keys) != want {
		t.Errorf("concurrent Ensure made %d keys, want %d", len(keys), want)
	}
	// Every process signs with the same active keys. (A process that
	// finished before another created a next key may not have that next
	// key yet; a reload gets it.)
	for i, m := range managers {
		if err := m.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, want := setKids(m.Current()), kids(keys); !slices.Equal(got, want) {
			t.Errorf("process %d loaded %v, want %v", i, got, want)
		}
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newClock()
	m := NewManager(openStore(t, dbPath(t)), mustSealer(t, 1), clock.Now, nil)
	mustEnsure(t, m)
	before := slots(t, mustList(t, m))
	payload := []byte(`{"sub":"u1"}`)
	oldTokens := map[string]string{}
	for _, alg := range Algorithms() {
		k, err := m.Current().Signer(gatehouse.KeyPurposeOAuth, alg)
		if err != nil {
			t.Fatal(err)
		}
		oldTokens[alg] = signWith(t, k, payload)
	}

	rotatedAt := t0.Add(time.Hour)
	const retireAfter = 24 * time.Hour
	clock.Set(rotatedAt)
	got, err := m.Rotate(ctx, gatehouse.KeyPurposeOAuth, retireAfter)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	for _, k := range got {
		if k.Purpose != gatehouse.KeyPurposeOAuth {
			t.Errorf("Rotate returned a %s key", k.Purpose)
		}
	}
	all := mustList(t, m)
	after := slots(t, all)
	byID := map[string]*gatehouse.SigningKey{}
	for _, k := range all {
		byID[k.ID] = k
	}
	for _, alg := range Algorithms() {
		oauth := func(st gatehouse.KeyState) slotKey { return slotKey{gatehouse.KeyPurposeOAuth, alg, st} }
		oldActive, oldNext := before[oauth(gatehouse.KeyActive)], before[oauth(gatehouse.KeyNext)]
		if a := after[oauth(gatehouse.KeyActive)]; a == nil || a.ID != oldNext.ID || !a.ActivatedAt.Equal(rotatedAt) {
			t.Errorf("%s: active after rotation = %+v, want the old next key %s activated at %v", alg, a, oldNext.ID, rotatedAt)
		}
		if r := byID[oldActive.ID]; r.State != gatehouse.KeyRetired || !r.RetiredAt.Equal(rotatedAt) || !r.NotAfter.Equal(rotatedAt.Add(retireAfter)) {
			t.Errorf("%s: old active key after rotation = %s retired %v not after %v; want retired at %v until %v",
				alg, r.State, r.RetiredAt, r.NotAfter, rotatedAt, rotatedAt.Add(retireAfter))
		}
		n := after[oauth(gatehouse.KeyNext)]
		if n == nil || n.ID == oldNext.ID || n.ID == oldActive.ID {
			t.Errorf("%s: next after rotation = %+v, want a new key", alg, n)
		}
		if s, err := m.Current().Signer(gatehouse.KeyPurposeOAuth, alg); err != nil || s.ID != oldNext.ID {
			t.Errorf("%s: Signer after rotation = %v, %v; want %s", alg, s, err, oldNext.ID)
		}
		rt := func(st gatehouse.KeyState) slotKey { return slotKey{gatehouse.KeyPurposeRuntime, alg, st} }
		if after[rt(gatehouse.KeyActive)].ID != before[rt(gatehouse.KeyActive)].ID || after[rt(gatehouse.KeyNext)].ID != before[rt(gatehouse.KeyNext)].ID {
			t.Errorf("%s: rotating oauth keys changed the runtime keys", alg)
		}
	}

	// The retired keys stay published until NotAfter, then drop out.
	tests := []struct {
		name      string
		at        time.Time
		published bool
	}{
		{"right after rotation", rotatedAt, true},
		{"just before NotAfter", rotatedAt.Add(retireAfter - time.Microsecond), true},
		{"at NotAfter", rotatedAt.Add(retireAfter), false},
	}
	for _, tt := range tests { // sequential: they move the clock forward
		clock.Set(tt.at)
		for _, alg := range Algorithms() {
			_, err := verifyWithJWKS(m.Current().JWKS(gatehouse.KeyPurposeOAuth), oldTokens[alg])
			if (err == nil) != tt.published {
				t.Errorf("%s: %s token of the retired key verifies: %v, want %v", tt.name, alg, err == nil, tt.published)
			}
		}
		// A fresh process agrees with the cached set.
		fresh := NewManager(m.store, mustSealer(t, 1), clock.Now, nil)
		if err := fresh.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := setKids(fresh.Current()), setKids(m.Current()); !slices.Equal(got, want) {
			t.Errorf("%s: a fresh load publishes %v, the cached set %v", tt.name, got, want)
		}
	}

	// Prune deletes the expired retired keys only.
	clock.Set(rotatedAt.Add(retireAfter - time.Second))
	if n, err := m.Prune(ctx); err != nil || n != 0 {
		t.Errorf("Prune before NotAfter = %d, %v; want 0", n, err)
	}
	clock.Set(rotatedAt.Add(retireAfter))
	if n, err := m.Prune(ctx); err != nil || n != len(Algorithms()) {
		t.Errorf("Prune at NotAfter = %d, %v; want %d", n, err, len(Algorithms()))
	}
	if got, want := len(mustList(t, m)), len(Purposes())*len(Algorithms())*2; got != want {
		t.Errorf("after Prune the store holds %d keys, want %d", got, want)
	}
}

// TestRotateWithoutRetirement withdraws the old keys at once, as after a
// compromise.
func TestRotateWithoutRetirement(t *testing.T) {
	t.Parallel()
	m := NewManager(openStore(t, dbPath(t)), mustSealer(t, 1), newClock().Now, nil)
	mustEnsure(t, m)
	old, err := m.Current().Signer(gatehouse.KeyPurposeRuntime, ES256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Rotate(context.Background(), gatehouse.KeyPurposeRuntime, 0); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if _, ok := m.Current().Key(gatehouse.KeyPurposeRuntime, old.ID); ok {
		t.Error("a key retired with no grace period is still published")
	}
}

func TestRotateRejects(t *testing.T) {
	t.Parallel()
	m := NewManager(nil, mustSealer(t, 1), newClock().Now, nil) // never reaches the store
	tests := []struct {
		name        string
		purpose     gatehouse.KeyPurpose
		retireAfter time.Duration
	}{
		{"unknown purpose", "email", time.Hour},
		{"empty purpose", "", time.Hour},
		{"negative retirement", gatehouse.KeyPurposeOAuth, -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := m.Rotate(context.Background(), tt.purpose, tt.retireAfter); !gatehouse.IsCode(err, gatehouse.EINVALID) {
				t.Errorf("Rotate = %v, want EINVALID", err)
			}
		})
	}
}

// TestConcurrentRotate rotates from several processes at once: however the
// rotations interleave, each slot keeps exactly one key and every process
// loads a consistent set.
func TestConcurrentRotate(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustEnsure(t, NewManager(openStore(t, path), mustSealer(t, 1), newClock().Now, nil))
	managers := []*Manager{
		NewManager(openStore(t, path), mustSealer(t, 1), newClock().Now, nil),
		NewManager(openStore(t, path), mustSealer(t, 1), newClock().Now, nil),
	}
	var wg sync.WaitGroup
	for _, m := range managers {
		wg.Go(func() {
			if _, err := m.Rotate(context.Background(), gatehouse.KeyPurposeOAuth, time.Hour); err != nil {
				t.Errorf("Rotate: %v", err)
			}
		})
	}
	wg.Wait()
	keys := mustList(t, managers[0])
	bySlot := slots(t, keys)
	if want := len(Purposes()) * len(Algorithms()) * 2; len(bySlot) != want {
		t.Errorf("%d active and next keys after concurrent rotation, want %d", len(bySlot), want)
	}
	for _, m := range managers {
		if err := m.Load(context.Background()); err != nil {
			t.Fatalf("Load after concurrent rotation: %v", err)
		}
	}
}
