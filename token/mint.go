package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/keys"
)

// IDClaims are the claims of an OpenID Connect ID token (OpenID Connect
// Core §2, §3.1.3.6).
type IDClaims struct {
	Issuer   string
	Subject  string
	Audience string // the client_id
	Expiry   time.Time
	IssuedAt time.Time // zero means now
	AuthTime time.Time // zero leaves auth_time out

	Nonce     string
	AtHash    string
	SessionID string // sid
	ACR       string
	AMR       []string

	// Extra holds the claims of the granted scopes (name, email,
	// tenant_id, roles, ...), each encoded with encoding/json. It must
	// not name a registered claim of the token (iss, sub, aud, exp, iat,
	// nbf, jti, auth_time, nonce, at_hash, c_hash, sid, acr, amr, azp).
	Extra map[string]any
}

// idTokenJSON is the encoded form of IDClaims without Extra.
type idTokenJSON struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  audience `json:"aud"`
	Expiry    int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	AuthTime  int64    `json:"auth_time,omitempty"`
	Nonce     string   `json:"nonce,omitempty"`
	AtHash    string   `json:"at_hash,omitempty"`
	SessionID string   `json:"sid,omitempty"`
	ACR       string   `json:"acr,omitempty"`
	AMR       []string `json:"amr,omitempty"`
}

// registeredIDClaim reports whether name is a claim that IDClaims sets
// itself or that would change how a relying party reads the token, which
// Extra must not set.
func registeredIDClaim(name string) bool {
	switch name {
	case "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce",
		"at_hash", "c_hash", "sid", "acr", "amr", "azp":
		return true
	}
	return false
}

// AccessClaims are the claims of a JWT access token (RFC 9068 §2.2).
type AccessClaims struct {
	Issuer string
	// Subject is the user id, or the client_id for client_credentials.
	Subject  string
	Audience []string
	ClientID string
	Scope    string // space-separated
	// JTI is the token's id (jti), what revocation records; AccessToken
	// fills it when empty, so a caller that must record it sets it first
	// with NewJTI.
	JTI      string
	GrantID  string // gid: the grant the token came from, if any
	TenantID string // tenant_id

	Expiry   time.Time
	IssuedAt time.Time // zero means now
	// AuthTime, AMR and ACR describe the user's sign-in; they are left
	// out when zero, as for client_credentials.
	AuthTime time.Time
	AMR      []string
	ACR      string

	// CredentialID binds the token to the JWT credential it was
	// exchanged for (credential_id), if any.
	CredentialID string
}

// accessTokenJSON is the encoded form of AccessClaims, and what
// verification decodes.
type accessTokenJSON struct {
	Issuer       string   `json:"iss"`
	Subject      string   `json:"sub"`
	Audience     audience `json:"aud"`
	Expiry       int64    `json:"exp"`
	IssuedAt     int64    `json:"iat"`
	NotBefore    int64    `json:"nbf,omitempty"`
	JTI          string   `json:"jti"`
	ClientID     string   `json:"client_id"`
	Scope        string   `json:"scope,omitempty"`
	GrantID      string   `json:"gid,omitempty"`
	TenantID     string   `json:"tenant_id,omitempty"`
	AuthTime     int64    `json:"auth_time,omitempty"`
	ACR          string   `json:"acr,omitempty"`
	AMR          []string `json:"amr,omitempty"`
	CredentialID string   `json:"credential_id,omitempty"`
}

// audience is the aud claim: a string when there is one audience (what
// most relying parties expect), an array otherwise (RFC 7519 §4.1.3).
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

func (a audience) contains(s string) bool { return slices.Contains(a, s) }

// unix returns t in seconds since the epoch, 0 for the zero time.
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// NewJTI returns a new token id: 128 random bits, base64url.
func NewJTI() string { return secret.Token(16) }

// IDToken signs an ID token with the active key of alg (RS256, ES256 or
// EdDSA; empty means RS256, the default of OpenID Connect Core §3.1.3.7)
// and header typ JWT. Issuer, Subject, Audience and Expiry are required.
// It returns an EINVALID error for an unsupported alg, an EUNAVAILABLE
// error when no key of alg is active, and a plain error for claims that
// break the rules above (a bug in the caller).
func (t *Tokens) IDToken(c IDClaims, alg string) (string, error) {
	if alg == "" {
		alg = keys.RS256
	}
	if c.Issuer == "" || c.Subject == "" || c.Audience == "" || c.Expiry.IsZero() {
		return "", errors.New("ID token: iss, sub, aud and exp are required")
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = t.clock()
	}
	if !c.Expiry.After(c.IssuedAt) {
		return "", errors.New("ID token: exp must be after iat")
	}
	payload, err := json.Marshal(idTokenJSON{
		Issuer:    c.Issuer,
		Subject:   c.Subject,
		Audience:  audience{c.Audience},
		Expiry:    c.Expiry.Unix(),
		IssuedAt:  c.IssuedAt.Unix(),
		AuthTime:  unix(c.AuthTime),
		Nonce:     c.Nonce,
		AtHash:    c.AtHash,
		SessionID: c.SessionID,
		ACR:       c.ACR,
		AMR:       c.AMR,
	})
	if err != nil {
		return "", fmt.Errorf("encode ID token claims: %w", err)
	}
	if len(c.Extra) > 0 {
		if payload, err = appendClaims(payload, c.Extra); err != nil {
			return "", fmt.Errorf("encode ID token claims: %w", err)
		}
	}
	raw, err := t.sign(alg, TypeJWT, payload)
	if err != nil {
		return "", fmt.Errorf("ID token: %w", err)
	}
	return raw, nil
}

// appendClaims adds extra to the encoded JSON object obj, in name order
// so that equal claims encode equally.
func appendClaims(obj []byte, extra map[string]any) ([]byte, error) {
	names := make([]string, 0, len(extra))
	for name := range extra {
		if registeredIDClaim(name) {
			return nil, fmt.Errorf("extra claim %q would replace a registered claim", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	var b bytes.Buffer
	b.Grow(len(obj) + 32*len(names))
	b.Write(obj[:len(obj)-1]) // without the closing brace
	for _, name := range names {
		k, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(extra[name])
		if err != nil {
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
		b.WriteByte(',')
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// AccessToken signs a JWT access token (RFC 9068) with the configured
// access-token algorithm and header typ at+jwt. Issuer, Subject, Audience,
// ClientID and Expiry are required; JTI is filled with NewJTI when empty
// and IssuedAt with the clock. It returns an EUNAVAILABLE error when no
// key is active, and a plain error for missing claims (a bug in the
// caller).
func (t *Tokens) AccessToken(c AccessClaims) (string, error) {
	if c.Issuer == "" || c.Subject == "" || len(c.Audience) == 0 || c.ClientID == "" || c.Expiry.IsZero() {
		return "", errors.New("access token: iss, sub, aud, client_id and exp are required")
	}
	if slices.Contains(c.Audience, "") {
		return "", errors.New("access token: empty audience")
	}
	if c.JTI == "" {
		c.JTI = NewJTI()
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = t.clock()
	}
	if !c.Expiry.After(c.IssuedAt) {
		return "", errors.New("access token: exp must be after iat")
	}
	payload, err := json.Marshal(accessTokenJSON{
		Issuer:       c.Issuer,
		Subject:      c.Subject,
		Audience:     c.Audience,
		Expiry:       c.Expiry.Unix(),
		IssuedAt:     c.IssuedAt.Unix(),
		JTI:          c.JTI,
		ClientID:     c.ClientID,
		Scope:        c.Scope,
		GrantID:      c.GrantID,
		TenantID:     c.TenantID,
		AuthTime:     unix(c.AuthTime),
		ACR:          c.ACR,
		AMR:          c.AMR,
		CredentialID: c.CredentialID,
	})
	if err != nil {
		return "", fmt.Errorf("encode access token claims: %w", err)
	}
	raw, err := t.sign(t.atAlg, TypeAccessToken, payload)
	if err != nil {
		return "", fmt.Errorf("access token: %w", err)
	}
	return raw, nil
}
