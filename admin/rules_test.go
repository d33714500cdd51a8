package admin_test

import (
	"context"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestUserRules checks the rules of who may change whom on the
// operations themselves: they bind signed-in users only, read the acting
// user afresh, and refuse a user of another tenant or a disabled one.
func TestUserRules(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	globex := s.MustTenant(t, "globex")
	owner := s.MustUser(t, acme.ID, "olga", sessionPassword, "owner")
	adm := s.MustUser(t, acme.ID, "ana", sessionPassword, "admin")
	gone := s.MustUser(t, acme.ID, "gil", sessionPassword, "owner")
	stranger := s.MustUser(t, globex.ID, "gus", sessionPassword, "owner")
	ctx := context.Background()
	svc := s.App.Admin
	if _, err := svc.UpdateUser(ctx, gatehousetest.Actor(), acme.ID, gone.ID,
		admin.UserChange{Status: new(gatehouse.StatusDisabled)}, nil); err != nil {
		t.Fatal(err)
	}
	user := func(u *gatehouse.User) admin.Actor { return admin.Actor{ID: "user:" + u.ID} }
	disable := admin.UserChange{Status: new(gatehouse.StatusDisabled)}

	tests := []struct {
		name   string
		actor  admin.Actor
		target *gatehouse.User
		ch     admin.UserChange
		want   string // an error code, "" for allowed
	}{
		{"an admin changes an owner", user(adm), owner, admin.UserChange{}, gatehouse.EFORBIDDEN},
		{"an admin disables itself", user(adm), adm, disable, gatehouse.EFORBIDDEN},
		{"an admin renames itself", user(adm), adm, admin.UserChange{Name: new("Ana")}, ""},
		{"an owner disables an admin", user(owner), adm, disable, ""},
		{"an owner disables itself", user(owner), owner, disable, gatehouse.EFORBIDDEN},
		{"a user of another tenant", user(stranger), adm, admin.UserChange{}, gatehouse.EFORBIDDEN},
		{"a disabled owner", user(gone), adm, admin.UserChange{}, gatehouse.EFORBIDDEN},
		{"the command line", gatehousetest.Actor(), owner, disable, ""},
		{"an API key", admin.Actor{ID: "apikey:0192"}, owner, disable, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := svc.CheckUserChange(ctx, tc.actor, acme.ID, tc.target, tc.ch)
			if got := codeOf(err); got != tc.want {
				t.Errorf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}

	// A role taken away a moment ago counts at once.
	if _, err := svc.SetUserRoles(ctx, gatehousetest.Actor(), acme.ID, owner.ID, []string{"admin"}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.SetUserRoles(ctx, user(owner), acme.ID, adm.ID, []string{"owner"})
	if !gatehouse.IsCode(err, gatehouse.EFORBIDDEN) {
		t.Errorf("a former owner grants owner: got %v, want EFORBIDDEN", err)
	}
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return gatehouse.ErrorCode(err)
}
