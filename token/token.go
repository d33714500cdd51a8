package token

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/keys"
	jose "github.com/go-jose/go-jose/v4"
)

// Header types (the JOSE "typ" parameter) of the tokens Gatehouse signs.
const (
	// TypeJWT is the typ of ID tokens (RFC 7519 §5.1).
	TypeJWT = "JWT"
	// TypeAccessToken is the typ of JWT access tokens (RFC 9068 §2.1).
	TypeAccessToken = "at+jwt"
)

// Options are the dependencies of Tokens.
type Options struct {
	// Keys holds the signing keys; it must have loaded them (Ensure or
	// Load) before the first token is signed or checked.
	Keys *keys.Manager
	// Clock is the time source of verification; nil means time.Now.
	Clock gatehouse.Clock
	// AccessTokenAlg signs access tokens: ES256 (the default when empty),
	// RS256 or EdDSA.
	AccessTokenAlg string
}

// Tokens signs and verifies tokens with the keys of a keys.Manager. It is
// safe for concurrent use.
type Tokens struct {
	keys  *keys.Manager
	clock gatehouse.Clock
	atAlg string

	// signers holds the signers built for the last Set seen; it is
	// replaced, never changed, when the manager's Set changes.
	signers atomic.Pointer[signerCache]
}

// New returns Tokens over o.
func New(o Options) *Tokens {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.AccessTokenAlg == "" {
		o.AccessTokenAlg = keys.ES256
	}
	return &Tokens{keys: o.Keys, clock: o.Clock, atAlg: o.AccessTokenAlg}
}

// AccessTokenAlg returns the algorithm access tokens are signed with.
func (t *Tokens) AccessTokenAlg() string { return t.atAlg }

// slot names one cached signer: the active key of an algorithm with one
// header type.
type slot struct {
	alg, typ string
}

type cachedSigner struct {
	signer jose.Signer
	err    error
}

// signerCache is the signers of one Set: each active OAuth key with each
// header type. It is immutable once built.
type signerCache struct {
	set     *keys.Set
	signers map[slot]cachedSigner
}

func newSignerCache(set *keys.Set) *signerCache {
	c := &signerCache{set: set, signers: make(map[slot]cachedSigner)}
	for _, alg := range keys.Algorithms() {
		k, err := set.Signer(gatehouse.KeyPurposeOAuth, alg)
		for _, typ := range []string{TypeJWT, TypeAccessToken} {
			s := slot{alg, typ}
			if err != nil {
				c.signers[s] = cachedSigner{err: gatehouse.Errorf(gatehouse.EUNAVAILABLE, "no active %s signing key", alg)}
				continue
			}
			opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
			signer, err := jose.NewSigner(k.SigningKey(), opts)
			if err != nil {
				err = fmt.Errorf("build %s signer for key %s: %w", alg, k.ID, err)
			}
			c.signers[s] = cachedSigner{signer: signer, err: err}
		}
	}
	return c
}

// currentSet returns the Set of m, or EUNAVAILABLE before keys are
// loaded.
func currentSet(m *keys.Manager) (*keys.Set, error) {
	var set *keys.Set
	if m != nil {
		set = m.Current()
	}
	if set == nil {
		return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "signing keys are not loaded")
	}
	return set, nil
}

// signer returns the signer of the active OAuth key for alg with header
// type typ, building the signers again when the manager's Set changed
// since the last call (a rotation, a reload, a retired key expiring).
func (t *Tokens) signer(alg, typ string) (jose.Signer, error) {
	if !supportedAlg(alg) {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "unsupported signing algorithm %q", alg)
	}
	set, err := currentSet(t.keys)
	if err != nil {
		return nil, err
	}
	c := t.signers.Load()
	if c == nil || c.set != set {
		// Two goroutines may build at once after a change; both caches
		// are right, and the last stored wins.
		c = newSignerCache(set)
		t.signers.Store(c)
	}
	s, ok := c.signers[slot{alg, typ}]
	if !ok {
		return nil, fmt.Errorf("no signer for %s tokens", typ)
	}
	return s.signer, s.err
}

// supportedAlg reports whether alg is one Gatehouse signs and verifies
// with: never none, never an HMAC.
func supportedAlg(alg string) bool {
	return alg == keys.RS256 || alg == keys.ES256 || alg == keys.EdDSA
}

// allowedAlgs is the verification allow-list handed to go-jose, which
// refuses any other alg before looking at a key.
func allowedAlgs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}
}

// sign signs payload and returns the compact serialization.
func (t *Tokens) sign(alg, typ string, payload []byte) (string, error) {
	signer, err := t.signer(alg, typ)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign %s token: %w", typ, err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("serialize %s token: %w", typ, err)
	}
	return raw, nil
}
