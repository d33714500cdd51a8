package token

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/keys"
	jose "github.com/go-jose/go-jose/v4"
)

// Leeway is the clock skew allowed when checking exp, nbf and iat.
const Leeway = 30 * time.Second

// maxTokenSize bounds the tokens verification looks at. Gatehouse's own
// are well under a kilobyte, an ID token with many roles a few; anything
// this large is not one of ours and is refused before decoding.
const maxTokenSize = 32 << 10

// invalid is the error of a token that is not valid here. Its message
// names the failed check and never contains the token.
func invalid(reason string) error {
	return &gatehouse.Error{Code: gatehouse.EUNAUTHORIZED, Message: reason}
}

// typCheck tells which header types a token may carry.
type typCheck func(typ string, present bool) bool

// accessTokenTyp accepts at+jwt, with or without the application/
// prefix, in any case (RFC 9068 §4).
func accessTokenTyp(typ string, present bool) bool {
	typ, _ = cutPrefixFold(typ, "application/")
	return present && strings.EqualFold(typ, TypeAccessToken)
}

// idTokenTyp accepts JWT (any case, with or without application/) or no
// typ at all, so an access token can never pass for an ID token.
func idTokenTyp(typ string, present bool) bool {
	typ, _ = cutPrefixFold(typ, "application/")
	return !present || strings.EqualFold(typ, TypeJWT)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// signedJWS is a token whose form and header parseJWS accepted, with the
// Set that was current then: its signature is checked against that Set,
// so a rotation in between cannot change the answer half-way.
type signedJWS struct {
	jws    *jose.JSONWebSignature
	header jose.Header
	set    *keys.Set
}

// parseJWS checks the form and header of raw, before any key or claim is
// looked at: a compact JWS of an allowed alg with one signature, no
// critical or b64 extension, and a typ that check accepts. Nothing in it
// is trusted yet.
func parseJWS(m *keys.Manager, raw string, check typCheck) (*signedJWS, error) {
	if raw == "" {
		return nil, invalid("empty token")
	}
	if len(raw) > maxTokenSize {
		return nil, invalid("token too large")
	}
	set, err := currentSet(m)
	if err != nil {
		return nil, err
	}
	jws, err := jose.ParseSignedCompact(raw, allowedAlgs())
	if err != nil {
		if _, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
			return nil, invalid("token signature algorithm not allowed")
		}
		return nil, invalid("malformed token")
	}
	if len(jws.Signatures) != 1 {
		return nil, invalid("malformed token")
	}
	h := jws.Signatures[0].Protected
	// Gatehouse signs with neither; a token that asks for an extension we
	// do not process is not one of ours.
	if _, ok := h.ExtraHeaders["crit"]; ok {
		return nil, invalid("token header has critical extensions")
	}
	if _, ok := h.ExtraHeaders["b64"]; ok {
		return nil, invalid("token header has critical extensions")
	}
	typ, present := "", false
	if v, ok := h.ExtraHeaders[jose.HeaderType]; ok {
		s, isString := v.(string)
		if !isString {
			return nil, invalid("token type is not a string")
		}
		typ, present = s, true
	}
	if !check(typ, present) {
		return nil, invalid("wrong token type")
	}
	return &signedJWS{jws: jws, header: h, set: set}, nil
}

// verifiedBy checks the signature of s with key and returns the payload.
// The header's alg must be the key's own, so that a key is never used
// with an algorithm it was not made for.
func (s *signedJWS) verifiedBy(key *keys.Key) ([]byte, error) {
	if key.Algorithm != s.header.Algorithm {
		return nil, invalid("token algorithm does not match its key")
	}
	payload, err := s.jws.Verify(key.Public)
	if err != nil {
		return nil, invalid("token signature is invalid")
	}
	return payload, nil
}

// verifyJWS checks raw as parseJWS does and returns its payload once its
// signature is proven by the key its kid names, which must be a published
// key of purpose: the purpose is what keeps runtime keys and OAuth keys
// from vouching for each other's tokens.
func verifyJWS(m *keys.Manager, raw string, check typCheck, purpose gatehouse.KeyPurpose) ([]byte, error) {
	s, err := parseJWS(m, raw, check)
	if err != nil {
		return nil, err
	}
	if s.header.KeyID == "" {
		return nil, invalid("token names no key")
	}
	key, ok := s.set.Key(purpose, s.header.KeyID)
	if !ok {
		return nil, invalid("token signed by an unknown key")
	}
	return s.verifiedBy(key)
}

// checkIssuedFor checks that a token whose iss and aud claims are iss and
// aud was issued by wantIssuer, for wantAudience among others.
func checkIssuedFor(iss string, aud audience, wantIssuer, wantAudience string) error {
	if iss != wantIssuer {
		return invalid("token issued by another issuer")
	}
	if !aud.contains(wantAudience) {
		return invalid("token is not meant for this audience")
	}
	return nil
}

// checkTimes checks exp, nbf and iat against now with Leeway. exp is
// required when requireExp is set.
func checkTimes(now time.Time, exp, nbf, iat int64, requireExp bool) error {
	if requireExp {
		if exp == 0 {
			return invalid("token has no expiry")
		}
		if !now.Before(time.Unix(exp, 0).Add(Leeway)) {
			return &gatehouse.Error{Code: gatehouse.EEXPIRED, Message: "token expired"}
		}
	}
	if nbf != 0 && now.Add(Leeway).Before(time.Unix(nbf, 0)) {
		return invalid("token is not valid yet")
	}
	if iat != 0 && now.Add(Leeway).Before(time.Unix(iat, 0)) {
		return invalid("token was issued in the future")
	}
	return nil
}

// timeOf converts a NumericDate, 0 giving the zero time.
func timeOf(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// VerifyAccessToken checks a JWT access token presented to one of
// Gatehouse's own endpoints and returns its claims: a compact JWS signed
// RS256, ES256 or EdDSA (never none or an HMAC) by a published
// OAuth-purpose key named by its kid (runtime keys never verify here),
// header typ at+jwt (RFC 9068 §4: any case, with or without
// "application/"), iss equal to issuer, aud containing audience, exp in
// the future and nbf and iat not in it, with Leeway. It does not consult
// revocation: that is the caller's, by JTI.
//
// Every failure is a *gatehouse.Error: EEXPIRED for an expired token,
// EUNAUTHORIZED for any other invalid token (both mean invalid_token to a
// client), and EUNAVAILABLE when no keys are loaded. It never panics on
// malformed input.
func (t *Tokens) VerifyAccessToken(raw, issuer, audience string) (*AccessClaims, error) {
	if issuer == "" || audience == "" {
		return nil, invalid("no issuer or audience to check the token against")
	}
	payload, err := verifyJWS(t.keys, raw, accessTokenTyp, gatehouse.KeyPurposeOAuth)
	if err != nil {
		return nil, err
	}
	var c accessTokenJSON
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, invalid("malformed token claims")
	}
	if err := checkIssuedFor(c.Issuer, c.Audience, issuer, audience); err != nil {
		return nil, err
	}
	if c.Subject == "" || c.ClientID == "" || c.JTI == "" {
		return nil, invalid("token lacks a required claim")
	}
	if err := checkTimes(t.clock(), c.Expiry, c.NotBefore, c.IssuedAt, true); err != nil {
		return nil, err
	}
	return &AccessClaims{
		Issuer:       c.Issuer,
		Subject:      c.Subject,
		Audience:     []string(c.Audience),
		ClientID:     c.ClientID,
		Scope:        c.Scope,
		JTI:          c.JTI,
		GrantID:      c.GrantID,
		TenantID:     c.TenantID,
		Expiry:       timeOf(c.Expiry),
		IssuedAt:     timeOf(c.IssuedAt),
		AuthTime:     timeOf(c.AuthTime),
		AMR:          c.AMR,
		ACR:          c.ACR,
		CredentialID: c.CredentialID,
	}, nil
}

// VerifyIDTokenHint checks an ID token Gatehouse issued, presented back as
// id_token_hint (RP-initiated logout, prompt=none), and returns its
// claims, with every claim IDClaims has no field for in Extra. It checks
// the form, alg, kid, signature and iss as VerifyAccessToken does; the
// header typ must be JWT or absent, never at+jwt; aud must be a single
// client. Expiry is not enforced, since a hint may have expired (OpenID
// Connect RP-Initiated Logout §2), but a token from a key no longer
// published does not verify.
//
// Failures are EUNAUTHORIZED *gatehouse.Errors, or EUNAVAILABLE when no
// keys are loaded.
func (t *Tokens) VerifyIDTokenHint(raw, issuer string) (*IDClaims, error) {
	if issuer == "" {
		return nil, invalid("no issuer to check the token against")
	}
	payload, err := verifyJWS(t.keys, raw, idTokenTyp, gatehouse.KeyPurposeOAuth)
	if err != nil {
		return nil, err
	}
	var c idTokenJSON
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, invalid("malformed token claims")
	}
	if c.Issuer != issuer {
		return nil, invalid("token issued by another issuer")
	}
	if len(c.Audience) != 1 || c.Audience[0] == "" {
		return nil, invalid("token is not meant for a single client")
	}
	if c.Subject == "" {
		return nil, invalid("token lacks a required claim")
	}
	var all map[string]any
	if err := json.Unmarshal(payload, &all); err != nil {
		return nil, invalid("malformed token claims")
	}
	var extra map[string]any
	for name, v := range all {
		if registeredIDClaim(name) {
			continue
		}
		if extra == nil {
			extra = make(map[string]any)
		}
		extra[name] = v
	}
	return &IDClaims{
		Issuer:    c.Issuer,
		Subject:   c.Subject,
		Audience:  c.Audience[0],
		Expiry:    timeOf(c.Expiry),
		IssuedAt:  timeOf(c.IssuedAt),
		AuthTime:  timeOf(c.AuthTime),
		Nonce:     c.Nonce,
		AtHash:    c.AtHash,
		SessionID: c.SessionID,
		ACR:       c.ACR,
		AMR:       c.AMR,
		Extra:     extra,
	}, nil
}
