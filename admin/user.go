package admin

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
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
// email, ENOTFOUND for an unknown tenant, EFORBIDDEN naming the roles
// field when a user who is not an owner gives the owner role (see
// rules.go).
func (s *Service) CreateUser(ctx context.Context, a Actor, tenantID string, in UserInput) (*gatehouse.User, error) {
	return s.createUser(ctx, a, tenantID, in, gatehouse.StatusActive, "user.create")
}

func (s *Service) createUser(ctx context.Context, a Actor, tenantID string, in UserInput, status gatehouse.Status, action string) (*gatehouse.User, error) {
	u := &gatehouse.User{
		TenantID:      tenantID,
		Username:      in.Username,
		Email:         in.Email,
		EmailVerified: in.EmailVerified,
		Name:          in.Name,
		Picture:       in.Picture,
		Roles:         in.Roles,
		Status:        status,
	}
	u.Normalize()
	// Roles are checked in the order given, so a problem is named by the
	// index the caller sent.
	probe := *u
	if len(in.Roles) > 0 {
		probe.Roles = make([]string, len(in.Roles))
		for i, r := range in.Roles {
			probe.Roles[i] = strings.ToLower(strings.TrimSpace(r))
		}
	}
	var p gatehouse.Problems
	p.Merge("", probe.Validate())
	if in.Password != "" {
		if msg := gatehouse.CheckPassword(in.Password); msg != "" {
			p.Add("password", "%s", msg)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := s.checkRoles(ctx, a, tenantID, nil, u.Roles); err != nil {
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
	if err := s.record(ctx, a, tenantID, action, "user:"+u.ID, details); err != nil {
		return nil, err
	}
	return u, nil
}

// PasswordLink is a single-use set-password link's secret value, which
// goes into the link and is never shown again, and its expiry.
type PasswordLink struct {
	Token     string
	ExpiresAt time.Time
}

// InviteUser creates a user in status invited, without a password, and a
// set-password link valid for gatehouse.PasswordTokenTTL: the user chooses
// a password through it and becomes active. Errors: those of CreateUser,
// and EINVALID when a password is given.
func (s *Service) InviteUser(ctx context.Context, a Actor, tenantID string, in UserInput) (*gatehouse.User, PasswordLink, error) {
	if in.Password != "" {
		return nil, PasswordLink{}, fieldError("password", "an invited user chooses their own password; leave it out")
	}
	u, err := s.createUser(ctx, a, tenantID, in, gatehouse.StatusInvited, "user.invite")
	if err != nil {
		return nil, PasswordLink{}, err
	}
	link, err := s.newPasswordLink(ctx, a, u)
	return u, link, err
}

// IssuePasswordLink replaces any earlier set-password link of the user
// with a new one, valid for gatehouse.PasswordTokenTTL: a reset that the
// user completes by choosing a password. Errors: ENOTFOUND, ECONFLICT for
// a disabled user, EFORBIDDEN for an owner's account when the acting user
// is not an owner.
func (s *Service) IssuePasswordLink(ctx context.Context, a Actor, tenantID, ref string) (*gatehouse.User, PasswordLink, error) {
	u, err := s.User(ctx, tenantID, ref)
	if err != nil {
		return nil, PasswordLink{}, err
	}
	if err := s.checkAccount(ctx, a, tenantID, u, false); err != nil {
		return nil, PasswordLink{}, err
	}
	if u.Status == gatehouse.StatusDisabled {
		return nil, PasswordLink{}, gatehouse.Errorf(gatehouse.ECONFLICT, "the user is disabled; enable the account first")
	}
	link, err := s.newPasswordLink(ctx, a, u)
	if err != nil {
		return nil, PasswordLink{}, err
	}
	if err := s.record(ctx, a, tenantID, "user.password.link", "user:"+u.ID,
		map[string]string{"expires_at": link.ExpiresAt.UTC().Format(time.RFC3339)}); err != nil {
		return nil, PasswordLink{}, err
	}
	return u, link, nil
}

// newPasswordLink stores a new set-password token for u and returns its
// value: random, kept only as its SHA-256.
func (s *Service) newPasswordLink(ctx context.Context, a Actor, u *gatehouse.User) (PasswordLink, error) {
	value := secret.Token(32)
	now := s.clock()
	t := &gatehouse.PasswordToken{Hash: secret.Hash(value), TenantID: u.TenantID, UserID: u.ID, CreatedBy: a.ID,
		CreatedAt: now, ExpiresAt: now.Add(gatehouse.PasswordTokenTTL)}
	if err := s.store.PutPasswordToken(ctx, t); err != nil {
		return PasswordLink{}, err
	}
	return PasswordLink{Token: value, ExpiresAt: t.ExpiresAt}, nil
}

// UserChange is a change of some of a user's fields: nil fields stay as
// they are.
type UserChange struct {
	Email         *string
	EmailVerified *bool
	Name          *string
	Picture       *string
	// Status may become active or disabled.
	Status *gatehouse.Status
}

// UpdateUser changes some fields of the tenant's user. A new email is
// unverified unless EmailVerified says otherwise. Disabling ends the
// user's sessions, revokes the grants they made to applications (their
// refresh and access tokens stop working) and voids a pending
// set-password link. match, when not nil, must name the user's current
// revision. Errors: ENOTFOUND, errPrecondition, EINVALID naming each
// field, ECONFLICT for a taken email, EFORBIDDEN when the acting user may
// not change this account (CheckUserChange).
func (s *Service) UpdateUser(ctx context.Context, a Actor, tenantID, ref string, ch UserChange, match IfMatch) (*gatehouse.User, error) {
	if ch.Status != nil && *ch.Status != gatehouse.StatusActive && *ch.Status != gatehouse.StatusDisabled {
		return nil, fieldError("status", "must be active or disabled")
	}
	for attempt := 1; ; attempt++ {
		cur, err := s.User(ctx, tenantID, ref)
		if err != nil {
			return nil, err
		}
		if err := s.checkAccount(ctx, a, tenantID, cur, disables(ch)); err != nil {
			return nil, err
		}
		if !match.matches(cur.Revision) {
			return nil, staleError("user", cur.Revision)
		}
		next := *cur
		next.Roles = slices.Clone(cur.Roles)
		if ch.Email != nil {
			next.Email = *ch.Email
		}
		if ch.Name != nil {
			next.Name = *ch.Name
		}
		if ch.Picture != nil {
			next.Picture = *ch.Picture
		}
		if ch.Status != nil {
			next.Status = *ch.Status
		}
		next.Normalize()
		if next.Email != cur.Email {
			next.EmailVerified = false
		}
		if ch.EmailVerified != nil {
			next.EmailVerified = *ch.EmailVerified
		}
		if err := next.Validate(); err != nil {
			return nil, err
		}
		changed := changedFields(NewUserDoc(cur), NewUserDoc(&next), "updated_at", "status")
		statusChanged := next.Status != cur.Status
		if len(changed) == 0 && !statusChanged {
			if next.Status == gatehouse.StatusDisabled && ch.Status != nil {
				// Disabling again finishes what an earlier attempt may have
				// left undone (its revocations failed after the write).
				if err := s.statusChanged(ctx, a, cur, cur.Status); err != nil {
					return nil, err
				}
			}
			return cur, nil
		}
		next.UpdatedAt = s.clock()
		err = s.store.UpdateUser(ctx, &next)
		if gatehouse.IsCode(err, gatehouse.ECONFLICT) {
			// A taken email is a conflict too: it is told apart from a
			// concurrent change by the revision having moved.
			if again, gerr := s.store.GetUser(ctx, tenantID, cur.ID); gerr == nil && again.Revision != cur.Revision {
				if match.conditional() {
					return nil, errStaleRace("user")
				}
				if attempt < 3 {
					continue
				}
			}
		}
		if err != nil {
			return nil, err
		}
		if len(changed) > 0 {
			if err := s.record(ctx, a, tenantID, "user.update", "user:"+next.ID,
				map[string]string{"fields": strings.Join(changed, ",")}); err != nil {
				return nil, err
			}
		}
		if statusChanged {
			if err := s.statusChanged(ctx, a, &next, cur.Status); err != nil {
				return nil, err
			}
		}
		return &next, nil
	}
}

// statusChanged does what a new status of u requires, and records it.
func (s *Service) statusChanged(ctx context.Context, a Actor, u *gatehouse.User, was gatehouse.Status) error {
	if u.Status != gatehouse.StatusDisabled {
		return s.record(ctx, a, u.TenantID, "user.enable", "user:"+u.ID, map[string]string{"was": string(was)})
	}
	now := s.clock()
	sessions, err := s.store.RevokeUserSessions(ctx, u.TenantID, u.ID, now)
	if err != nil {
		return fmt.Errorf("disable user: end sessions: %w", err)
	}
	grants, err := s.store.RevokeUserGrants(ctx, u.TenantID, u.ID, now)
	if err != nil {
		return fmt.Errorf("disable user: revoke grants: %w", err)
	}
	if err := s.store.DeletePasswordTokens(ctx, u.TenantID, u.ID); err != nil {
		return fmt.Errorf("disable user: void set-password link: %w", err)
	}
	if was == gatehouse.StatusDisabled && sessions == 0 && grants == 0 {
		return nil // a repeated disable that found nothing left to end
	}
	return s.record(ctx, a, u.TenantID, "user.disable", "user:"+u.ID, map[string]string{
		"sessions_ended": strconv.Itoa(sessions), "grants_revoked": strconv.Itoa(grants)})
}

// SetUserPassword sets the password of the tenant's user (checked against
// the policy, hashed with argon2id). An invited user becomes active. The
// user's sessions end and any set-password link is voided, since a reset
// usually means the old password is no longer trusted. Errors: ENOTFOUND,
// EINVALID, EFORBIDDEN for an owner's account when the acting user is not
// an owner.
func (s *Service) SetUserPassword(ctx context.Context, a Actor, tenantID, ref, password string) (*gatehouse.User, error) {
	if msg := gatehouse.CheckPassword(password); msg != "" {
		return nil, fieldError("password", msg)
	}
	u, err := s.User(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	if err := s.checkAccount(ctx, a, tenantID, u, false); err != nil {
		return nil, err
	}
	h, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	err = retryOnConflict(func() error {
		var err error
		if u, err = s.store.GetUser(ctx, tenantID, u.ID); err != nil {
			return err
		}
		u.PasswordHash = h
		if u.Status == gatehouse.StatusInvited {
			u.Status = gatehouse.StatusActive
		}
		u.UpdatedAt = s.clock()
		return s.store.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	if err := s.store.DeletePasswordTokens(ctx, tenantID, u.ID); err != nil {
		return nil, err
	}
	sessions, err := s.store.RevokeUserSessions(ctx, tenantID, u.ID, s.clock())
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, a, tenantID, "user.password.set", "user:"+u.ID,
		map[string]string{"sessions_ended": strconv.Itoa(sessions)}); err != nil {
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
	case !plausibleRef(ref):
		err = gatehouse.Errorf(gatehouse.ENOTFOUND, "not found")
	case gatehouse.IsUUID(ref):
		u, err = s.store.GetUser(ctx, tenantID, ref)
	case strings.Contains(ref, "@"):
		u, err = s.store.GetUserByEmail(ctx, tenantID, ref)
	default:
		u, err = s.store.GetUserByUsername(ctx, tenantID, ref)
	}
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "user %q not found in this tenant", truncateRunes(ref, 100))
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
	return s.ReplaceUserRoles(ctx, a, tenantID, ref, roles, nil)
}

// ReplaceUserRoles is SetUserRoles with a condition: match, when not nil,
// must name the user's current revision. Errors: those of SetUserRoles,
// errPrecondition, and EFORBIDDEN naming the roles field when the acting
// user gives or takes away the owner role without being an owner, or
// takes away their own access to the dashboard (see rules.go).
func (s *Service) ReplaceUserRoles(ctx context.Context, a Actor, tenantID, ref string, roles []string, match IfMatch) (*gatehouse.User, error) {
	var p gatehouse.Problems
	for i, r := range roles {
		if !gatehouse.ValidRole(strings.ToLower(strings.TrimSpace(r))) {
			p.Add("roles["+itoa(i)+"]", "must be 1-64 lower-case letters, digits, '.', '_' or '-'")
		}
	}
	roles = gatehouse.NormalizeRoles(roles)
	if len(roles) > 50 {
		p.Add("roles", "must have at most 50 roles")
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
		if err := s.checkRoles(ctx, a, tenantID, u, roles); err != nil {
			return err
		}
		if !match.matches(u.Revision) {
			return staleError("user", u.Revision)
		}
		rev := u.Revision
		u.Roles = roles
		u.UpdatedAt = s.clock()
		err = s.store.UpdateUser(ctx, u)
		if gatehouse.IsCode(err, gatehouse.ECONFLICT) && match.conditional() {
			u.Revision = rev
			return errStaleRace("user")
		}
		return err
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
