package admin

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse"
)

// TenantInput is what a new tenant is made from.
type TenantInput struct {
	Slug    string
	Name    string
	Domains []string
	// PlatformAdmin marks the tenant as the platform's own: API keys of
	// the tenant that hold the platform scopes may list and create
	// tenants.
	PlatformAdmin bool
}

// CreateTenant validates and creates a tenant. Errors: EINVALID naming each
// field, ECONFLICT for a taken slug or domain.
func (s *Service) CreateTenant(ctx context.Context, a Actor, in TenantInput) (*gatehouse.Tenant, error) {
	t := &gatehouse.Tenant{Slug: in.Slug, Name: in.Name, Domains: in.Domains}
	t.Normalize()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := s.store.CreateTenant(ctx, t); err != nil {
		return nil, err
	}
	details := map[string]string{"slug": t.Slug}
	if in.PlatformAdmin {
		if err := s.store.SetPlatformAdmin(ctx, t.ID, true); err != nil {
			return nil, err
		}
		details["platform_admin"] = "true"
	}
	if err := s.record(ctx, a, t.ID, "tenant.create", "tenant:"+t.ID, details); err != nil {
		return nil, err
	}
	return t, nil
}

// SetPlatformAdmin marks (or unmarks) a tenant as the platform's own: API
// keys of the tenant that hold the platform scopes may then list and
// create tenants. It is the operator's decision, made with the CLI; the
// API offers no way to set it. Errors: ENOTFOUND.
func (s *Service) SetPlatformAdmin(ctx context.Context, a Actor, tenantID string, on bool) error {
	if err := s.store.SetPlatformAdmin(ctx, tenantID, on); err != nil {
		return err
	}
	return s.record(ctx, a, tenantID, "tenant.platform_admin.set", "tenant:"+tenantID,
		map[string]string{"platform_admin": strconv.FormatBool(on)})
}

// IsPlatformAdmin reports whether the tenant is marked as the platform's
// own.
func (s *Service) IsPlatformAdmin(ctx context.Context, tenantID string) (bool, error) {
	return s.store.IsPlatformAdmin(ctx, tenantID)
}

// TenantSettingsInput is what a tenant's admins may change of it: not its
// slug (its issuer) or status (the platform's decision).
type TenantSettingsInput struct {
	Name     string
	Branding gatehouse.Branding
	Domains  []string
	Settings gatehouse.TenantSettings
}

// UpdateTenantSettings replaces a tenant's name, branding, custom domains
// and settings. match, when not nil, must name the tenant's current
// revision. Errors: ENOTFOUND, errPrecondition, EINVALID naming each
// field, ECONFLICT for a domain another tenant registered.
func (s *Service) UpdateTenantSettings(ctx context.Context, a Actor, tenantID string, in TenantSettingsInput, match IfMatch) (*gatehouse.Tenant, error) {
	for attempt := 1; ; attempt++ {
		cur, err := s.store.GetTenant(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		if !match.matches(cur.Revision) {
			return nil, staleError("tenant", cur.Revision)
		}
		next := *cur
		next.Name, next.Branding, next.Domains, next.Settings = in.Name, in.Branding, slices.Clone(in.Domains), in.Settings
		next.Normalize()
		if err := next.Validate(); err != nil {
			return nil, err
		}
		changed := changedFields(NewTenantDoc(cur), NewTenantDoc(&next), "updated_at")
		if len(changed) == 0 {
			return cur, nil
		}
		err = s.store.UpdateTenant(ctx, &next)
		if gatehouse.IsCode(err, gatehouse.ECONFLICT) {
			// A taken domain is a conflict too: it is told apart from a
			// concurrent change by the revision having moved.
			if again, gerr := s.store.GetTenant(ctx, tenantID); gerr == nil && again.Revision != cur.Revision {
				if match.conditional() {
					return nil, errStaleRace("tenant")
				}
				if attempt < 3 {
					continue
				}
			}
		}
		if err != nil {
			return nil, err
		}
		if err := s.record(ctx, a, tenantID, "tenant.update", "tenant:"+tenantID,
			map[string]string{"fields": strings.Join(changed, ",")}); err != nil {
			return nil, err
		}
		return &next, nil
	}
}

// Tenant finds a tenant by id or slug. Errors: ENOTFOUND.
func (s *Service) Tenant(ctx context.Context, ref string) (*gatehouse.Tenant, error) {
	if !plausibleRef(ref) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "tenant not found")
	}
	if gatehouse.IsUUID(ref) {
		t, err := s.store.GetTenant(ctx, ref)
		if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return t, err
		}
	}
	t, err := s.store.GetTenantBySlug(ctx, ref)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "tenant %q not found", truncateRunes(ref, 100))
	}
	return t, err
}

// ListTenants pages through every tenant.
func (s *Service) ListTenants(ctx context.Context, opt gatehouse.ListOptions) ([]*gatehouse.Tenant, string, error) {
	return s.store.ListTenants(ctx, opt)
}
