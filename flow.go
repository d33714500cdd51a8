package gatehouse

import "time"

// The sign-in flow, from /authorize to tokens:
//
//	/authorize ──► AuthRequest ──(sign-in)──► Session ──(consent)──► Consent
//	                    │                                              │
//	                    └────────────────► AuthCode ◄──────────────────┘
//	                                          │ /token (single use, 60 s)
//	                                          ▼
//	                          Grant ──► RefreshToken ──(rotate)──► RefreshToken ...
//	                            │
//	                            └──► access tokens (JWT, carry the grant id)
//
// A Grant is one authorization of one client by one user (or by one JWT
// credential). Revoking it stops its refresh tokens and every access token
// it issued, which is how code reuse, refresh-token reuse, "revoke this
// app" and "revoke this credential" all take effect.

// AuthRequest is a pending authorization request: the validated
// parameters of /authorize, kept while the user signs in and consents.
type AuthRequest struct {
	ID       string // random handle carried by the sign-in pages
	TenantID string
	Client   string // Client.ID
	ClientID string // the OAuth client_id presented
	// Issuer is the issuer URL the request was made to; the response's
	// `iss` and the code's issuer come from here, never from the page that
	// completes the flow.
	Issuer string

	RedirectURI         string
	ResponseMode        string // "query" or "form_post"
	State               string
	Nonce               string
	Scopes              []string
	CodeChallenge       string
	CodeChallengeMethod string // "S256" or ""
	Prompt              []string
	MaxAge              int // seconds; -1 when not given
	LoginHint           string
	UILocales           string
	ACRValues           string
	// IDTokenHintSubject is the `sub` of a verified id_token_hint; the user
	// who completes the request must be this one.
	IDTokenHintSubject string

	// Set once the user is known.
	UserID    string
	SessionID string

	CreatedAt time.Time
	ExpiresAt time.Time
}

// Session is a browser's sign-in at one tenant. The cookie holds a random
// token; the store keeps only its hash.
type Session struct {
	ID        string // public id: the `sid` claim
	TokenHash []byte // SHA-256 of the cookie value
	TenantID  string
	UserID    string
	AuthTime  time.Time
	AMR       []string // "pwd", "fed", ...
	ACR       string
	IP        string
	UserAgent string

	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero while active
}

// Active reports whether the session may be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt)
}

// Consent records the scopes a user granted to a client. A new request
// whose scopes are all in Scopes needs no new consent.
type Consent struct {
	TenantID  string
	UserID    string
	Client    string // Client.ID
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AuthCode is an authorization code: opaque, single use, short-lived, bound
// to its client, redirect URI and PKCE challenge. The store keeps its hash.
type AuthCode struct {
	Hash     []byte
	TenantID string
	Client   string // Client.ID
	ClientID string // the OAuth client_id it was issued to
	UserID   string
	// GrantID is the grant the exchange creates; a second use revokes it.
	GrantID   string
	SessionID string

	RedirectURI         string
	Scopes              []string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	AuthTime            time.Time
	AMR                 []string
	ACR                 string

	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until redeemed
}

// Grant is one authorization of a client, the family that refresh tokens
// and access tokens belong to.
type Grant struct {
	ID       string
	TenantID string
	Client   string // Client.ID
	UserID   string // empty for client_credentials
	// JWTCredentialID is set for grants made with a JWT credential.
	JWTCredentialID string
	Scopes          []string
	SessionID       string

	CreatedAt time.Time
	ExpiresAt time.Time // absolute end of the family
	RevokedAt time.Time
}

// RefreshToken is an opaque refresh token, stored as its hash. It is rotated
// on every use: the old one is marked rotated and a new one inserted.
type RefreshToken struct {
	Hash     []byte
	TenantID string
	GrantID  string
	Client   string // Client.ID
	UserID   string
	Scopes   []string

	SessionID string
	AuthTime  time.Time
	AMR       []string
	ACR       string

	CreatedAt time.Time
	// ExpiresAt is the idle expiry, never later than the grant's end.
	ExpiresAt time.Time
	RotatedAt time.Time // zero until used
	RevokedAt time.Time // zero unless revoked
}

// CheckRotation is the rule for rotating t at now, given its grant's end
// and the time the grant was revoked (zero: no end, not revoked). It
// returns nil when t may be rotated; EUSED when t was rotated already and
// not revoked since, so that the caller can revoke its family; ENOTFOUND
// when t or its grant was revoked or has ended. Stores apply it to the
// row they read before claiming the token, and again when a claim loses
// a race.
func (t *RefreshToken) CheckRotation(now, grantEnd, grantRevoked time.Time) error {
	switch {
	case !t.RevokedAt.IsZero():
		return Errorf(ENOTFOUND, "refresh token not found")
	case !t.RotatedAt.IsZero():
		return Errorf(EUSED, "the refresh token was already used")
	case !now.Before(t.ExpiresAt), !grantRevoked.IsZero(), !grantEnd.IsZero() && !now.Before(grantEnd):
		return Errorf(ENOTFOUND, "refresh token not found")
	}
	return nil
}

// RevokedToken marks a JWT (an access token, by its jti) as revoked until
// it would have expired anyway.
type RevokedToken struct {
	TenantID  string
	JTI       string
	ExpiresAt time.Time
}
