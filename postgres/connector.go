package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

const connectorColumns = `id, tenant_id, kind, name, active, button_text, button_image_uri, config,
	sealed_secrets, mapping, conflict_policy, created_at, updated_at, revision`

func scanConnector(row pgx.Row) (*gatehouse.Connector, error) {
	var c gatehouse.Connector
	var config []byte
	err := row.Scan(&c.ID, &c.TenantID, &c.Kind, &c.Name, &c.Active, &c.ButtonText, &c.ButtonImageURI, &config,
		&c.SealedSecrets, &c.Mapping, &c.ConflictPolicy, tm(&c.CreatedAt), tm(&c.UpdatedAt), &c.Revision)
	if err != nil {
		return nil, err
	}
	if len(config) > 0 {
		c.Config = json.RawMessage(config)
	}
	return &c, nil
}

// configParam is the parameter for the json config column: NULL when
// empty, the bytes as they are otherwise (json keeps them verbatim).
func configParam(c json.RawMessage) any {
	if len(c) == 0 {
		return nil
	}
	return string(c)
}

// CreateConnector stores a connector, giving it an id, creation time and
// revision when it has none. ENOTFOUND when the tenant does not exist,
// ECONFLICT when the id is taken, EINVALID when Config is not JSON.
func (s *Store) CreateConnector(ctx context.Context, c *gatehouse.Connector) error {
	fillID(&c.ID)
	s.stampNew(&c.CreatedAt, &c.UpdatedAt, &c.Revision)
	_, err := s.pool.Exec(ctx, `INSERT INTO connectors (`+connectorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		c.ID, c.TenantID, c.Kind, c.Name, c.Active, c.ButtonText, c.ButtonImageURI, configParam(c.Config),
		bytesOrNil(c.SealedSecrets), c.Mapping, c.ConflictPolicy, ts(c.CreatedAt), ts(c.UpdatedAt), c.Revision)
	return dbError("create connector", err)
}

// GetConnector returns the connector, ENOTFOUND if the tenant has no such
// connector.
func (s *Store) GetConnector(ctx context.Context, tenantID, id string) (*gatehouse.Connector, error) {
	c, err := scanConnector(s.pool.QueryRow(ctx, `SELECT `+connectorColumns+` FROM connectors
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("connector")
	}
	if err != nil {
		return nil, dbError("get connector", err)
	}
	return c, nil
}

// ListConnectors returns the tenant's connectors in creation order.
func (s *Store) ListConnectors(ctx context.Context, tenantID string) ([]*gatehouse.Connector, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+connectorColumns+` FROM connectors WHERE tenant_id = $1 ORDER BY seq`,
		tenantID)
	if err != nil {
		return nil, dbError("list connectors", err)
	}
	return collectAll(rows, scanConnector, "list connectors")
}

// UpdateConnector writes the connector's fields when c.Revision is
// current; it then increments c.Revision and sets c.UpdatedAt. ECONFLICT on
// a stale revision, ENOTFOUND when the connector is gone.
func (s *Store) UpdateConnector(ctx context.Context, c *gatehouse.Connector) error {
	now := s.now()
	var rev int64
	err := s.pool.QueryRow(ctx, `UPDATE connectors SET kind = $4, name = $5, active = $6, button_text = $7,
			button_image_uri = $8, config = $9, sealed_secrets = $10, mapping = $11, conflict_policy = $12,
			updated_at = $13, revision = revision + 1
		WHERE tenant_id = $1 AND id = $2 AND revision = $3 RETURNING revision`,
		c.TenantID, c.ID, c.Revision, c.Kind, c.Name, c.Active, c.ButtonText, c.ButtonImageURI,
		configParam(c.Config), bytesOrNil(c.SealedSecrets), c.Mapping, c.ConflictPolicy, ts(now)).Scan(&rev)
	if errors.Is(err, pgx.ErrNoRows) {
		return dbError("update connector", missingOrStale(ctx, s.pool, "connector",
			`SELECT EXISTS (SELECT 1 FROM connectors WHERE tenant_id = $1 AND id = $2)`, c.TenantID, c.ID))
	}
	if err != nil {
		return dbError("update connector", err)
	}
	c.Revision, c.UpdatedAt = rev, now
	return nil
}

// DeleteConnector removes the connector and, through the schema's cascade
// in the same statement, the identities linked through it. ENOTFOUND if
// the tenant has no such connector.
func (s *Store) DeleteConnector(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete connector", "connector",
		`DELETE FROM connectors WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

// LinkIdentity links an upstream subject to a user, giving the link a
// creation time when it has none. ECONFLICT when the subject is already
// linked through the connector, ENOTFOUND when the tenant, connector or
// user does not exist.
func (s *Store) LinkIdentity(ctx context.Context, f *gatehouse.FederatedIdentity) error {
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	normTimes(&f.CreatedAt, &f.LastSignInAt)
	_, err := s.pool.Exec(ctx, `INSERT INTO federated_identities (tenant_id, connector_id, subject, user_id,
			created_at, last_sign_in_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		f.TenantID, f.ConnectorID, f.Subject, f.UserID, ts(f.CreatedAt), ts(f.LastSignInAt))
	return dbError("link identity", err)
}

// GetIdentity returns the link of the upstream subject, ENOTFOUND if there
// is none.
func (s *Store) GetIdentity(ctx context.Context, tenantID, connectorID, subject string) (*gatehouse.FederatedIdentity, error) {
	var f gatehouse.FederatedIdentity
	err := s.pool.QueryRow(ctx, `SELECT tenant_id, connector_id, subject, user_id, created_at, last_sign_in_at
		FROM federated_identities WHERE tenant_id = $1 AND connector_id = $2 AND subject = $3`,
		tenantID, connectorID, subject).Scan(&f.TenantID, &f.ConnectorID, &f.Subject, &f.UserID,
		tm(&f.CreatedAt), tm(&f.LastSignInAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("linked identity")
	}
	if err != nil {
		return nil, dbError("get identity", err)
	}
	return &f, nil
}

// TouchIdentity records a sign-in through the link. ENOTFOUND if there is
// no such link.
func (s *Store) TouchIdentity(ctx context.Context, tenantID, connectorID, subject string, at time.Time) error {
	return s.execOne(ctx, "touch identity", "linked identity",
		`UPDATE federated_identities SET last_sign_in_at = $4
		WHERE tenant_id = $1 AND connector_id = $2 AND subject = $3`, tenantID, connectorID, subject, ts(at))
}
