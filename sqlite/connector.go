package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

const connectorCols = `id, tenant_id, kind, name, active, button_text, button_image_uri, config, sealed_secrets,
	mapping, conflict_policy, created_at, updated_at, revision`

func scanConnector(sc scanner) (*gatehouse.Connector, error) {
	var c gatehouse.Connector
	var config []byte
	err := sc.Scan(&c.ID, &c.TenantID, &c.Kind, &c.Name, &c.Active, &c.ButtonText, &c.ButtonImageURI,
		bytesCol{&config}, bytesCol{&c.SealedSecrets}, jsonCol{&c.Mapping}, &c.ConflictPolicy,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.Revision)
	if err != nil {
		return nil, err
	}
	if len(config) > 0 {
		c.Config = json.RawMessage(config)
	}
	return &c, nil
}

// configArg stores a connector's raw JSON config as text, NULL when empty.
func configArg(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// CreateConnector stores a connector. ENOTFOUND when the tenant does not
// exist.
func (s *Store) CreateConnector(ctx context.Context, c *gatehouse.Connector) error {
	now := s.now()
	if c.ID == "" {
		c.ID = secret.NewID()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now
	}
	if c.Revision == 0 {
		c.Revision = 1
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO connectors (`+connectorCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.TenantID, string(c.Kind), c.Name, c.Active, c.ButtonText, c.ButtonImageURI, configArg(c.Config),
		c.SealedSecrets, jsonArg{c.Mapping}, c.ConflictPolicy, micros(c.CreatedAt), micros(c.UpdatedAt), c.Revision)
	return fail("create connector", err, "tenant not found", conflicts{"connectors.id": "connector id is already taken"})
}

// GetConnector returns the tenant's connector with id, ENOTFOUND when
// there is none.
func (s *Store) GetConnector(ctx context.Context, tenantID, id string) (*gatehouse.Connector, error) {
	c, err := scanConnector(s.r.QueryRowContext(ctx, `SELECT `+connectorCols+` FROM connectors
		WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return c, fail("get connector", noRows(err, "connector not found"), "", nil)
}

// ListConnectors returns the tenant's connectors in creation order.
func (s *Store) ListConnectors(ctx context.Context, tenantID string) ([]*gatehouse.Connector, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+connectorCols+` FROM connectors WHERE tenant_id = ? ORDER BY seq`,
		tenantID)
	if err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.Connector
	for rows.Next() {
		c, err := scanConnector(rows)
		if err != nil {
			return nil, fmt.Errorf("list connectors: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	return out, nil
}

// UpdateConnector writes every field of c when its Revision is current.
// ECONFLICT on a stale revision, ENOTFOUND when the connector is gone.
func (s *Store) UpdateConnector(ctx context.Context, c *gatehouse.Connector) error {
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE connectors SET kind = ?, name = ?, active = ?, button_text = ?,
			button_image_uri = ?, config = ?, sealed_secrets = ?, mapping = ?, conflict_policy = ?, updated_at = ?,
			revision = revision + 1 WHERE tenant_id = ? AND id = ? AND revision = ?`,
			string(c.Kind), c.Name, c.Active, c.ButtonText, c.ButtonImageURI, configArg(c.Config), c.SealedSecrets,
			jsonArg{c.Mapping}, c.ConflictPolicy, micros(now), c.TenantID, c.ID, c.Revision)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return revisionMiss(ctx, tx, "connector", `SELECT 1 FROM connectors WHERE tenant_id = ? AND id = ?`,
				c.TenantID, c.ID)
		}
		return nil
	})
	if err != nil {
		return fail("update connector", err, "", nil)
	}
	c.Revision++
	c.UpdatedAt = now
	return nil
}

// DeleteConnector removes the connector and, through the schema's
// cascade, its federated identities. ENOTFOUND when it is not in the
// tenant.
func (s *Store) DeleteConnector(ctx context.Context, tenantID, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM connectors WHERE tenant_id = ? AND id = ?`, tenantID, id)
	return fail("delete connector", affected(res, err, "connector not found"), "", nil)
}

const identityCols = `tenant_id, connector_id, subject, user_id, created_at, last_sign_in_at`

// LinkIdentity links an upstream subject to a user. ECONFLICT when the
// subject is already linked, ENOTFOUND when the connector or the user is
// not in the tenant.
func (s *Store) LinkIdentity(ctx context.Context, f *gatehouse.FederatedIdentity) error {
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO federated_identities (`+identityCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		f.TenantID, f.ConnectorID, f.Subject, f.UserID, micros(f.CreatedAt), micros(f.LastSignInAt))
	return fail("link identity", err, "connector or user not found", conflicts{
		"federated_identities": "the upstream account is already linked",
	})
}

// GetIdentity returns the link of an upstream subject, ENOTFOUND when
// there is none.
func (s *Store) GetIdentity(ctx context.Context, tenantID, connectorID, subject string) (*gatehouse.FederatedIdentity, error) {
	var f gatehouse.FederatedIdentity
	err := s.r.QueryRowContext(ctx, `SELECT `+identityCols+` FROM federated_identities
		WHERE tenant_id = ? AND connector_id = ? AND subject = ?`, tenantID, connectorID, subject).Scan(
		&f.TenantID, &f.ConnectorID, &f.Subject, &f.UserID, timeCol{&f.CreatedAt}, timeCol{&f.LastSignInAt})
	if err != nil {
		return nil, fail("get identity", noRows(err, "identity not found"), "", nil)
	}
	return &f, nil
}

// TouchIdentity records a sign-in through the link. ENOTFOUND when there
// is no such link.
func (s *Store) TouchIdentity(ctx context.Context, tenantID, connectorID, subject string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE federated_identities SET last_sign_in_at = ?
		WHERE tenant_id = ? AND connector_id = ? AND subject = ?`, micros(at), tenantID, connectorID, subject)
	return fail("touch identity", affected(res, err, "identity not found"), "", nil)
}
