package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

const userCols = `u.seq, u.id, u.tenant_id, u.username, u.email, u.email_verified, u.name, u.picture,
	u.password_hash, u.status, u.failed_sign_ins, u.last_failed_sign_in, u.created_at, u.updated_at, u.revision,
	(SELECT json_group_array(role) FROM
		(SELECT role FROM user_roles r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id ORDER BY role))`

const qUserByID = `SELECT ` + userCols + ` FROM users u WHERE u.tenant_id = ? AND u.id = ?`

var userConflicts = conflicts{
	"users.username": "username is already taken",
	"users.email":    "email is already taken",
	"users.id":       "user id is already taken",
}

func scanUser(sc scanner) (*gatehouse.User, int64, error) {
	var u gatehouse.User
	var seq int64
	err := sc.Scan(&seq, &u.ID, &u.TenantID, &u.Username, &u.Email, &u.EmailVerified, &u.Name, &u.Picture,
		&u.PasswordHash, &u.Status, &u.FailedSignIns, timeCol{&u.LastFailedSignIn},
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &u.Revision, jsonCol{&u.Roles})
	if err != nil {
		return nil, 0, err
	}
	// Roles are sorted on the way in; sort again so the order never
	// depends on how SQLite aggregates.
	slices.Sort(u.Roles)
	return &u, seq, nil
}

func insertRoles(ctx context.Context, tx *sql.Tx, u *gatehouse.User) error {
	for _, r := range u.Roles {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO user_roles (tenant_id, user_id, role) VALUES (?, ?, ?)`,
			u.TenantID, u.ID, r); err != nil {
			return err
		}
	}
	return nil
}

// CreateUser inserts u with its roles. ECONFLICT when the username or
// email is taken in the tenant, ENOTFOUND when the tenant does not exist.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	now := s.now()
	if u.ID == "" {
		u.ID = secret.NewID()
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = now
	}
	if u.Revision == 0 {
		u.Revision = 1
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, tenant_id, username, email, email_verified, name,
			picture, password_hash, status, failed_sign_ins, last_failed_sign_in, created_at, updated_at, revision)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.TenantID, u.Username, u.Email, u.EmailVerified, u.Name, u.Picture, u.PasswordHash,
			string(u.Status), u.FailedSignIns, micros(u.LastFailedSignIn), micros(u.CreatedAt), micros(u.UpdatedAt),
			u.Revision); err != nil {
			return err
		}
		return insertRoles(ctx, tx, u)
	})
	return fail("create user", err, "tenant not found", userConflicts)
}

// GetUser returns the user with id in the tenant, ENOTFOUND when there is
// none. It answers from the store's user cache when it can (watch.go): a
// change made through this Store is seen at once, one made by another
// process on the same file within watchInterval.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (*gatehouse.User, error) {
	s.watchChanges(ctx)
	u, gen, ok := s.users.Get(tenantID, id)
	if ok {
		return u, nil
	}
	st, err := s.rstmts.get(ctx, qUserByID)
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	u, _, err = scanUser(st.QueryRowContext(ctx, tenantID, id))
	if err != nil {
		return nil, fail("get user", noRows(err, "user not found"), "", nil)
	}
	s.users.Put(u, gen)
	return u, nil
}

// GetUserByUsername returns the tenant's user with that username,
// ENOTFOUND when there is none.
func (s *Store) GetUserByUsername(ctx context.Context, tenantID, username string) (*gatehouse.User, error) {
	u, _, err := scanUser(s.queryRow(ctx,
		`SELECT `+userCols+` FROM users u WHERE u.tenant_id = ? AND u.username = ?`, tenantID, username))
	return u, fail("get user by username", noRows(err, "user not found"), "", nil)
}

// GetUserByEmail returns the tenant's user with that email, ENOTFOUND when
// there is none. The empty email matches no one.
func (s *Store) GetUserByEmail(ctx context.Context, tenantID, email string) (*gatehouse.User, error) {
	if email == "" {
		return nil, notFound("user not found")
	}
	u, _, err := scanUser(s.queryRow(ctx,
		`SELECT `+userCols+` FROM users u WHERE u.tenant_id = ? AND u.email = ? AND u.email <> ''`, tenantID, email))
	return u, fail("get user by email", noRows(err, "user not found"), "", nil)
}

// ListUsers returns the tenant's users in creation order, a page at a time.
func (s *Store) ListUsers(ctx context.Context, tenantID string, opt gatehouse.ListOptions) ([]*gatehouse.User, string, error) {
	after, limit, err := page(opt)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users u WHERE u.tenant_id = ? AND u.seq > ?
		ORDER BY u.seq LIMIT ?`, tenantID, after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.User
	var seqs []int64
	for rows.Next() {
		u, seq, err := scanUser(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list users: %w", err)
		}
		out, seqs = append(out, u), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	out, next := cursorAfter(out, seqs, limit)
	return out, next, nil
}

// UpdateUser writes every field of u, roles included, when its Revision is
// current. ECONFLICT on a stale revision or a taken username or email,
// ENOTFOUND when the user is gone.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	defer s.users.Forget(u.TenantID, u.ID)
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET username = ?, email = ?, email_verified = ?, name = ?,
			picture = ?, password_hash = ?, status = ?, failed_sign_ins = ?, last_failed_sign_in = ?,
			updated_at = ?, revision = revision + 1
			WHERE tenant_id = ? AND id = ? AND revision = ?`,
			u.Username, u.Email, u.EmailVerified, u.Name, u.Picture, u.PasswordHash, string(u.Status),
			u.FailedSignIns, micros(u.LastFailedSignIn), micros(now), u.TenantID, u.ID, u.Revision)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return revisionMiss(ctx, tx, "user", `SELECT 1 FROM users WHERE tenant_id = ? AND id = ?`, u.TenantID, u.ID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE tenant_id = ? AND user_id = ?`,
			u.TenantID, u.ID); err != nil {
			return err
		}
		return insertRoles(ctx, tx, u)
	})
	if err != nil {
		return fail("update user", err, "", userConflicts)
	}
	u.Revision++
	u.UpdatedAt = now
	return nil
}

// RecordSignInFailure increments the user's failure counter and returns
// the new count, without changing the revision. ENOTFOUND when the user
// is not in the tenant.
func (s *Store) RecordSignInFailure(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	defer s.users.Forget(tenantID, userID)
	var n int
	err := s.w.QueryRowContext(ctx, `UPDATE users SET failed_sign_ins = failed_sign_ins + 1, last_failed_sign_in = ?
		WHERE tenant_id = ? AND id = ? RETURNING failed_sign_ins`, micros(at), tenantID, userID).Scan(&n)
	if err != nil {
		return 0, fail("record sign-in failure", noRows(err, "user not found"), "", nil)
	}
	return n, nil
}

// ResetSignInFailures sets the user's failure counter to zero, without
// changing the revision. ENOTFOUND when the user is not in the tenant.
func (s *Store) ResetSignInFailures(ctx context.Context, tenantID, userID string) error {
	defer s.users.Forget(tenantID, userID)
	res, err := s.exec(ctx, `UPDATE users SET failed_sign_ins = 0 WHERE tenant_id = ? AND id = ?`,
		tenantID, userID)
	return fail("reset sign-in failures", affected(res, err, "user not found"), "", nil)
}
