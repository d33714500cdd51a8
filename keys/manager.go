package keys

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	jose "github.com/go-jose/go-jose/v4"
)

// Purposes returns every key purpose a Manager keeps keys for.
func Purposes() []gatehouse.KeyPurpose {
	return []gatehouse.KeyPurpose{gatehouse.KeyPurposeOAuth, gatehouse.KeyPurposeRuntime}
}

func knownPurpose(p gatehouse.KeyPurpose) bool {
	return p == gatehouse.KeyPurposeOAuth || p == gatehouse.KeyPurposeRuntime
}

// platformTenant is the tenant id of the platform's keys.
const platformTenant = ""

// Manager generates, stores, loads and rotates the platform's signing keys
// and keeps the loaded Set in memory. It is safe for concurrent use; its
// writing methods are serialized within a process, and the store resolves
// races between processes.
type Manager struct {
	store  gatehouse.SigningKeyStore
	sealer *secret.Sealer
	clock  gatehouse.Clock
	log    *slog.Logger

	set atomic.Pointer[Set]
	// mu serializes Ensure, Load, Rotate and Prune, so two of them in one
	// process never race to create keys or swap sets out of order.
	mu sync.Mutex
}

// NewManager returns a Manager over store. sealer seals private keys with
// the master key; clock must not be nil; log may be nil to discard logs.
// Nothing is loaded until Ensure or Load.
func NewManager(store gatehouse.SigningKeyStore, sealer *secret.Sealer, clock gatehouse.Clock, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{store: store, sealer: sealer, clock: clock, log: log}
}

// sealContext binds a sealed private key to its kid, so a sealed key
// copied into another row does not open there.
func sealContext(kid string) string { return "signing-key:" + kid }

// Ensure creates, for every purpose and algorithm, the active and the next
// key when the store has none, then loads the set. Several processes may
// run it at once: a create that conflicts means another process made that
// key, which is then loaded.
func (m *Manager) Ensure(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	stored, err := m.store.ListSigningKeys(ctx, platformTenant)
	if err != nil {
		return fmt.Errorf("ensure signing keys: %w", err)
	}
	type slot struct {
		purpose gatehouse.KeyPurpose
		alg     string
		state   gatehouse.KeyState
	}
	have := make(map[slot]bool)
	for _, k := range stored {
		have[slot{k.Purpose, k.Algorithm, k.State}] = true
	}
	for _, purpose := range Purposes() {
		for _, alg := range Algorithms() {
			for _, state := range []gatehouse.KeyState{gatehouse.KeyActive, gatehouse.KeyNext} {
				if have[slot{purpose, alg, state}] {
					continue
				}
				if err := m.create(ctx, purpose, alg, state); err != nil {
					return fmt.Errorf("ensure signing keys: %w", err)
				}
			}
		}
	}
	return m.load(ctx)
}

// create generates and stores one key. A conflict means another process
// created the key of that slot first, which is fine.
func (m *Manager) create(ctx context.Context, purpose gatehouse.KeyPurpose, alg string, state gatehouse.KeyState) error {
	k, err := m.newKey(purpose, alg, state, m.clock())
	if err != nil {
		return err
	}
	err = m.store.CreateSigningKey(ctx, k)
	switch {
	case err == nil:
		m.log.Info("created signing key", "purpose", purpose, "alg", alg, "state", state, "kid", k.ID)
		return nil
	case gatehouse.IsCode(err, gatehouse.ECONFLICT):
		m.log.Info("signing key created concurrently elsewhere", "purpose", purpose, "alg", alg, "state", state)
		return nil
	default:
		return fmt.Errorf("store %s %s key for %s: %w", state, alg, purpose, err)
	}
}

// newKey generates a key and returns its row: public key in PKIX DER,
// private key in PKCS #8 DER sealed under its kid.
func (m *Manager) newKey(purpose gatehouse.KeyPurpose, alg string, state gatehouse.KeyState, now time.Time) (*gatehouse.SigningKey, error) {
	priv, err := generate(alg)
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, fmt.Errorf("encode %s public key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode %s private key: %w", alg, err)
	}
	// 128 random bits: a kid reveals nothing about when or how many keys
	// were made, and cannot be guessed ahead of publication.
	kid := secret.Token(16)
	k := &gatehouse.SigningKey{
		ID:               kid,
		TenantID:         platformTenant,
		Purpose:          purpose,
		Algorithm:        alg,
		State:            state,
		PublicKey:        pub,
		SealedPrivateKey: m.sealer.Seal(der, sealContext(kid)),
		CreatedAt:        now,
	}
	clear(der)
	if state == gatehouse.KeyActive {
		k.ActivatedAt = now
	}
	return k, nil
}

// Load reads the keys from the store, unseals the private keys of the
// active and next keys, and swaps in a new Set. A key that does not unseal
// (the master key is not the one the keys were sealed with, or the row was
// altered) fails the load, naming its kid; the previous Set stays.
func (m *Manager) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.load(ctx)
}

func (m *Manager) load(ctx context.Context) error {
	stored, err := m.store.ListSigningKeys(ctx, platformTenant)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	set, err := m.build(stored, m.clock())
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	m.set.Store(set)
	return nil
}

// build turns stored rows into a Set of the keys published at now.
func (m *Manager) build(stored []*gatehouse.SigningKey, now time.Time) (*Set, error) {
	var keys []*Key
	for _, sk := range stored {
		if !sk.Published(now) {
			continue
		}
		if !knownAlgorithm(sk.Algorithm) || !knownPurpose(sk.Purpose) {
			// A key a newer version made: leave it to that version.
			m.log.Warn("skipping signing key of unknown algorithm or purpose",
				"kid", sk.ID, "alg", sk.Algorithm, "purpose", sk.Purpose)
			continue
		}
		k, err := m.open(sk)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return newSet(keys, m.log)
}

// open decodes one stored key. Retired keys only verify, so their private
// halves stay sealed.
func (m *Manager) open(sk *gatehouse.SigningKey) (*Key, error) {
	pub, err := parsePublic(sk.Algorithm, sk.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.ID, err)
	}
	k := &Key{
		ID:        sk.ID,
		Algorithm: sk.Algorithm,
		Purpose:   sk.Purpose,
		State:     sk.State,
		Public:    pub,
		JWK:       jose.JSONWebKey{Key: pub, KeyID: sk.ID, Algorithm: sk.Algorithm, Use: "sig"},
		notAfter:  sk.NotAfter,
	}
	switch sk.State {
	case gatehouse.KeyActive, gatehouse.KeyNext:
		der, err := m.sealer.Open(sk.SealedPrivateKey, sealContext(sk.ID))
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w (is this the master key the keys were created with?)", sk.ID, err)
		}
		k.Private, err = parsePrivate(der, pub)
		clear(der)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", sk.ID, err)
		}
	case gatehouse.KeyRetired:
	default:
		return nil, fmt.Errorf("signing key %s: unknown state %q", sk.ID, sk.State)
	}
	return k, nil
}

// Current returns the loaded Set, or nil before the first load. It does
// no I/O. When a retired key of the set has just passed its NotAfter, it
// first replaces the set with one that no longer publishes that key.
func (m *Manager) Current() *Set {
	s := m.set.Load()
	now := m.clock()
	if !s.stale(now) {
		return s
	}
	fresh, err := s.at(now, m.log)
	if err != nil {
		// Marshaling keys that marshaled before cannot fail; keep serving.
		m.log.Error("rebuild signing key set", "err", err)
		return s
	}
	m.set.CompareAndSwap(s, fresh)
	return m.set.Load()
}

// Rotate rotates every algorithm of purpose: the next key becomes active,
// the active key is retired with NotAfter = now + retireAfter (the longest
// lifetime of a token it may have signed; zero withdraws it at once, after
// a compromise), and a new next key is created, each algorithm in one
// store transaction. An algorithm rotated concurrently by another process
// counts as rotated. It then reloads and returns the purpose's keys after
// rotation, without their sealed private parts. It returns EINVALID for an
// unknown purpose or a negative retireAfter.
func (m *Manager) Rotate(ctx context.Context, purpose gatehouse.KeyPurpose, retireAfter time.Duration) ([]*gatehouse.SigningKey, error) {
	if !knownPurpose(purpose) {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "unknown key purpose %q", purpose)
	}
	if retireAfter < 0 {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "retirement period must not be negative")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	stored, err := m.store.ListSigningKeys(ctx, platformTenant)
	if err != nil {
		return nil, fmt.Errorf("rotate %s keys: %w", purpose, err)
	}
	for _, alg := range Algorithms() {
		if err := m.rotate(ctx, stored, purpose, alg, retireAfter); err != nil {
			return nil, fmt.Errorf("rotate %s keys: %w", purpose, err)
		}
	}
	if err := m.load(ctx); err != nil {
		return nil, err
	}
	after, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []*gatehouse.SigningKey
	for _, k := range after {
		if k.Purpose == purpose {
			out = append(out, k)
		}
	}
	return out, nil
}

func (m *Manager) rotate(ctx context.Context, stored []*gatehouse.SigningKey, purpose gatehouse.KeyPurpose, alg string, retireAfter time.Duration) error {
	var next *gatehouse.SigningKey
	for _, k := range stored {
		if k.Purpose == purpose && k.Algorithm == alg && k.State == gatehouse.KeyNext {
			next = k
		}
	}
	now := m.clock()
	if next == nil {
		// Without a next key (its creation failed), promote a fresh one:
		// rotation is what was asked for.
		var err error
		if next, err = m.newKey(purpose, alg, gatehouse.KeyNext, now); err != nil {
			return err
		}
		if err := m.store.CreateSigningKey(ctx, next); err != nil {
			return fmt.Errorf("store next %s key: %w", alg, err)
		}
	}
	fresh, err := m.newKey(purpose, alg, gatehouse.KeyNext, now)
	if err != nil {
		return err
	}
	err = m.store.RotateSigningKeys(ctx, next.ID, fresh, now, now.Add(retireAfter))
	switch {
	case err == nil:
		m.log.Info("rotated signing keys", "purpose", purpose, "alg", alg,
			"active_kid", next.ID, "next_kid", fresh.ID, "retired_until", now.Add(retireAfter))
		return nil
	case gatehouse.IsCode(err, gatehouse.ECONFLICT):
		m.log.Info("signing keys rotated concurrently elsewhere", "purpose", purpose, "alg", alg)
		return nil
	default:
		return fmt.Errorf("%s: %w", alg, err)
	}
}

// List returns every stored key, oldest first, without the sealed private
// parts.
func (m *Manager) List(ctx context.Context) ([]*gatehouse.SigningKey, error) {
	return m.list(ctx)
}

func (m *Manager) list(ctx context.Context) ([]*gatehouse.SigningKey, error) {
	stored, err := m.store.ListSigningKeys(ctx, platformTenant)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	out := make([]*gatehouse.SigningKey, len(stored))
	for i, k := range stored {
		c := *k
		c.SealedPrivateKey = nil
		out[i] = &c
	}
	return out, nil
}

// Prune deletes the retired keys whose NotAfter has passed and returns how
// many it deleted. A key another process deleted first is not counted.
func (m *Manager) Prune(ctx context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	stored, err := m.store.ListSigningKeys(ctx, platformTenant)
	if err != nil {
		return 0, fmt.Errorf("prune signing keys: %w", err)
	}
	now := m.clock()
	n := 0
	var errs []error
	for _, k := range stored {
		if k.State != gatehouse.KeyRetired || now.Before(k.NotAfter) {
			continue
		}
		switch err := m.store.DeleteSigningKey(ctx, platformTenant, k.ID); {
		case err == nil:
			n++
			m.log.Info("deleted expired signing key", "purpose", k.Purpose, "alg", k.Algorithm, "kid", k.ID)
		case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		default:
			errs = append(errs, fmt.Errorf("delete signing key %s: %w", k.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("prune signing keys: %w", err)
	}
	return n, nil
}
