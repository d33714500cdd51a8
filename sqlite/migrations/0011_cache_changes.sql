-- Counters of the changes that a Store's caches of users and of
-- revocation answers must see, moved by triggers so that every writer of
-- the file moves them, this process or another (a CLI command next to a
-- running server). A Store reads them, with client_changes, every second.
--
-- users: any change to a user row or its roles (GetUser's answer).
-- revocations: an access token's jti revoked, a grant revoked or deleted
-- (AccessTokenRevoked's answer); a new grant or a new refresh token is not
-- a revocation.
CREATE TABLE cache_changes (
	kind TEXT    PRIMARY KEY,
	n    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO cache_changes (kind, n) VALUES ('users', 0), ('revocations', 0);

CREATE TRIGGER users_changed_update AFTER UPDATE ON users
BEGIN
	UPDATE cache_changes SET n = n + 1 WHERE kind = 'users';
END;

CREATE TRIGGER users_changed_delete AFTER DELETE ON users
BEGIN
	UPDATE cache_changes SET n = n + 1 WHERE kind = 'users';
END;

CREATE TRIGGER user_roles_changed_insert AFTER INSERT ON user_roles
BEGIN
	UPDATE cache_changes SET n = n + 1 WHERE kind = 'users';
END;

CREATE TRIGGER user_roles_changed_delete AFTER DELETE ON user_roles
BEGIN
	UPDATE cache_changes SET n = n + 1 WHERE kind = 'users';
END;

CREATE TRIGGER grants_revoked AFTER UPDATE OF revoked_at ON grants
BEGIN
	UPDATE cache_changes SET n = n + 1 WHERE kind = 'revocations';
END;

CREATE TRIGGER grants_deleted AFTER DELETE ON grants
BEGIN
	UPDATE cache_changes SET n = n + 1 WHERE kind = 'revocations';
END;

CREATE TRIGGER revoked_tokens_inserted AFTER INSERT ON revoked_tokens
BEGIN
	UPDATE cache_changes SET n = n + 1 WHERE kind = 'revocations';
END;
