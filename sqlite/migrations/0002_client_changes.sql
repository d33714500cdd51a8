-- A counter of changes to clients and their credentials, moved by
-- triggers so that every writer of the file moves it, this process or
-- another (a CLI command next to a running server). A Store reads it to
-- know when its cache of clients is stale. Neither a new credential (no
-- cached client can lack one that a lookup needs: a lookup by its
-- client_id misses and reads the row) nor a use of a credential
-- (last_used_at) is a change.
CREATE TABLE client_changes (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
) STRICT;

INSERT INTO client_changes (id, n) VALUES (1, 0);

CREATE TRIGGER clients_changed_update AFTER UPDATE ON clients
BEGIN
	UPDATE client_changes SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER clients_changed_delete AFTER DELETE ON clients
BEGIN
	UPDATE client_changes SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER client_credentials_changed_update
AFTER UPDATE OF id, tenant_id, client, client_id, name, secret_hash, secret_hint, expires_at, created_at
ON client_credentials
BEGIN
	UPDATE client_changes SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER client_credentials_changed_delete AFTER DELETE ON client_credentials
BEGIN
	UPDATE client_changes SET n = n + 1 WHERE id = 1;
END;
