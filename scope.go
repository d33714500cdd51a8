package gatehouse

import (
	"slices"
	"strings"
)

// OAuth scopes available today (PRODUCT.md §1).
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeTenantRead    = "tenant.read"
	ScopeRolesRead     = "roles.read"
	ScopeOfflineAccess = "offline_access"
)

// Scope is one entry of the scope catalog: an exact scope ("profile") or,
// for planned groups, a pattern ending in ".*" that covers every scope with
// that prefix ("contacts.*" covers "contacts.read").
type Scope struct {
	Name string
	// Description is the plain-language line a consent page shows.
	Description string
	// Claims are the ID token and userinfo claims the scope releases.
	Claims []string
	// Planned scopes are listed but disabled: they cannot be given to a
	// client, discovery does not advertise them, and requesting one is
	// invalid_scope.
	Planned bool
}

// IsGroup reports whether the entry is a pattern ("name.*").
func (s Scope) IsGroup() bool { return strings.HasSuffix(s.Name, ".*") }

// covers reports whether the entry matches the scope name.
func (s Scope) covers(name string) bool {
	if s.IsGroup() {
		return strings.HasPrefix(name, strings.TrimSuffix(s.Name, "*")) && len(name) > len(s.Name)-1
	}
	return s.Name == name
}

// ScopeCatalog is the fixed list of OAuth scopes. Build it once with
// NewScopeCatalog and share it; it is read-only.
type ScopeCatalog struct {
	scopes []Scope
	exact  map[string]Scope
}

// NewScopeCatalog returns the catalog of PRODUCT.md §1: the scopes that
// work today and the planned groups, disabled.
func NewScopeCatalog() *ScopeCatalog {
	scopes := []Scope{
		{Name: ScopeOpenID, Description: "Sign you in with your account", Claims: []string{"sub"}},
		{Name: ScopeProfile, Description: "See your name, username and profile picture", Claims: []string{"name", "preferred_username", "picture", "updated_at"}},
		{Name: ScopeEmail, Description: "See your email address", Claims: []string{"email", "email_verified"}},
		{Name: ScopeTenantRead, Description: "See which organization your account belongs to", Claims: []string{"tenant_id", "tenant_slug", "tenant_name"}},
		{Name: ScopeRolesRead, Description: "See your roles in your organization", Claims: []string{"roles"}},
		{Name: ScopeOfflineAccess, Description: "Stay connected when you are not using it"},
	}
	for _, g := range []struct{ name, desc string }{
		{"user.profile.*", "Manage your profile"},
		{"user.avatar.*", "Manage your profile picture"},
		{"tenant.profile.*", "Manage your organization's profile"},
		{"tenant.branding.*", "Manage your organization's branding"},
		{"tenant.settings.*", "Manage your organization's settings"},
		{"tenant.domains.*", "Manage your organization's domains"},
		{"staff.*", "Manage staff"},
		{"agents.*", "Manage agents"},
		{"agents.presence.*", "See and set agent presence"},
		{"runtime.tokens.write", "Create SDK runtime tokens"},
		{"runtime.sessions.*", "Manage SDK runtime sessions"},
		{"contacts.*", "Manage contacts"},
		{"conversations.*", "Manage conversations"},
		{"calls.*", "Manage calls"},
		{"ai.*", "Use AI features"},
		{"ai.knowledge.*", "Manage the AI knowledge base"},
		{"ai.usage.read", "See AI usage"},
		{"reports.read", "See reports"},
		{"reports.export", "Export reports"},
		{"webhooks.*", "Manage webhooks"},
		{"developer.*", "Manage developer settings"},
		{"sdk.keys.*", "Manage SDK keys"},
		{"oauth.clients.*", "Manage OAuth apps"},
		{"media.*", "Manage media"},
		{"billing.*", "Manage billing"},
	} {
		scopes = append(scopes, Scope{Name: g.name, Description: g.desc, Planned: true})
	}
	c := &ScopeCatalog{scopes: scopes, exact: make(map[string]Scope, len(scopes))}
	for _, s := range scopes {
		if !s.IsGroup() {
			c.exact[s.Name] = s
		}
	}
	return c
}

// Lookup finds the entry that covers name: the exact scope, or else the
// longest planned group that matches.
func (c *ScopeCatalog) Lookup(name string) (Scope, bool) {
	if s, ok := c.exact[name]; ok {
		return s, true
	}
	var best Scope
	found := false
	for _, s := range c.scopes {
		if s.IsGroup() && s.covers(name) && len(s.Name) > len(best.Name) {
			best, found = s, true
		}
	}
	return best, found
}

// Check returns nil for an available scope, ENOTSUPPORTED for a planned
// one and EINVALID for an unknown one.
func (c *ScopeCatalog) Check(name string) error {
	s, ok := c.Lookup(name)
	switch {
	case !ok:
		return Errorf(EINVALID, "unknown scope %q", name)
	case s.Planned:
		return Errorf(ENOTSUPPORTED, "scope %q is planned and not yet available", name)
	}
	return nil
}

// Available returns the scopes that work today, in catalog order.
func (c *ScopeCatalog) Available() []Scope {
	return slices.DeleteFunc(slices.Clone(c.scopes), func(s Scope) bool { return s.Planned })
}

// Planned returns the disabled entries, in catalog order.
func (c *ScopeCatalog) Planned() []Scope {
	return slices.DeleteFunc(slices.Clone(c.scopes), func(s Scope) bool { return !s.Planned })
}

// AvailableNames returns the names of the available scopes.
func (c *ScopeCatalog) AvailableNames() []string {
	var out []string
	for _, s := range c.scopes {
		if !s.Planned {
			out = append(out, s.Name)
		}
	}
	return out
}

// Claims returns every claim the available scopes can release, sorted.
func (c *ScopeCatalog) Claims() []string {
	var out []string
	for _, s := range c.scopes {
		if !s.Planned {
			out = append(out, s.Claims...)
		}
	}
	return sortedUnique(out, nil)
}

// ParseScope splits a space-delimited scope parameter (RFC 6749 §3.3) into
// sorted, unique names. Order does not matter to any caller.
func ParseScope(s string) []string {
	return sortedUnique(strings.Fields(s), nil)
}

// JoinScope formats names as a scope parameter.
func JoinScope(names []string) string { return strings.Join(names, " ") }

// ContainsAll reports whether every name in want is in have.
func ContainsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
