package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

const signingKeyColumns = `id, tenant_id, purpose, algorithm, state, public_key, sealed_private_key,
	created_at, activated_at, retired_at, not_after`

func scanSigningKey(row pgx.Row) (*gatehouse.SigningKey, error) {
	var k gatehouse.SigningKey
	err := row.Scan(&k.ID, &k.TenantID, &k.Purpose, &k.Algorithm, &k.State, &k.PublicKey, &k.SealedPrivateKey,
		tm(&k.CreatedAt), tm(&k.ActivatedAt), tm(&k.RetiredAt), tm(&k.NotAfter))
	if err != nil {
		return nil, err
	}
	return &k, nil
}

func (s *Store) stampSigningKey(k *gatehouse.SigningKey) {
	fillID(&k.ID)
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	normTimes(&k.CreatedAt, &k.ActivatedAt, &k.RetiredAt, &k.NotAfter)
}

func insertSigningKey(ctx context.Context, q querier, k *gatehouse.SigningKey) error {
	_, err := q.Exec(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		k.ID, k.TenantID, k.Purpose, k.Algorithm, k.State, k.PublicKey, k.SealedPrivateKey,
		ts(k.CreatedAt), ts(k.ActivatedAt), ts(k.RetiredAt), ts(k.NotAfter))
	return err
}

// CreateSigningKey stores a key of a tenant ("" for the platform), giving
// it an id and creation time when it has none. ECONFLICT when the id is
// taken, or when the key is active or next and (tenant, purpose,
// algorithm) already has a key in that state: of two nodes that bootstrap
// keys at once, one wins and the other should read the winner's.
func (s *Store) CreateSigningKey(ctx context.Context, k *gatehouse.SigningKey) error {
	s.stampSigningKey(k)
	return dbError("create signing key", insertSigningKey(ctx, s.pool, k))
}

// ListSigningKeys returns every key of the tenant ("" for the platform),
// oldest first.
func (s *Store) ListSigningKeys(ctx context.Context, tenantID string) ([]*gatehouse.SigningKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE tenant_id = $1 ORDER BY created_at, seq`, tenantID)
	if err != nil {
		return nil, dbError("list signing keys", err)
	}
	return collectAll(rows, scanSigningKey, "list signing keys")
}

// RotateSigningKeys, in one transaction, retires the active key of
// promote's (tenant, purpose, algorithm) with retiredNotAfter, activates
// promote, and inserts next (when not nil) as the new next key (its state
// is set to next). next must have promote's tenant, purpose and algorithm
// (EINVALID). The row of promote is locked first, so of two concurrent
// rotations the second waits and then finds promote no longer next:
// ECONFLICT. ENOTFOUND when promote does not exist.
func (s *Store) RotateSigningKeys(ctx context.Context, promote string, next *gatehouse.SigningKey, at, retiredNotAfter time.Time) error {
	if next != nil {
		next.State = gatehouse.KeyNext
		s.stampSigningKey(next)
	}
	return s.inTx(ctx, "rotate signing keys", func(tx pgx.Tx) error {
		var tenantID, purpose, algorithm string
		var state gatehouse.KeyState
		err := tx.QueryRow(ctx, `SELECT tenant_id, purpose, algorithm, state FROM signing_keys WHERE id = $1 FOR UPDATE`,
			promote).Scan(&tenantID, &purpose, &algorithm, &state)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("signing key")
		}
		if err != nil {
			return err
		}
		if state != gatehouse.KeyNext {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "the signing key is no longer next; another rotation won")
		}
		if next != nil && (next.TenantID != tenantID || string(next.Purpose) != purpose || next.Algorithm != algorithm) {
			return gatehouse.Errorf(gatehouse.EINVALID,
				"the new next key must have the tenant, purpose and algorithm of the key it follows")
		}
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = $4, not_after = $5
			WHERE tenant_id = $1 AND purpose = $2 AND algorithm = $3 AND state = 'active'`,
			tenantID, purpose, algorithm, ts(at), ts(retiredNotAfter)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'active', activated_at = $2 WHERE id = $1`,
			promote, ts(at)); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		return insertSigningKey(ctx, tx, next)
	})
}

// DeleteSigningKey removes a retired key. ENOTFOUND if the tenant has no
// such key, ECONFLICT if the key is not retired.
func (s *Store) DeleteSigningKey(ctx context.Context, tenantID, id string) error {
	var state gatehouse.KeyState
	err := s.pool.QueryRow(ctx, `WITH d AS (
			DELETE FROM signing_keys WHERE tenant_id = $1 AND id = $2 AND state = 'retired' RETURNING state
		)
		SELECT state FROM d
		UNION ALL
		SELECT state FROM signing_keys WHERE tenant_id = $1 AND id = $2
		LIMIT 1`, tenantID, id).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("signing key")
	}
	if err != nil {
		return dbError("delete signing key", err)
	}
	if state != gatehouse.KeyRetired {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "only a retired signing key can be deleted")
	}
	return nil
}
