package keys

import (
	"crypto"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse-id/gatehouse"
	jose "github.com/go-jose/go-jose/v4"
)

// Key is one loaded signing key.
type Key struct {
	ID        string
	Algorithm string // RS256, ES256 or EdDSA
	Purpose   gatehouse.KeyPurpose
	State     gatehouse.KeyState
	// Private is nil for keys loaded only for verification (retired ones).
	Private crypto.Signer
	Public  crypto.PublicKey
	// JWK is the public JWK, with kid, alg and use "sig".
	JWK jose.JSONWebKey

	// notAfter is when a retired key stops being published.
	notAfter time.Time
}

// SigningKey returns the go-jose signing key for k, with the kid set so
// that every signature names its key. It is the zero value when k has no
// private key.
func (k *Key) SigningKey() jose.SigningKey {
	if k == nil || k.Private == nil {
		return jose.SigningKey{}
	}
	return jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(k.Algorithm),
		Key:       jose.JSONWebKey{Key: k.Private, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"},
	}
}

// Set is an immutable snapshot of the published keys. Its methods are safe
// for concurrent use, and a nil *Set behaves as an empty one.
type Set struct {
	purposes map[gatehouse.KeyPurpose]*purposeKeys
	keys     []*Key // every key, in store order
	// expires is the earliest NotAfter of a retired key in the set (zero
	// when there is none): from then on the set publishes a key it should
	// not, and Manager.Current replaces it.
	expires time.Time
}

type purposeKeys struct {
	active map[string]*Key // by algorithm
	byKID  map[string]*Key
	jwks   []byte
}

// emptyJWKS is the document served when a purpose has no keys.
const emptyJWKS = `{"keys":[]}`

// Signer returns the active key of purpose for alg. It returns an
// ENOTFOUND error when there is none (keys not loaded, or an algorithm
// without keys).
func (s *Set) Signer(purpose gatehouse.KeyPurpose, alg string) (*Key, error) {
	if s != nil {
		if p := s.purposes[purpose]; p != nil {
			if k := p.active[alg]; k != nil {
				return k, nil
			}
		}
	}
	return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "no active %s signing key for %s tokens", alg, purpose)
}

// Key returns the published key of purpose named kid (next, active or
// retired but unexpired), for verifying a signature.
func (s *Set) Key(purpose gatehouse.KeyPurpose, kid string) (*Key, bool) {
	if s == nil {
		return nil, false
	}
	p := s.purposes[purpose]
	if p == nil {
		return nil, false
	}
	k, ok := p.byKID[kid]
	return k, ok
}

// JWKS returns the JSON Web Key Set of purpose ({"keys":[...]}): the
// public parts of its published keys, each with kid, alg and use "sig".
// The bytes are computed once per load; callers must not modify them.
func (s *Set) JWKS(purpose gatehouse.KeyPurpose) []byte {
	if s != nil {
		if p := s.purposes[purpose]; p != nil {
			return p.jwks
		}
	}
	return []byte(emptyJWKS)
}

// Keys returns every key in the set, in store order (oldest first).
func (s *Set) Keys() []*Key {
	if s == nil {
		return nil
	}
	return append([]*Key(nil), s.keys...)
}

// newSet indexes keys (already filtered to those published at now) and
// marshals each purpose's JWKS.
func newSet(keys []*Key, log *slog.Logger) (*Set, error) {
	s := &Set{purposes: make(map[gatehouse.KeyPurpose]*purposeKeys), keys: keys}
	jwks := make(map[gatehouse.KeyPurpose][]jose.JSONWebKey)
	for _, k := range keys {
		p := s.purposes[k.Purpose]
		if p == nil {
			p = &purposeKeys{active: make(map[string]*Key), byKID: make(map[string]*Key)}
			s.purposes[k.Purpose] = p
		}
		p.byKID[k.ID] = k
		jwks[k.Purpose] = append(jwks[k.Purpose], k.JWK)
		switch k.State {
		case gatehouse.KeyActive:
			// Keys come oldest first, so a later active key (which the
			// store should never hold) wins, and is the one that signs.
			if prev := p.active[k.Algorithm]; prev != nil {
				log.Warn("several active signing keys; signing with the newest",
					"purpose", k.Purpose, "alg", k.Algorithm, "kid", k.ID, "other_kid", prev.ID)
			}
			p.active[k.Algorithm] = k
		case gatehouse.KeyRetired:
			if s.expires.IsZero() || k.notAfter.Before(s.expires) {
				s.expires = k.notAfter
			}
		}
	}
	for purpose, p := range s.purposes {
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: jwks[purpose]})
		if err != nil {
			return nil, fmt.Errorf("marshal %s JWKS: %w", purpose, err)
		}
		p.jwks = b
	}
	return s, nil
}

// stale reports whether a retired key of s is no longer published at now.
func (s *Set) stale(now time.Time) bool {
	return s != nil && !s.expires.IsZero() && !now.Before(s.expires)
}

// at returns s without the retired keys that expired at now.
func (s *Set) at(now time.Time, log *slog.Logger) (*Set, error) {
	var keep []*Key
	for _, k := range s.keys {
		if k.State == gatehouse.KeyRetired && !now.Before(k.notAfter) {
			continue
		}
		keep = append(keep, k)
	}
	return newSet(keep, log)
}
