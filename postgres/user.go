package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

const userColumns = `u.id, u.tenant_id, u.username, u.email, u.email_verified, u.name, u.picture,
	u.password_hash, u.status,
	ARRAY(SELECT r.role FROM user_roles r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id ORDER BY r.role),
	u.failed_sign_ins, u.last_failed_sign_in, u.created_at, u.updated_at, u.revision, u.seq`

func scanUser(row pgx.Row) (*gatehouse.User, int64, error) {
	var u gatehouse.User
	var seq int64
	err := row.Scan(&u.ID, &u.TenantID, &u.Username, &u.Email, &u.EmailVerified, &u.Name, &u.Picture,
		&u.PasswordHash, &u.Status, &u.Roles,
		&u.FailedSignIns, tm(&u.LastFailedSignIn), tm(&u.CreatedAt), tm(&u.UpdatedAt), &u.Revision, &seq)
	if err != nil {
		return nil, 0, err
	}
	nilEmpty(&u.Roles)
	return &u, seq, nil
}

// CreateUser inserts the user and its roles in one transaction. ENOTFOUND
// when the tenant does not exist, ECONFLICT when the id, username or email
// is taken in the tenant.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	fillID(&u.ID)
	s.stampNew(&u.CreatedAt, &u.UpdatedAt, &u.Revision)
	normTimes(&u.LastFailedSignIn)
	return s.inTx(ctx, "create user", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, username, email, email_verified, name, picture,
				password_hash, status, failed_sign_ins, last_failed_sign_in, created_at, updated_at, revision)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			u.ID, u.TenantID, u.Username, u.Email, u.EmailVerified, u.Name, u.Picture,
			u.PasswordHash, u.Status, u.FailedSignIns, ts(u.LastFailedSignIn), ts(u.CreatedAt), ts(u.UpdatedAt), u.Revision)
		if err != nil {
			return err
		}
		return insertRoles(ctx, tx, u.TenantID, u.ID, u.Roles)
	})
}

func insertRoles(ctx context.Context, tx pgx.Tx, tenantID, userID string, roles []string) error {
	if len(roles) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO user_roles (tenant_id, user_id, role)
		SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING`, tenantID, userID, roles)
	return err
}

// GetUser returns the user, ENOTFOUND if the tenant has no such user.
//
// It answers from the store's user cache when it can: a change made
// through this Store is seen at once, one made on another node when its
// notification arrives (watch.go).
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (*gatehouse.User, error) {
	s.watchChanges()
	u, gen, ok := s.users.Get(tenantID, id)
	if ok {
		return u, nil
	}
	u, err := s.getUser(ctx, "get user", `u.tenant_id = $1 AND u.id = $2`, tenantID, id)
	if err != nil {
		return nil, err
	}
	s.users.Put(u, gen)
	return u, nil
}

// GetUserByUsername returns the user with the username (compared in lower
// case), ENOTFOUND if the tenant has none.
func (s *Store) GetUserByUsername(ctx context.Context, tenantID, username string) (*gatehouse.User, error) {
	return s.getUser(ctx, "get user by username", `u.tenant_id = $1 AND u.username = $2`,
		tenantID, strings.ToLower(strings.TrimSpace(username)))
}

// GetUserByEmail returns the user with the email (compared in lower case),
// ENOTFOUND if the tenant has none. An empty email matches no one.
func (s *Store) GetUserByEmail(ctx context.Context, tenantID, email string) (*gatehouse.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, notFound("user")
	}
	return s.getUser(ctx, "get user by email", `u.tenant_id = $1 AND u.email = $2`, tenantID, email)
}

func (s *Store) getUser(ctx context.Context, op, where string, args ...any) (*gatehouse.User, error) {
	u, _, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, dbError(op, err)
	}
	return u, nil
}

// ListUsers returns a page of the tenant's users in creation order.
func (s *Store) ListUsers(ctx context.Context, tenantID string, opt gatehouse.ListOptions) ([]*gatehouse.User, string, error) {
	limit, after, err := page(opt)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users u
		WHERE u.tenant_id = $1 AND u.seq > $2 ORDER BY u.seq LIMIT $3`, tenantID, after, limit+1)
	if err != nil {
		return nil, "", dbError("list users", err)
	}
	return collectPage(rows, limit, scanUser, "list users")
}

// UpdateUser writes the user's fields and replaces its roles, in one
// transaction, when u.Revision is current; it then increments u.Revision
// and sets u.UpdatedAt. The sign-in failure counter is not written: it
// changes only through RecordSignInFailure and ResetSignInFailures, so an
// edit made from a stale copy cannot reset it; its current value is
// copied into u. ECONFLICT on a stale revision or a taken username or
// email, ENOTFOUND when the user is gone.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	defer s.users.Forget(u.TenantID, u.ID)
	now := s.now()
	var (
		rev        int64
		failures   int
		lastFailed time.Time
	)
	err := s.inTx(ctx, "update user", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE users SET username = $4, email = $5, email_verified = $6, name = $7,
				picture = $8, password_hash = $9, status = $10, updated_at = $11, revision = revision + 1
			WHERE tenant_id = $1 AND id = $2 AND revision = $3
			RETURNING revision, failed_sign_ins, last_failed_sign_in`,
			u.TenantID, u.ID, u.Revision, u.Username, u.Email, u.EmailVerified, u.Name,
			u.Picture, u.PasswordHash, u.Status, ts(now)).Scan(&rev, &failures, tm(&lastFailed))
		if errors.Is(err, pgx.ErrNoRows) {
			return missingOrStale(ctx, tx, "user",
				`SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2)`, u.TenantID, u.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_roles WHERE tenant_id = $1 AND user_id = $2`, u.TenantID, u.ID); err != nil {
			return err
		}
		return insertRoles(ctx, tx, u.TenantID, u.ID, u.Roles)
	})
	if err != nil {
		return err
	}
	u.Revision, u.UpdatedAt = rev, now
	u.FailedSignIns, u.LastFailedSignIn = failures, lastFailed
	return nil
}

// RecordSignInFailure increments the user's failure counter, atomically,
// and returns the new count. ENOTFOUND if the tenant has no such user.
func (s *Store) RecordSignInFailure(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	defer s.users.Forget(tenantID, userID)
	var n int
	err := s.pool.QueryRow(ctx, `UPDATE users SET failed_sign_ins = failed_sign_ins + 1, last_failed_sign_in = $3
		WHERE tenant_id = $1 AND id = $2 RETURNING failed_sign_ins`, tenantID, userID, ts(at)).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, notFound("user")
	}
	if err != nil {
		return 0, dbError("record sign-in failure", err)
	}
	return n, nil
}

// ResetSignInFailures sets the user's failure counter to zero. ENOTFOUND
// if the tenant has no such user.
func (s *Store) ResetSignInFailures(ctx context.Context, tenantID, userID string) error {
	defer s.users.Forget(tenantID, userID)
	tag, err := s.pool.Exec(ctx, `UPDATE users SET failed_sign_ins = 0 WHERE tenant_id = $1 AND id = $2`, tenantID, userID)
	if err != nil {
		return dbError("reset sign-in failures", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("user")
	}
	return nil
}
