package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/keys"
	jose "github.com/go-jose/go-jose/v4"
)

// Runtime tokens are what an SDK session (chat, calls, video, AI, reports)
// carries. A tenant's backend obtains one with its server API key and
// hands it to a browser or app; runtime services check it. Every part of
// the token keeps it apart from OAuth tokens: its own header typ, its own
// audience, and keys of the runtime purpose, which OAuth verification
// never trusts (and which the verification below never leaves).
const (
	// TypeRuntimeToken is the typ of runtime tokens.
	TypeRuntimeToken = "runtime+jwt"
	// RuntimeAudience is the aud of every runtime token: no OAuth client
	// or resource can be registered under it.
	RuntimeAudience = "urn:gatehouse:runtime"
	// DefaultRuntimeTokenTTL is the lifetime of a runtime token when the
	// caller names none.
	DefaultRuntimeTokenTTL = 15 * time.Minute
	// MaxRuntimeTokenTTL is the longest lifetime of a runtime token.
	MaxRuntimeTokenTTL = time.Hour
)

// SDK services a runtime token may open.
const (
	ServiceChat    = "chat"
	ServiceAudio   = "audio"
	ServiceVideo   = "video"
	ServiceAI      = "ai"
	ServiceReports = "reports"
)

// RuntimeServices returns every SDK service, in their canonical order.
func RuntimeServices() []string {
	return []string{ServiceChat, ServiceAudio, ServiceVideo, ServiceAI, ServiceReports}
}

// RuntimeSubject is the sub of a runtime token for an end user: the tenant
// id, a colon, and the tenant's own id for the user. A tenant id never
// contains a colon, so the first colon splits it; the external id alone
// is also in the external_id claim.
func RuntimeSubject(tenantID, externalID string) string { return tenantID + ":" + externalID }

// RuntimeClaims are the claims of a runtime token.
type RuntimeClaims struct {
	Issuer   string
	TenantID string
	// ExternalID is the tenant's own id for the end user; the subject is
	// RuntimeSubject(TenantID, ExternalID).
	ExternalID string
	Name       string // display name, optional
	// Services are the SDK services the session may use, each one of
	// RuntimeServices.
	Services []string
	// JTI is the token's id; Mint fills it when empty.
	JTI      string
	IssuedAt time.Time // zero means now
	Expiry   time.Time
}

// Subject returns the token's sub.
func (c *RuntimeClaims) Subject() string { return RuntimeSubject(c.TenantID, c.ExternalID) }

// runtimeJSON is the encoded form of RuntimeClaims.
type runtimeJSON struct {
	Issuer     string   `json:"iss"`
	Subject    string   `json:"sub"`
	Audience   audience `json:"aud"`
	Expiry     int64    `json:"exp"`
	IssuedAt   int64    `json:"iat"`
	NotBefore  int64    `json:"nbf,omitempty"`
	JTI        string   `json:"jti"`
	TenantID   string   `json:"tenant_id"`
	ExternalID string   `json:"external_id"`
	Name       string   `json:"name,omitempty"`
	Services   []string `json:"services"`
}

// RuntimeOptions are the dependencies of a Runtime.
type RuntimeOptions struct {
	// Keys holds the signing keys; it must have loaded them before the
	// first token is minted or checked.
	Keys *keys.Manager
	// Clock is the time source; nil means time.Now.
	Clock gatehouse.Clock
	// Alg signs runtime tokens: ES256 (the default when empty), RS256 or
	// EdDSA.
	Alg string
}

// Runtime mints and verifies runtime tokens with the runtime-purpose keys
// of a keys.Manager. It is safe for concurrent use.
type Runtime struct {
	keys  *keys.Manager
	clock gatehouse.Clock
	alg   string

	// signer is the signer of the active runtime key of the last Set
	// seen; it is replaced, never changed, when the Set changes.
	signer atomic.Pointer[runtimeSigner]
}

type runtimeSigner struct {
	set    *keys.Set
	signer jose.Signer
	err    error
}

// NewRuntime returns a Runtime over o.
func NewRuntime(o RuntimeOptions) *Runtime {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Alg == "" {
		o.Alg = keys.ES256
	}
	return &Runtime{keys: o.Keys, clock: o.Clock, alg: o.Alg}
}

// JWKS returns the runtime key set ({"keys":[...]}): the public parts of
// the published runtime-purpose keys, never an OAuth key. It is empty
// before keys are loaded. Callers must not modify the bytes.
func (r *Runtime) JWKS() []byte {
	set, err := currentSet(r.keys)
	if err != nil {
		return nil
	}
	return set.JWKS(gatehouse.KeyPurposeRuntime)
}

// sign signs payload with the active runtime key, building the signer
// again when the manager's Set changed since the last call.
func (r *Runtime) sign(payload []byte) (string, error) {
	if !supportedAlg(r.alg) {
		return "", gatehouse.Errorf(gatehouse.EINVALID, "unsupported signing algorithm %q", r.alg)
	}
	set, err := currentSet(r.keys)
	if err != nil {
		return "", err
	}
	s := r.signer.Load()
	if s == nil || s.set != set {
		// Two goroutines may build at once after a change; both signers
		// are right, and the last stored wins.
		s = newRuntimeSigner(set, r.alg)
		r.signer.Store(s)
	}
	if s.err != nil {
		return "", s.err
	}
	jws, err := s.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign runtime token: %w", err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("serialize runtime token: %w", err)
	}
	return raw, nil
}

func newRuntimeSigner(set *keys.Set, alg string) *runtimeSigner {
	k, err := set.Signer(gatehouse.KeyPurposeRuntime, alg)
	if err != nil {
		return &runtimeSigner{set: set, err: gatehouse.Errorf(gatehouse.EUNAVAILABLE, "no active %s runtime signing key", alg)}
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(TypeRuntimeToken))
	signer, err := jose.NewSigner(k.SigningKey(), opts)
	if err != nil {
		return &runtimeSigner{set: set, err: fmt.Errorf("build runtime signer for key %s: %w", k.ID, err)}
	}
	return &runtimeSigner{set: set, signer: signer}
}

// Mint signs a runtime token with the active runtime key and header typ
// runtime+jwt. Issuer, TenantID, ExternalID, Services (each one of
// RuntimeServices) and Expiry are required, and the lifetime must not
// exceed MaxRuntimeTokenTTL; JTI is filled with NewJTI when empty and
// IssuedAt with the clock. It returns an EINVALID error when the
// configured algorithm is not one Gatehouse signs with, an EUNAVAILABLE
// error when no runtime key is active, and a plain error for claims that break these
// rules (the caller validates its input first).
func (r *Runtime) Mint(c RuntimeClaims) (string, error) {
	if c.Issuer == "" || c.TenantID == "" || c.ExternalID == "" || len(c.Services) == 0 || c.Expiry.IsZero() {
		return "", errors.New("runtime token: iss, tenant_id, external_id, services and exp are required")
	}
	if strings.Contains(c.TenantID, ":") {
		return "", errors.New("runtime token: tenant_id must not contain a colon")
	}
	for _, s := range c.Services {
		if !slices.Contains(RuntimeServices(), s) {
			return "", fmt.Errorf("runtime token: unknown service %q", s)
		}
	}
	if c.JTI == "" {
		c.JTI = NewJTI()
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = r.clock()
	}
	if !c.Expiry.After(c.IssuedAt) {
		return "", errors.New("runtime token: exp must be after iat")
	}
	if c.Expiry.Sub(c.IssuedAt) > MaxRuntimeTokenTTL {
		return "", errors.New("runtime token: lifetime exceeds the maximum")
	}
	payload, err := json.Marshal(runtimeJSON{
		Issuer:     c.Issuer,
		Subject:    c.Subject(),
		Audience:   audience{RuntimeAudience},
		Expiry:     c.Expiry.Unix(),
		IssuedAt:   c.IssuedAt.Unix(),
		JTI:        c.JTI,
		TenantID:   c.TenantID,
		ExternalID: c.ExternalID,
		Name:       c.Name,
		Services:   c.Services,
	})
	if err != nil {
		return "", fmt.Errorf("encode runtime token claims: %w", err)
	}
	raw, err := r.sign(payload)
	if err != nil {
		return "", fmt.Errorf("runtime token: %w", err)
	}
	return raw, nil
}

// runtimeTyp accepts runtime+jwt, with or without the application/
// prefix, in any case; a token without typ is not a runtime token.
func runtimeTyp(typ string, present bool) bool {
	typ, _ = cutPrefixFold(typ, "application/")
	return present && strings.EqualFold(typ, TypeRuntimeToken)
}

// Verify checks a runtime token and returns its claims: a compact JWS
// signed RS256, ES256 or EdDSA (never none or an HMAC) by a published
// runtime-purpose key named by its kid (an OAuth key never verifies
// here), header typ runtime+jwt (any case, with or without
// "application/"), iss equal to issuer, aud containing RuntimeAudience,
// sub consistent with tenant_id and external_id, jti present, services
// known, exp in the future and nbf and iat not in it (with Leeway), and a
// lifetime of at most MaxRuntimeTokenTTL.
//
// Every failure is a *gatehouse.Error: EEXPIRED for an expired token,
// EUNAUTHORIZED for any other invalid token, and EUNAVAILABLE when no keys
// are loaded. Messages name the failed check and never contain the token.
// It never panics on malformed input.
func (r *Runtime) Verify(raw, issuer string) (*RuntimeClaims, error) {
	if issuer == "" {
		return nil, invalid("no issuer to check the token against")
	}
	payload, err := verifyJWS(r.keys, raw, runtimeTyp, gatehouse.KeyPurposeRuntime)
	if err != nil {
		return nil, err
	}
	var c runtimeJSON
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, invalid("malformed token claims")
	}
	if err := checkIssuedFor(c.Issuer, c.Audience, issuer, RuntimeAudience); err != nil {
		return nil, err
	}
	if c.TenantID == "" || c.ExternalID == "" || c.JTI == "" || c.IssuedAt == 0 {
		return nil, invalid("token lacks a required claim")
	}
	if c.Subject != RuntimeSubject(c.TenantID, c.ExternalID) {
		return nil, invalid("token subject does not match its tenant and user")
	}
	if len(c.Services) == 0 {
		return nil, invalid("token names no service")
	}
	for _, s := range c.Services {
		if !slices.Contains(RuntimeServices(), s) {
			return nil, invalid("token names an unknown service")
		}
	}
	if err := checkTimes(r.clock(), c.Expiry, c.NotBefore, c.IssuedAt, true); err != nil {
		return nil, err
	}
	// We never mint a longer one; a token that claims more was not made
	// here, whatever key signed it.
	if c.Expiry-c.IssuedAt > int64(MaxRuntimeTokenTTL/time.Second) {
		return nil, invalid("token lifetime is too long")
	}
	return &RuntimeClaims{
		Issuer:     c.Issuer,
		TenantID:   c.TenantID,
		ExternalID: c.ExternalID,
		Name:       c.Name,
		Services:   c.Services,
		JTI:        c.JTI,
		IssuedAt:   timeOf(c.IssuedAt),
		Expiry:     timeOf(c.Expiry),
	}, nil
}
