package postgres

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse-id/gatehouse"
)

// uniqueMessage says, for a unique constraint or index of the migrations,
// what the person who caused the conflict should read; ok is false for a
// name it does not know.
func uniqueMessage(constraint string) (msg string, ok bool) {
	switch constraint {
	case "tenants_pkey":
		return "a tenant with this id exists", true
	case "tenants_slug_key":
		return "the tenant slug is taken", true
	case "tenant_domains_domain_key":
		return "the domain is registered by a tenant", true
	case "users_pkey":
		return "a user with this id exists", true
	case "users_username_key":
		return "the username is taken", true
	case "users_email_key":
		return "the email is taken", true
	case "clients_pkey":
		return "a client with this id exists", true
	case "client_credentials_pkey":
		return "a client credential with this id exists", true
	case "client_credentials_client_id_key":
		return "the client_id is taken", true
	case "auth_requests_pkey":
		return "an authorization request with this id exists", true
	case "sessions_pkey":
		return "a session with this id exists", true
	case "sessions_token_hash_key":
		return "a session with this token exists", true
	case "auth_codes_pkey":
		return "the authorization code exists", true
	case "grants_pkey":
		return "a grant with this id exists", true
	case "refresh_tokens_pkey":
		return "the refresh token exists", true
	case "api_keys_pkey":
		return "an API key with this id exists", true
	case "api_keys_hash_key":
		return "the API key exists", true
	case "install_keys_pkey":
		return "an install key with this id exists", true
	case "install_keys_key_key":
		return "the install key exists", true
	case "jwt_credentials_pkey":
		return "a JWT credential with this id exists", true
	case "connectors_pkey":
		return "a connector with this id exists", true
	case "federated_identities_subject_key":
		return "the upstream account is already linked", true
	case "signing_keys_pkey":
		return "a signing key with this id exists", true
	case "signing_keys_active_key":
		return "another key is active for this purpose and algorithm", true
	case "signing_keys_next_key":
		return "another key is next for this purpose and algorithm", true
	case "audit_events_seq_key":
		return "the audit chain position is taken", true
	case "audit_events_id_key":
		return "an audit event with this id exists", true
	case "platform_admins_pkey":
		return "the tenant is already the platform's own", true
	case "client_assets_pkey":
		return "the client already has this asset", true
	case "password_tokens_pkey":
		return "the set-password token exists", true
	}
	return "the value is taken", false
}

// parentName names the parent row a foreign-key constraint requires, from
// the suffix of its name (<table>_<parent>_fkey), or "parent row" for a
// name that does not follow the convention.
func parentName(constraint string) string {
	name := strings.TrimSuffix(constraint, "_fkey")
	switch parent := name[strings.LastIndexByte(name, '_')+1:]; parent {
	case "tenant", "user", "client", "grant", "connector":
		return parent
	case "credential":
		return "JWT credential"
	}
	return "parent row"
}

// dbError turns an error from pgx into what the store returns: a
// *gatehouse.Error for the failures a caller can act on, and otherwise the
// error wrapped with the operation's name for the log. Messages of
// *gatehouse.Error values never quote SQL or server text; where the cause
// matters to an operator it is wrapped next to the domain error, so
// gatehouse.ErrorMessage still shows only the safe part.
func dbError(op string, err error) error {
	if err == nil {
		return nil
	}
	var ge *gatehouse.Error
	if errors.As(err, &ge) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505": // unique_violation
			msg, _ := uniqueMessage(pgErr.ConstraintName)
			return gatehouse.Errorf(gatehouse.ECONFLICT, "%s", msg)
		case pgErr.Code == "23503": // foreign_key_violation: a parent is missing
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", parentName(pgErr.ConstraintName))
		case pgErr.Code == "40001" || pgErr.Code == "40P01": // serialization_failure, deadlock_detected
			return fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.ECONFLICT,
				"the change collided with a concurrent one; try again"), wrapOp(op, err))
		case strings.HasPrefix(pgErr.Code, "22") || pgErr.Code == "23502" || pgErr.Code == "23514":
			// data_exception (a NUL byte in text, a value out of range), a
			// not_null_violation (a required hash left empty) or a
			// check_violation: the input, not the server, is at fault.
			return fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.EINVALID,
				"a value cannot be stored"), wrapOp(op, err))
		case strings.HasPrefix(pgErr.Code, "08"), // connection_exception
			strings.HasPrefix(pgErr.Code, "53"), // insufficient_resources
			pgErr.Code == "57P01",               // admin_shutdown
			pgErr.Code == "57P02",               // crash_shutdown
			pgErr.Code == "57P03",               // cannot_connect_now
			pgErr.Code == "25006":               // read_only_sql_transaction: a standby after failover
			return unavailable(op, err)
		}
		return wrapOp(op, err)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return unavailable(op, err)
	}
	return wrapOp(op, err)
}

func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the database is unavailable"), wrapOp(op, err))
}

func wrapOp(op string, err error) error { return fmt.Errorf("postgres: %s: %w", op, err) }

// notFound is the ENOTFOUND error for a missing row of kind what.
func notFound(what string) error {
	return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
}

// staleRevision is the ECONFLICT error for an update whose revision is stale.
func staleRevision(what string) error {
	return gatehouse.Errorf(gatehouse.ECONFLICT, "the %s was changed by someone else; reload it and try again", what)
}
