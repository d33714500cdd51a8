package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

const tenantColumns = `t.id, t.slug, t.name, t.status, t.branding, t.settings,
	ARRAY(SELECT d.domain FROM tenant_domains d WHERE d.tenant_id = t.id ORDER BY d.position),
	t.created_at, t.updated_at, t.revision, t.seq`

func scanTenant(row pgx.Row) (*gatehouse.Tenant, int64, error) {
	var t gatehouse.Tenant
	var seq int64
	err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.Status, &t.Branding, &t.Settings, &t.Domains,
		tm(&t.CreatedAt), tm(&t.UpdatedAt), &t.Revision, &seq)
	if err != nil {
		return nil, 0, err
	}
	nilEmpty(&t.Domains)
	return &t, seq, nil
}

// CreateTenant inserts the tenant and its domains in one transaction.
// ECONFLICT when the id, the slug or a domain is taken.
func (s *Store) CreateTenant(ctx context.Context, t *gatehouse.Tenant) error {
	fillID(&t.ID)
	s.stampNew(&t.CreatedAt, &t.UpdatedAt, &t.Revision)
	return s.inTx(ctx, "create tenant", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, status, branding, settings, created_at, updated_at, revision)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			t.ID, t.Slug, t.Name, t.Status, t.Branding, t.Settings, ts(t.CreatedAt), ts(t.UpdatedAt), t.Revision)
		if err != nil {
			return err
		}
		return insertDomains(ctx, tx, t.ID, t.Domains)
	})
}

func insertDomains(ctx context.Context, tx pgx.Tx, tenantID string, domains []string) error {
	if len(domains) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO tenant_domains (domain, tenant_id, position)
		SELECT d, $1, n FROM unnest($2::text[]) WITH ORDINALITY AS u(d, n)`, tenantID, domains)
	return err
}

// GetTenant returns the tenant with id, ENOTFOUND if there is none.
func (s *Store) GetTenant(ctx context.Context, id string) (*gatehouse.Tenant, error) {
	return s.getTenant(ctx, "get tenant", `SELECT `+tenantColumns+` FROM tenants t WHERE t.id = $1`, id)
}

// GetTenantBySlug returns the tenant with the slug (compared in lower
// case), ENOTFOUND if there is none.
func (s *Store) GetTenantBySlug(ctx context.Context, slug string) (*gatehouse.Tenant, error) {
	return s.getTenant(ctx, "get tenant by slug", `SELECT `+tenantColumns+` FROM tenants t WHERE t.slug = $1`,
		strings.ToLower(strings.TrimSpace(slug)))
}

// GetTenantByDomain returns the tenant that registered host as a custom
// domain (compared in lower case, without a trailing dot), ENOTFOUND if
// none did.
func (s *Store) GetTenantByDomain(ctx context.Context, host string) (*gatehouse.Tenant, error) {
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	return s.getTenant(ctx, "get tenant by domain", `SELECT `+tenantColumns+`
		FROM tenant_domains hd JOIN tenants t ON t.id = hd.tenant_id WHERE hd.domain = $1`, host)
}

func (s *Store) getTenant(ctx context.Context, op, query string, arg string) (*gatehouse.Tenant, error) {
	t, _, err := scanTenant(s.pool.QueryRow(ctx, query, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("tenant")
	}
	if err != nil {
		return nil, dbError(op, err)
	}
	return t, nil
}

// ListTenants returns a page of tenants in creation order.
func (s *Store) ListTenants(ctx context.Context, opt gatehouse.ListOptions) ([]*gatehouse.Tenant, string, error) {
	limit, after, err := page(opt)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+tenantColumns+` FROM tenants t WHERE t.seq > $1 ORDER BY t.seq LIMIT $2`,
		after, limit+1)
	if err != nil {
		return nil, "", dbError("list tenants", err)
	}
	return collectPage(rows, limit, scanTenant, "list tenants")
}

// UpdateTenant writes the tenant's fields and replaces its domains, in one
// transaction, when t.Revision is current; it then increments t.Revision
// and sets t.UpdatedAt. ECONFLICT on a stale revision or a taken slug or
// domain, ENOTFOUND when the tenant is gone.
func (s *Store) UpdateTenant(ctx context.Context, t *gatehouse.Tenant) error {
	now := s.now()
	var rev int64
	err := s.inTx(ctx, "update tenant", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE tenants SET slug = $3, name = $4, status = $5, branding = $6, settings = $7,
				updated_at = $8, revision = revision + 1
			WHERE id = $1 AND revision = $2 RETURNING revision`,
			t.ID, t.Revision, t.Slug, t.Name, t.Status, t.Branding, t.Settings, ts(now)).Scan(&rev)
		if errors.Is(err, pgx.ErrNoRows) {
			return missingOrStale(ctx, tx, "tenant", `SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)`, t.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tenant_domains WHERE tenant_id = $1`, t.ID); err != nil {
			return err
		}
		return insertDomains(ctx, tx, t.ID, t.Domains)
	})
	if err != nil {
		return err
	}
	t.Revision, t.UpdatedAt = rev, now
	return nil
}

// missingOrStale explains why a revision-guarded update matched no row:
// ECONFLICT when the row exists (its revision moved on), ENOTFOUND when it
// does not. exists is a query returning one boolean.
func missingOrStale(ctx context.Context, q querier, what, exists string, args ...any) error {
	var ok bool
	if err := q.QueryRow(ctx, exists, args...).Scan(&ok); err != nil {
		return err
	}
	if ok {
		return staleRevision(what)
	}
	return notFound(what)
}

// stampNew fills the creation fields a caller left zero, as Create does
// for every revisioned row.
func (s *Store) stampNew(createdAt, updatedAt *time.Time, revision *int64) {
	now := s.now()
	if createdAt.IsZero() {
		*createdAt = now
	}
	if updatedAt.IsZero() {
		*updatedAt = *createdAt
	}
	if *revision == 0 {
		*revision = 1
	}
	normTimes(createdAt, updatedAt)
}

// collectPage scans up to limit+1 rows and returns the first limit with the
// cursor of the next page.
func collectPage[T any](rows pgx.Rows, limit int, scan func(pgx.Row) (T, int64, error), op string) ([]T, string, error) {
	defer rows.Close()
	var out []T
	var lastSeq int64
	n := 0
	for rows.Next() {
		n++
		if n > limit {
			break
		}
		v, seq, err := scan(rows)
		if err != nil {
			return nil, "", dbError(op, err)
		}
		out = append(out, v)
		lastSeq = seq
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", dbError(op, err)
	}
	return out, nextCursor(n, limit, lastSeq), nil
}
