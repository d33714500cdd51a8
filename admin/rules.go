package admin

import (
	"context"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse"
)

// Who may change whom, when the actor is a signed-in user (a dashboard
// page, or the API called with a dashboard session). The roles owner and
// admin open the dashboard; only an owner may make or unmake an owner, or
// act on an owner's account (change it, disable or enable it, set its
// password or issue a set-password link that would let the issuer take
// it over), so an admin cannot rise above their role. Nobody disables
// their own account or removes their own access to the dashboard, so a
// tenant is never locked out of it by a slip. API keys and the command
// line act for the tenant as a whole and are not bound by these rules.
const (
	msgOwnerRole    = "Only an owner can give or take away the owner role."
	msgOwnerAccount = "Only an owner can change the account of an owner."
	msgOwnAccess    = "You cannot remove your own access to the dashboard here; another owner or admin can."
	msgOwnDisable   = "You cannot disable your own account; another owner or admin can."
)

// userActorPrefix starts the actor id of a signed-in user.
const userActorPrefix = "user:"

// dashboardAccess reports whether roles open the dashboard (and the API
// with a dashboard session): owner or admin.
func dashboardAccess(roles []string) bool {
	return slices.Contains(roles, gatehouse.RoleOwner) || slices.Contains(roles, gatehouse.RoleAdmin)
}

// actingUser returns the user an actor names, read afresh so that a role
// taken away a moment ago counts, or nil for an actor that is not a user.
// Errors: EFORBIDDEN when the user is not an active user of the tenant.
func (s *Service) actingUser(ctx context.Context, a Actor, tenantID string) (*gatehouse.User, error) {
	id, ok := strings.CutPrefix(a.ID, userActorPrefix)
	if !ok {
		return nil, nil
	}
	u, err := s.store.GetUser(ctx, tenantID, id)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) || (err == nil && u.Status != gatehouse.StatusActive) {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "only an active user of this tenant may change it")
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// forbidRoles is the EFORBIDDEN error of a refused role change, naming
// the roles field with each reason.
func forbidRoles(msgs []string) error {
	e := &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Message: strings.Join(msgs, " ")}
	for _, m := range msgs {
		e.Fields = append(e.Fields, gatehouse.FieldError{Field: "roles", Message: m})
	}
	return e
}

// checkRoles applies the rules to giving target (nil for a user being
// created) the normalized roles. Errors: EFORBIDDEN naming the roles
// field.
func (s *Service) checkRoles(ctx context.Context, a Actor, tenantID string, target *gatehouse.User, roles []string) error {
	actor, err := s.actingUser(ctx, a, tenantID)
	if err != nil || actor == nil {
		return err
	}
	var msgs []string
	wasOwner := target != nil && target.HasRole(gatehouse.RoleOwner)
	if slices.Contains(roles, gatehouse.RoleOwner) != wasOwner && !actor.HasRole(gatehouse.RoleOwner) {
		msgs = append(msgs, msgOwnerRole)
	}
	if target != nil && target.ID == actor.ID && !dashboardAccess(roles) {
		msgs = append(msgs, msgOwnAccess)
	}
	if len(msgs) > 0 {
		return forbidRoles(msgs)
	}
	return nil
}

// checkAccount applies the rules to a change of target's account;
// disabling says the change disables it. Errors: EFORBIDDEN.
func (s *Service) checkAccount(ctx context.Context, a Actor, tenantID string, target *gatehouse.User, disabling bool) error {
	actor, err := s.actingUser(ctx, a, tenantID)
	if err != nil || actor == nil {
		return err
	}
	switch {
	case target.HasRole(gatehouse.RoleOwner) && !actor.HasRole(gatehouse.RoleOwner):
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "%s", msgOwnerAccount)
	case disabling && target.ID == actor.ID:
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "%s", msgOwnDisable)
	}
	return nil
}

// CheckUserChange reports whether the actor may make ch to u, by the
// rules of who may change whom, without making it: a page asks before it
// shows a confirmation that could only end in a refusal. UpdateUser
// applies the same rules itself. Errors: EFORBIDDEN with a message to
// show as it is.
func (s *Service) CheckUserChange(ctx context.Context, a Actor, tenantID string, u *gatehouse.User, ch UserChange) error {
	return s.checkAccount(ctx, a, tenantID, u, disables(ch))
}

// disables reports whether ch disables the account.
func disables(ch UserChange) bool {
	return ch.Status != nil && *ch.Status == gatehouse.StatusDisabled
}
