-- The whole domain in one schema.
--
-- Conventions: every table is STRICT; timestamps are INTEGER unix
-- microseconds in UTC, NULL for the zero time; hashes are BLOB; string lists
-- and maps are JSON text. Entity tables carry an INTEGER PRIMARY KEY seq
-- (the rowid) that gives creation order and list cursors, and their UUID in
-- id. Every tenant-owned row references its tenant, and references its
-- parents through (tenant_id, id) so that a row can never point into
-- another tenant. Tables written on every token request (codes, grants,
-- refresh tokens) are keyed by their natural key WITHOUT ROWID and carry
-- only the indexes their lookups and the sweep need: each index is one
-- more page in the WAL per commit. Rows are deleted only through their
-- tenant or client, so child columns that reference users have no index of
-- their own. Signing keys and audit events belong to the platform when
-- tenant_id is '', so they have no foreign key to tenants.

CREATE TABLE tenants (
	seq        INTEGER PRIMARY KEY,
	id         TEXT    NOT NULL UNIQUE,
	slug       TEXT    NOT NULL UNIQUE,
	name       TEXT    NOT NULL,
	status     TEXT    NOT NULL,
	branding   TEXT    NOT NULL,
	settings   TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	revision   INTEGER NOT NULL
) STRICT;

CREATE TABLE tenant_domains (
	domain    TEXT    PRIMARY KEY,
	tenant_id TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	position  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX tenant_domains_tenant ON tenant_domains (tenant_id, position);

CREATE TABLE users (
	seq                 INTEGER PRIMARY KEY,
	id                  TEXT    NOT NULL UNIQUE,
	tenant_id           TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	username            TEXT    NOT NULL,
	email               TEXT    NOT NULL,
	email_verified      INTEGER NOT NULL,
	name                TEXT    NOT NULL,
	picture             TEXT    NOT NULL,
	password_hash       TEXT    NOT NULL,
	status              TEXT    NOT NULL,
	failed_sign_ins     INTEGER NOT NULL DEFAULT 0,
	last_failed_sign_in INTEGER,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	revision            INTEGER NOT NULL,
	UNIQUE (tenant_id, id),
	UNIQUE (tenant_id, username)
) STRICT;
-- An empty email is "no email": any number of users may have none.
CREATE UNIQUE INDEX users_email ON users (tenant_id, email) WHERE email <> '';
CREATE INDEX users_tenant ON users (tenant_id, seq);

CREATE TABLE user_roles (
	tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	user_id   TEXT NOT NULL,
	role      TEXT NOT NULL,
	PRIMARY KEY (tenant_id, user_id, role),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE clients (
	seq                        INTEGER PRIMARY KEY,
	id                         TEXT    NOT NULL UNIQUE,
	tenant_id                  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name                       TEXT    NOT NULL,
	description                TEXT    NOT NULL,
	type                       TEXT    NOT NULL,
	redirect_uris              TEXT    NOT NULL,
	post_logout_redirect_uris  TEXT    NOT NULL,
	allowed_origins            TEXT    NOT NULL,
	scopes                     TEXT    NOT NULL,
	grant_types                TEXT    NOT NULL,
	auth_method                TEXT    NOT NULL,
	logo_uri                   TEXT    NOT NULL,
	logo_dark_uri              TEXT    NOT NULL,
	id_token_alg               TEXT    NOT NULL,
	access_token_ttl           INTEGER NOT NULL,
	id_token_ttl               INTEGER NOT NULL,
	refresh_idle_ttl           INTEGER NOT NULL,
	refresh_absolute_ttl       INTEGER NOT NULL,
	first_party                INTEGER NOT NULL,
	always_issue_refresh_token INTEGER NOT NULL,
	allowed_roles              TEXT    NOT NULL,
	interaction_endpoint       TEXT    NOT NULL,
	created_at                 INTEGER NOT NULL,
	updated_at                 INTEGER NOT NULL,
	revision                   INTEGER NOT NULL,
	UNIQUE (tenant_id, id)
) STRICT;
CREATE INDEX clients_tenant ON clients (tenant_id, seq);

CREATE TABLE client_credentials (
	seq          INTEGER PRIMARY KEY,
	id           TEXT    NOT NULL UNIQUE,
	tenant_id    TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	client       TEXT    NOT NULL,
	-- The OAuth client_id: global, because it is what names the tenant.
	client_id    TEXT    NOT NULL UNIQUE,
	name         TEXT    NOT NULL,
	secret_hash  BLOB,
	secret_hint  TEXT    NOT NULL,
	expires_at   INTEGER,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX client_credentials_client ON client_credentials (tenant_id, client, seq);

CREATE TABLE auth_requests (
	seq                   INTEGER PRIMARY KEY,
	id                    TEXT    NOT NULL UNIQUE,
	tenant_id             TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	client                TEXT    NOT NULL,
	client_id             TEXT    NOT NULL,
	redirect_uri          TEXT    NOT NULL,
	response_mode         TEXT    NOT NULL,
	state                 TEXT    NOT NULL,
	nonce                 TEXT    NOT NULL,
	scopes                TEXT    NOT NULL,
	code_challenge        TEXT    NOT NULL,
	code_challenge_method TEXT    NOT NULL,
	prompt                TEXT    NOT NULL,
	max_age               INTEGER NOT NULL,
	login_hint            TEXT    NOT NULL,
	ui_locales            TEXT    NOT NULL,
	acr_values            TEXT    NOT NULL,
	issuer                TEXT    NOT NULL,
	id_token_hint_subject TEXT    NOT NULL,
	user_id               TEXT,
	session_id            TEXT    NOT NULL,
	created_at            INTEGER NOT NULL,
	expires_at            INTEGER NOT NULL,
	FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX auth_requests_client ON auth_requests (tenant_id, client);
CREATE INDEX auth_requests_expires ON auth_requests (expires_at);

CREATE TABLE sessions (
	seq          INTEGER PRIMARY KEY,
	id           TEXT    NOT NULL UNIQUE,
	token_hash   BLOB    NOT NULL UNIQUE,
	tenant_id    TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	user_id      TEXT    NOT NULL,
	auth_time    INTEGER,
	amr          TEXT    NOT NULL,
	acr          TEXT    NOT NULL,
	ip           TEXT    NOT NULL,
	user_agent   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER,
	expires_at   INTEGER NOT NULL,
	revoked_at   INTEGER,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE consents (
	seq        INTEGER PRIMARY KEY,
	tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	user_id    TEXT    NOT NULL,
	client     TEXT    NOT NULL,
	scopes     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (tenant_id, user_id, client),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX consents_client ON consents (tenant_id, client);

CREATE TABLE jwt_credentials (
	seq                INTEGER PRIMARY KEY,
	id                 TEXT    NOT NULL UNIQUE,
	tenant_id          TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	user_id            TEXT    NOT NULL,
	name               TEXT    NOT NULL,
	hash               BLOB,
	allowed_client_ids TEXT    NOT NULL,
	created_at         INTEGER NOT NULL,
	expires_at         INTEGER,
	last_used_at       INTEGER,
	revoked_at         INTEGER,
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX jwt_credentials_user ON jwt_credentials (tenant_id, user_id, seq);

CREATE TABLE auth_codes (
	hash                  BLOB    PRIMARY KEY,
	tenant_id             TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	client                TEXT    NOT NULL,
	client_id             TEXT    NOT NULL,
	user_id               TEXT    NOT NULL,
	grant_id              TEXT    NOT NULL,
	session_id            TEXT    NOT NULL,
	redirect_uri          TEXT    NOT NULL,
	scopes                TEXT    NOT NULL,
	nonce                 TEXT    NOT NULL,
	code_challenge        TEXT    NOT NULL,
	code_challenge_method TEXT    NOT NULL,
	auth_time             INTEGER,
	amr                   TEXT    NOT NULL,
	acr                   TEXT    NOT NULL,
	created_at            INTEGER NOT NULL,
	expires_at            INTEGER NOT NULL,
	used_at               INTEGER,
	FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX auth_codes_client ON auth_codes (tenant_id, client);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);

CREATE TABLE grants (
	id                TEXT    PRIMARY KEY,
	tenant_id         TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	client            TEXT    NOT NULL,
	user_id           TEXT,
	jwt_credential_id TEXT,
	scopes            TEXT    NOT NULL,
	session_id        TEXT    NOT NULL,
	created_at        INTEGER NOT NULL,
	expires_at        INTEGER,
	revoked_at        INTEGER,
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, jwt_credential_id) REFERENCES jwt_credentials (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX grants_client_user ON grants (tenant_id, client, user_id);
CREATE INDEX grants_credential ON grants (tenant_id, jwt_credential_id) WHERE jwt_credential_id IS NOT NULL;
CREATE INDEX grants_expires ON grants (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE refresh_tokens (
	hash       BLOB    PRIMARY KEY,
	tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	grant_id   TEXT    NOT NULL,
	client     TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	scopes     TEXT    NOT NULL,
	session_id TEXT    NOT NULL,
	auth_time  INTEGER,
	amr        TEXT    NOT NULL,
	acr        TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	rotated_at INTEGER,
	revoked_at INTEGER,
	FOREIGN KEY (tenant_id, grant_id) REFERENCES grants (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX refresh_tokens_grant ON refresh_tokens (tenant_id, grant_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE revoked_tokens (
	jti        TEXT    PRIMARY KEY,
	tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX revoked_tokens_tenant ON revoked_tokens (tenant_id);
CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);

CREATE TABLE api_keys (
	seq          INTEGER PRIMARY KEY,
	id           TEXT    NOT NULL UNIQUE,
	tenant_id    TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	prefix       TEXT    NOT NULL,
	hash         BLOB    NOT NULL UNIQUE,
	scopes       TEXT    NOT NULL,
	created_by   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, seq);

CREATE TABLE install_keys (
	seq        INTEGER PRIMARY KEY,
	id         TEXT    NOT NULL UNIQUE,
	tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	key        TEXT    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
) STRICT;
CREATE INDEX install_keys_tenant ON install_keys (tenant_id, seq);

CREATE TABLE connectors (
	seq              INTEGER PRIMARY KEY,
	id               TEXT    NOT NULL UNIQUE,
	tenant_id        TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	kind             TEXT    NOT NULL,
	name             TEXT    NOT NULL,
	active           INTEGER NOT NULL,
	button_text      TEXT    NOT NULL,
	button_image_uri TEXT    NOT NULL,
	config           TEXT,
	sealed_secrets   BLOB,
	mapping          TEXT    NOT NULL,
	conflict_policy  TEXT    NOT NULL,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	revision         INTEGER NOT NULL,
	UNIQUE (tenant_id, id)
) STRICT;
CREATE INDEX connectors_tenant ON connectors (tenant_id, seq);

CREATE TABLE federated_identities (
	tenant_id       TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	connector_id    TEXT    NOT NULL,
	subject         TEXT    NOT NULL,
	user_id         TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	last_sign_in_at INTEGER,
	PRIMARY KEY (tenant_id, connector_id, subject),
	FOREIGN KEY (tenant_id, connector_id) REFERENCES connectors (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE signing_keys (
	seq                INTEGER PRIMARY KEY,
	id                 TEXT    NOT NULL UNIQUE,
	tenant_id          TEXT    NOT NULL,
	purpose            TEXT    NOT NULL,
	algorithm          TEXT    NOT NULL,
	-- A state outside these would slip past the one-active, one-next
	-- indexes below.
	state              TEXT    NOT NULL CHECK (state IN ('next', 'active', 'retired')),
	public_key         BLOB,
	sealed_private_key BLOB,
	created_at         INTEGER NOT NULL,
	activated_at       INTEGER,
	retired_at         INTEGER,
	not_after          INTEGER
) STRICT;
CREATE INDEX signing_keys_tenant ON signing_keys (tenant_id, seq);
-- At most one active and one next key per (tenant, purpose, algorithm).
CREATE UNIQUE INDEX signing_keys_active ON signing_keys (tenant_id, purpose, algorithm) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_next ON signing_keys (tenant_id, purpose, algorithm) WHERE state = 'next';

CREATE TABLE audit_events (
	tenant_id  TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	id         TEXT    NOT NULL UNIQUE,
	time       INTEGER NOT NULL,
	actor      TEXT    NOT NULL,
	action     TEXT    NOT NULL,
	target     TEXT    NOT NULL,
	result     TEXT    NOT NULL,
	ip         TEXT    NOT NULL,
	user_agent TEXT    NOT NULL,
	details    TEXT    NOT NULL,
	prev_hash  BLOB,
	hash       BLOB,
	PRIMARY KEY (tenant_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX audit_events_time ON audit_events (tenant_id, time);
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor, seq);
CREATE INDEX audit_events_action ON audit_events (tenant_id, action, seq);
