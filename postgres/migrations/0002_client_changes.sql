-- Nodes cache clients by client_id. Every statement that changes clients
-- or their credentials notifies the channel "gatehouse_clients:<schema>"
-- when its transaction commits, and every node's listener then drops its
-- cache. Neither a new credential (no cached client can lack one that a
-- lookup needs: a lookup by its client_id misses and reads the row) nor a
-- use of a credential (last_used_at) is a change.
CREATE FUNCTION gatehouse_notify_client_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gatehouse_clients:' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END
$$;

CREATE TRIGGER clients_changed
AFTER UPDATE OR DELETE ON clients
FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_client_change();

CREATE TRIGGER client_credentials_changed
AFTER DELETE
    OR UPDATE OF id, tenant_id, client, client_id, name, secret_hash, secret_hint, expires_at, created_at
ON client_credentials
FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_client_change();
