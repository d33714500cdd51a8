package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

// Server API keys.

const apiKeyColumns = `id, tenant_id, name, prefix, hash, scopes, created_by, created_at, expires_at,
	last_used_at, revoked_at, seq`

func scanAPIKey(row pgx.Row) (*gatehouse.APIKey, int64, error) {
	var k gatehouse.APIKey
	var seq int64
	err := row.Scan(&k.ID, &k.TenantID, &k.Name, &k.Prefix, &k.Hash, &k.Scopes, &k.CreatedBy, tm(&k.CreatedAt),
		tm(&k.ExpiresAt), tm(&k.LastUsedAt), tm(&k.RevokedAt), &seq)
	if err != nil {
		return nil, 0, err
	}
	nilEmpty(&k.Scopes)
	return &k, seq, nil
}

// CreateAPIKey stores a server API key, giving it an id and creation time
// when it has none. ENOTFOUND when the tenant does not exist, ECONFLICT
// when the id or hash is taken.
func (s *Store) CreateAPIKey(ctx context.Context, k *gatehouse.APIKey) error {
	fillID(&k.ID)
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	normTimes(&k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt, &k.RevokedAt)
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_by,
			created_at, expires_at, last_used_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		k.ID, k.TenantID, k.Name, k.Prefix, k.Hash, list(k.Scopes), k.CreatedBy,
		ts(k.CreatedAt), ts(k.ExpiresAt), ts(k.LastUsedAt), ts(k.RevokedAt))
	return dbError("create api key", err)
}

// GetAPIKeyByHash returns the key whose value hashes to hash, whatever its
// state; ENOTFOUND if there is none.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error) {
	return s.getAPIKey(ctx, "get api key by hash", `hash = $1`, hash)
}

// GetAPIKey returns the key, ENOTFOUND if the tenant has no such key.
func (s *Store) GetAPIKey(ctx context.Context, tenantID, id string) (*gatehouse.APIKey, error) {
	return s.getAPIKey(ctx, "get api key", `tenant_id = $1 AND id = $2`, tenantID, id)
}

func (s *Store) getAPIKey(ctx context.Context, op, where string, args ...any) (*gatehouse.APIKey, error) {
	k, _, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("API key")
	}
	if err != nil {
		return nil, dbError(op, err)
	}
	return k, nil
}

// ListAPIKeys returns a page of the tenant's API keys in creation order,
// revoked ones included.
func (s *Store) ListAPIKeys(ctx context.Context, tenantID string, opt gatehouse.ListOptions) ([]*gatehouse.APIKey, string, error) {
	limit, after, err := page(opt)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, tenantID, after, limit+1)
	if err != nil {
		return nil, "", dbError("list api keys", err)
	}
	return collectPage(rows, limit, scanAPIKey, "list api keys")
}

// RevokeAPIKey revokes the key, keeping the first revocation time.
// ENOTFOUND if the tenant has no such key.
func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, id string, at time.Time) error {
	return s.execOne(ctx, "revoke api key", "API key",
		`UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3) WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, ts(at))
}

// TouchAPIKey records that the key was used at at. ENOTFOUND if there is
// no such key.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.execOne(ctx, "touch api key", "API key",
		`UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, id, ts(at))
}

// Public install keys.

const installKeyColumns = `id, tenant_id, key, created_at, revoked_at`

func scanInstallKey(row pgx.Row) (*gatehouse.InstallKey, error) {
	var k gatehouse.InstallKey
	if err := row.Scan(&k.ID, &k.TenantID, &k.Key, tm(&k.CreatedAt), tm(&k.RevokedAt)); err != nil {
		return nil, err
	}
	return &k, nil
}

// CreateInstallKey stores a public install key, giving it an id and
// creation time when it has none. ENOTFOUND when the tenant does not
// exist, ECONFLICT when the id or key is taken.
func (s *Store) CreateInstallKey(ctx context.Context, k *gatehouse.InstallKey) error {
	fillID(&k.ID)
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	normTimes(&k.CreatedAt, &k.RevokedAt)
	_, err := s.pool.Exec(ctx, `INSERT INTO install_keys (`+installKeyColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		k.ID, k.TenantID, k.Key, ts(k.CreatedAt), ts(k.RevokedAt))
	return dbError("create install key", err)
}

// GetInstallKey returns the unrevoked install key with this public value,
// ENOTFOUND if there is none.
func (s *Store) GetInstallKey(ctx context.Context, key string) (*gatehouse.InstallKey, error) {
	k, err := scanInstallKey(s.pool.QueryRow(ctx, `SELECT `+installKeyColumns+` FROM install_keys
		WHERE key = $1 AND revoked_at IS NULL`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("install key")
	}
	if err != nil {
		return nil, dbError("get install key", err)
	}
	return k, nil
}

// ListInstallKeys returns the tenant's install keys in creation order,
// revoked ones included.
func (s *Store) ListInstallKeys(ctx context.Context, tenantID string) ([]*gatehouse.InstallKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+installKeyColumns+` FROM install_keys WHERE tenant_id = $1 ORDER BY seq`,
		tenantID)
	if err != nil {
		return nil, dbError("list install keys", err)
	}
	return collectAll(rows, scanInstallKey, "list install keys")
}

// RevokeInstallKey revokes the key, keeping the first revocation time.
// ENOTFOUND if the tenant has no such key.
func (s *Store) RevokeInstallKey(ctx context.Context, tenantID, id string, at time.Time) error {
	return s.execOne(ctx, "revoke install key", "install key",
		`UPDATE install_keys SET revoked_at = coalesce(revoked_at, $3) WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, ts(at))
}

// RotateInstallKey revokes the tenant's key oldID and creates next in one
// transaction. ENOTFOUND when oldID is not the tenant's, ECONFLICT when it
// is already revoked or next's value is taken, EINVALID when next is of
// another tenant.
func (s *Store) RotateInstallKey(ctx context.Context, tenantID, oldID string, next *gatehouse.InstallKey, at time.Time) error {
	if next.TenantID != tenantID {
		return gatehouse.Errorf(gatehouse.EINVALID, "the new install key must belong to the tenant of the old one")
	}
	fillID(&next.ID)
	if next.CreatedAt.IsZero() {
		next.CreatedAt = s.now()
	}
	normTimes(&next.CreatedAt, &next.RevokedAt)
	return s.inTx(ctx, "rotate install key", func(tx pgx.Tx) error {
		// The row lock makes a concurrent rotation of the same key wait,
		// then see it revoked.
		var revoked time.Time
		err := tx.QueryRow(ctx, `SELECT revoked_at FROM install_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, oldID).Scan(tm(&revoked))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("install key")
		}
		if err != nil {
			return err
		}
		if !revoked.IsZero() {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "the install key is already revoked")
		}
		if _, err := tx.Exec(ctx, `UPDATE install_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2`,
			tenantID, oldID, ts(at)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO install_keys (`+installKeyColumns+`) VALUES ($1, $2, $3, $4, $5)`,
			next.ID, next.TenantID, next.Key, ts(next.CreatedAt), ts(next.RevokedAt))
		return err
	})
}

// JWT credentials.

const jwtCredentialColumns = `id, tenant_id, user_id, name, hash, allowed_client_ids, created_at, expires_at,
	last_used_at, revoked_at`

func scanJWTCredential(row pgx.Row) (*gatehouse.JWTCredential, error) {
	var c gatehouse.JWTCredential
	err := row.Scan(&c.ID, &c.TenantID, &c.UserID, &c.Name, &c.Hash, &c.AllowedClientIDs, tm(&c.CreatedAt),
		tm(&c.ExpiresAt), tm(&c.LastUsedAt), tm(&c.RevokedAt))
	if err != nil {
		return nil, err
	}
	nilEmpty(&c.AllowedClientIDs)
	return &c, nil
}

// CreateJWTCredential stores a user's JWT credential, giving it an id and
// creation time when it has none. ENOTFOUND when the tenant or user does
// not exist, ECONFLICT when the id is taken.
func (s *Store) CreateJWTCredential(ctx context.Context, c *gatehouse.JWTCredential) error {
	fillID(&c.ID)
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	normTimes(&c.CreatedAt, &c.ExpiresAt, &c.LastUsedAt, &c.RevokedAt)
	_, err := s.pool.Exec(ctx, `INSERT INTO jwt_credentials (`+jwtCredentialColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, c.TenantID, c.UserID, c.Name, bytesOrNil(c.Hash), list(c.AllowedClientIDs), ts(c.CreatedAt),
		ts(c.ExpiresAt), ts(c.LastUsedAt), ts(c.RevokedAt))
	return dbError("create jwt credential", err)
}

// GetJWTCredential returns the credential whatever its state, ENOTFOUND if
// the tenant has no such credential.
func (s *Store) GetJWTCredential(ctx context.Context, tenantID, id string) (*gatehouse.JWTCredential, error) {
	c, err := scanJWTCredential(s.pool.QueryRow(ctx, `SELECT `+jwtCredentialColumns+` FROM jwt_credentials
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("JWT credential")
	}
	if err != nil {
		return nil, dbError("get jwt credential", err)
	}
	return c, nil
}

// ListJWTCredentials returns the user's credentials in creation order,
// revoked ones included.
func (s *Store) ListJWTCredentials(ctx context.Context, tenantID, userID string) ([]*gatehouse.JWTCredential, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+jwtCredentialColumns+` FROM jwt_credentials
		WHERE tenant_id = $1 AND user_id = $2 ORDER BY seq`, tenantID, userID)
	if err != nil {
		return nil, dbError("list jwt credentials", err)
	}
	return collectAll(rows, scanJWTCredential, "list jwt credentials")
}

// RevokeJWTCredential marks the credential revoked (keeping the first
// revocation time) and revokes every grant made with it, with their
// refresh tokens, in one transaction. ENOTFOUND if the tenant has no such
// credential.
func (s *Store) RevokeJWTCredential(ctx context.Context, tenantID, id string, at time.Time) error {
	defer s.revocations.Invalidate()
	return s.inTx(ctx, "revoke jwt credential", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE jwt_credentials SET revoked_at = coalesce(revoked_at, $3)
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, ts(at))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("JWT credential")
		}
		_, err = revokeGrantsWhere(ctx, tx, `tenant_id = $1 AND jwt_credential_id = $2`, ts(at), tenantID, id)
		return err
	})
}

// TouchJWTCredential records that the credential was used at at.
// ENOTFOUND if the tenant has no such credential.
func (s *Store) TouchJWTCredential(ctx context.Context, tenantID, id string, at time.Time) error {
	return s.execOne(ctx, "touch jwt credential", "JWT credential",
		`UPDATE jwt_credentials SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, id, ts(at))
}
