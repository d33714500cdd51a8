package gatehouse

import (
	"slices"
	"strings"
	"time"
)

// ClientType says whether a client can keep a secret (RFC 6749 §2.1).
type ClientType string

// Client types.
const (
	ClientConfidential ClientType = "confidential"
	ClientPublic       ClientType = "public"
)

// Token endpoint authentication methods (RFC 7591 §2).
const (
	AuthMethodSecretBasic = "client_secret_basic"
	AuthMethodSecretPost  = "client_secret_post"
	AuthMethodNone        = "none"
)

// Grant types (RFC 6749, RFC 7523).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// Signing algorithms for ID tokens.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)

// SigningAlgorithms lists every algorithm Gatehouse signs with, default first.
func SigningAlgorithms() []string { return []string{AlgRS256, AlgES256, AlgEdDSA} }

// Default and bounding token lifetimes. A client's zero lifetime means the
// default.
const (
	DefaultAccessTokenTTL       = time.Hour
	DefaultIDTokenTTL           = time.Hour
	DefaultRefreshIdleTTL       = 30 * 24 * time.Hour
	DefaultRefreshAbsoluteTTL   = 90 * 24 * time.Hour
	MaxAccessTokenTTL           = 24 * time.Hour
	MaxIDTokenTTL               = 24 * time.Hour
	MaxRefreshAbsoluteTTL       = 365 * 24 * time.Hour
	MinTokenTTL                 = time.Minute
	AuthCodeTTL                 = 60 * time.Second
	AuthRequestTTL              = 30 * time.Minute
	ClientCredentialDefaultName = "default"
)

// Client is an application registered by a tenant: a CMS plugin, a CRM, a
// mobile app. Its Credentials carry the OAuth client_id values it presents.
type Client struct {
	ID          string // UUID of the registration
	TenantID    string
	Name        string
	Description string
	Type        ClientType

	RedirectURIs           []string // exact match, query included
	PostLogoutRedirectURIs []string
	AllowedOrigins         []string // CORS origins for browser calls to the token endpoint

	Scopes     []string // scopes the client may request, sorted
	GrantTypes []string // sorted
	AuthMethod string   // token endpoint authentication method

	LogoURI     string
	LogoDarkURI string
	IDTokenAlg  string

	AccessTokenTTL     time.Duration
	IDTokenTTL         time.Duration
	RefreshIdleTTL     time.Duration
	RefreshAbsoluteTTL time.Duration

	// FirstParty clients belong to the platform itself; they skip consent.
	FirstParty bool
	// AlwaysIssueRefreshToken gives the client a refresh token even when it
	// did not ask for offline_access.
	AlwaysIssueRefreshToken bool
	// AllowedRoles, when set, admits only users holding one of these roles.
	AllowedRoles []string
	// InteractionEndpoint, when set, is where users are sent to sign in and
	// consent instead of the hosted pages (the login/consent-app pattern).
	InteractionEndpoint string

	Credentials []ClientCredential

	CreatedAt time.Time
	UpdatedAt time.Time
	Revision  int64
}

// ClientCredential is one client_id (and, for a confidential client, one
// secret) of a Client. Several may be valid at once so a secret can be
// rotated without downtime.
type ClientCredential struct {
	ID       string // UUID
	TenantID string
	ClientID string // the OAuth client_id; unique across the platform
	// Client is the ID of the Client registration it belongs to.
	Client string
	Name   string
	// SecretHash is the SHA-256 of the secret; nil for a public client.
	SecretHash []byte
	// SecretHint is the last characters of the secret, safe to display.
	SecretHint string
	ExpiresAt  time.Time // zero: never
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// Expired reports whether the credential is past its expiry at now.
func (c *ClientCredential) Expired(now time.Time) bool {
	return !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)
}

// Credential returns the credential with the given OAuth client_id.
func (c *Client) Credential(clientID string) (*ClientCredential, bool) {
	for i := range c.Credentials {
		if c.Credentials[i].ClientID == clientID {
			return &c.Credentials[i], true
		}
	}
	return nil, false
}

// HasGrant reports whether the client may use a grant type.
func (c *Client) HasGrant(g string) bool { return slices.Contains(c.GrantTypes, g) }

// HasScope reports whether the client may request a scope.
func (c *Client) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }

// HasRedirectURI reports whether uri is registered, by exact string match
// (RFC 9700 §2.1).
func (c *Client) HasRedirectURI(uri string) bool { return slices.Contains(c.RedirectURIs, uri) }

// IsPublic reports whether the client cannot keep a secret.
func (c *Client) IsPublic() bool { return c.Type == ClientPublic }

// ApplyDefaults fills unset fields with the defaults of a new client and
// sorts the lists. It is safe to call more than once.
func (c *Client) ApplyDefaults() {
	if c.Type == "" {
		c.Type = ClientConfidential
	}
	if c.AuthMethod == "" {
		if c.Type == ClientPublic {
			c.AuthMethod = AuthMethodNone
		} else {
			c.AuthMethod = AuthMethodSecretBasic
		}
	}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail}
	}
	if c.IDTokenAlg == "" {
		c.IDTokenAlg = AlgRS256
	}
	if c.AccessTokenTTL == 0 {
		c.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if c.IDTokenTTL == 0 {
		c.IDTokenTTL = DefaultIDTokenTTL
	}
	if c.RefreshIdleTTL == 0 {
		c.RefreshIdleTTL = DefaultRefreshIdleTTL
	}
	if c.RefreshAbsoluteTTL == 0 {
		c.RefreshAbsoluteTTL = max(DefaultRefreshAbsoluteTTL, c.RefreshIdleTTL)
	}
	c.Scopes = sortedUnique(c.Scopes, nil)
	c.GrantTypes = sortedUnique(c.GrantTypes, nil)
	c.AllowedRoles = NormalizeRoles(c.AllowedRoles)
	c.AllowedOrigins = sortedUnique(c.AllowedOrigins, func(s string) string { return strings.TrimSuffix(s, "/") })
}

// Validate reports every invalid field (EINVALID), checking scopes against
// catalog. Field names follow the management API's JSON.
func (c *Client) Validate(catalog *ScopeCatalog) error {
	var p Problems
	if c.TenantID == "" {
		p.Add("tenant_id", "is required")
	}
	checkText(&p, "name", c.Name, true, 100)
	if len(c.Description) > 1000 {
		p.Add("description", "must be at most 1000 characters")
	}
	if c.Type != ClientConfidential && c.Type != ClientPublic {
		p.Add("type", "must be confidential or public")
	}
	checkStrings(&p, "config.redirect_uris", c.RedirectURIs, CheckRedirectURI)
	checkStrings(&p, "config.post_logout_uris", c.PostLogoutRedirectURIs, CheckRedirectURI)
	checkStrings(&p, "config.allowed_origins", c.AllowedOrigins, checkOrigin)
	if len(c.RedirectURIs) > 50 || len(c.PostLogoutRedirectURIs) > 50 || len(c.AllowedOrigins) > 50 {
		p.Add("config", "lists must have at most 50 entries")
	}
	checkHTTPSURL(&p, "config.logo_uri", c.LogoURI)
	checkHTTPSURL(&p, "config.logo_dark_mode_uri", c.LogoDarkURI)
	checkHTTPSURL(&p, "config.interaction_endpoint", c.InteractionEndpoint)

	checkStrings(&p, "scopes", c.Scopes, func(s string) string {
		if catalog == nil {
			return ""
		}
		if err := catalog.Check(s); err != nil {
			return ErrorMessage(err)
		}
		return ""
	})
	checkStrings(&p, "grant_types", c.GrantTypes, func(g string) string {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken:
		case GrantClientCredentials, GrantJWTBearer:
			if c.Type == ClientPublic {
				return g + " needs a confidential client"
			}
		case "password":
			return "the password grant is not supported; use JWT credentials for server-to-server access"
		case "implicit":
			return "the implicit flow is not supported; use authorization_code with PKCE"
		default:
			return "must be one of authorization_code, refresh_token, client_credentials, " + GrantJWTBearer
		}
		return ""
	})
	if c.HasGrant(GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		p.Add("config.redirect_uris", "needs at least one redirect URI for the authorization_code grant")
	}
	switch c.AuthMethod {
	case AuthMethodSecretBasic, AuthMethodSecretPost:
		if c.Type == ClientPublic {
			p.Add("auth_method", "must be none for a public client")
		}
	case AuthMethodNone:
		if c.Type == ClientConfidential {
			p.Add("auth_method", "must be client_secret_basic or client_secret_post for a confidential client")
		}
	default:
		p.Add("auth_method", "must be client_secret_basic, client_secret_post or none")
	}
	if !slices.Contains(SigningAlgorithms(), c.IDTokenAlg) {
		p.Add("id_token_alg", "must be RS256, ES256 or EdDSA")
	}
	checkTTL(&p, "access_token_ttl", c.AccessTokenTTL, MaxAccessTokenTTL)
	checkTTL(&p, "id_token_ttl", c.IDTokenTTL, MaxIDTokenTTL)
	checkTTL(&p, "refresh_token_idle_ttl", c.RefreshIdleTTL, MaxRefreshAbsoluteTTL)
	checkTTL(&p, "refresh_token_absolute_ttl", c.RefreshAbsoluteTTL, MaxRefreshAbsoluteTTL)
	if c.RefreshAbsoluteTTL < c.RefreshIdleTTL {
		p.Add("refresh_token_absolute_ttl", "must not be shorter than refresh_token_idle_ttl")
	}
	checkStrings(&p, "allowed_roles", c.AllowedRoles, func(r string) string {
		if !ValidRole(r) {
			return "must be a role name"
		}
		return ""
	})
	return p.Err()
}

func checkTTL(p *Problems, field string, d, max time.Duration) {
	if d < MinTokenTTL || d > max {
		p.Add(field, "must be between %s and %s", MinTokenTTL, max)
	}
}
