package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Server API keys.

const apiKeyCols = `seq, id, tenant_id, name, prefix, hash, scopes, created_by, created_at, expires_at,
	last_used_at, revoked_at`

func scanAPIKey(sc scanner) (*gatehouse.APIKey, int64, error) {
	var k gatehouse.APIKey
	var seq int64
	err := sc.Scan(&seq, &k.ID, &k.TenantID, &k.Name, &k.Prefix, bytesCol{&k.Hash}, jsonCol{&k.Scopes}, &k.CreatedBy,
		timeCol{&k.CreatedAt}, timeCol{&k.ExpiresAt}, timeCol{&k.LastUsedAt}, timeCol{&k.RevokedAt})
	if err != nil {
		return nil, 0, err
	}
	return &k, seq, nil
}

// CreateAPIKey stores a server API key. ECONFLICT when its hash is taken,
// ENOTFOUND when the tenant does not exist.
func (s *Store) CreateAPIKey(ctx context.Context, k *gatehouse.APIKey) error {
	if k.ID == "" {
		k.ID = secret.NewID()
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_by,
		created_at, expires_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.TenantID, k.Name, k.Prefix, k.Hash, jsonArg{k.Scopes}, k.CreatedBy, micros(k.CreatedAt),
		micros(k.ExpiresAt), micros(k.LastUsedAt), micros(k.RevokedAt))
	return fail("create API key", err, "tenant not found", conflicts{
		"api_keys.hash": "API key is already taken",
		"api_keys.id":   "API key id is already taken",
	})
}

// GetAPIKeyByHash returns the key with this SHA-256, whatever its tenant
// or state; ENOTFOUND when there is none.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error) {
	k, _, err := scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE hash = ?`, hash))
	return k, fail("get API key by hash", noRows(err, "API key not found"), "", nil)
}

// GetAPIKey returns the tenant's key with id, ENOTFOUND when there is
// none.
func (s *Store) GetAPIKey(ctx context.Context, tenantID, id string) (*gatehouse.APIKey, error) {
	k, _, err := scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE tenant_id = ? AND id = ?`,
		tenantID, id))
	return k, fail("get API key", noRows(err, "API key not found"), "", nil)
}

// ListAPIKeys returns the tenant's keys in creation order, a page at a
// time.
func (s *Store) ListAPIKeys(ctx context.Context, tenantID string, opt gatehouse.ListOptions) ([]*gatehouse.APIKey, string, error) {
	after, limit, err := page(opt)
	if err != nil {
		return nil, "", fmt.Errorf("list API keys: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE tenant_id = ? AND seq > ?
		ORDER BY seq LIMIT ?`, tenantID, after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list API keys: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.APIKey
	var seqs []int64
	for rows.Next() {
		k, seq, err := scanAPIKey(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list API keys: %w", err)
		}
		out, seqs = append(out, k), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list API keys: %w", err)
	}
	out, next := cursorAfter(out, seqs, limit)
	return out, next, nil
}

// RevokeAPIKey revokes the key; revoking it again keeps the first time.
// ENOTFOUND when the key is not in the tenant.
func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?`,
		micros(at), tenantID, id)
	return fail("revoke API key", affected(res, err, "API key not found"), "", nil)
}

// TouchAPIKey records a use of the key with id. ENOTFOUND when there is
// none.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, micros(at), id)
	return fail("touch API key", affected(res, err, "API key not found"), "", nil)
}

// Public install keys.

const installKeyCols = `id, tenant_id, key, created_at, revoked_at`

func scanInstallKey(sc scanner) (*gatehouse.InstallKey, error) {
	var k gatehouse.InstallKey
	if err := sc.Scan(&k.ID, &k.TenantID, &k.Key, timeCol{&k.CreatedAt}, timeCol{&k.RevokedAt}); err != nil {
		return nil, err
	}
	return &k, nil
}

// CreateInstallKey stores a public install key. ECONFLICT when its value
// is taken, ENOTFOUND when the tenant does not exist.
func (s *Store) CreateInstallKey(ctx context.Context, k *gatehouse.InstallKey) error {
	if k.ID == "" {
		k.ID = secret.NewID()
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO install_keys (`+installKeyCols+`) VALUES (?, ?, ?, ?, ?)`,
		k.ID, k.TenantID, k.Key, micros(k.CreatedAt), micros(k.RevokedAt))
	return fail("create install key", err, "tenant not found", conflicts{
		"install_keys.key": "install key is already taken",
		"install_keys.id":  "install key id is already taken",
	})
}

// GetInstallKey returns the unrevoked install key with this public value,
// ENOTFOUND when there is none.
func (s *Store) GetInstallKey(ctx context.Context, key string) (*gatehouse.InstallKey, error) {
	k, err := scanInstallKey(s.r.QueryRowContext(ctx, `SELECT `+installKeyCols+` FROM install_keys
		WHERE key = ? AND revoked_at IS NULL`, key))
	return k, fail("get install key", noRows(err, "install key not found"), "", nil)
}

// ListInstallKeys returns every install key of the tenant, revoked ones
// included, in creation order.
func (s *Store) ListInstallKeys(ctx context.Context, tenantID string) ([]*gatehouse.InstallKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+installKeyCols+` FROM install_keys WHERE tenant_id = ? ORDER BY seq`,
		tenantID)
	if err != nil {
		return nil, fmt.Errorf("list install keys: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.InstallKey
	for rows.Next() {
		k, err := scanInstallKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list install keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list install keys: %w", err)
	}
	return out, nil
}

// RevokeInstallKey revokes the key; revoking it again keeps the first
// time. ENOTFOUND when the key is not in the tenant.
func (s *Store) RevokeInstallKey(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE install_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?`,
		micros(at), tenantID, id)
	return fail("revoke install key", affected(res, err, "install key not found"), "", nil)
}

// RotateInstallKey revokes the tenant's key oldID and creates next in one
// transaction. ENOTFOUND when oldID is not the tenant's, ECONFLICT when it
// is already revoked or next's value is taken, EINVALID when next is of
// another tenant.
func (s *Store) RotateInstallKey(ctx context.Context, tenantID, oldID string, next *gatehouse.InstallKey, at time.Time) error {
	if next.TenantID != tenantID {
		return gatehouse.Errorf(gatehouse.EINVALID, "the new install key must belong to the tenant of the old one")
	}
	if next.ID == "" {
		next.ID = secret.NewID()
	}
	if next.CreatedAt.IsZero() {
		next.CreatedAt = s.now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM install_keys WHERE tenant_id = ? AND id = ?`,
			tenantID, oldID).Scan(&revoked)
		if err != nil {
			return noRows(err, "install key not found")
		}
		if revoked.Valid {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "the install key is already revoked")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE install_keys SET revoked_at = ? WHERE tenant_id = ? AND id = ?`,
			micros(at), tenantID, oldID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO install_keys (`+installKeyCols+`) VALUES (?, ?, ?, ?, ?)`,
			next.ID, next.TenantID, next.Key, micros(next.CreatedAt), micros(next.RevokedAt))
		return err
	})
	return fail("rotate install key", err, "tenant not found", conflicts{
		"install_keys.key": "install key is already taken",
		"install_keys.id":  "install key id is already taken",
	})
}

// JWT credentials.

const jwtCredentialCols = `id, tenant_id, user_id, name, hash, allowed_client_ids, created_at, expires_at,
	last_used_at, revoked_at`

func scanJWTCredential(sc scanner) (*gatehouse.JWTCredential, error) {
	var c gatehouse.JWTCredential
	err := sc.Scan(&c.ID, &c.TenantID, &c.UserID, &c.Name, bytesCol{&c.Hash}, jsonCol{&c.AllowedClientIDs},
		timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt}, timeCol{&c.LastUsedAt}, timeCol{&c.RevokedAt})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CreateJWTCredential stores a user's JWT credential. ENOTFOUND when the
// user is not in the tenant.
func (s *Store) CreateJWTCredential(ctx context.Context, c *gatehouse.JWTCredential) error {
	if c.ID == "" {
		c.ID = secret.NewID()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO jwt_credentials (`+jwtCredentialCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.TenantID, c.UserID, c.Name, c.Hash, jsonArg{c.AllowedClientIDs}, micros(c.CreatedAt),
		micros(c.ExpiresAt), micros(c.LastUsedAt), micros(c.RevokedAt))
	return fail("create JWT credential", err, "user not found", conflicts{"jwt_credentials.id": "credential id is already taken"})
}

// GetJWTCredential returns the tenant's credential with id in any state,
// ENOTFOUND when there is none.
func (s *Store) GetJWTCredential(ctx context.Context, tenantID, id string) (*gatehouse.JWTCredential, error) {
	c, err := scanJWTCredential(s.r.QueryRowContext(ctx, `SELECT `+jwtCredentialCols+` FROM jwt_credentials
		WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return c, fail("get JWT credential", noRows(err, "credential not found"), "", nil)
}

// ListJWTCredentials returns the user's credentials in creation order.
func (s *Store) ListJWTCredentials(ctx context.Context, tenantID, userID string) ([]*gatehouse.JWTCredential, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+jwtCredentialCols+` FROM jwt_credentials
		WHERE tenant_id = ? AND user_id = ? ORDER BY seq`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("list JWT credentials: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.JWTCredential
	for rows.Next() {
		c, err := scanJWTCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("list JWT credentials: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list JWT credentials: %w", err)
	}
	return out, nil
}

// RevokeJWTCredential revokes the credential and every grant made with it,
// with their refresh tokens, in one transaction. ENOTFOUND when the
// credential is not in the tenant.
func (s *Store) RevokeJWTCredential(ctx context.Context, tenantID, id string, at time.Time) error {
	defer s.revocations.Invalidate()
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jwt_credentials SET revoked_at = COALESCE(revoked_at, ?)
			WHERE tenant_id = ? AND id = ?`, micros(at), tenantID, id)
		if err := affected(res, err, "credential not found"); err != nil {
			return err
		}
		_, err = revokeGrants(ctx, tx, at, `tenant_id = ? AND jwt_credential_id = ?`, tenantID, id)
		return err
	})
	return fail("revoke JWT credential", err, "", nil)
}

// TouchJWTCredential records a use of the credential. ENOTFOUND when it is
// not in the tenant.
func (s *Store) TouchJWTCredential(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE jwt_credentials SET last_used_at = ? WHERE tenant_id = ? AND id = ?`,
		micros(at), tenantID, id)
	return fail("touch JWT credential", affected(res, err, "credential not found"), "", nil)
}
