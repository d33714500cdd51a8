package token

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/keys"
)

// AtHash returns the at_hash of an access token, or the c_hash of a code,
// for an ID token signed with alg (OpenID Connect Core §3.1.3.6,
// §3.3.2.11): the left half of the hash of the token's ASCII text,
// base64url. RS256 and ES256 hash with SHA-256. For EdDSA (Ed25519) the
// specification names no hash; SHA-512 is what relying parties use,
// go-oidc's IDToken.VerifyAccessToken among them. It returns an EINVALID
// error for any other alg.
func AtHash(alg, token string) (string, error) {
	var h hash.Hash
	switch alg {
	case keys.RS256, keys.ES256:
		h = sha256.New()
	case keys.EdDSA:
		h = sha512.New()
	default:
		return "", gatehouse.Errorf(gatehouse.EINVALID, "no token hash for algorithm %q", alg)
	}
	h.Write([]byte(token))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]), nil
}

// handleBytes is the size of an opaque handle: 256 random bits.
const handleBytes = 32

// NewHandle returns a new opaque handle, for an authorization code, a
// refresh token or a session cookie: 256 random bits, base64url (43
// characters), and its SHA-256, the only form the store keeps.
func NewHandle() (value string, hash []byte) {
	value = secret.Token(handleBytes)
	return value, secret.Hash(value)
}

// HashHandle returns the SHA-256 of a presented handle, to look it up. A
// handle is 256 random bits, so a fast hash is as strong as a slow one.
func HashHandle(value string) []byte { return secret.Hash(value) }
