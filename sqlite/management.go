package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

// What the management API keeps beyond the rest of the schema (migration
// 0010): platform admin tenants, client assets and set-password tokens.

// SetPlatformAdmin marks or unmarks the tenant as the platform's own.
// ENOTFOUND for an unknown tenant.
func (s *Store) SetPlatformAdmin(ctx context.Context, tenantID string, on bool) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = ?`, tenantID).Scan(&one); err != nil {
			return noRows(err, "tenant not found")
		}
		if on {
			_, err := tx.ExecContext(ctx, `INSERT INTO platform_admins (tenant_id) VALUES (?) ON CONFLICT DO NOTHING`, tenantID)
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM platform_admins WHERE tenant_id = ?`, tenantID)
		return err
	})
	return fail("set platform admin", err, "tenant not found", nil)
}

// IsPlatformAdmin reports whether the tenant is marked as the platform's
// own; an unknown tenant is not.
func (s *Store) IsPlatformAdmin(ctx context.Context, tenantID string) (bool, error) {
	var on bool
	err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM platform_admins WHERE tenant_id = ?)`, tenantID).Scan(&on)
	return on, fail("is platform admin", err, "", nil)
}

// RevokeUserGrants revokes every unrevoked grant of the user, with their
// refresh tokens, and returns how many grants it revoked.
func (s *Store) RevokeUserGrants(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	defer s.revocations.Invalidate()
	var n int
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = revokeGrants(ctx, tx, at, `tenant_id = ? AND user_id = ?`, tenantID, userID)
		return err
	})
	return n, fail("revoke user grants", err, "", nil)
}

// Client assets.

// PutClientAsset creates or replaces the asset of the tenant's client.
// ENOTFOUND when the client is not in a.TenantID.
func (s *Store) PutClientAsset(ctx context.Context, a *gatehouse.ClientAsset) error {
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = s.now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		// Checked first: the upsert below would otherwise replace another
		// tenant's row, since the conflict is on (client, name) alone.
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE tenant_id = ? AND id = ?`, a.TenantID, a.Client).Scan(&one)
		if err != nil {
			return noRows(err, "client not found")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO client_assets (tenant_id, client, name, content_type, data, digest, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (client, name) DO UPDATE SET content_type = excluded.content_type, data = excluded.data,
				digest = excluded.digest, updated_at = excluded.updated_at`,
			a.TenantID, a.Client, a.Name, a.ContentType, a.Data, a.Digest, micros(a.UpdatedAt))
		return err
	})
	return fail("put client asset", err, "client not found", nil)
}

// GetClientAsset returns the asset of the client with this registration
// id, whatever its tenant; ENOTFOUND when there is none.
func (s *Store) GetClientAsset(ctx context.Context, clientID, name string) (*gatehouse.ClientAsset, error) {
	var a gatehouse.ClientAsset
	err := s.r.QueryRowContext(ctx, `SELECT tenant_id, client, name, content_type, data, digest, updated_at
		FROM client_assets WHERE client = ? AND name = ?`, clientID, name).Scan(
		&a.TenantID, &a.Client, &a.Name, &a.ContentType, bytesCol{&a.Data}, &a.Digest, timeCol{&a.UpdatedAt})
	if err != nil {
		return nil, fail("get client asset", noRows(err, "asset not found"), "", nil)
	}
	return &a, nil
}

// DeleteClientAsset removes an asset; ENOTFOUND when the tenant's client
// has none of that name.
func (s *Store) DeleteClientAsset(ctx context.Context, tenantID, clientID, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM client_assets WHERE tenant_id = ? AND client = ? AND name = ?`,
			tenantID, clientID, name)
		return affected(res, err, "asset not found")
	})
	return fail("delete client asset", err, "", nil)
}

// Set-password tokens.

const passwordTokenCols = `hash, tenant_id, user_id, created_by, created_at, expires_at`

func scanPasswordToken(sc scanner) (*gatehouse.PasswordToken, error) {
	var t gatehouse.PasswordToken
	if err := sc.Scan(bytesCol{&t.Hash}, &t.TenantID, &t.UserID, &t.CreatedBy, timeCol{&t.CreatedAt},
		timeCol{&t.ExpiresAt}); err != nil {
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_tokens WHERE tenant_id = ? AND user_id = ?`,
			t.TenantID, t.UserID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO password_tokens (`+passwordTokenCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			t.Hash, t.TenantID, t.UserID, t.CreatedBy, micros(t.CreatedAt), micros(t.ExpiresAt))
		return err
	})
	return fail("put password token", err, "user not found", conflicts{"password_tokens.hash": "the token is taken"})
}

// GetPasswordToken finds an unexpired token by hash; ENOTFOUND otherwise.
func (s *Store) GetPasswordToken(ctx context.Context, hash []byte, now time.Time) (*gatehouse.PasswordToken, error) {
	t, err := scanPasswordToken(s.r.QueryRowContext(ctx, `SELECT `+passwordTokenCols+` FROM password_tokens
		WHERE hash = ? AND expires_at > ?`, hash, micros(now)))
	if err != nil {
		return nil, fail("get password token", noRows(err, "password token not found"), "", nil)
	}
	return t, nil
}

// ConsumePasswordToken deletes an unexpired token and returns it;
// ENOTFOUND when there is none. The delete is the claim, so of concurrent
// calls exactly one finds the row.
func (s *Store) ConsumePasswordToken(ctx context.Context, hash []byte, now time.Time) (*gatehouse.PasswordToken, error) {
	var t *gatehouse.PasswordToken
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanPasswordToken(tx.QueryRowContext(ctx, `DELETE FROM password_tokens WHERE hash = ? AND expires_at > ?
			RETURNING `+passwordTokenCols, hash, micros(now)))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("password token not found")
		}
		return err
	})
	if err != nil {
		return nil, fail("consume password token", err, "", nil)
	}
	return t, nil
}

// DeletePasswordTokens deletes the user's tokens, if any.
func (s *Store) DeletePasswordTokens(ctx context.Context, tenantID, userID string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM password_tokens WHERE tenant_id = ? AND user_id = ?`, tenantID, userID)
		return err
	})
	return fail("delete password tokens", err, "", nil)
}
