package admin

import (
	"context"
	"fmt"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Auditor records audit events durably before an operation reports success.
type Auditor interface {
	RecordSync(ctx context.Context, ev gatehouse.AuditEvent) error
}

// Options are the dependencies of a Service.
type Options struct {
	Store   gatehouse.Store
	Hasher  *secret.Hasher
	Audit   Auditor
	Catalog *gatehouse.ScopeCatalog
	Clock   gatehouse.Clock
}

// Service runs management operations.
type Service struct {
	store   gatehouse.Store
	hasher  *secret.Hasher
	audit   Auditor
	catalog *gatehouse.ScopeCatalog
	clock   gatehouse.Clock
	keyUse  keyUse
}

// New returns a Service over its dependencies.
func New(o Options) *Service {
	return &Service{store: o.Store, hasher: o.Hasher, audit: o.Audit, catalog: o.Catalog, clock: o.Clock}
}

// Actor is who performs an operation, as the audit log names it.
type Actor struct {
	// ID is "cli", "user:<id>", "apikey:<id>" or "system".
	ID        string
	IP        string
	UserAgent string
}

// record writes a success event for a change that has been made. A failure
// to record is returned: an unaudited change must not look successful.
func (s *Service) record(ctx context.Context, a Actor, tenantID, action, target string, details map[string]string) error {
	err := s.audit.RecordSync(ctx, gatehouse.AuditEvent{
		TenantID:  tenantID,
		Time:      s.clock(),
		Actor:     a.ID,
		Action:    action,
		Target:    target,
		Result:    gatehouse.ResultSuccess,
		IP:        a.IP,
		UserAgent: a.UserAgent,
		Details:   details,
	})
	if err != nil {
		return fmt.Errorf("record audit event %s: %w", action, err)
	}
	return nil
}
