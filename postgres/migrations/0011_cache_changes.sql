-- Nodes cache users by id and the answers of AccessTokenRevoked. When a
-- transaction that changed them commits, the triggers below notify, and
-- every node's listener drops what it holds:
--
-- "gatehouse_users:<schema>", payload "tenant_id/user_id": a user row or
-- its roles changed (GetUser's answer), one notification per user.
-- "gatehouse_revocations:<schema>", no payload: an access token's jti was
-- revoked, or a grant was revoked or deleted (AccessTokenRevoked's
-- answer); a new grant or refresh token is not a revocation.
CREATE FUNCTION gatehouse_notify_user_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('gatehouse_users:' || TG_TABLE_SCHEMA, OLD.tenant_id || '/' || OLD.id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('gatehouse_users:' || TG_TABLE_SCHEMA, OLD.tenant_id || '/' || OLD.user_id);
    ELSE
        PERFORM pg_notify('gatehouse_users:' || TG_TABLE_SCHEMA, NEW.tenant_id || '/' || NEW.user_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_changed
AFTER UPDATE OR DELETE ON users
FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_user_change();

CREATE TRIGGER user_roles_changed
AFTER INSERT OR DELETE ON user_roles
FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_user_change();

CREATE FUNCTION gatehouse_notify_revocation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gatehouse_revocations:' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END
$$;

CREATE TRIGGER grants_revoked
AFTER DELETE OR UPDATE OF revoked_at ON grants
FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_revocation();

CREATE TRIGGER revoked_tokens_added
AFTER INSERT ON revoked_tokens
FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_revocation();
