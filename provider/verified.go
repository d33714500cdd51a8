package provider

import (
	"crypto/sha256"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/token"
)

// Userinfo and introspection see the same access token many times (a
// resource server introspects it on every call it receives), and its
// ECDSA verification is the largest part of their cost. verifiedCache
// remembers tokens whose signature and claims were verified, keyed by the
// SHA-256 of the issuer and the token, so that the next presentation
// skips the signature check. It never skips the rest: the expiry is
// compared on every hit, and the caller checks revocation (of the jti and
// of the grant) and the user every time, so a revoked token stops
// working at once.

// verifiedTTL is how long a verification is trusted. It bounds how long a
// token signed by a key that disappeared from the key set (a key deleted
// before its tokens expired) still passes: verification is redone at
// least this often.
const verifiedTTL = time.Minute

// maxVerified bounds the cache; past it, it starts over. 10,000 entries
// hold a few megabytes.
const maxVerified = 10000

type verifiedEntry struct {
	claims *token.AccessClaims
	until  time.Time // verifiedTTL after the verification, or the expiry
}

// verifiedCache maps SHA-256(issuer, token) to the token's verified
// claims.
type verifiedCache struct {
	mu      sync.RWMutex
	entries map[[sha256.Size]byte]verifiedEntry
}

// verifiedKey is the cache key of a token presented to an issuer.
func verifiedKey(issuer, raw string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(issuer))
	h.Write([]byte{0})
	h.Write([]byte(raw))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// get returns a copy of the claims verified for key, unless the entry is
// stale or the token expired at now.
func (c *verifiedCache) get(key [sha256.Size]byte, now time.Time) (*token.AccessClaims, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) || now.Before(e.until.Add(-verifiedTTL)) {
		return nil, false
	}
	return copyClaims(e.claims), true
}

// put remembers the claims verified at now.
func (c *verifiedCache) put(key [sha256.Size]byte, claims *token.AccessClaims, now time.Time) {
	until := now.Add(verifiedTTL)
	if !claims.Expiry.IsZero() && claims.Expiry.Before(until) {
		until = claims.Expiry
	}
	e := verifiedEntry{claims: copyClaims(claims), until: until}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxVerified {
		c.entries = make(map[[sha256.Size]byte]verifiedEntry)
	}
	c.entries[key] = e
}

// copyClaims copies claims with their lists, so that no caller shares
// them with the cache.
func copyClaims(c *token.AccessClaims) *token.AccessClaims {
	out := *c
	out.Audience = slices.Clone(c.Audience)
	out.AMR = slices.Clone(c.AMR)
	return &out
}
