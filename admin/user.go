package admin

import (
	"context"
	"strings"

	"github.com/gatehouse-id/gatehouse"
)

// UserInput is what a new user is made from.
type UserInput struct {
	Username      string
	Email         string
	EmailVerified bool
	Name          string
	Picture       string
	// Password is optional: a user without one signs in through a
	// connector or is invited to set one.
	Password string
	Roles    []string
}

// CreateUser validates every field (the password against the policy too),
// hashes the password with argon2id and creates the user with its roles.
// Errors: EINVALID naming each field, ECONFLICT for a taken username or
// email, ENOTFOUND for an unknown tenant.
func (s *Service) CreateUser(ctx context.Context, a Actor, tenantID string, in UserInput) (*gatehouse.User, error) {
	u := &gatehouse.User{
		TenantID:      tenantID,
		Username:      in.Username,
		Email:         in.Email,
		EmailVerified: in.EmailVerified,
		Name:          in.Name,
		Picture:       in.Picture,
		Roles:         in.Roles,
	}
	u.Normalize()
	var p gatehouse.Problems
	p.Merge("", u.Validate())
	if in.Password != "" {
		if msg := gatehouse.CheckPassword(in.Password); msg != "" {
			p.Add("password", "%s", msg)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if in.Password != "" {
		h, err := s.hasher.Hash(ctx, in.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	details := map[string]string{"username": u.Username}
	if len(u.Roles) > 0 {
		details["roles"] = strings.Join(u.Roles, ",")
	}
	if err := s.record(ctx, a, tenantID, "user.create", "user:"+u.ID, details); err != nil {
		return nil, err
	}
	return u, nil
}

// User finds a user of the tenant by id, username or email. Errors:
// ENOTFOUND.
func (s *Service) User(ctx context.Context, tenantID, ref string) (*gatehouse.User, error) {
	var (
		u   *gatehouse.User
		err error
	)
	switch ref = strings.ToLower(strings.TrimSpace(ref)); {
	case gatehouse.IsUUID(ref):
		u, err = s.store.GetUser(ctx, tenantID, ref)
	case strings.Contains(ref, "@"):
		u, err = s.store.GetUserByEmail(ctx, tenantID, ref)
	default:
		u, err = s.store.GetUserByUsername(ctx, tenantID, ref)
	}
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "user %q not found in this tenant", ref)
	}
	return u, err
}

// ListUsers pages through a tenant's users.
func (s *Service) ListUsers(ctx context.Context, tenantID string, opt gatehouse.ListOptions) ([]*gatehouse.User, string, error) {
	return s.store.ListUsers(ctx, tenantID, opt)
}

// SetUserRoles replaces a user's roles. Errors: EINVALID, ENOTFOUND,
// ECONFLICT when the user changed concurrently more often than retried.
func (s *Service) SetUserRoles(ctx context.Context, a Actor, tenantID, ref string, roles []string) (*gatehouse.User, error) {
	roles = gatehouse.NormalizeRoles(roles)
	var p gatehouse.Problems
	for i, r := range roles {
		if !gatehouse.ValidRole(r) {
			p.Add("roles["+itoa(i)+"]", "must be 1-64 lower-case letters, digits, '.', '_' or '-'")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	var u *gatehouse.User
	err := retryOnConflict(func() error {
		var err error
		if u, err = s.User(ctx, tenantID, ref); err != nil {
			return err
		}
		u.Roles = roles
		u.UpdatedAt = s.clock()
		return s.store.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, a, tenantID, "user.roles.set", "user:"+u.ID, map[string]string{"roles": strings.Join(roles, ",")}); err != nil {
		return nil, err
	}
	return u, nil
}

// retryOnConflict runs a read-modify-write a few times while a concurrent
// writer keeps winning the revision check.
func retryOnConflict(f func() error) error {
	var err error
	for range 3 {
		if err = f(); !gatehouse.IsCode(err, gatehouse.ECONFLICT) {
			return err
		}
	}
	return err
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
