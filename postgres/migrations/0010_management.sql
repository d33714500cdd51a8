-- What the management API adds: the tenants that administer the platform,
-- client logos served from Gatehouse's own origin, and single-use
-- set-password links (one per user at most, stored as SHA-256).

CREATE TABLE platform_admins (
    tenant_id text NOT NULL,
    CONSTRAINT platform_admins_pkey PRIMARY KEY (tenant_id),
    CONSTRAINT platform_admins_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);

CREATE TABLE client_assets (
    client       text        NOT NULL, -- clients.id
    name         text        NOT NULL,
    tenant_id    text        NOT NULL,
    content_type text        NOT NULL,
    data         bytea       NOT NULL,
    digest       text        NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT client_assets_pkey PRIMARY KEY (client, name),
    CONSTRAINT client_assets_client_fkey FOREIGN KEY (tenant_id, client)
        REFERENCES clients (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX client_assets_tenant_idx ON client_assets (tenant_id, client);

CREATE TABLE password_tokens (
    hash       bytea       NOT NULL,
    tenant_id  text        NOT NULL,
    user_id    text        NOT NULL,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT password_tokens_pkey PRIMARY KEY (hash),
    CONSTRAINT password_tokens_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX password_tokens_user_idx ON password_tokens (tenant_id, user_id);
