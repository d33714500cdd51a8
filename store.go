package gatehouse

import (
	"context"
	"time"
)

// The store interfaces. Two implementations exist (sqlite, postgres) and one
// conformance suite (storetest) holds them to the same behaviour.
//
// Rules every method follows:
//   - Every row carries its tenant, and every lookup by a tenant-scoped key
//     takes the tenant id: a row of tenant A is ENOTFOUND from tenant B.
//     The few global lookups (by OAuth client_id, by secret hash, by slug)
//     exist because the value itself is what identifies the tenant.
//   - Create fills an empty ID with a new UUID and sets CreatedAt,
//     UpdatedAt and Revision (1) when they are zero; it returns ECONFLICT
//     when a unique value is taken and ENOTFOUND when the parent row (the
//     tenant, the user) does not exist.
//   - Update writes only when the row's Revision equals the one given and
//     then increments it (written back into the argument): ECONFLICT on a
//     mismatch, ENOTFOUND when the row is gone.
//   - A change of several rows is one transaction.
//   - Times are stored with microsecond precision in UTC.
//   - Lists return at most ListOptions.Limit items (default 100, at most
//     1000) in creation order, and the cursor of the next page ("" when
//     there is none).

// ListOptions pages through a list.
type ListOptions struct {
	Limit  int
	Cursor string
}

// TenantStore keeps tenants.
type TenantStore interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	GetTenant(ctx context.Context, id string) (*Tenant, error)
	GetTenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	// GetTenantByDomain finds the tenant that registered a custom domain.
	GetTenantByDomain(ctx context.Context, host string) (*Tenant, error)
	ListTenants(ctx context.Context, opt ListOptions) ([]*Tenant, string, error)
	UpdateTenant(ctx context.Context, t *Tenant) error
	// SetPlatformAdmin marks (or unmarks) a tenant as the platform's own:
	// its API keys may then list and create tenants. ENOTFOUND for an
	// unknown tenant.
	SetPlatformAdmin(ctx context.Context, tenantID string, on bool) error
	// IsPlatformAdmin reports whether the tenant is so marked; an unknown
	// tenant is not.
	IsPlatformAdmin(ctx context.Context, tenantID string) (bool, error)
}

// UserStore keeps users and their roles.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, tenantID, id string) (*User, error)
	GetUserByUsername(ctx context.Context, tenantID, username string) (*User, error)
	GetUserByEmail(ctx context.Context, tenantID, email string) (*User, error)
	ListUsers(ctx context.Context, tenantID string, opt ListOptions) ([]*User, string, error)
	// UpdateUser writes every field, roles included, in one transaction.
	UpdateUser(ctx context.Context, u *User) error
	// RecordSignInFailure increments the user's failure counter and returns
	// the new count; ResetSignInFailures sets it to zero. Neither changes
	// the revision.
	RecordSignInFailure(ctx context.Context, tenantID, userID string, at time.Time) (int, error)
	ResetSignInFailures(ctx context.Context, tenantID, userID string) error
}

// ClientStore keeps OAuth clients and their credentials.
type ClientStore interface {
	// CreateClient inserts the client and its Credentials in one transaction.
	CreateClient(ctx context.Context, c *Client) error
	GetClient(ctx context.Context, tenantID, id string) (*Client, error)
	// GetClientByClientID finds the client owning an OAuth client_id, with
	// all its credentials. It is global: the client_id names the tenant.
	GetClientByClientID(ctx context.Context, clientID string) (*Client, error)
	ListClients(ctx context.Context, tenantID string, opt ListOptions) ([]*Client, string, error)
	// UpdateClient writes the client's fields; it does not touch credentials.
	UpdateClient(ctx context.Context, c *Client) error
	// DeleteClient removes the client, its credentials, consents, grants
	// and tokens in one transaction.
	DeleteClient(ctx context.Context, tenantID, id string) error
	// AddClientCredential adds cred to its client and, in the same
	// transaction, when expireOthersBy is not zero, makes every other
	// credential of the client expire at expireOthersBy unless it already
	// expires sooner (secret rotation with a grace period).
	AddClientCredential(ctx context.Context, cred *ClientCredential, expireOthersBy time.Time) error
	// UpdateClientCredential sets a credential's name and when it stops
	// working (zero: never), both in one statement. ENOTFOUND when the
	// credential is not in the tenant.
	UpdateClientCredential(ctx context.Context, tenantID, credentialID, name string, expiresAt time.Time) error
	DeleteClientCredential(ctx context.Context, tenantID, credentialID string) error
	// TouchClientCredential records a use. Callers throttle it.
	TouchClientCredential(ctx context.Context, clientID string, at time.Time) error
}

// AuthRequestStore keeps pending authorization requests.
type AuthRequestStore interface {
	CreateAuthRequest(ctx context.Context, r *AuthRequest) error
	// GetAuthRequest returns ENOTFOUND for an unknown or expired request.
	GetAuthRequest(ctx context.Context, tenantID, id string, now time.Time) (*AuthRequest, error)
	// SetAuthRequestUser records who signed in for the request.
	SetAuthRequestUser(ctx context.Context, tenantID, id, userID, sessionID string) error
	DeleteAuthRequest(ctx context.Context, tenantID, id string) error
	// CompleteAuthRequest deletes the request and stores the code it ends
	// with, in one transaction. ENOTFOUND, with no code stored, when the
	// request is gone (completed already, or expired and swept): of
	// concurrent completions of one request exactly one succeeds.
	CompleteAuthRequest(ctx context.Context, tenantID, id string, code *AuthCode) error
}

// SessionStore keeps browser sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// GetSessionByToken finds an active session by the hash of its cookie
	// value: ENOTFOUND when unknown, revoked or expired at now.
	GetSessionByToken(ctx context.Context, tokenHash []byte, now time.Time) (*Session, error)
	GetSession(ctx context.Context, tenantID, id string) (*Session, error)
	// ListSessions returns a user's active sessions, newest first.
	ListSessions(ctx context.Context, tenantID, userID string, now time.Time) ([]*Session, error)
	TouchSession(ctx context.Context, tenantID, id string, lastSeen, expiresAt time.Time) error
	RevokeSession(ctx context.Context, tenantID, id string, at time.Time) error
	// RevokeUserSessions ends every session of a user and returns how many.
	RevokeUserSessions(ctx context.Context, tenantID, userID string, at time.Time) (int, error)
}

// ConsentStore remembers what users granted to clients.
type ConsentStore interface {
	// PutConsent creates or replaces the consent of (user, client).
	PutConsent(ctx context.Context, c *Consent) error
	GetConsent(ctx context.Context, tenantID, userID, client string) (*Consent, error)
	ListConsents(ctx context.Context, tenantID, userID string) ([]*Consent, error)
	// RevokeConsent deletes the consent and revokes every grant of (user,
	// client) in one transaction.
	RevokeConsent(ctx context.Context, tenantID, userID, client string, at time.Time) error
}

// TokenStore keeps authorization codes, grants, refresh tokens and revoked
// access tokens: the state behind the token endpoint.
type TokenStore interface {
	CreateAuthCode(ctx context.Context, c *AuthCode) error
	// RedeemAuthCode marks the code with this hash used and, in the same
	// transaction, stores the grant and refresh token that issue returns
	// for it (either may be nil). If issue fails, nothing changes and its
	// error is returned. An unknown or expired code is ENOTFOUND; a code
	// already used is EUSED and the code is returned with the error, so the
	// caller can revoke its grant.
	RedeemAuthCode(ctx context.Context, hash []byte, now time.Time,
		issue func(*AuthCode) (*Grant, *RefreshToken, error)) (*AuthCode, error)

	// CreateGrant stores a grant. One made with a JWT credential is
	// ECONFLICT when the credential is revoked, checked so that a grant
	// never survives a revocation racing its creation.
	CreateGrant(ctx context.Context, g *Grant) error
	GetGrant(ctx context.Context, tenantID, id string) (*Grant, error)
	// RevokeGrant marks the grant and all its refresh tokens revoked, in one
	// transaction. Revoking a revoked grant is not an error.
	RevokeGrant(ctx context.Context, tenantID, id string, at time.Time) error
	// RevokeGrantsByCredential revokes every grant made with a JWT
	// credential and returns how many.
	RevokeGrantsByCredential(ctx context.Context, tenantID, credentialID string, at time.Time) (int, error)
	// RevokeUserGrants revokes every grant of a user, with their refresh
	// tokens, in one transaction, and returns how many grants it revoked.
	RevokeUserGrants(ctx context.Context, tenantID, userID string, at time.Time) (int, error)

	// CreateRefreshToken stores a refresh token whose grant already exists.
	// The store caps the token's ExpiresAt at its grant's ExpiresAt (and
	// writes the capped value back), here and in RedeemAuthCode and
	// RotateRefreshToken, so no token outlives its family.
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// GetRefreshToken returns the token with this hash, whatever its state.
	GetRefreshToken(ctx context.Context, hash []byte) (*RefreshToken, error)
	// RotateRefreshToken atomically marks the token with this hash rotated
	// and stores the token that issue returns for it, in one transaction.
	// If issue fails, nothing changes and its error is returned. Exactly one
	// of many concurrent calls with the same hash succeeds. Unknown, revoked
	// or expired at now is ENOTFOUND; already rotated is EUSED with the old
	// token returned, so the caller can revoke the family. issue may run
	// in a call that then loses the race, so it must depend on nothing but
	// the old token; only the winner's token is stored.
	RotateRefreshToken(ctx context.Context, hash []byte, now time.Time,
		issue func(old *RefreshToken) (*RefreshToken, error)) (*RefreshToken, error)
	// RevokeRefreshToken marks one refresh token revoked (RFC 7009).
	RevokeRefreshToken(ctx context.Context, hash []byte, at time.Time) error

	// RevokeAccessToken records an access token's jti as revoked until
	// expiresAt.
	RevokeAccessToken(ctx context.Context, r *RevokedToken) error
	// AccessTokenRevoked reports whether the jti is revoked or the grant
	// (may be "") is revoked or no longer exists (its client was deleted):
	// the check behind userinfo and introspection. It fails closed.
	AccessTokenRevoked(ctx context.Context, jti, grantID string) (bool, error)
}

// APIKeyStore keeps server API keys and public install keys.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// GetAPIKeyByHash finds a key by the SHA-256 of its value, whatever its
	// state; callers check Usable.
	GetAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	GetAPIKey(ctx context.Context, tenantID, id string) (*APIKey, error)
	ListAPIKeys(ctx context.Context, tenantID string, opt ListOptions) ([]*APIKey, string, error)
	RevokeAPIKey(ctx context.Context, tenantID, id string, at time.Time) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error

	CreateInstallKey(ctx context.Context, k *InstallKey) error
	// GetInstallKey finds an unrevoked install key by its public value.
	GetInstallKey(ctx context.Context, key string) (*InstallKey, error)
	ListInstallKeys(ctx context.Context, tenantID string) ([]*InstallKey, error)
	RevokeInstallKey(ctx context.Context, tenantID, id string, at time.Time) error
	// RotateInstallKey, in one transaction, revokes the tenant's key oldID
	// at at and creates next (filled like CreateInstallKey) in its place.
	// ENOTFOUND when oldID is not the tenant's; ECONFLICT when it is
	// already revoked (a concurrent rotation won) or next's value is
	// taken; EINVALID when next belongs to another tenant. On any error
	// nothing changes.
	RotateInstallKey(ctx context.Context, tenantID, oldID string, next *InstallKey, at time.Time) error
}

// JWTCredentialStore keeps user-owned JWT credentials.
type JWTCredentialStore interface {
	CreateJWTCredential(ctx context.Context, c *JWTCredential) error
	GetJWTCredential(ctx context.Context, tenantID, id string) (*JWTCredential, error)
	ListJWTCredentials(ctx context.Context, tenantID, userID string) ([]*JWTCredential, error)
	// RevokeJWTCredential marks the credential revoked and revokes every
	// grant made with it, in one transaction.
	RevokeJWTCredential(ctx context.Context, tenantID, id string, at time.Time) error
	TouchJWTCredential(ctx context.Context, tenantID, id string, at time.Time) error
}

// ConnectorStore keeps connectors and the accounts linked through them.
type ConnectorStore interface {
	CreateConnector(ctx context.Context, c *Connector) error
	GetConnector(ctx context.Context, tenantID, id string) (*Connector, error)
	ListConnectors(ctx context.Context, tenantID string) ([]*Connector, error)
	UpdateConnector(ctx context.Context, c *Connector) error
	// DeleteConnector removes the connector and its federated identities.
	DeleteConnector(ctx context.Context, tenantID, id string) error

	// LinkIdentity creates the link, or ECONFLICT if the subject is linked.
	LinkIdentity(ctx context.Context, f *FederatedIdentity) error
	GetIdentity(ctx context.Context, tenantID, connectorID, subject string) (*FederatedIdentity, error)
	TouchIdentity(ctx context.Context, tenantID, connectorID, subject string, at time.Time) error
}

// SigningKeyStore keeps signing keys.
type SigningKeyStore interface {
	// CreateSigningKey stores a key. At most one key per (tenant, purpose,
	// algorithm) may be active and one next: another is ECONFLICT, so nodes
	// bootstrapping keys at once cannot both win.
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// ListSigningKeys returns every key of the tenant ("" for the
	// platform), oldest first.
	ListSigningKeys(ctx context.Context, tenantID string) ([]*SigningKey, error)
	// RotateSigningKeys, in one transaction, retires the active key of
	// (tenant, purpose, algorithm) with the given NotAfter, activates the
	// key promote (which must be in state next), and inserts next as the
	// new next key (nil: none; otherwise of the same tenant, purpose and
	// algorithm as promote, else EINVALID). ECONFLICT if promote is no
	// longer next (a concurrent rotation won).
	RotateSigningKeys(ctx context.Context, promote string, next *SigningKey, at, retiredNotAfter time.Time) error
	// DeleteSigningKey removes a retired key.
	DeleteSigningKey(ctx context.Context, tenantID, id string) error
}

// AuditStore appends and reads the audit chains.
type AuditStore interface {
	// AppendAuditEvents inserts events in one transaction. Each event's Seq
	// must be the next of its tenant's chain: ECONFLICT when a Seq is taken
	// (another writer appended first), and then nothing is written.
	AppendAuditEvents(ctx context.Context, events []*AuditEvent) error
	// LastAuditEvent returns the head of a tenant's chain, ENOTFOUND when
	// the chain is empty.
	LastAuditEvent(ctx context.Context, tenantID string) (*AuditEvent, error)
	// ListAuditEvents returns matching events in chain order, and the Seq
	// to pass as AfterSeq for the next page (0 when there is none).
	ListAuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, int64, error)
	// AuditTenants lists the tenant ids that have a chain ("" included).
	AuditTenants(ctx context.Context) ([]string, error)
}

// AssetStore keeps files the management API accepts and Gatehouse serves
// from its own origin: the logos of clients.
type AssetStore interface {
	// PutClientAsset creates or replaces the asset a.Name of the client
	// a.Client in a.TenantID, setting UpdatedAt when it is zero. ENOTFOUND
	// when the client is not in that tenant.
	PutClientAsset(ctx context.Context, a *ClientAsset) error
	// GetClientAsset returns an asset by the client's registration id,
	// whatever its tenant (the id names it): ENOTFOUND when there is none.
	GetClientAsset(ctx context.Context, clientID, name string) (*ClientAsset, error)
	// DeleteClientAsset removes an asset: ENOTFOUND when the tenant's
	// client has none of that name. Deleting a client deletes its assets.
	DeleteClientAsset(ctx context.Context, tenantID, clientID, name string) error
}

// PasswordTokenStore keeps the single-use links with which users set a
// password.
type PasswordTokenStore interface {
	// PutPasswordToken stores t as its user's only token, deleting any
	// earlier one in the same transaction. ENOTFOUND when the user is not
	// in t.TenantID; ECONFLICT when the hash is taken.
	PutPasswordToken(ctx context.Context, t *PasswordToken) error
	// GetPasswordToken finds a token by the SHA-256 of its value, whatever
	// its tenant (the value names it): ENOTFOUND when unknown or expired
	// at now.
	GetPasswordToken(ctx context.Context, hash []byte, now time.Time) (*PasswordToken, error)
	// ConsumePasswordToken deletes the token with this hash and returns
	// it: ENOTFOUND when unknown or expired at now. Of concurrent calls
	// with one hash, exactly one succeeds.
	ConsumePasswordToken(ctx context.Context, hash []byte, now time.Time) (*PasswordToken, error)
	// DeletePasswordTokens deletes a user's tokens, when a password is set
	// another way or the account is disabled. Deleting none is not an
	// error. Deleting a user deletes its tokens.
	DeletePasswordTokens(ctx context.Context, tenantID, userID string) error
}

// SweepResult counts the rows one sweep deleted.
type SweepResult struct {
	AuthRequests  int
	AuthCodes     int
	Sessions      int
	RefreshTokens int
	Grants        int
	RevokedTokens int
}

// Total returns the number of rows deleted.
func (r SweepResult) Total() int {
	return r.AuthRequests + r.AuthCodes + r.Sessions + r.RefreshTokens + r.Grants + r.RevokedTokens
}

// Sweeper deletes expired rows.
type Sweeper interface {
	// DeleteExpired deletes at most limit rows of each kind that expired
	// before now: auth requests, auth codes, sessions (expired or revoked),
	// refresh tokens, grants whose end is more than MaxAccessTokenTTL
	// ago and that have no refresh tokens left (an access token they issued
	// may live that long after the end, and a missing grant reads as
	// revoked), revoked-token entries. Callers
	// repeat it until it deletes nothing, so no transaction runs long.
	DeleteExpired(ctx context.Context, now time.Time, limit int) (SweepResult, error)
}

// Store is everything Gatehouse keeps.
type Store interface {
	TenantStore
	UserStore
	ClientStore
	AuthRequestStore
	SessionStore
	ConsentStore
	TokenStore
	APIKeyStore
	JWTCredentialStore
	ConnectorStore
	SigningKeyStore
	AuditStore
	AssetStore
	PasswordTokenStore
	Sweeper
	// Ping checks that the store can serve (readiness).
	Ping(ctx context.Context) error
	Close() error
}
