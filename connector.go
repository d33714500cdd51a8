package gatehouse

import (
	"encoding/json"
	"time"
)

// ConnectorKind names how a connector reaches the upstream account
// database.
type ConnectorKind string

// Connector kinds (PRODUCT.md §3).
const (
	ConnectorOIDC      ConnectorKind = "oidc"
	ConnectorOAuth2    ConnectorKind = "oauth2"
	ConnectorSAML      ConnectorKind = "saml"
	ConnectorZeroClick ConnectorKind = "zeroclick"
	ConnectorGoogle    ConnectorKind = "google"
	ConnectorMicrosoft ConnectorKind = "microsoft"
	ConnectorGitHub    ConnectorKind = "github"
	ConnectorLinkedIn  ConnectorKind = "linkedin"
	ConnectorFacebook  ConnectorKind = "facebook"
	ConnectorTwitter   ConnectorKind = "twitter"
)

// ConnectorKinds lists every kind.
func ConnectorKinds() []ConnectorKind {
	return []ConnectorKind{ConnectorOIDC, ConnectorOAuth2, ConnectorSAML, ConnectorZeroClick,
		ConnectorGoogle, ConnectorMicrosoft, ConnectorGitHub, ConnectorLinkedIn, ConnectorFacebook, ConnectorTwitter}
}

// Conflict policies: what happens when a federated sign-in's username or
// email is already taken by another account of the tenant.
const (
	ConflictResolveAuto = "auto" // the signing-in user wins; the other account is renamed
	ConflictAskUser     = "ask"  // the user picks a new username or email
)

// Connector is one way into a tenant through an upstream account database.
type Connector struct {
	ID             string
	TenantID       string
	Kind           ConnectorKind
	Name           string
	Active         bool
	ButtonText     string
	ButtonImageURI string
	// Config is the kind-specific configuration without secrets.
	Config json.RawMessage
	// SealedSecrets is the kind-specific secrets (client secret, zero-click
	// key) as JSON sealed with the master key. Never stored in the clear.
	SealedSecrets  []byte
	Mapping        ClaimMapping
	ConflictPolicy string

	CreatedAt time.Time
	UpdatedAt time.Time
	Revision  int64
}

// ClaimMapping maps upstream user data to a Gatehouse user: each field is a
// path into the upstream JSON, dotted for nesting with numbers for array
// items ("names.nicknames.0").
type ClaimMapping struct {
	UserKey  string `json:"user_key,omitempty"`
	Username string `json:"username,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	Email    string `json:"email,omitempty"`
	Picture  string `json:"picture,omitempty"`
}

// Validate reports every invalid field (EINVALID). The kind-specific config
// is validated by the connector package of that kind.
func (c *Connector) Validate() error {
	var p Problems
	if c.TenantID == "" {
		p.Add("tenant_id", "is required")
	}
	known := false
	for _, k := range ConnectorKinds() {
		known = known || k == c.Kind
	}
	if !known {
		p.Add("kind", "is not a connector kind")
	}
	checkText(&p, "name", c.Name, true, 100)
	checkText(&p, "button_text", c.ButtonText, false, 100)
	checkHTTPSURL(&p, "button_image_uri", c.ButtonImageURI)
	if len(c.Config) > 0 && !json.Valid(c.Config) {
		p.Add("config", "must be JSON")
	}
	switch c.ConflictPolicy {
	case ConflictResolveAuto, ConflictAskUser:
		if c.Kind == ConnectorZeroClick && c.ConflictPolicy != ConflictResolveAuto {
			p.Add("conflict_policy", "must be auto for zero-click connectors")
		}
	default:
		p.Add("conflict_policy", "must be auto or ask")
	}
	return p.Err()
}

// FederatedIdentity links an upstream account (by the connector's unique
// user key) to a local user.
type FederatedIdentity struct {
	TenantID     string
	ConnectorID  string
	Subject      string // the upstream unique user key
	UserID       string
	CreatedAt    time.Time
	LastSignInAt time.Time
}
