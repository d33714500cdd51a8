package admin

import (
	"context"

	"github.com/gatehouse-id/gatehouse"
)

// AuditEvents reads a tenant's audit events that match f (f.TenantID is
// set to tenantID), in chain order, and the Seq to continue after (0 when
// there are no more).
func (s *Service) AuditEvents(ctx context.Context, tenantID string, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, int64, error) {
	f.TenantID = tenantID
	return s.store.ListAuditEvents(ctx, f)
}
