package gatehouse

import (
	"slices"
	"time"
)

// Scopes a server API key can carry. They are separate from OAuth scopes:
// an API key authenticates a tenant's backend, not a user.
const (
	APIScopeRuntimeTokensWrite = "runtime.tokens.write"
	APIScopeClientsRead        = "oauth.clients.read"
	APIScopeClientsWrite       = "oauth.clients.write"
	APIScopeUsersRead          = "users.read"
	APIScopeUsersWrite         = "users.write"
	APIScopeAPIKeysRead        = "apikeys.read"
	APIScopeAPIKeysWrite       = "apikeys.write"
	APIScopeConnectorsRead     = "connectors.read"
	APIScopeConnectorsWrite    = "connectors.write"
	APIScopeTenantRead         = "tenant.settings.read"
	APIScopeTenantWrite        = "tenant.settings.write"
	APIScopeAuditRead          = "audit.read"
	// The platform scopes work only for keys of a tenant marked as the
	// platform's own (TenantStore.SetPlatformAdmin).
	APIScopePlatformTenantsRead  = "platform.tenants.read"
	APIScopePlatformTenantsWrite = "platform.tenants.write"
)

// APIScopes lists every scope a server API key may hold.
func APIScopes() []string {
	return []string{
		APIScopeRuntimeTokensWrite,
		APIScopeClientsRead, APIScopeClientsWrite,
		APIScopeUsersRead, APIScopeUsersWrite,
		APIScopeAPIKeysRead, APIScopeAPIKeysWrite,
		APIScopeConnectorsRead, APIScopeConnectorsWrite,
		APIScopeTenantRead, APIScopeTenantWrite,
		APIScopeAuditRead,
		APIScopePlatformTenantsRead, APIScopePlatformTenantsWrite,
	}
}

// IsPlatformScope reports whether an API key scope acts on the platform
// rather than on the key's own tenant.
func IsPlatformScope(scope string) bool {
	return scope == APIScopePlatformTenantsRead || scope == APIScopePlatformTenantsWrite
}

// APIKey is a tenant's server API key: a high-entropy secret held only by
// the tenant's backend, stored as its SHA-256.
type APIKey struct {
	ID       string
	TenantID string
	Name     string
	// Prefix is the recognizable, non-secret start of the key, shown in
	// lists so an admin can tell keys apart.
	Prefix     string
	Hash       []byte
	Scopes     []string
	CreatedBy  string // actor that created it
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Usable reports whether the key may authenticate at now.
func (k *APIKey) Usable(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

// HasScope reports whether the key carries scope.
func (k *APIKey) HasScope(scope string) bool { return slices.Contains(k.Scopes, scope) }

// Validate reports every invalid field (EINVALID).
func (k *APIKey) Validate() error {
	var p Problems
	if k.TenantID == "" {
		p.Add("tenant_id", "is required")
	}
	checkText(&p, "name", k.Name, true, 100)
	if len(k.Scopes) == 0 {
		p.Add("scopes", "needs at least one scope")
	}
	checkStrings(&p, "scopes", k.Scopes, func(s string) string {
		if !slices.Contains(APIScopes(), s) {
			return "is not an API key scope"
		}
		return ""
	})
	if len(k.Hash) == 0 {
		p.Add("hash", "is required")
	}
	return p.Err()
}

// InstallKey is a tenant's public install key: not a secret, it only says
// which tenant a website widget belongs to and grants nothing.
type InstallKey struct {
	ID        string
	TenantID  string
	Key       string // the public value
	CreatedAt time.Time
	RevokedAt time.Time
}

// JWTCredential is a user's standing permission for an app to act on their
// account server to server (RFC 7523 assertion). The user owns it and
// decides which clients may present it.
type JWTCredential struct {
	ID       string // also the jti of the credential
	TenantID string
	UserID   string
	Name     string
	Hash     []byte // SHA-256 of the credential as issued
	// AllowedClientIDs are the OAuth client_ids that may present it; empty
	// means any client of the tenant.
	AllowedClientIDs []string
	CreatedAt        time.Time
	ExpiresAt        time.Time
	LastUsedAt       time.Time
	RevokedAt        time.Time
}

// Allows reports whether the client with OAuth client_id may present the
// credential.
func (c *JWTCredential) Allows(clientID string) bool {
	return len(c.AllowedClientIDs) == 0 || slices.Contains(c.AllowedClientIDs, clientID)
}

// Usable reports whether the credential may be exchanged at now.
func (c *JWTCredential) Usable(now time.Time) bool {
	return c.RevokedAt.IsZero() && now.Before(c.ExpiresAt)
}

// Validate reports every invalid field (EINVALID).
func (c *JWTCredential) Validate() error {
	var p Problems
	if c.TenantID == "" {
		p.Add("tenant_id", "is required")
	}
	if c.UserID == "" {
		p.Add("user_id", "is required")
	}
	checkText(&p, "name", c.Name, true, 100)
	if c.ExpiresAt.IsZero() {
		p.Add("expires_at", "is required")
	}
	checkStrings(&p, "allowed_client_ids", c.AllowedClientIDs, func(s string) string {
		if s == "" || len(s) > 100 {
			return "must be a client id"
		}
		return ""
	})
	return p.Err()
}

// Recognizable prefixes of generated values. A leaked value can be told
// apart at a glance and found by secret scanners; the prefix is not secret.
const (
	PrefixClientID     = "gth_ci_" // OAuth client_id (public)
	PrefixClientSecret = "gth_cs_" // OAuth client secret
	PrefixAPIKey       = "gth_sk_" // server API key
	PrefixInstallKey   = "gth_pk_" // public install key (not secret)
)
