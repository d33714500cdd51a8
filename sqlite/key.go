package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

const signingKeyCols = `id, tenant_id, purpose, algorithm, state, public_key, sealed_private_key, created_at,
	activated_at, retired_at, not_after`

var signingKeyConflicts = conflicts{
	"signing_keys.id": "key id is already taken",
	// The partial unique indexes report their columns.
	"signing_keys.tenant_id": "the tenant already has an active or next key of that purpose and algorithm",
}

func insertSigningKey(ctx context.Context, tx *sql.Tx, k *gatehouse.SigningKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (`+signingKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.TenantID, string(k.Purpose), k.Algorithm, string(k.State), k.PublicKey, k.SealedPrivateKey,
		micros(k.CreatedAt), micros(k.ActivatedAt), micros(k.RetiredAt), micros(k.NotAfter))
	return err
}

// CreateSigningKey stores a key of a tenant ("" for the platform).
// ECONFLICT when the kid is taken, or when the key would be a second
// active or next key of its (tenant, purpose, algorithm).
func (s *Store) CreateSigningKey(ctx context.Context, k *gatehouse.SigningKey) error {
	if k.ID == "" {
		k.ID = secret.NewID()
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return insertSigningKey(ctx, tx, k) })
	return fail("create signing key", err, "", signingKeyConflicts)
}

// ListSigningKeys returns every key of the tenant ("" for the platform),
// oldest first.
func (s *Store) ListSigningKeys(ctx context.Context, tenantID string) ([]*gatehouse.SigningKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+signingKeyCols+` FROM signing_keys WHERE tenant_id = ? ORDER BY seq`,
		tenantID)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.SigningKey
	for rows.Next() {
		var k gatehouse.SigningKey
		if err := rows.Scan(&k.ID, &k.TenantID, &k.Purpose, &k.Algorithm, &k.State, bytesCol{&k.PublicKey},
			bytesCol{&k.SealedPrivateKey}, timeCol{&k.CreatedAt}, timeCol{&k.ActivatedAt}, timeCol{&k.RetiredAt},
			timeCol{&k.NotAfter}); err != nil {
			return nil, fmt.Errorf("list signing keys: %w", err)
		}
		out = append(out, &k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return out, nil
}

// RotateSigningKeys, in one transaction, retires the active key of
// promote's (tenant, purpose, algorithm) at at with NotAfter
// retiredNotAfter, activates promote, and inserts next (when not nil) in
// state next. next must have promote's tenant, purpose and algorithm
// (EINVALID). ENOTFOUND when promote does not exist, ECONFLICT when it is
// no longer in state next (a concurrent rotation won).
func (s *Store) RotateSigningKeys(ctx context.Context, promote string, next *gatehouse.SigningKey, at, retiredNotAfter time.Time) error {
	if next != nil {
		if next.ID == "" {
			next.ID = secret.NewID()
		}
		if next.CreatedAt.IsZero() {
			next.CreatedAt = s.now()
		}
		next.State = gatehouse.KeyNext
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var tenantID, purpose, alg, state string
		err := tx.QueryRowContext(ctx, `SELECT tenant_id, purpose, algorithm, state FROM signing_keys WHERE id = ?`,
			promote).Scan(&tenantID, &purpose, &alg, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("signing key not found")
		}
		if err != nil {
			return err
		}
		if gatehouse.KeyState(state) != gatehouse.KeyNext {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "the key to promote is no longer the next key")
		}
		if next != nil && (next.TenantID != tenantID || string(next.Purpose) != purpose || next.Algorithm != alg) {
			return gatehouse.Errorf(gatehouse.EINVALID, "the new next key must have the tenant, purpose and algorithm of the key it follows")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = ?, not_after = ?
			WHERE tenant_id = ? AND purpose = ? AND algorithm = ? AND state = 'active'`,
			micros(at), micros(retiredNotAfter), tenantID, purpose, alg); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'active', activated_at = ? WHERE id = ?`,
			micros(at), promote); err != nil {
			return err
		}
		if next != nil {
			return insertSigningKey(ctx, tx, next)
		}
		return nil
	})
	return fail("rotate signing keys", err, "", signingKeyConflicts)
}

// DeleteSigningKey removes a retired key. ENOTFOUND when the key is not
// the tenant's, ECONFLICT when it is not retired.
func (s *Store) DeleteSigningKey(ctx context.Context, tenantID, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM signing_keys WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&state)
		if err != nil {
			return noRows(err, "signing key not found")
		}
		if gatehouse.KeyState(state) != gatehouse.KeyRetired {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "only a retired key can be deleted")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM signing_keys WHERE tenant_id = ? AND id = ?`, tenantID, id)
		return err
	})
	return fail("delete signing key", err, "", nil)
}
