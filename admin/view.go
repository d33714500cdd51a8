package admin

import (
	"encoding/hex"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// The JSON documents of the management API. The CLI's --json output uses
// the same shapes, so a script written against one works with the other.

// ClientDoc is a client as the API shows it.
type ClientDoc struct {
	ID                      string          `json:"id" doc:"The registration id; the client_ids are in credentials."`
	TenantID                string          `json:"tenant_id"`
	Name                    string          `json:"name"`
	Description             string          `json:"description"`
	Type                    string          `json:"type" enum:"confidential,public"`
	Config                  ClientConfigDoc `json:"config"`
	Scopes                  []string        `json:"scopes"`
	GrantTypes              []string        `json:"grant_types"`
	AuthMethod              string          `json:"auth_method" enum:"client_secret_basic,client_secret_post,none"`
	IDTokenAlg              string          `json:"id_token_alg" enum:"RS256,ES256,EdDSA"`
	AccessTokenTTL          int64           `json:"access_token_ttl" doc:"Seconds."`
	IDTokenTTL              int64           `json:"id_token_ttl" doc:"Seconds."`
	RefreshTokenIdleTTL     int64           `json:"refresh_token_idle_ttl" doc:"Seconds."`
	RefreshTokenAbsoluteTTL int64           `json:"refresh_token_absolute_ttl" doc:"Seconds."`
	FirstParty              bool            `json:"first_party"`
	AlwaysIssueRefreshToken bool            `json:"always_issue_refresh_token"`
	AllowedRoles            []string        `json:"allowed_roles"`
	Credentials             []CredentialDoc `json:"credentials" doc:"Each is a client_id that works on its own; several may be valid at once, so a secret can be rotated without downtime."`
	CreatedAt               time.Time       `json:"created_at"`
	UpdatedAt               time.Time       `json:"updated_at"`
}

// ClientConfigDoc holds a client's URIs and logos.
type ClientConfigDoc struct {
	RedirectURIs        []string `json:"redirect_uris"`
	PostLogoutURIs      []string `json:"post_logout_uris"`
	AllowedOrigins      []string `json:"allowed_origins"`
	LogoURI             string   `json:"logo_uri,omitempty"`
	LogoDarkModeURI     string   `json:"logo_dark_mode_uri,omitempty"`
	InteractionEndpoint string   `json:"interaction_endpoint,omitempty"`
}

// CredentialDoc is one client credential. Secret appears only in the
// response that creates it.
type CredentialDoc struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	ClientID   string     `json:"client_id" doc:"The OAuth client_id."`
	Secret     string     `json:"secret,omitempty" doc:"Only in the response that creates the credential, and only for a confidential client."`
	SecretHint string     `json:"secret_hint,omitempty" doc:"The last characters of the secret, to tell secrets apart."`
	Expires    *time.Time `json:"expires" doc:"When it stops working; null: never."`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at" doc:"Last use at the token endpoints, recorded at most once a minute; null: never used."`
}

// NewClientDoc renders a client; issued, when given, adds its secret to the
// matching credential.
func NewClientDoc(c *gatehouse.Client, issued *IssuedCredential) ClientDoc {
	d := ClientDoc{
		ID: c.ID, TenantID: c.TenantID, Name: c.Name, Description: c.Description, Type: string(c.Type),
		Config: ClientConfigDoc{
			RedirectURIs:        orEmpty(c.RedirectURIs),
			PostLogoutURIs:      orEmpty(c.PostLogoutRedirectURIs),
			AllowedOrigins:      orEmpty(c.AllowedOrigins),
			LogoURI:             c.LogoURI,
			LogoDarkModeURI:     c.LogoDarkURI,
			InteractionEndpoint: c.InteractionEndpoint,
		},
		Scopes: orEmpty(c.Scopes), GrantTypes: orEmpty(c.GrantTypes), AuthMethod: c.AuthMethod,
		IDTokenAlg:              c.IDTokenAlg,
		AccessTokenTTL:          int64(c.AccessTokenTTL / time.Second),
		IDTokenTTL:              int64(c.IDTokenTTL / time.Second),
		RefreshTokenIdleTTL:     int64(c.RefreshIdleTTL / time.Second),
		RefreshTokenAbsoluteTTL: int64(c.RefreshAbsoluteTTL / time.Second),
		FirstParty:              c.FirstParty,
		AlwaysIssueRefreshToken: c.AlwaysIssueRefreshToken,
		AllowedRoles:            orEmpty(c.AllowedRoles),
		Credentials:             []CredentialDoc{},
		CreatedAt:               c.CreatedAt.UTC(),
		UpdatedAt:               c.UpdatedAt.UTC(),
	}
	for _, cr := range c.Credentials {
		cd := CredentialDoc{ID: cr.ID, Name: cr.Name, ClientID: cr.ClientID, SecretHint: cr.SecretHint,
			Expires: timePtr(cr.ExpiresAt), CreatedAt: cr.CreatedAt.UTC(), LastUsedAt: timePtr(cr.LastUsedAt)}
		if issued != nil && issued.ClientID == cr.ClientID {
			cd.Secret = issued.Secret
		}
		d.Credentials = append(d.Credentials, cd)
	}
	return d
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// UserDoc is a user as the API shows it. It never includes the password
// hash, only whether there is one.
type UserDoc struct {
	ID            string    `json:"id" doc:"The user's id: the sub claim of their tokens."`
	TenantID      string    `json:"tenant_id"`
	Username      string    `json:"username"`
	Email         string    `json:"email" doc:"Empty when the user has none."`
	EmailVerified bool      `json:"email_verified"`
	Name          string    `json:"name"`
	Picture       string    `json:"picture" doc:"https URL of the user's picture, or empty."`
	Status        string    `json:"status" enum:"active,disabled,invited"`
	Roles         []string  `json:"roles"`
	HasPassword   bool      `json:"has_password"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// NewUserDoc renders a user.
func NewUserDoc(u *gatehouse.User) UserDoc {
	return UserDoc{ID: u.ID, TenantID: u.TenantID, Username: u.Username, Email: u.Email, EmailVerified: u.EmailVerified,
		Name: u.Name, Picture: u.Picture, Status: string(u.Status), Roles: orEmpty(u.Roles),
		HasPassword: u.PasswordHash != "", CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

// TenantDoc is a tenant as the API shows it.
type TenantDoc struct {
	ID        string             `json:"id"`
	Slug      string             `json:"slug" doc:"Names the tenant's issuer: {platform issuer}/t/{slug}. It cannot change."`
	Name      string             `json:"name"`
	Status    string             `json:"status" enum:"active,disabled"`
	Branding  gatehouse.Branding `json:"branding"`
	Domains   []string           `json:"domains" doc:"Custom host names that serve the tenant's issuer."`
	Settings  TenantSettingsDoc  `json:"settings"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`
}

// TenantSettingsDoc are a tenant's settings as the API shows them.
type TenantSettingsDoc struct {
	SSOReturnURL string            `json:"sso_return_url" doc:"Where a connector sign-in returns when the browser cannot open pop-ups."`
	Widget       map[string]string `json:"widget" doc:"Public settings a website widget reads with an install key. Never a secret."`
}

// NewTenantDoc renders a tenant.
func NewTenantDoc(t *gatehouse.Tenant) TenantDoc {
	widget := t.Settings.Widget
	if widget == nil {
		widget = map[string]string{}
	}
	return TenantDoc{ID: t.ID, Slug: t.Slug, Name: t.Name, Status: string(t.Status), Branding: t.Branding,
		Domains: orEmpty(t.Domains), Settings: TenantSettingsDoc{SSOReturnURL: t.Settings.SSOReturnURL, Widget: widget},
		CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()}
}

// AuditEventDoc is an audit event as the API shows and exports it.
type AuditEventDoc struct {
	Seq       int64             `json:"seq" doc:"Position in the tenant's chain, from 1."`
	ID        string            `json:"id"`
	Time      time.Time         `json:"time"`
	Actor     string            `json:"actor" doc:"Who acted: user:<id>, apikey:<id>, client:<client_id>, cli or system."`
	Action    string            `json:"action" doc:"What happened: client.create, signin, token.issue, ..."`
	Target    string            `json:"target" doc:"What was acted on: client:<id>, user:<id>, ..."`
	Result    string            `json:"result" enum:"success,failure"`
	IP        string            `json:"ip"`
	UserAgent string            `json:"user_agent"`
	Details   map[string]string `json:"details" doc:"Extra facts, never a secret."`
	Hash      string            `json:"hash" doc:"Hex HMAC-SHA-256 chaining this event to the one before it."`
	PrevHash  string            `json:"prev_hash"`
}

// NewAuditEventDoc renders an audit event.
func NewAuditEventDoc(e *gatehouse.AuditEvent) AuditEventDoc {
	details := e.Details
	if details == nil {
		details = map[string]string{}
	}
	return AuditEventDoc{Seq: e.Seq, ID: e.ID, Time: e.Time.UTC(), Actor: e.Actor, Action: e.Action, Target: e.Target,
		Result: e.Result, IP: e.IP, UserAgent: e.UserAgent, Details: details,
		Hash: hex.EncodeToString(e.Hash), PrevHash: hex.EncodeToString(e.PrevHash)}
}
