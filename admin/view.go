package admin

import (
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// The JSON documents of the management API. The CLI's --json output uses
// the same shapes, so a script written against one works with the other.

// ClientDoc is a client as the API shows it.
type ClientDoc struct {
	ID                      string          `json:"id"`
	TenantID                string          `json:"tenant_id"`
	Name                    string          `json:"name"`
	Description             string          `json:"description"`
	Type                    string          `json:"type"`
	Config                  ClientConfigDoc `json:"config"`
	Scopes                  []string        `json:"scopes"`
	GrantTypes              []string        `json:"grant_types"`
	AuthMethod              string          `json:"auth_method"`
	IDTokenAlg              string          `json:"id_token_alg"`
	AccessTokenTTL          int64           `json:"access_token_ttl"`
	IDTokenTTL              int64           `json:"id_token_ttl"`
	RefreshTokenIdleTTL     int64           `json:"refresh_token_idle_ttl"`
	RefreshTokenAbsoluteTTL int64           `json:"refresh_token_absolute_ttl"`
	FirstParty              bool            `json:"first_party"`
	AlwaysIssueRefreshToken bool            `json:"always_issue_refresh_token"`
	AllowedRoles            []string        `json:"allowed_roles"`
	Credentials             []CredentialDoc `json:"credentials"`
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
	ClientID   string     `json:"client_id"`
	Secret     string     `json:"secret,omitempty"`
	SecretHint string     `json:"secret_hint,omitempty"`
	Expires    *time.Time `json:"expires"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
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
