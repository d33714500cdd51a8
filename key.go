package gatehouse

import "time"

// KeyPurpose keeps signing keys of different token families apart: a
// runtime token can never verify under an OAuth key, nor the reverse.
type KeyPurpose string

// Key purposes.
const (
	KeyPurposeOAuth   KeyPurpose = "oauth"   // ID tokens, access tokens, JWT credentials
	KeyPurposeRuntime KeyPurpose = "runtime" // SDK runtime tokens
)

// KeyState is where a signing key is in its life:
//
//	next ──(rotate)──► active ──(rotate)──► retired ──(NotAfter passed)──► deleted
//
// A next key is published in the JWKS before it signs anything, so relying
// parties that cache the JWKS already know it when it becomes active; a
// retired key stays published until every token it signed has expired.
type KeyState string

// Key states.
const (
	KeyNext    KeyState = "next"
	KeyActive  KeyState = "active"
	KeyRetired KeyState = "retired"
)

// SigningKey is one asymmetric signing key. The private key is stored only
// sealed with the master key.
type SigningKey struct {
	ID        string // the kid
	TenantID  string // empty for the platform's keys
	Purpose   KeyPurpose
	Algorithm string // RS256, ES256, EdDSA
	State     KeyState
	// PublicKey is the PKIX DER encoding of the public key.
	PublicKey []byte
	// SealedPrivateKey is the PKCS #8 DER private key sealed with the
	// master key (AES-256-GCM).
	SealedPrivateKey []byte

	CreatedAt   time.Time
	ActivatedAt time.Time
	RetiredAt   time.Time
	// NotAfter is when a retired key leaves the JWKS: the retirement time
	// plus the longest lifetime of a token it may have signed.
	NotAfter time.Time
}

// Published reports whether the key belongs in the JWKS at now.
func (k *SigningKey) Published(now time.Time) bool {
	return k.State != KeyRetired || now.Before(k.NotAfter)
}
