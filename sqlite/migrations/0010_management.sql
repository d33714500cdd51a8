-- What the management API adds: the tenants that administer the platform,
-- client logos served from Gatehouse's own origin, and single-use
-- set-password links (one per user at most, stored as SHA-256).

CREATE TABLE platform_admins (
	tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- A rowid table: logos are up to 256 KiB, too large for a WITHOUT ROWID
-- b-tree's cells.
CREATE TABLE client_assets (
	seq          INTEGER PRIMARY KEY,
	tenant_id    TEXT    NOT NULL,
	client       TEXT    NOT NULL,
	name         TEXT    NOT NULL,
	content_type TEXT    NOT NULL,
	data         BLOB    NOT NULL,
	digest       TEXT    NOT NULL,
	updated_at   INTEGER NOT NULL,
	UNIQUE (client, name),
	FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX client_assets_tenant ON client_assets (tenant_id, client);

CREATE TABLE password_tokens (
	hash       BLOB    PRIMARY KEY,
	tenant_id  TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	created_by TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX password_tokens_user ON password_tokens (tenant_id, user_id);
