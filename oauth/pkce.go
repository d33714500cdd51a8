package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// PKCE (RFC 7636) values. Only S256 is supported: plain offers no
// protection once the authorization request leaks.
const (
	CodeChallengeMethodS256 = "S256"

	minVerifier = 43
	maxVerifier = 128
	// challengeLen is the length of an unpadded base64url SHA-256.
	challengeLen = 43
)

// unreserved reports whether c is in RFC 3986's unreserved set, the
// alphabet of a code verifier (RFC 7636 §4.1).
func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// CheckVerifier checks the syntax of a code_verifier (RFC 7636 §4.1): 43
// to 128 characters of the unreserved set. It returns invalid_grant: a
// verifier that cannot be well-formed cannot match the challenge either
// (§4.6).
func CheckVerifier(v string) error {
	if len(v) < minVerifier || len(v) > maxVerifier {
		return InvalidGrant("code_verifier must be 43 to 128 characters long")
	}
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			return InvalidGrant("code_verifier has a character outside A-Z a-z 0-9 - . _ ~")
		}
	}
	return nil
}

// CheckChallenge checks the syntax of an S256 code_challenge (RFC 7636
// §4.2): the unpadded base64url encoding of 32 bytes, 43 characters whose
// last one carries no stray bits. It returns invalid_request (§4.4.1).
func CheckChallenge(c string) error {
	if len(c) != challengeLen {
		return InvalidRequest("code_challenge must be 43 characters of base64url")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil || len(b) != sha256.Size {
		return InvalidRequest("code_challenge must be 43 characters of base64url")
	}
	return nil
}

// VerifyS256 reports whether verifier is well-formed and its S256
// transformation is challenge (RFC 7636 §4.6), comparing in constant time.
func VerifyS256(verifier, challenge string) bool {
	if CheckVerifier(verifier) != nil || len(challenge) != challengeLen {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	var enc [challengeLen]byte
	base64.RawURLEncoding.Encode(enc[:], sum[:])
	// RFC 7636 §4.6: compare in constant time.
	return subtle.ConstantTimeCompare(enc[:], []byte(challenge)) == 1
}
