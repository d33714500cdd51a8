package admin

import (
	"context"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Public install keys say which tenant a website widget belongs to. They
// are printed into web pages, so they are no secret and grant nothing but
// reading the tenant's public widget settings (WidgetSettings).

// installKeyBytes is the randomness of an install key: not a secret, but
// too many to enumerate the tenants that have one.
const installKeyBytes = 16

// maxInstallKeyLen bounds what the public lookup looks up.
const maxInstallKeyLen = 100

func newInstallKey(tenantID string) *gatehouse.InstallKey {
	return &gatehouse.InstallKey{TenantID: tenantID, Key: gatehouse.PrefixInstallKey + secret.Token(installKeyBytes)}
}

// CreateInstallKey creates a public install key for the tenant. Errors:
// ENOTFOUND for an unknown tenant.
func (s *Service) CreateInstallKey(ctx context.Context, a Actor, tenantID string) (*gatehouse.InstallKey, error) {
	k := newInstallKey(tenantID)
	k.CreatedAt = s.clock()
	if err := s.store.CreateInstallKey(ctx, k); err != nil {
		return nil, err
	}
	if err := s.record(ctx, a, tenantID, "installkey.create", "installkey:"+k.ID,
		map[string]string{"key": k.Key}); err != nil {
		return nil, err
	}
	return k, nil
}

// ListInstallKeys returns the tenant's install keys, revoked ones
// included, oldest first.
func (s *Service) ListInstallKeys(ctx context.Context, tenantID string) ([]*gatehouse.InstallKey, error) {
	return s.store.ListInstallKeys(ctx, tenantID)
}

// RotateInstallKey replaces the tenant's key id with a new one in one
// step: the old key stops at once, so pages must be updated with the new
// value. Errors: ENOTFOUND when the tenant has no such key, ECONFLICT when
// it is already revoked.
func (s *Service) RotateInstallKey(ctx context.Context, a Actor, tenantID, id string) (*gatehouse.InstallKey, error) {
	now := s.clock()
	next := newInstallKey(tenantID)
	next.CreatedAt = now
	if err := s.store.RotateInstallKey(ctx, tenantID, id, next, now); err != nil {
		return nil, err
	}
	if err := s.record(ctx, a, tenantID, "installkey.rotate", "installkey:"+id,
		map[string]string{"new_id": next.ID, "key": next.Key}); err != nil {
		return nil, err
	}
	return next, nil
}

// RevokeInstallKey stops a key at once; revoking a revoked key is not an
// error. Errors: ENOTFOUND when the tenant has no such key.
func (s *Service) RevokeInstallKey(ctx context.Context, a Actor, tenantID, id string) error {
	if err := s.store.RevokeInstallKey(ctx, tenantID, id, s.clock()); err != nil {
		return err
	}
	return s.record(ctx, a, tenantID, "installkey.revoke", "installkey:"+id, nil)
}

// WidgetSettings are what a website widget may learn from an install key:
// public values only.
type WidgetSettings struct {
	// TenantID lets the endpoint check the issuer; it is not shown.
	TenantID   string             `json:"-"`
	TenantSlug string             `json:"tenant_slug"`
	TenantName string             `json:"tenant_name"`
	Branding   gatehouse.Branding `json:"branding"`
	Widget     map[string]string  `json:"widget"`
}

// InstallSettings returns the public widget settings of the tenant that
// holds the install key value. Any failure to find them (a malformed,
// unknown or revoked key, a disabled tenant) is ENOTFOUND with one fixed
// message, so the answer says nothing about which keys exist.
func (s *Service) InstallSettings(ctx context.Context, value string) (*WidgetSettings, error) {
	notFound := gatehouse.Errorf(gatehouse.ENOTFOUND, "unknown install key")
	if len(value) > maxInstallKeyLen || !strings.HasPrefix(value, gatehouse.PrefixInstallKey) {
		return nil, notFound
	}
	k, err := s.store.GetInstallKey(ctx, value)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, notFound
	case err != nil:
		return nil, err
	}
	t, err := s.store.GetTenant(ctx, k.TenantID)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, notFound
	case err != nil:
		return nil, err
	}
	if t.Status != gatehouse.StatusActive {
		return nil, notFound
	}
	widget := t.Settings.Widget
	if widget == nil {
		widget = map[string]string{}
	}
	return &WidgetSettings{TenantID: t.ID, TenantSlug: t.Slug, TenantName: t.Name, Branding: t.Branding, Widget: widget}, nil
}
