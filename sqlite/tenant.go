package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

const tenantCols = `t.seq, t.id, t.slug, t.name, t.status, t.branding, t.settings, t.created_at, t.updated_at, t.revision,
	(SELECT json_group_array(domain) FROM
		(SELECT domain FROM tenant_domains d WHERE d.tenant_id = t.id ORDER BY position))`

var tenantConflicts = conflicts{
	"tenants.slug":          "slug is already taken",
	"tenant_domains.domain": "domain is already registered by a tenant",
	"tenants.id":            "tenant id is already taken",
}

func scanTenant(sc scanner) (*gatehouse.Tenant, int64, error) {
	var t gatehouse.Tenant
	var seq int64
	err := sc.Scan(&seq, &t.ID, &t.Slug, &t.Name, &t.Status, jsonCol{&t.Branding}, jsonCol{&t.Settings},
		timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt}, &t.Revision, jsonCol{&t.Domains})
	if err != nil {
		return nil, 0, err
	}
	return &t, seq, nil
}

func insertDomains(ctx context.Context, tx *sql.Tx, tenantID string, domains []string) error {
	for i, d := range domains {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_domains (domain, tenant_id, position) VALUES (?, ?, ?)`,
			d, tenantID, i); err != nil {
			return err
		}
	}
	return nil
}

// CreateTenant inserts t with its domains. ECONFLICT when the slug, or a
// domain, is taken.
func (s *Store) CreateTenant(ctx context.Context, t *gatehouse.Tenant) error {
	now := s.now()
	if t.ID == "" {
		t.ID = secret.NewID()
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = now
	}
	if t.Revision == 0 {
		t.Revision = 1
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenants
			(id, slug, name, status, branding, settings, created_at, updated_at, revision)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Slug, t.Name, string(t.Status), jsonArg{t.Branding}, jsonArg{t.Settings},
			micros(t.CreatedAt), micros(t.UpdatedAt), t.Revision); err != nil {
			return err
		}
		return insertDomains(ctx, tx, t.ID, t.Domains)
	})
	return fail("create tenant", err, "", tenantConflicts)
}

// getTenant runs one of the prepared tenant lookups: issuer resolution and
// the token endpoint read tenants on their hot paths (behind caches, but
// every miss pays for the statement).
func (s *Store) getTenant(ctx context.Context, op, where string, arg any) (*gatehouse.Tenant, error) {
	st, err := s.rstmts.get(ctx, `SELECT `+tenantCols+` FROM tenants t WHERE `+where)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	t, _, err := scanTenant(st.QueryRowContext(ctx, arg))
	return t, fail(op, noRows(err, "tenant not found"), "", nil)
}

// GetTenant returns the tenant with id, ENOTFOUND when there is none.
func (s *Store) GetTenant(ctx context.Context, id string) (*gatehouse.Tenant, error) {
	return s.getTenant(ctx, "get tenant", `t.id = ?`, id)
}

// GetTenantBySlug returns the tenant with slug, ENOTFOUND when there is
// none.
func (s *Store) GetTenantBySlug(ctx context.Context, slug string) (*gatehouse.Tenant, error) {
	return s.getTenant(ctx, "get tenant by slug", `t.slug = ?`, slug)
}

// GetTenantByDomain returns the tenant that registered host, compared as
// DNS names are (case-insensitively, without a trailing dot); ENOTFOUND
// when none did.
func (s *Store) GetTenantByDomain(ctx context.Context, host string) (*gatehouse.Tenant, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return s.getTenant(ctx, "get tenant by domain",
		`t.id = (SELECT tenant_id FROM tenant_domains WHERE domain = ?)`, host)
}

// ListTenants returns tenants in creation order, a page at a time.
func (s *Store) ListTenants(ctx context.Context, opt gatehouse.ListOptions) ([]*gatehouse.Tenant, string, error) {
	after, limit, err := page(opt)
	if err != nil {
		return nil, "", fmt.Errorf("list tenants: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+tenantCols+` FROM tenants t WHERE t.seq > ? ORDER BY t.seq LIMIT ?`,
		after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.Tenant
	var seqs []int64
	for rows.Next() {
		t, seq, err := scanTenant(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list tenants: %w", err)
		}
		out, seqs = append(out, t), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list tenants: %w", err)
	}
	out, next := cursorAfter(out, seqs, limit)
	return out, next, nil
}

// UpdateTenant writes t, domains included, when its Revision is current.
// ECONFLICT on a stale revision or a domain another tenant holds,
// ENOTFOUND when the tenant is gone.
func (s *Store) UpdateTenant(ctx context.Context, t *gatehouse.Tenant) error {
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tenants SET slug = ?, name = ?, status = ?, branding = ?, settings = ?,
			updated_at = ?, revision = revision + 1 WHERE id = ? AND revision = ?`,
			t.Slug, t.Name, string(t.Status), jsonArg{t.Branding}, jsonArg{t.Settings}, micros(now), t.ID, t.Revision)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return revisionMiss(ctx, tx, "tenant", `SELECT 1 FROM tenants WHERE id = ?`, t.ID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_domains WHERE tenant_id = ?`, t.ID); err != nil {
			return err
		}
		return insertDomains(ctx, tx, t.ID, t.Domains)
	})
	if err != nil {
		return fail("update tenant", err, "", tenantConflicts)
	}
	t.Revision++
	t.UpdatedAt = now
	return nil
}
