package admin

import (
	"context"

	"github.com/gatehouse-id/gatehouse"
)

// TenantInput is what a new tenant is made from.
type TenantInput struct {
	Slug    string
	Name    string
	Domains []string
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
	if err := s.record(ctx, a, t.ID, "tenant.create", "tenant:"+t.ID, map[string]string{"slug": t.Slug}); err != nil {
		return nil, err
	}
	return t, nil
}

// Tenant finds a tenant by id or slug. Errors: ENOTFOUND.
func (s *Service) Tenant(ctx context.Context, ref string) (*gatehouse.Tenant, error) {
	if gatehouse.IsUUID(ref) {
		t, err := s.store.GetTenant(ctx, ref)
		if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return t, err
		}
	}
	t, err := s.store.GetTenantBySlug(ctx, ref)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "tenant %q not found", ref)
	}
	return t, err
}

// ListTenants pages through every tenant.
func (s *Service) ListTenants(ctx context.Context, opt gatehouse.ListOptions) ([]*gatehouse.Tenant, string, error) {
	return s.store.ListTenants(ctx, opt)
}
