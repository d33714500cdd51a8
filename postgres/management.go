package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

// What the management API keeps beyond the rest of the schema (migration
// 0010): platform admin tenants, client assets and set-password tokens.

// SetPlatformAdmin marks or unmarks the tenant as the platform's own.
// ENOTFOUND for an unknown tenant.
func (s *Store) SetPlatformAdmin(ctx context.Context, tenantID string, on bool) error {
	if on {
		_, err := s.pool.Exec(ctx, `INSERT INTO platform_admins (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING`, tenantID)
		return dbError("set platform admin", err)
	}
	var exists bool
	err := s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM platform_admins WHERE tenant_id = $1)
		SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)`, tenantID).Scan(&exists)
	if err != nil {
		return dbError("set platform admin", err)
	}
	if !exists {
		return notFound("tenant")
	}
	return nil
}

// IsPlatformAdmin reports whether the tenant is marked as the platform's
// own; an unknown tenant is not.
func (s *Store) IsPlatformAdmin(ctx context.Context, tenantID string) (bool, error) {
	var on bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM platform_admins WHERE tenant_id = $1)`, tenantID).Scan(&on)
	return on, dbError("is platform admin", err)
}

// RevokeUserGrants revokes every unrevoked grant of the user, with their
// refresh tokens, and returns how many grants it revoked.
func (s *Store) RevokeUserGrants(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	defer s.revocations.Invalidate()
	n, err := revokeGrantsWhere(ctx, s.pool, `tenant_id = $1 AND user_id = $2`, ts(at), tenantID, userID)
	return n, dbError("revoke user grants", err)
}

// Client assets.

// PutClientAsset creates or replaces the asset of the tenant's client.
// ENOTFOUND when the client is not in a.TenantID.
func (s *Store) PutClientAsset(ctx context.Context, a *gatehouse.ClientAsset) error {
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = s.now()
	}
	normTimes(&a.UpdatedAt)
	// The WHERE of the update keeps a caller of another tenant from
	// replacing a row it does not own: the conflict is on (client, name)
	// alone, and the foreign key is checked only for an insert.
	tag, err := s.pool.Exec(ctx, `INSERT INTO client_assets (client, name, tenant_id, content_type, data, digest, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (client, name) DO UPDATE SET content_type = excluded.content_type, data = excluded.data,
			digest = excluded.digest, updated_at = excluded.updated_at
		WHERE client_assets.tenant_id = excluded.tenant_id`,
		a.Client, a.Name, a.TenantID, a.ContentType, a.Data, a.Digest, ts(a.UpdatedAt))
	if err != nil {
		return dbError("put client asset", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("client")
	}
	return nil
}

// GetClientAsset returns the asset of the client with this registration
// id, whatever its tenant; ENOTFOUND when there is none.
func (s *Store) GetClientAsset(ctx context.Context, clientID, name string) (*gatehouse.ClientAsset, error) {
	var a gatehouse.ClientAsset
	err := s.pool.QueryRow(ctx, `SELECT tenant_id, client, name, content_type, data, digest, updated_at
		FROM client_assets WHERE client = $1 AND name = $2`, clientID, name).Scan(
		&a.TenantID, &a.Client, &a.Name, &a.ContentType, &a.Data, &a.Digest, tm(&a.UpdatedAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("asset")
	}
	if err != nil {
		return nil, dbError("get client asset", err)
	}
	return &a, nil
}

// DeleteClientAsset removes an asset; ENOTFOUND when the tenant's client
// has none of that name.
func (s *Store) DeleteClientAsset(ctx context.Context, tenantID, clientID, name string) error {
	return s.execOne(ctx, "delete client asset", "asset",
		`DELETE FROM client_assets WHERE tenant_id = $1 AND client = $2 AND name = $3`, tenantID, clientID, name)
}

// Set-password tokens.

const passwordTokenColumns = `hash, tenant_id, user_id, created_by, created_at, expires_at`

func scanPasswordToken(row pgx.Row) (*gatehouse.PasswordToken, error) {
	var t gatehouse.PasswordToken
	if err := row.Scan(&t.Hash, &t.TenantID, &t.UserID, &t.CreatedBy, tm(&t.CreatedAt), tm(&t.ExpiresAt)); err != nil {
		return nil, err
	}
	return &t, nil
}

// PutPasswordToken stores t as its user's only token. ENOTFOUND when the
// user is not in t.TenantID, ECONFLICT when the hash is taken.
func (s *Store) PutPasswordToken(ctx context.Context, t *gatehouse.PasswordToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	normTimes(&t.CreatedAt, &t.ExpiresAt)
	return s.inTx(ctx, "put password token", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM password_tokens WHERE tenant_id = $1 AND user_id = $2`,
			t.TenantID, t.UserID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO password_tokens (`+passwordTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			t.Hash, t.TenantID, t.UserID, t.CreatedBy, ts(t.CreatedAt), ts(t.ExpiresAt))
		return err
	})
}

// GetPasswordToken finds an unexpired token by hash; ENOTFOUND otherwise.
func (s *Store) GetPasswordToken(ctx context.Context, hash []byte, now time.Time) (*gatehouse.PasswordToken, error) {
	t, err := scanPasswordToken(s.pool.QueryRow(ctx, `SELECT `+passwordTokenColumns+` FROM password_tokens
		WHERE hash = $1 AND expires_at > $2`, hash, ts(now)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("password token")
	}
	if err != nil {
		return nil, dbError("get password token", err)
	}
	return t, nil
}

// ConsumePasswordToken deletes an unexpired token and returns it;
// ENOTFOUND when there is none. The delete is the claim, so of concurrent
// calls exactly one finds the row.
func (s *Store) ConsumePasswordToken(ctx context.Context, hash []byte, now time.Time) (*gatehouse.PasswordToken, error) {
	t, err := scanPasswordToken(s.pool.QueryRow(ctx, `DELETE FROM password_tokens WHERE hash = $1 AND expires_at > $2
		RETURNING `+passwordTokenColumns, hash, ts(now)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("password token")
	}
	if err != nil {
		return nil, dbError("consume password token", err)
	}
	return t, nil
}

// DeletePasswordTokens deletes the user's tokens, if any.
func (s *Store) DeletePasswordTokens(ctx context.Context, tenantID, userID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM password_tokens WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	return dbError("delete password tokens", err)
}
