-- The first Gatehouse schema.
--
-- Conventions:
--   * Every row carries tenant_id. Tenant-owned tables reference tenants
--     ON DELETE CASCADE; signing_keys and audit_events use '' for platform
--     rows and so have no foreign key to tenants.
--   * Children reference their parent by (tenant_id, id), so a row can never
--     point at a parent of another tenant.
--   * Times are timestamptz, NULL for "never" (the zero time in Go).
--   * Lists are text[] ('{}' when empty); structured settings are jsonb.
--   * seq is an identity column that gives lists their creation order and
--     their page cursors.
--   * Constraint names are what the store maps to error messages: *_key for
--     unique values, *_<parent>_fkey for parents.

CREATE TABLE tenants (
    id          text        NOT NULL,
    seq         bigint      GENERATED ALWAYS AS IDENTITY,
    slug        text        NOT NULL,
    name        text        NOT NULL,
    status      text        NOT NULL,
    branding    jsonb       NOT NULL DEFAULT '{}',
    settings    jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    revision    bigint      NOT NULL,
    CONSTRAINT tenants_pkey PRIMARY KEY (id),
    CONSTRAINT tenants_slug_key UNIQUE (slug)
);
CREATE UNIQUE INDEX tenants_seq_idx ON tenants (seq);

CREATE TABLE tenant_domains (
    domain    text    NOT NULL,
    tenant_id text    NOT NULL,
    position  integer NOT NULL,
    CONSTRAINT tenant_domains_domain_key PRIMARY KEY (domain),
    CONSTRAINT tenant_domains_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX tenant_domains_tenant_idx ON tenant_domains (tenant_id, position);

CREATE TABLE users (
    id                  text        NOT NULL,
    tenant_id           text        NOT NULL,
    seq                 bigint      GENERATED ALWAYS AS IDENTITY,
    username            text        NOT NULL,
    email               text        NOT NULL DEFAULT '',
    email_verified      boolean     NOT NULL DEFAULT false,
    name                text        NOT NULL DEFAULT '',
    picture             text        NOT NULL DEFAULT '',
    password_hash       text        NOT NULL DEFAULT '',
    status              text        NOT NULL,
    failed_sign_ins     integer     NOT NULL DEFAULT 0,
    last_failed_sign_in timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    revision            bigint      NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT users_username_key UNIQUE (tenant_id, username),
    CONSTRAINT users_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
-- An empty email is "no email", which many users may share.
CREATE UNIQUE INDEX users_email_key ON users (tenant_id, email) WHERE email <> '';
CREATE UNIQUE INDEX users_seq_idx ON users (tenant_id, seq);

CREATE TABLE user_roles (
    tenant_id text NOT NULL,
    user_id   text NOT NULL,
    role      text NOT NULL,
    CONSTRAINT user_roles_pkey PRIMARY KEY (tenant_id, user_id, role),
    CONSTRAINT user_roles_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT user_roles_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_roles_role_idx ON user_roles (tenant_id, role);

CREATE TABLE clients (
    id                         text        NOT NULL,
    tenant_id                  text        NOT NULL,
    seq                        bigint      GENERATED ALWAYS AS IDENTITY,
    name                       text        NOT NULL,
    description                text        NOT NULL DEFAULT '',
    type                       text        NOT NULL,
    redirect_uris              text[]      NOT NULL DEFAULT '{}',
    post_logout_redirect_uris  text[]      NOT NULL DEFAULT '{}',
    allowed_origins            text[]      NOT NULL DEFAULT '{}',
    scopes                     text[]      NOT NULL DEFAULT '{}',
    grant_types                text[]      NOT NULL DEFAULT '{}',
    auth_method                text        NOT NULL,
    logo_uri                   text        NOT NULL DEFAULT '',
    logo_dark_uri              text        NOT NULL DEFAULT '',
    id_token_alg               text        NOT NULL DEFAULT '',
    access_token_ttl           interval    NOT NULL,
    id_token_ttl               interval    NOT NULL,
    refresh_idle_ttl           interval    NOT NULL,
    refresh_absolute_ttl       interval    NOT NULL,
    first_party                boolean     NOT NULL DEFAULT false,
    always_issue_refresh_token boolean     NOT NULL DEFAULT false,
    allowed_roles              text[]      NOT NULL DEFAULT '{}',
    interaction_endpoint       text        NOT NULL DEFAULT '',
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL,
    revision                   bigint      NOT NULL,
    CONSTRAINT clients_pkey PRIMARY KEY (id),
    CONSTRAINT clients_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT clients_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX clients_seq_idx ON clients (tenant_id, seq);

CREATE TABLE client_credentials (
    id           text        NOT NULL,
    tenant_id    text        NOT NULL,
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    client_id    text        NOT NULL, -- the OAuth client_id, unique on the platform
    client       text        NOT NULL, -- clients.id
    name         text        NOT NULL DEFAULT '',
    secret_hash  bytea,
    secret_hint  text        NOT NULL DEFAULT '',
    expires_at   timestamptz,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    CONSTRAINT client_credentials_pkey PRIMARY KEY (id),
    CONSTRAINT client_credentials_client_id_key UNIQUE (client_id),
    CONSTRAINT client_credentials_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT client_credentials_client_fkey FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX client_credentials_client_idx ON client_credentials (tenant_id, client, seq);

CREATE TABLE auth_requests (
    id                    text        NOT NULL,
    tenant_id             text        NOT NULL,
    client                text        NOT NULL,
    client_id             text        NOT NULL,
    redirect_uri          text        NOT NULL,
    response_mode         text        NOT NULL DEFAULT '',
    state                 text        NOT NULL DEFAULT '',
    nonce                 text        NOT NULL DEFAULT '',
    scopes                text[]      NOT NULL DEFAULT '{}',
    code_challenge        text        NOT NULL DEFAULT '',
    code_challenge_method text        NOT NULL DEFAULT '',
    prompt                text[]      NOT NULL DEFAULT '{}',
    max_age               integer     NOT NULL DEFAULT -1,
    login_hint            text        NOT NULL DEFAULT '',
    ui_locales            text        NOT NULL DEFAULT '',
    acr_values            text        NOT NULL DEFAULT '',
    issuer                text        NOT NULL DEFAULT '',
    id_token_hint_subject text        NOT NULL DEFAULT '',
    user_id               text        NOT NULL DEFAULT '',
    session_id            text        NOT NULL DEFAULT '',
    created_at            timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL,
    CONSTRAINT auth_requests_pkey PRIMARY KEY (id),
    CONSTRAINT auth_requests_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT auth_requests_client_fkey FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX auth_requests_client_idx ON auth_requests (tenant_id, client);
CREATE INDEX auth_requests_expires_idx ON auth_requests (expires_at);

CREATE TABLE sessions (
    id           text        NOT NULL,
    tenant_id    text        NOT NULL,
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    token_hash   bytea       NOT NULL,
    user_id      text        NOT NULL,
    auth_time    timestamptz,
    amr          text[]      NOT NULL DEFAULT '{}',
    acr          text        NOT NULL DEFAULT '',
    ip           text        NOT NULL DEFAULT '',
    user_agent   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT sessions_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT sessions_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id, created_at);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE consents (
    tenant_id  text        NOT NULL,
    user_id    text        NOT NULL,
    client     text        NOT NULL,
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    scopes     text[]      NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT consents_pkey PRIMARY KEY (tenant_id, user_id, client),
    CONSTRAINT consents_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT consents_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT consents_client_fkey FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX consents_client_idx ON consents (tenant_id, client);

CREATE TABLE auth_codes (
    hash                  bytea       NOT NULL,
    tenant_id             text        NOT NULL,
    client                text        NOT NULL,
    client_id             text        NOT NULL,
    user_id               text        NOT NULL,
    grant_id              text        NOT NULL DEFAULT '',
    session_id            text        NOT NULL DEFAULT '',
    redirect_uri          text        NOT NULL,
    scopes                text[]      NOT NULL DEFAULT '{}',
    nonce                 text        NOT NULL DEFAULT '',
    code_challenge        text        NOT NULL DEFAULT '',
    code_challenge_method text        NOT NULL DEFAULT '',
    auth_time             timestamptz,
    amr                   text[]      NOT NULL DEFAULT '{}',
    acr                   text        NOT NULL DEFAULT '',
    created_at            timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL,
    used_at               timestamptz,
    CONSTRAINT auth_codes_pkey PRIMARY KEY (hash),
    CONSTRAINT auth_codes_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT auth_codes_client_fkey FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT auth_codes_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX auth_codes_client_idx ON auth_codes (tenant_id, client);
CREATE INDEX auth_codes_user_idx ON auth_codes (tenant_id, user_id);
CREATE INDEX auth_codes_expires_idx ON auth_codes (expires_at);

CREATE TABLE jwt_credentials (
    id                 text        NOT NULL,
    tenant_id          text        NOT NULL,
    seq                bigint      GENERATED ALWAYS AS IDENTITY,
    user_id            text        NOT NULL,
    name               text        NOT NULL,
    hash               bytea,
    allowed_client_ids text[]      NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL,
    expires_at         timestamptz,
    last_used_at       timestamptz,
    revoked_at         timestamptz,
    CONSTRAINT jwt_credentials_pkey PRIMARY KEY (id),
    CONSTRAINT jwt_credentials_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT jwt_credentials_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT jwt_credentials_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX jwt_credentials_user_idx ON jwt_credentials (tenant_id, user_id, seq);

-- user_id is NULL for a grant without a user (client_credentials) and
-- jwt_credential_id is NULL unless a JWT credential made the grant: a
-- composite foreign key is not checked while one of its columns is NULL.
CREATE TABLE grants (
    id                text        NOT NULL,
    tenant_id         text        NOT NULL,
    client            text        NOT NULL,
    user_id           text,
    jwt_credential_id text,
    scopes            text[]      NOT NULL DEFAULT '{}',
    session_id        text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz,
    revoked_at        timestamptz,
    CONSTRAINT grants_pkey PRIMARY KEY (id),
    CONSTRAINT grants_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT grants_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT grants_client_fkey FOREIGN KEY (tenant_id, client) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT grants_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT grants_credential_fkey FOREIGN KEY (tenant_id, jwt_credential_id)
        REFERENCES jwt_credentials (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX grants_client_idx ON grants (tenant_id, client);
CREATE INDEX grants_user_client_idx ON grants (tenant_id, user_id, client);
CREATE INDEX grants_credential_idx ON grants (tenant_id, jwt_credential_id) WHERE jwt_credential_id IS NOT NULL;
CREATE INDEX grants_expires_idx ON grants (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE refresh_tokens (
    hash       bytea       NOT NULL,
    tenant_id  text        NOT NULL,
    grant_id   text        NOT NULL,
    client     text        NOT NULL,
    user_id    text        NOT NULL DEFAULT '',
    scopes     text[]      NOT NULL DEFAULT '{}',
    session_id text        NOT NULL DEFAULT '',
    auth_time  timestamptz,
    amr        text[]      NOT NULL DEFAULT '{}',
    acr        text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz,
    revoked_at timestamptz,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (hash),
    CONSTRAINT refresh_tokens_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_grant_fkey FOREIGN KEY (tenant_id, grant_id) REFERENCES grants (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_grant_idx ON refresh_tokens (tenant_id, grant_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

CREATE TABLE revoked_tokens (
    jti        text        NOT NULL,
    tenant_id  text        NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT revoked_tokens_pkey PRIMARY KEY (jti),
    CONSTRAINT revoked_tokens_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX revoked_tokens_tenant_idx ON revoked_tokens (tenant_id);
CREATE INDEX revoked_tokens_expires_idx ON revoked_tokens (expires_at);

CREATE TABLE api_keys (
    id           text        NOT NULL,
    tenant_id    text        NOT NULL,
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    name         text        NOT NULL,
    prefix       text        NOT NULL DEFAULT '',
    hash         bytea       NOT NULL,
    scopes       text[]      NOT NULL DEFAULT '{}',
    created_by   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT api_keys_hash_key UNIQUE (hash),
    CONSTRAINT api_keys_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX api_keys_seq_idx ON api_keys (tenant_id, seq);

CREATE TABLE install_keys (
    id         text        NOT NULL,
    tenant_id  text        NOT NULL,
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    key        text        NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT install_keys_pkey PRIMARY KEY (id),
    CONSTRAINT install_keys_key_key UNIQUE (key),
    CONSTRAINT install_keys_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX install_keys_tenant_idx ON install_keys (tenant_id, seq);

CREATE TABLE connectors (
    id               text        NOT NULL,
    tenant_id        text        NOT NULL,
    seq              bigint      GENERATED ALWAYS AS IDENTITY,
    kind             text        NOT NULL,
    name             text        NOT NULL,
    active           boolean     NOT NULL DEFAULT false,
    button_text      text        NOT NULL DEFAULT '',
    button_image_uri text        NOT NULL DEFAULT '',
    -- json, not jsonb: the configuration is returned byte for byte as stored.
    config           json,
    sealed_secrets   bytea,
    mapping          jsonb       NOT NULL DEFAULT '{}',
    conflict_policy  text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    revision         bigint      NOT NULL,
    CONSTRAINT connectors_pkey PRIMARY KEY (id),
    CONSTRAINT connectors_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT connectors_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX connectors_tenant_idx ON connectors (tenant_id, seq);

CREATE TABLE federated_identities (
    tenant_id       text        NOT NULL,
    connector_id    text        NOT NULL,
    subject         text        NOT NULL,
    user_id         text        NOT NULL,
    created_at      timestamptz NOT NULL,
    last_sign_in_at timestamptz,
    CONSTRAINT federated_identities_subject_key PRIMARY KEY (tenant_id, connector_id, subject),
    CONSTRAINT federated_identities_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT federated_identities_connector_fkey FOREIGN KEY (tenant_id, connector_id)
        REFERENCES connectors (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT federated_identities_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX federated_identities_user_idx ON federated_identities (tenant_id, user_id);

-- tenant_id is '' for the platform's keys.
CREATE TABLE signing_keys (
    id                 text        NOT NULL,
    tenant_id          text        NOT NULL DEFAULT '',
    seq                bigint      GENERATED ALWAYS AS IDENTITY,
    purpose            text        NOT NULL,
    algorithm          text        NOT NULL,
    state              text        NOT NULL,
    public_key         bytea       NOT NULL,
    sealed_private_key bytea       NOT NULL,
    created_at         timestamptz NOT NULL,
    activated_at       timestamptz,
    retired_at         timestamptz,
    not_after          timestamptz,
    CONSTRAINT signing_keys_pkey PRIMARY KEY (id),
    CONSTRAINT signing_keys_state_check CHECK (state IN ('next', 'active', 'retired'))
);
CREATE INDEX signing_keys_tenant_idx ON signing_keys (tenant_id, seq);
-- At most one active and one next key per (tenant, purpose, algorithm): two
-- nodes that bootstrap or rotate at once cannot both win.
CREATE UNIQUE INDEX signing_keys_active_key ON signing_keys (tenant_id, purpose, algorithm) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_next_key ON signing_keys (tenant_id, purpose, algorithm) WHERE state = 'next';

-- tenant_id is '' for the platform's chain. (tenant_id, seq) is the chain
-- position: a second writer appending the same position fails.
CREATE TABLE audit_events (
    tenant_id  text        NOT NULL DEFAULT '',
    seq        bigint      NOT NULL,
    id         text        NOT NULL,
    time       timestamptz NOT NULL,
    actor      text        NOT NULL DEFAULT '',
    action     text        NOT NULL,
    target     text        NOT NULL DEFAULT '',
    result     text        NOT NULL DEFAULT '',
    ip         text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT '',
    details    jsonb,
    prev_hash  bytea,
    hash       bytea,
    CONSTRAINT audit_events_seq_key PRIMARY KEY (tenant_id, seq),
    CONSTRAINT audit_events_id_key UNIQUE (id),
    CONSTRAINT audit_events_seq_check CHECK (seq > 0)
);
CREATE INDEX audit_events_time_idx ON audit_events (tenant_id, time);
