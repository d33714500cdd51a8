package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

const clientColumns = `c.id, c.tenant_id, c.name, c.description, c.type,
	c.redirect_uris, c.post_logout_redirect_uris, c.allowed_origins, c.scopes, c.grant_types, c.auth_method,
	c.logo_uri, c.logo_dark_uri, c.id_token_alg,
	c.access_token_ttl, c.id_token_ttl, c.refresh_idle_ttl, c.refresh_absolute_ttl,
	c.first_party, c.always_issue_refresh_token, c.allowed_roles, c.interaction_endpoint,
	c.created_at, c.updated_at, c.revision, c.seq`

func clientDest(c *gatehouse.Client, seq *int64) []any {
	return []any{&c.ID, &c.TenantID, &c.Name, &c.Description, &c.Type,
		&c.RedirectURIs, &c.PostLogoutRedirectURIs, &c.AllowedOrigins, &c.Scopes, &c.GrantTypes, &c.AuthMethod,
		&c.LogoURI, &c.LogoDarkURI, &c.IDTokenAlg,
		&c.AccessTokenTTL, &c.IDTokenTTL, &c.RefreshIdleTTL, &c.RefreshAbsoluteTTL,
		&c.FirstParty, &c.AlwaysIssueRefreshToken, &c.AllowedRoles, &c.InteractionEndpoint,
		tm(&c.CreatedAt), tm(&c.UpdatedAt), &c.Revision, seq}
}

func fixClientLists(c *gatehouse.Client) {
	nilEmpty(&c.RedirectURIs, &c.PostLogoutRedirectURIs, &c.AllowedOrigins, &c.Scopes, &c.GrantTypes, &c.AllowedRoles)
}

func scanClient(row pgx.Row) (*gatehouse.Client, int64, error) {
	var c gatehouse.Client
	var seq int64
	if err := row.Scan(clientDest(&c, &seq)...); err != nil {
		return nil, 0, err
	}
	fixClientLists(&c)
	return &c, seq, nil
}

// The credential columns, for a table aliased k; the outer-join forms read
// NULL ids as "no credential".
const credentialColumns = `k.id, k.tenant_id, k.client_id, k.client, k.name, k.secret_hash, k.secret_hint,
	k.expires_at, k.created_at, k.last_used_at`

func credentialDest(k *gatehouse.ClientCredential) []any {
	return []any{txt(&k.ID), txt(&k.TenantID), txt(&k.ClientID), txt(&k.Client), txt(&k.Name), &k.SecretHash,
		txt(&k.SecretHint), tm(&k.ExpiresAt), tm(&k.CreatedAt), tm(&k.LastUsedAt)}
}

// CreateClient inserts the client and its credentials in one transaction.
// Each credential is given the client's tenant and id, and an id and
// creation time when it has none. ENOTFOUND when the tenant does not
// exist, ECONFLICT when an id or a client_id is taken.
func (s *Store) CreateClient(ctx context.Context, c *gatehouse.Client) error {
	fillID(&c.ID)
	s.stampNew(&c.CreatedAt, &c.UpdatedAt, &c.Revision)
	for i := range c.Credentials {
		k := &c.Credentials[i]
		k.TenantID, k.Client = c.TenantID, c.ID
		s.stampCredential(k)
	}
	return s.inTx(ctx, "create client", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO clients (id, tenant_id, name, description, type,
				redirect_uris, post_logout_redirect_uris, allowed_origins, scopes, grant_types, auth_method,
				logo_uri, logo_dark_uri, id_token_alg,
				access_token_ttl, id_token_ttl, refresh_idle_ttl, refresh_absolute_ttl,
				first_party, always_issue_refresh_token, allowed_roles, interaction_endpoint,
				created_at, updated_at, revision)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
				$19, $20, $21, $22, $23, $24, $25)`,
			c.ID, c.TenantID, c.Name, c.Description, c.Type,
			list(c.RedirectURIs), list(c.PostLogoutRedirectURIs), list(c.AllowedOrigins), list(c.Scopes),
			list(c.GrantTypes), c.AuthMethod,
			c.LogoURI, c.LogoDarkURI, c.IDTokenAlg,
			c.AccessTokenTTL, c.IDTokenTTL, c.RefreshIdleTTL, c.RefreshAbsoluteTTL,
			c.FirstParty, c.AlwaysIssueRefreshToken, list(c.AllowedRoles), c.InteractionEndpoint,
			ts(c.CreatedAt), ts(c.UpdatedAt), c.Revision)
		if err != nil {
			return err
		}
		for i := range c.Credentials {
			if err := insertCredential(ctx, tx, &c.Credentials[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) stampCredential(k *gatehouse.ClientCredential) {
	fillID(&k.ID)
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	normTimes(&k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt)
}

func insertCredential(ctx context.Context, q querier, k *gatehouse.ClientCredential) error {
	_, err := q.Exec(ctx, `INSERT INTO client_credentials (id, tenant_id, client_id, client, name,
			secret_hash, secret_hint, expires_at, created_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		k.ID, k.TenantID, k.ClientID, k.Client, k.Name,
		bytesOrNil(k.SecretHash), k.SecretHint, ts(k.ExpiresAt), ts(k.CreatedAt), ts(k.LastUsedAt))
	return err
}

// GetClient returns the client with all its credentials, ENOTFOUND if the
// tenant has no such client.
func (s *Store) GetClient(ctx context.Context, tenantID, id string) (*gatehouse.Client, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+clientColumns+`, `+credentialColumns+`
		FROM clients c
		LEFT JOIN client_credentials k ON k.tenant_id = c.tenant_id AND k.client = c.id
		WHERE c.tenant_id = $1 AND c.id = $2
		ORDER BY k.seq`, tenantID, id)
	if err != nil {
		return nil, dbError("get client", err)
	}
	return collectClient(rows, "get client")
}

// GetClientByClientID returns the client that owns the OAuth client_id,
// with all its credentials, in one round trip. ENOTFOUND when no client
// has it.
//
// It answers from the store's client cache when it can: a change made
// through this Store is seen at once, one made by another node as soon as
// its notification arrives (watch.go).
func (s *Store) GetClientByClientID(ctx context.Context, clientID string) (*gatehouse.Client, error) {
	s.watchChanges()
	c, gen, ok := s.clients.Get(clientID)
	if ok {
		return c, nil
	}
	c, err := s.loadClientByClientID(ctx, clientID)
	if err != nil {
		return nil, err
	}
	s.clients.Put(clientID, c, gen)
	return c, nil
}

func (s *Store) loadClientByClientID(ctx context.Context, clientID string) (*gatehouse.Client, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+clientColumns+`, `+credentialColumns+`
		FROM client_credentials x
		JOIN clients c ON c.tenant_id = x.tenant_id AND c.id = x.client
		JOIN client_credentials k ON k.tenant_id = c.tenant_id AND k.client = c.id
		WHERE x.client_id = $1
		ORDER BY k.seq`, clientID)
	if err != nil {
		return nil, dbError("get client by client_id", err)
	}
	return collectClient(rows, "get client by client_id")
}

// collectClient reads one client repeated on each row next to one of its
// credentials (NULL columns when it has none).
func collectClient(rows pgx.Rows, op string) (*gatehouse.Client, error) {
	defer rows.Close()
	var c *gatehouse.Client
	for rows.Next() {
		var row gatehouse.Client
		var seq int64
		var k gatehouse.ClientCredential
		if err := rows.Scan(append(clientDest(&row, &seq), credentialDest(&k)...)...); err != nil {
			return nil, dbError(op, err)
		}
		if c == nil {
			fixClientLists(&row)
			c = &row
		}
		if k.ID != "" {
			c.Credentials = append(c.Credentials, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	if c == nil {
		return nil, notFound("client")
	}
	return c, nil
}

// ListClients returns a page of the tenant's clients in creation order,
// each with its credentials.
func (s *Store) ListClients(ctx context.Context, tenantID string, opt gatehouse.ListOptions) ([]*gatehouse.Client, string, error) {
	limit, after, err := page(opt)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+clientColumns+` FROM clients c
		WHERE c.tenant_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3`, tenantID, after, limit+1)
	if err != nil {
		return nil, "", dbError("list clients", err)
	}
	clients, cursor, err := collectPage(rows, limit, scanClient, "list clients")
	if err != nil || len(clients) == 0 {
		return clients, cursor, err
	}
	ids := make([]string, len(clients))
	byID := make(map[string]*gatehouse.Client, len(clients))
	for i, c := range clients {
		ids[i] = c.ID
		byID[c.ID] = c
	}
	rows, err = s.pool.Query(ctx, `SELECT `+credentialColumns+` FROM client_credentials k
		WHERE k.tenant_id = $1 AND k.client = ANY($2) ORDER BY k.seq`, tenantID, ids)
	if err != nil {
		return nil, "", dbError("list client credentials", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k gatehouse.ClientCredential
		if err := rows.Scan(credentialDest(&k)...); err != nil {
			return nil, "", dbError("list client credentials", err)
		}
		c := byID[k.Client]
		c.Credentials = append(c.Credentials, k)
	}
	if err := rows.Err(); err != nil {
		return nil, "", dbError("list client credentials", err)
	}
	return clients, cursor, nil
}

// UpdateClient writes the client's fields, not its credentials, when
// c.Revision is current; it then increments c.Revision and sets
// c.UpdatedAt. ECONFLICT on a stale revision, ENOTFOUND when the client is
// gone.
func (s *Store) UpdateClient(ctx context.Context, c *gatehouse.Client) error {
	defer s.clients.Invalidate()
	now := s.now()
	var rev int64
	err := s.pool.QueryRow(ctx, `UPDATE clients SET name = $4, description = $5, type = $6,
			redirect_uris = $7, post_logout_redirect_uris = $8, allowed_origins = $9, scopes = $10,
			grant_types = $11, auth_method = $12, logo_uri = $13, logo_dark_uri = $14, id_token_alg = $15,
			access_token_ttl = $16, id_token_ttl = $17, refresh_idle_ttl = $18, refresh_absolute_ttl = $19,
			first_party = $20, always_issue_refresh_token = $21, allowed_roles = $22, interaction_endpoint = $23,
			updated_at = $24, revision = revision + 1
		WHERE tenant_id = $1 AND id = $2 AND revision = $3 RETURNING revision`,
		c.TenantID, c.ID, c.Revision, c.Name, c.Description, c.Type,
		list(c.RedirectURIs), list(c.PostLogoutRedirectURIs), list(c.AllowedOrigins), list(c.Scopes),
		list(c.GrantTypes), c.AuthMethod, c.LogoURI, c.LogoDarkURI, c.IDTokenAlg,
		c.AccessTokenTTL, c.IDTokenTTL, c.RefreshIdleTTL, c.RefreshAbsoluteTTL,
		c.FirstParty, c.AlwaysIssueRefreshToken, list(c.AllowedRoles), c.InteractionEndpoint,
		ts(now)).Scan(&rev)
	if errors.Is(err, pgx.ErrNoRows) {
		return dbError("update client", missingOrStale(ctx, s.pool, "client",
			`SELECT EXISTS (SELECT 1 FROM clients WHERE tenant_id = $1 AND id = $2)`, c.TenantID, c.ID))
	}
	if err != nil {
		return dbError("update client", err)
	}
	c.Revision, c.UpdatedAt = rev, now
	return nil
}

// DeleteClient removes the client; its credentials, pending requests,
// codes, consents, grants and refresh tokens go with it through the
// schema's cascades, in the same statement. ENOTFOUND if the tenant has no
// such client.
func (s *Store) DeleteClient(ctx context.Context, tenantID, id string) error {
	defer s.clients.Invalidate()
	// Its grants go with it, and a missing grant reads as revoked.
	defer s.revocations.Invalidate()
	tag, err := s.pool.Exec(ctx, `DELETE FROM clients WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return dbError("delete client", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("client")
	}
	return nil
}

// AddClientCredential inserts a credential for an existing client, giving
// it an id and creation time when it has none. When expireOthersBy is not
// zero, every other credential of the client that would outlive it is made
// to expire at expireOthersBy, in the same transaction: a rotated secret
// keeps working for a grace period. ENOTFOUND when the tenant has no such
// client, ECONFLICT when the id or client_id is taken.
func (s *Store) AddClientCredential(ctx context.Context, k *gatehouse.ClientCredential, expireOthersBy time.Time) error {
	defer s.clients.Invalidate()
	s.stampCredential(k)
	if expireOthersBy.IsZero() {
		return dbError("add client credential", insertCredential(ctx, s.pool, k))
	}
	return s.inTx(ctx, "add client credential", func(tx pgx.Tx) error {
		if err := insertCredential(ctx, tx, k); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE client_credentials SET expires_at = $4
			WHERE tenant_id = $1 AND client = $2 AND id <> $3 AND (expires_at IS NULL OR expires_at > $4)`,
			k.TenantID, k.Client, k.ID, ts(expireOthersBy))
		return err
	})
}

// UpdateClientCredential sets the credential's name and when it stops
// working (the zero time: never). ENOTFOUND if the tenant has no such
// credential.
func (s *Store) UpdateClientCredential(ctx context.Context, tenantID, credentialID, name string, expiresAt time.Time) error {
	defer s.clients.Invalidate()
	return s.execOne(ctx, "update client credential", "client credential",
		`UPDATE client_credentials SET name = $3, expires_at = $4 WHERE tenant_id = $1 AND id = $2`,
		tenantID, credentialID, name, ts(expiresAt))
}

// DeleteClientCredential removes the credential. ENOTFOUND if the tenant
// has no such credential.
func (s *Store) DeleteClientCredential(ctx context.Context, tenantID, credentialID string) error {
	defer s.clients.Invalidate()
	return s.execOne(ctx, "delete client credential", "client credential",
		`DELETE FROM client_credentials WHERE tenant_id = $1 AND id = $2`, tenantID, credentialID)
}

// TouchClientCredential records that the credential with the OAuth
// client_id was used at at. ENOTFOUND if no credential has it.
func (s *Store) TouchClientCredential(ctx context.Context, clientID string, at time.Time) error {
	err := s.execOne(ctx, "touch client credential", "client credential",
		`UPDATE client_credentials SET last_used_at = $2 WHERE client_id = $1`, clientID, ts(at))
	if err == nil {
		// A last-used time is a statistic, not a reason to forget every
		// cached client (nor to notify every node): the cached copy is
		// brought up to date instead.
		s.clients.Touch(clientID, normTime(at))
	}
	return err
}

// execOne runs a statement that should change one row: ENOTFOUND (naming
// what) when it changed none.
func (s *Store) execOne(ctx context.Context, op, what, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return dbError(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(what)
	}
	return nil
}
