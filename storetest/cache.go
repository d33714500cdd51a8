package storetest

import (
	"context"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

// The stores may answer GetUser and AccessTokenRevoked from memory, since
// userinfo, introspection and every refresh ask them. These cases hold a
// store that does to the contract: each question is asked twice first, so
// that a caching store has the answer in memory, then the answer is
// changed through the same store, and the very next question must see
// the change. No case waits for anything: a change made through a store
// is seen at once.

func cacheCases() []testCase {
	return []testCase{
		{"Cache/UserChanges", testCacheUserChanges},
		{"Cache/UserCopies", testCacheUserCopies},
		{"Cache/Revocations", testCacheRevocations},
		{"Cache/RevokedStaysRevoked", testCacheRevokedStaysRevoked},
	}
}

// warmUser asks for the user twice.
func warmUser(t *testing.T, s gatehouse.Store, u *gatehouse.User) {
	t.Helper()
	for range 2 {
		_, err := s.GetUser(t.Context(), u.TenantID, u.ID)
		must(t, "GetUser", err)
	}
}

func testCacheUserChanges(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	tests := []struct {
		name   string
		change func(u *gatehouse.User) error
		check  func(t *testing.T, got *gatehouse.User)
	}{
		{
			name: "disabled",
			change: func(u *gatehouse.User) error {
				u.Status = gatehouse.StatusDisabled
				return s.UpdateUser(ctx, u)
			},
			check: func(t *testing.T, got *gatehouse.User) {
				if got.Status != gatehouse.StatusDisabled {
					t.Errorf("status: got %q, want %q", got.Status, gatehouse.StatusDisabled)
				}
			},
		},
		{
			name: "profile and roles",
			change: func(u *gatehouse.User) error {
				u.Name, u.Email, u.Roles = "Renamed", "renamed@example.com", []string{"admin", "agent"}
				return s.UpdateUser(ctx, u)
			},
			check: func(t *testing.T, got *gatehouse.User) {
				if got.Name != "Renamed" || got.Email != "renamed@example.com" || len(got.Roles) != 2 {
					t.Errorf("got name %q, email %q, roles %v; want Renamed, renamed@example.com, [admin agent]",
						got.Name, got.Email, got.Roles)
				}
			},
		},
		{
			name: "sign-in failure counted",
			change: func(u *gatehouse.User) error {
				_, err := s.RecordSignInFailure(ctx, u.TenantID, u.ID, t0())
				return err
			},
			check: func(t *testing.T, got *gatehouse.User) {
				if got.FailedSignIns != 1 || !sameInstant(got.LastFailedSignIn, t0()) {
					t.Errorf("failures: got %d at %v, want 1 at %v", got.FailedSignIns, got.LastFailedSignIn, t0())
				}
			},
		},
		{
			name: "sign-in failures reset",
			change: func(u *gatehouse.User) error {
				if _, err := s.RecordSignInFailure(ctx, u.TenantID, u.ID, t0()); err != nil {
					return err
				}
				warmUser(t, s, u)
				return s.ResetSignInFailures(ctx, u.TenantID, u.ID)
			},
			check: func(t *testing.T, got *gatehouse.User) {
				if got.FailedSignIns != 0 {
					t.Errorf("failures: got %d, want 0", got.FailedSignIns)
				}
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := MustUser(t, s, tn.ID, "user"+string(rune('a'+i)))
			other := MustUser(t, s, tn.ID, "other"+string(rune('a'+i)))
			warmUser(t, s, u)
			warmUser(t, s, other)
			must(t, "change", tt.change(u))
			got, err := s.GetUser(ctx, u.TenantID, u.ID)
			must(t, "GetUser after the change", err)
			tt.check(t, got)
			// The user's neighbour is untouched.
			again, err := s.GetUser(ctx, other.TenantID, other.ID)
			must(t, "GetUser of another user", err)
			if again.Status != gatehouse.StatusActive || again.FailedSignIns != 0 {
				t.Errorf("another user: got status %q with %d failures, want active with none", again.Status, again.FailedSignIns)
			}
		})
	}
}

// testCacheUserCopies checks that a caller changing the user it got (its
// roles included) does not change what the next caller gets.
func testCacheUserCopies(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := fullUser(tn.ID, "ana")
	must(t, "CreateUser", s.CreateUser(ctx, u))
	warmUser(t, s, u)
	got, err := s.GetUser(ctx, tn.ID, u.ID)
	must(t, "GetUser", err)
	if len(got.Roles) == 0 {
		t.Fatalf("fullUser has no roles: the test cannot tell a shared list")
	}
	got.Name, got.Roles[0], got.Status = "changed", "changed", gatehouse.StatusDisabled
	again, err := s.GetUser(ctx, tn.ID, u.ID)
	must(t, "GetUser", err)
	if again.Name == "changed" || again.Roles[0] == "changed" || again.Status != gatehouse.StatusActive {
		t.Errorf("a change to a returned user reached the store's answer: got %+v", again)
	}
}

// askRevoked asks twice and checks both answers.
func askRevoked(t *testing.T, s gatehouse.Store, what, jti, grantID string, want bool) {
	t.Helper()
	for i := range 2 {
		got, err := s.AccessTokenRevoked(t.Context(), jti, grantID)
		must(t, "AccessTokenRevoked "+what, err)
		if got != want {
			t.Fatalf("AccessTokenRevoked %s (question %d): got %v, want %v", what, i+1, got, want)
		}
	}
}

func testCacheRevocations(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	tests := []struct {
		name string
		// revoke revokes what stands behind a token with jti and a grant of
		// client c to user u.
		revoke func(ctx context.Context, jti string, g *gatehouse.Grant, c *gatehouse.Client, u *gatehouse.User) error
	}{
		{"jti revoked", func(ctx context.Context, jti string, g *gatehouse.Grant, _ *gatehouse.Client, _ *gatehouse.User) error {
			return s.RevokeAccessToken(ctx, &gatehouse.RevokedToken{TenantID: g.TenantID, JTI: jti, ExpiresAt: now.Add(time.Hour)})
		}},
		{"grant revoked", func(ctx context.Context, _ string, g *gatehouse.Grant, _ *gatehouse.Client, _ *gatehouse.User) error {
			return s.RevokeGrant(ctx, g.TenantID, g.ID, now)
		}},
		{"user's grants revoked", func(ctx context.Context, _ string, g *gatehouse.Grant, _ *gatehouse.Client, u *gatehouse.User) error {
			_, err := s.RevokeUserGrants(ctx, g.TenantID, u.ID, now)
			return err
		}},
		{"consent revoked", func(ctx context.Context, _ string, g *gatehouse.Grant, c *gatehouse.Client, u *gatehouse.User) error {
			return s.RevokeConsent(ctx, g.TenantID, u.ID, c.ID, now)
		}},
		{"client deleted", func(ctx context.Context, _ string, g *gatehouse.Grant, c *gatehouse.Client, _ *gatehouse.User) error {
			return s.DeleteClient(ctx, g.TenantID, c.ID)
		}},
		{"JWT credential revoked", func(ctx context.Context, _ string, g *gatehouse.Grant, _ *gatehouse.Client, _ *gatehouse.User) error {
			return s.RevokeJWTCredential(ctx, g.TenantID, g.JWTCredentialID, now)
		}},
		{"grants of a JWT credential revoked", func(ctx context.Context, _ string, g *gatehouse.Grant, _ *gatehouse.Client, _ *gatehouse.User) error {
			_, err := s.RevokeGrantsByCredential(ctx, g.TenantID, g.JWTCredentialID, now)
			return err
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := MustUser(t, s, w.tenant.ID, "user"+string(rune('a'+i)))
			c := MustClient(t, s, w.tenant.ID)
			cred := newJWTCredential(u, now)
			must(t, "CreateJWTCredential", s.CreateJWTCredential(ctx, cred))
			g := &gatehouse.Grant{TenantID: w.tenant.ID, Client: c.ID, UserID: u.ID, JWTCredentialID: cred.ID,
				Scopes: []string{gatehouse.ScopeOpenID}, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
			must(t, "CreateGrant", s.CreateGrant(ctx, g))
			// A bystander: a live grant of the tenant's own client and user,
			// which no revocation below touches.
			bystander := MustGrant(t, s, w.client, w.user.ID, now)
			jti := "jti-" + rnd()

			askRevoked(t, s, "before", jti, g.ID, false)
			askRevoked(t, s, "of the bystander before", "jti-"+rnd(), bystander.ID, false)
			must(t, "revoke", tt.revoke(ctx, jti, g, c, u))
			askRevoked(t, s, "after", jti, g.ID, true)
			askRevoked(t, s, "of the bystander after", "jti-"+rnd(), bystander.ID, false)
		})
	}
}

// testCacheRevokedStaysRevoked checks that nothing brings a revoked
// answer back: not a new grant, not a new token of another jti.
func testCacheRevokedStaysRevoked(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	w := newTokenWorld(t, s)
	now := t0()
	g := MustGrant(t, s, w.client, w.user.ID, now)
	askRevoked(t, s, "live grant", "jti-a", g.ID, false)
	must(t, "RevokeGrant", s.RevokeGrant(ctx, w.tenant.ID, g.ID, now))
	askRevoked(t, s, "revoked grant", "jti-a", g.ID, true)
	MustGrant(t, s, w.client, w.user.ID, now)
	must(t, "RevokeAccessToken of another jti", s.RevokeAccessToken(ctx,
		&gatehouse.RevokedToken{TenantID: w.tenant.ID, JTI: "jti-b", ExpiresAt: now.Add(time.Hour)}))
	askRevoked(t, s, "revoked grant later", "jti-a", g.ID, true)
	askRevoked(t, s, "revoked jti without a grant", "jti-b", "", true)
	askRevoked(t, s, "unrevoked jti without a grant", "jti-c", "", false)
}
