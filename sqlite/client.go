package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

const clientCols = `c.seq, c.id, c.tenant_id, c.name, c.description, c.type, c.redirect_uris,
	c.post_logout_redirect_uris, c.allowed_origins, c.scopes, c.grant_types, c.auth_method, c.logo_uri,
	c.logo_dark_uri, c.id_token_alg, c.access_token_ttl, c.id_token_ttl, c.refresh_idle_ttl,
	c.refresh_absolute_ttl, c.first_party, c.always_issue_refresh_token, c.allowed_roles,
	c.interaction_endpoint, c.created_at, c.updated_at, c.revision`

const credCols = `k.id, k.tenant_id, k.client_id, k.client, k.name, k.secret_hash, k.secret_hint,
	k.expires_at, k.created_at, k.last_used_at`

// qClientByClientID loads a client and all its credentials, one row per
// credential, in one statement: the hot lookup of every token request.
const qClientByClientID = `SELECT ` + clientCols + `, ` + credCols + `
	FROM client_credentials x
	JOIN clients c ON c.tenant_id = x.tenant_id AND c.id = x.client
	JOIN client_credentials k ON k.tenant_id = c.tenant_id AND k.client = c.id
	WHERE x.client_id = ? ORDER BY k.seq`

const qClientByID = `SELECT ` + clientCols + `, ` + credCols + `
	FROM clients c LEFT JOIN client_credentials k ON k.tenant_id = c.tenant_id AND k.client = c.id
	WHERE c.tenant_id = ? AND c.id = ? ORDER BY k.seq`

var clientConflicts = conflicts{
	"client_credentials.client_id": "client_id is already taken",
	"client_credentials.id":        "credential id is already taken",
	"clients.id":                   "client id is already taken",
}

func clientDest(c *gatehouse.Client, seq *int64) []any {
	return []any{seq, &c.ID, &c.TenantID, &c.Name, &c.Description, &c.Type, jsonCol{&c.RedirectURIs},
		jsonCol{&c.PostLogoutRedirectURIs}, jsonCol{&c.AllowedOrigins}, jsonCol{&c.Scopes}, jsonCol{&c.GrantTypes},
		&c.AuthMethod, &c.LogoURI, &c.LogoDarkURI, &c.IDTokenAlg, &c.AccessTokenTTL, &c.IDTokenTTL,
		&c.RefreshIdleTTL, &c.RefreshAbsoluteTTL, &c.FirstParty, &c.AlwaysIssueRefreshToken,
		jsonCol{&c.AllowedRoles}, &c.InteractionEndpoint, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt},
		&c.Revision}
}

// credDest scans credential columns that may all be NULL (a client
// without credentials under a LEFT JOIN); id is "" then.
func credDest(k *gatehouse.ClientCredential) []any {
	return []any{strCol{&k.ID}, strCol{&k.TenantID}, strCol{&k.ClientID}, strCol{&k.Client}, strCol{&k.Name},
		bytesCol{&k.SecretHash}, strCol{&k.SecretHint}, timeCol{&k.ExpiresAt}, timeCol{&k.CreatedAt},
		timeCol{&k.LastUsedAt}}
}

// scanClientRows reads a client repeated on each row with one credential
// per row; nil when there are no rows.
func scanClientRows(rows *sql.Rows) (*gatehouse.Client, error) {
	var c *gatehouse.Client
	for rows.Next() {
		var row gatehouse.Client
		var seq int64
		var k gatehouse.ClientCredential
		if err := rows.Scan(append(clientDest(&row, &seq), credDest(&k)...)...); err != nil {
			return nil, err
		}
		if c == nil {
			c = &row
		}
		if k.ID != "" {
			c.Credentials = append(c.Credentials, k)
		}
	}
	return c, rows.Err()
}

func insertCredential(ctx context.Context, tx *sql.Tx, k *gatehouse.ClientCredential) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO client_credentials (id, tenant_id, client, client_id, name,
		secret_hash, secret_hint, expires_at, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.TenantID, k.Client, k.ClientID, k.Name, k.SecretHash, k.SecretHint, micros(k.ExpiresAt),
		micros(k.CreatedAt), micros(k.LastUsedAt))
	return err
}

func (s *Store) fillCredential(k *gatehouse.ClientCredential, now time.Time) {
	if k.ID == "" {
		k.ID = secret.NewID()
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = now
	}
}

// CreateClient inserts c and its Credentials in one transaction; each
// credential takes the client's tenant and id when it has none. ECONFLICT
// when a client_id is taken, ENOTFOUND when the tenant does not exist.
func (s *Store) CreateClient(ctx context.Context, c *gatehouse.Client) error {
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
	for i := range c.Credentials {
		k := &c.Credentials[i]
		s.fillCredential(k, now)
		if k.TenantID == "" {
			k.TenantID = c.TenantID
		}
		if k.Client == "" {
			k.Client = c.ID
		}
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO clients (id, tenant_id, name, description, type, redirect_uris,
			post_logout_redirect_uris, allowed_origins, scopes, grant_types, auth_method, logo_uri, logo_dark_uri,
			id_token_alg, access_token_ttl, id_token_ttl, refresh_idle_ttl, refresh_absolute_ttl, first_party,
			always_issue_refresh_token, allowed_roles, interaction_endpoint, created_at, updated_at, revision)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.TenantID, c.Name, c.Description, string(c.Type), jsonArg{c.RedirectURIs},
			jsonArg{c.PostLogoutRedirectURIs}, jsonArg{c.AllowedOrigins}, jsonArg{c.Scopes}, jsonArg{c.GrantTypes},
			c.AuthMethod, c.LogoURI, c.LogoDarkURI, c.IDTokenAlg, int64(c.AccessTokenTTL), int64(c.IDTokenTTL),
			int64(c.RefreshIdleTTL), int64(c.RefreshAbsoluteTTL), c.FirstParty, c.AlwaysIssueRefreshToken,
			jsonArg{c.AllowedRoles}, c.InteractionEndpoint, micros(c.CreatedAt), micros(c.UpdatedAt),
			c.Revision); err != nil {
			return err
		}
		for i := range c.Credentials {
			if err := insertCredential(ctx, tx, &c.Credentials[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return fail("create client", err, "tenant not found", clientConflicts)
}

// GetClient returns the tenant's client with id and all its credentials,
// ENOTFOUND when there is none.
func (s *Store) GetClient(ctx context.Context, tenantID, id string) (*gatehouse.Client, error) {
	c, err := s.queryClient(ctx, qClientByID, tenantID, id)
	return c, fail("get client", err, "", nil)
}

// GetClientByClientID returns the client owning the OAuth client_id, with
// all its credentials, whatever its tenant; ENOTFOUND when none does.
//
// It answers from the store's client cache when it can (watch.go): a
// change made through this Store is seen at once, one made by another
// process on the same file within watchInterval.
func (s *Store) GetClientByClientID(ctx context.Context, clientID string) (*gatehouse.Client, error) {
	s.watchChanges(ctx)
	c, gen, ok := s.clients.Get(clientID)
	if ok {
		return c, nil
	}
	c, err := s.queryClient(ctx, qClientByClientID, clientID)
	if err != nil {
		return nil, fail("get client by client_id", err, "", nil)
	}
	s.clients.Put(clientID, c, gen)
	return c, nil
}

func (s *Store) queryClient(ctx context.Context, query string, args ...any) (*gatehouse.Client, error) {
	st, err := s.rstmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c, err := scanClientRows(rows)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, notFound("client not found")
	}
	return c, nil
}

// ListClients returns the tenant's clients in creation order, a page at a
// time, each with its credentials.
func (s *Store) ListClients(ctx context.Context, tenantID string, opt gatehouse.ListOptions) ([]*gatehouse.Client, string, error) {
	after, limit, err := page(opt)
	if err != nil {
		return nil, "", fmt.Errorf("list clients: %w", err)
	}
	var out []*gatehouse.Client
	var seqs []int64
	err = s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+clientCols+` FROM clients c WHERE c.tenant_id = ? AND c.seq > ?
			ORDER BY c.seq LIMIT ?`, tenantID, after, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		byID := map[string]*gatehouse.Client{}
		for rows.Next() {
			var c gatehouse.Client
			var seq int64
			if err := rows.Scan(clientDest(&c, &seq)...); err != nil {
				return err
			}
			out, seqs = append(out, &c), append(seqs, seq)
			byID[c.ID] = &c
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		if len(out) == 0 {
			return nil
		}
		args := []any{tenantID}
		for _, c := range out {
			args = append(args, c.ID)
		}
		krows, err := tx.QueryContext(ctx, `SELECT `+credCols+` FROM client_credentials k
			WHERE k.tenant_id = ? AND k.client IN (`+placeholders(len(out))+`) ORDER BY k.seq`, args...)
		if err != nil {
			return err
		}
		defer krows.Close()
		for krows.Next() {
			var k gatehouse.ClientCredential
			if err := krows.Scan(credDest(&k)...); err != nil {
				return err
			}
			if c := byID[k.Client]; c != nil {
				c.Credentials = append(c.Credentials, k)
			}
		}
		return krows.Err()
	})
	if err != nil {
		return nil, "", fmt.Errorf("list clients: %w", err)
	}
	out, next := cursorAfter(out, seqs, limit)
	return out, next, nil
}

// UpdateClient writes the client's own fields (not its credentials) when
// its Revision is current. ECONFLICT on a stale revision, ENOTFOUND when
// the client is gone.
func (s *Store) UpdateClient(ctx context.Context, c *gatehouse.Client) error {
	defer s.clients.Invalidate()
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE clients SET name = ?, description = ?, type = ?, redirect_uris = ?,
			post_logout_redirect_uris = ?, allowed_origins = ?, scopes = ?, grant_types = ?, auth_method = ?,
			logo_uri = ?, logo_dark_uri = ?, id_token_alg = ?, access_token_ttl = ?, id_token_ttl = ?,
			refresh_idle_ttl = ?, refresh_absolute_ttl = ?, first_party = ?, always_issue_refresh_token = ?,
			allowed_roles = ?, interaction_endpoint = ?, updated_at = ?, revision = revision + 1
			WHERE tenant_id = ? AND id = ? AND revision = ?`,
			c.Name, c.Description, string(c.Type), jsonArg{c.RedirectURIs}, jsonArg{c.PostLogoutRedirectURIs},
			jsonArg{c.AllowedOrigins}, jsonArg{c.Scopes}, jsonArg{c.GrantTypes}, c.AuthMethod, c.LogoURI,
			c.LogoDarkURI, c.IDTokenAlg, int64(c.AccessTokenTTL), int64(c.IDTokenTTL), int64(c.RefreshIdleTTL),
			int64(c.RefreshAbsoluteTTL), c.FirstParty, c.AlwaysIssueRefreshToken, jsonArg{c.AllowedRoles},
			c.InteractionEndpoint, micros(now), c.TenantID, c.ID, c.Revision)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return revisionMiss(ctx, tx, "client", `SELECT 1 FROM clients WHERE tenant_id = ? AND id = ?`, c.TenantID, c.ID)
		}
		return nil
	})
	if err != nil {
		return fail("update client", err, "", nil)
	}
	c.Revision++
	c.UpdatedAt = now
	return nil
}

// DeleteClient removes the client; its credentials, pending requests,
// consents, codes, grants and refresh tokens go with it through the
// schema's cascades, in the same statement. ENOTFOUND when the client is
// not in the tenant.
func (s *Store) DeleteClient(ctx context.Context, tenantID, id string) error {
	defer s.clients.Invalidate()
	// Its grants go with it, and a missing grant reads as revoked.
	defer s.revocations.Invalidate()
	res, err := s.w.ExecContext(ctx, `DELETE FROM clients WHERE tenant_id = ? AND id = ?`, tenantID, id)
	return fail("delete client", affected(res, err, "client not found"), "", nil)
}

// AddClientCredential adds a credential to the client named by
// cred.Client in cred.TenantID and, when expireOthersBy is not zero, makes
// every other credential of the client expire at expireOthersBy unless it
// already expires sooner, in one transaction. ECONFLICT when the client_id
// is taken, ENOTFOUND when the client is not in that tenant.
func (s *Store) AddClientCredential(ctx context.Context, cred *gatehouse.ClientCredential, expireOthersBy time.Time) error {
	defer s.clients.Invalidate()
	s.fillCredential(cred, s.now())
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := insertCredential(ctx, tx, cred); err != nil {
			return err
		}
		if expireOthersBy.IsZero() {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE client_credentials SET expires_at = ?
			WHERE tenant_id = ? AND client = ? AND id <> ? AND (expires_at IS NULL OR expires_at > ?)`,
			micros(expireOthersBy), cred.TenantID, cred.Client, cred.ID, micros(expireOthersBy))
		return err
	})
	return fail("add client credential", err, "client not found", clientConflicts)
}

// UpdateClientCredential sets a credential's name and when it stops
// working (zero: never). ENOTFOUND when the credential is not in the
// tenant.
func (s *Store) UpdateClientCredential(ctx context.Context, tenantID, credentialID, name string, expiresAt time.Time) error {
	defer s.clients.Invalidate()
	res, err := s.w.ExecContext(ctx, `UPDATE client_credentials SET name = ?, expires_at = ? WHERE tenant_id = ? AND id = ?`,
		name, micros(expiresAt), tenantID, credentialID)
	return fail("update client credential", affected(res, err, "credential not found"), "", nil)
}

// DeleteClientCredential removes a credential. ENOTFOUND when it is not in
// the tenant.
func (s *Store) DeleteClientCredential(ctx context.Context, tenantID, credentialID string) error {
	defer s.clients.Invalidate()
	res, err := s.w.ExecContext(ctx, `DELETE FROM client_credentials WHERE tenant_id = ? AND id = ?`,
		tenantID, credentialID)
	return fail("delete client credential", affected(res, err, "credential not found"), "", nil)
}

// TouchClientCredential records a use of the credential with the OAuth
// client_id. ENOTFOUND when there is none.
func (s *Store) TouchClientCredential(ctx context.Context, clientID string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE client_credentials SET last_used_at = ? WHERE client_id = ?`,
		micros(at), clientID)
	if err == nil {
		// A last-used time is a statistic, not a reason to forget every
		// cached client: the cached copy is brought up to date instead.
		s.clients.Touch(clientID, time.UnixMicro(at.UnixMicro()).UTC())
	}
	return fail("touch client credential", affected(res, err, "credential not found"), "", nil)
}
