package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/keys"
	jose "github.com/go-jose/go-jose/v4"
)

// TypeCredential is the typ of JWT credentials: distinct from at+jwt and
// JWT, so a credential never passes for an access token or an ID token,
// and neither of those for a credential.
const TypeCredential = "credential+jwt"

// credentialAlg signs JWT credentials. Minting one is rare (a person on
// the account page), so the algorithm is fixed rather than configurable.
const credentialAlg = keys.ES256

// maxCredentialID bounds the jti looked up in the store; the ids
// Gatehouse issues are 36-character UUIDs.
const maxCredentialID = 64

// CredentialClaims are the claims of a JWT credential: a user's standing
// permission for some apps of their tenant to act on their account
// through the JWT bearer grant (RFC 7523).
type CredentialClaims struct {
	// Issuer is the issuer the credential was created at; only that
	// issuer's token endpoint accepts it.
	Issuer string
	// Subject is the id of the user who owns the credential.
	Subject string
	// Audience is the issuer's token endpoint URL (RFC 7523 §3).
	Audience string
	// JTI is the credential's id, gatehouse.JWTCredential.ID: what the
	// token endpoint looks the credential up by.
	JTI      string
	TenantID string
	// ClientIDs are the OAuth client_ids that may present it; empty means
	// any client of the tenant. They are informative: the stored row
	// decides.
	ClientIDs []string
	IssuedAt  time.Time // zero means now
	Expiry    time.Time
}

// credentialJSON is the encoded form of CredentialClaims.
type credentialJSON struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  audience `json:"aud"`
	JTI       string   `json:"jti"`
	IssuedAt  int64    `json:"iat"`
	Expiry    int64    `json:"exp"`
	NotBefore int64    `json:"nbf,omitempty"`
	TenantID  string   `json:"tenant_id"`
	ClientIDs []string `json:"allowed_client_ids,omitempty"`
}

// Credential signs a JWT credential with the active OAuth ES256 key and
// header typ credential+jwt, and returns its compact serialization and the
// SHA-256 of it, the only form the store keeps (JWTCredential.Hash). Every
// claim but IssuedAt and ClientIDs is required, and Expiry must be after
// IssuedAt. It returns an EUNAVAILABLE error when no key is active, and a
// plain error for missing claims (a bug in the caller). The value is a
// secret: callers show it once and never log it.
func (t *Tokens) Credential(c CredentialClaims) (raw string, hash []byte, err error) {
	if c.Issuer == "" || c.Subject == "" || c.Audience == "" || c.JTI == "" || c.TenantID == "" || c.Expiry.IsZero() {
		return "", nil, errors.New("JWT credential: iss, sub, aud, jti, tenant_id and exp are required")
	}
	if len(c.JTI) > maxCredentialID {
		return "", nil, errors.New("JWT credential: jti is too long")
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = t.clock()
	}
	if !c.Expiry.After(c.IssuedAt) {
		return "", nil, errors.New("JWT credential: exp must be after iat")
	}
	payload, err := json.Marshal(credentialJSON{
		Issuer:    c.Issuer,
		Subject:   c.Subject,
		Audience:  audience{c.Audience},
		JTI:       c.JTI,
		IssuedAt:  c.IssuedAt.Unix(),
		Expiry:    c.Expiry.Unix(),
		TenantID:  c.TenantID,
		ClientIDs: c.ClientIDs,
	})
	if err != nil {
		return "", nil, fmt.Errorf("encode JWT credential claims: %w", err)
	}
	set, err := currentSet(t.keys)
	if err != nil {
		return "", nil, err
	}
	key, err := set.Signer(gatehouse.KeyPurposeOAuth, credentialAlg)
	if err != nil {
		return "", nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "no active %s signing key", credentialAlg)
	}
	// A signer of its own rather than one from the cache: credentials
	// are minted a few times a day, and the cache holds the hot types.
	signer, err := jose.NewSigner(key.SigningKey(), (&jose.SignerOptions{}).WithType(TypeCredential))
	if err != nil {
		return "", nil, fmt.Errorf("build credential signer for key %s: %w", key.ID, err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", nil, fmt.Errorf("sign JWT credential: %w", err)
	}
	raw, err = jws.CompactSerialize()
	if err != nil {
		return "", nil, fmt.Errorf("serialize JWT credential: %w", err)
	}
	return raw, secret.Hash(raw), nil
}

// CredentialLookup returns the stored credential with id (the jti of the
// presented credential) in the tenant of the client presenting it, or an
// ENOTFOUND error.
type CredentialLookup func(id string) (*gatehouse.JWTCredential, error)

// credentialTyp accepts credential+jwt, with or without the application/
// prefix, in any case, and nothing else: not at+jwt, not JWT, not none.
func credentialTyp(typ string, present bool) bool {
	typ, _ = cutPrefixFold(typ, "application/")
	return present && strings.EqualFold(typ, TypeCredential)
}

// VerifyCredential checks a JWT credential presented as the assertion of
// the JWT bearer grant at issuer's token endpoint audience, and returns
// the stored credential it is.
//
// The proof is the store, not the signature: the credential is looked up
// by its jti (through lookup, in the presenting client's tenant) and the
// SHA-256 of the presented value must equal the stored hash, compared in
// constant time. Only a value Gatehouse issued can match, so the stored
// row is authoritative for expiry, revocation and allowed clients, and a
// credential meant to last a year outlives the rotation of the key that
// signed it. The signature is verified as well while the key named by kid
// is still published, and must then be valid. Before any lookup the value
// must be a compact JWS of an allowed algorithm (RS256, ES256, EdDSA;
// never none or an HMAC) with header typ credential+jwt; after it, iss,
// aud, sub, tenant_id and exp must agree with the issuer, the audience
// and the stored row, and the row must not be revoked or expired.
//
// Every refusal is a *gatehouse.Error: EEXPIRED for an expired credential,
// EUNAUTHORIZED for anything else (an unknown credential included), and
// EUNAVAILABLE when no keys are loaded; an error of lookup other than
// ENOTFOUND is returned wrapped. When the value was proven to be a stored
// credential (its hash matched) but is refused anyway (revoked, expired),
// that credential is returned along with the error, so the caller can
// record the attempt. It never panics on malformed input.
func (t *Tokens) VerifyCredential(raw, issuer, audience string, lookup CredentialLookup) (*gatehouse.JWTCredential, error) {
	if issuer == "" || audience == "" || lookup == nil {
		return nil, invalid("no issuer or audience to check the credential against")
	}
	s, err := parseJWS(t.keys, raw, credentialTyp)
	if err != nil {
		return nil, err
	}
	// The claims are read before the signature is checked only to find
	// the row: nothing in them is trusted until the hash has matched.
	var c credentialJSON
	if err := json.Unmarshal(s.jws.UnsafePayloadWithoutVerification(), &c); err != nil {
		return nil, invalid("malformed token claims")
	}
	if c.JTI == "" || len(c.JTI) > maxCredentialID {
		return nil, invalid("token lacks a required claim")
	}
	presented := secret.Hash(raw)
	stored, err := lookup(c.JTI)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, invalid("unknown credential")
	case err != nil:
		return nil, fmt.Errorf("look up JWT credential: %w", err)
	case stored == nil || stored.ID != c.JTI:
		return nil, invalid("unknown credential")
	}
	// The proof of possession: only the value Gatehouse issued hashes to
	// the stored hash.
	if len(stored.Hash) == 0 || !secret.Equal(presented, stored.Hash) {
		return nil, invalid("credential does not match")
	}

	// A signing key rotated away does not end the credential (the hash
	// proved it is ours); while the key is published, its signature must
	// hold, so a tampered store alone cannot make a credential either.
	if key, ok := s.set.Key(gatehouse.KeyPurposeOAuth, s.header.KeyID); s.header.KeyID != "" && ok {
		if _, err := s.verifiedBy(key); err != nil {
			return stored, err
		}
	}
	if err := checkIssuedFor(c.Issuer, c.Audience, issuer, audience); err != nil {
		return stored, err
	}
	if c.Subject == "" || c.Subject != stored.UserID || c.TenantID != stored.TenantID {
		return stored, invalid("token does not match the stored credential")
	}
	now := t.clock()
	if err := checkTimes(now, c.Expiry, c.NotBefore, c.IssuedAt, true); err != nil {
		return stored, err
	}
	if !stored.RevokedAt.IsZero() {
		return stored, invalid("credential revoked")
	}
	if !stored.Usable(now) {
		return stored, &gatehouse.Error{Code: gatehouse.EEXPIRED, Message: "credential expired"}
	}
	return stored, nil
}
