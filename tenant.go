package gatehouse

import (
	"strings"
	"time"
)

// Tenant is a company on the platform. Users, clients, keys and connectors
// belong to exactly one tenant.
type Tenant struct {
	ID       string // UUID
	Slug     string // lower-case, URL-safe; its issuer is {platform issuer}/t/{slug}
	Name     string
	Status   Status
	Branding Branding
	// Domains are custom host names that serve this tenant's issuer.
	Domains  []string
	Settings TenantSettings

	CreatedAt time.Time
	UpdatedAt time.Time
	// Revision increases on every update; it is the ETag of the row and
	// guards concurrent updates.
	Revision int64
}

// Status is the state of a tenant, user or other account-like row.
type Status string

// Statuses. A disabled account cannot sign in or be used; an invited user
// exists but has not yet set a password.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
	StatusInvited  Status = "invited"
)

// Branding is how a tenant's hosted pages look.
type Branding struct {
	LogoURI         string `json:"logo_uri,omitempty"`
	LogoDarkURI     string `json:"logo_dark_uri,omitempty"`
	PrimaryColor    string `json:"primary_color,omitempty"`    // #rgb or #rrggbb
	BackgroundColor string `json:"background_color,omitempty"` // #rgb or #rrggbb
}

// TenantSettings are tenant-wide options that are not branding.
type TenantSettings struct {
	// SSOReturnURL is where a connector sign-in returns when the browser
	// cannot open pop-ups; a request may override it with a registered URL.
	SSOReturnURL string `json:"sso_return_url,omitempty"`
	// Widget holds the public settings a website widget reads with the
	// tenant's install key. It must never hold a secret.
	Widget map[string]string `json:"widget,omitempty"`
}

// Normalize lower-cases the values that are compared case-insensitively.
func (t *Tenant) Normalize() {
	t.Slug = strings.ToLower(strings.TrimSpace(t.Slug))
	for i, d := range t.Domains {
		t.Domains[i] = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	}
	if t.Status == "" {
		t.Status = StatusActive
	}
}

// Validate reports every invalid field (EINVALID).
func (t *Tenant) Validate() error {
	var p Problems
	if !ValidSlug(t.Slug) {
		p.Add("slug", "must be 1-63 lower-case letters, digits or hyphens, starting and ending with a letter or digit")
	}
	checkText(&p, "name", t.Name, true, 200)
	if t.Status != StatusActive && t.Status != StatusDisabled {
		p.Add("status", "must be active or disabled")
	}
	t.Branding.check(&p, "branding")
	checkStrings(&p, "domains", t.Domains, func(d string) string {
		if !ValidHostname(d) {
			return "must be a host name such as login.example.com (no scheme, port or path)"
		}
		return ""
	})
	checkHTTPSURL(&p, "settings.sso_return_url", t.Settings.SSOReturnURL)
	if len(t.Settings.Widget) > 50 {
		p.Add("settings.widget", "must have at most 50 entries")
	}
	for k, v := range t.Settings.Widget {
		if k == "" || len(k) > 64 || len(v) > 1000 {
			p.Add("settings.widget."+k, "keys must be 1-64 characters and values at most 1000")
		}
	}
	return p.Err()
}

func (b Branding) check(p *Problems, prefix string) {
	checkHTTPSURL(p, prefix+".logo_uri", b.LogoURI)
	checkHTTPSURL(p, prefix+".logo_dark_uri", b.LogoDarkURI)
	if b.PrimaryColor != "" && !colorPattern.MatchString(b.PrimaryColor) {
		p.Add(prefix+".primary_color", "must be a color such as #1a73e8")
	}
	if b.BackgroundColor != "" && !colorPattern.MatchString(b.BackgroundColor) {
		p.Add(prefix+".background_color", "must be a color such as #ffffff")
	}
}
