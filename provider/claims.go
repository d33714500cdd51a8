package provider

import (
	"slices"

	"github.com/gatehouse-id/gatehouse"
)

// scopeClaims returns the claims the granted scopes release about a user
// (PRODUCT.md §1), for the ID token and the userinfo response alike, so
// that both always say the same:
//
//	profile      name, preferred_username, picture, updated_at
//	email        email, email_verified
//	tenant.read  tenant_id, tenant_slug, tenant_name
//	roles.read   roles
//
// A claim without a value (no name, picture or email) is left out rather
// than sent empty (OpenID Connect Core §5.3.2); roles is always a list,
// empty for a user without roles. sub is not among them: each caller sets
// it.
func scopeClaims(scopes []string, u *gatehouse.User, t *gatehouse.Tenant) map[string]any {
	claims := make(map[string]any, 8)
	if slices.Contains(scopes, gatehouse.ScopeProfile) {
		if u.Name != "" {
			claims["name"] = u.Name
		}
		claims["preferred_username"] = u.Username
		if u.Picture != "" {
			claims["picture"] = u.Picture
		}
		if !u.UpdatedAt.IsZero() {
			claims["updated_at"] = u.UpdatedAt.Unix()
		}
	}
	if slices.Contains(scopes, gatehouse.ScopeEmail) && u.Email != "" {
		claims["email"] = u.Email
		claims["email_verified"] = u.EmailVerified
	}
	if slices.Contains(scopes, gatehouse.ScopeTenantRead) && t != nil {
		claims["tenant_id"] = t.ID
		claims["tenant_slug"] = t.Slug
		claims["tenant_name"] = t.Name
	}
	if slices.Contains(scopes, gatehouse.ScopeRolesRead) {
		// An empty list says "no roles", which a client needs to know
		// as much as the names.
		roles := u.Roles
		if roles == nil {
			roles = []string{}
		}
		claims["roles"] = roles
	}
	return claims
}
