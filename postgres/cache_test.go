package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/storetest"
)

// eventually retries check until it returns "" and fails with its last
// complaint otherwise. Not a timing assertion: the bound only keeps a
// lost notification from hanging the suite.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCacheTwoNodes caches users and revocation answers on two stores over
// one database, as two nodes do, changes them through one, and waits for
// the other to give the new answer through LISTEN/NOTIFY. The node that
// made the change gives it at once.
func TestCacheTwoNodes(t *testing.T) {
	t.Parallel()
	_, dsn := newSchema(t)
	a := listeningStore(t, dsn)
	b := listeningStore(t, dsn)
	ctx := t.Context()
	tn := storetest.MustTenant(t, a, "nodes")
	now := time.Now()

	tests := []struct {
		name   string
		change func(t *testing.T, u *gatehouse.User, c *gatehouse.Client, g *gatehouse.Grant, jti string)
		// answer returns "" when s gives the changed answer.
		answer func(s *Store, u *gatehouse.User, g *gatehouse.Grant, jti string) string
	}{
		{
			name: "user disabled",
			change: func(t *testing.T, u *gatehouse.User, _ *gatehouse.Client, _ *gatehouse.Grant, _ string) {
				u.Status = gatehouse.StatusDisabled
				if err := a.UpdateUser(ctx, u); err != nil {
					t.Fatalf("UpdateUser: %v", err)
				}
			},
			answer: func(s *Store, u *gatehouse.User, _ *gatehouse.Grant, _ string) string {
				got, err := s.GetUser(ctx, u.TenantID, u.ID)
				if err != nil || got.Status != gatehouse.StatusDisabled {
					return "the user is still active"
				}
				return ""
			},
		},
		{
			name: "sign-in failure counted",
			change: func(t *testing.T, u *gatehouse.User, _ *gatehouse.Client, _ *gatehouse.Grant, _ string) {
				if _, err := a.RecordSignInFailure(ctx, u.TenantID, u.ID, now); err != nil {
					t.Fatalf("RecordSignInFailure: %v", err)
				}
			},
			answer: func(s *Store, u *gatehouse.User, _ *gatehouse.Grant, _ string) string {
				got, err := s.GetUser(ctx, u.TenantID, u.ID)
				if err != nil || got.FailedSignIns != 1 {
					return "the failure is not counted"
				}
				return ""
			},
		},
		{
			name: "grant revoked",
			change: func(t *testing.T, _ *gatehouse.User, _ *gatehouse.Client, g *gatehouse.Grant, _ string) {
				if err := a.RevokeGrant(ctx, g.TenantID, g.ID, now); err != nil {
					t.Fatalf("RevokeGrant: %v", err)
				}
			},
			answer: revokedAnswer,
		},
		{
			name: "access token revoked",
			change: func(t *testing.T, _ *gatehouse.User, _ *gatehouse.Client, g *gatehouse.Grant, jti string) {
				if err := a.RevokeAccessToken(ctx, &gatehouse.RevokedToken{TenantID: g.TenantID, JTI: jti,
					ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatalf("RevokeAccessToken: %v", err)
				}
			},
			answer: revokedAnswer,
		},
		{
			name: "client deleted",
			change: func(t *testing.T, _ *gatehouse.User, c *gatehouse.Client, _ *gatehouse.Grant, _ string) {
				if err := a.DeleteClient(ctx, c.TenantID, c.ID); err != nil {
					t.Fatalf("DeleteClient: %v", err)
				}
			},
			answer: revokedAnswer,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := storetest.MustUser(t, a, tn.ID, "user"+string(rune('a'+i)))
			c := storetest.MustClient(t, a, tn.ID)
			g := storetest.MustGrant(t, a, c, u.ID, now)
			jti := "jti-" + tt.name
			for _, s := range []*Store{a, b} {
				mustCachedAnswers(t, s, u, g, jti)
			}
			tt.change(t, u, c, g, jti)
			if msg := tt.answer(a, u, g, jti); msg != "" {
				t.Fatalf("node a, at once: %s", msg)
			}
			eventually(t, "node b", func() string { return tt.answer(b, u, g, jti) })
		})
	}
}

func revokedAnswer(s *Store, _ *gatehouse.User, g *gatehouse.Grant, jti string) string {
	revoked, err := s.AccessTokenRevoked(context.Background(), jti, g.ID)
	if err != nil || !revoked {
		return "the token is not revoked"
	}
	return ""
}

// mustCachedAnswers asks for the user and the revocation answer until
// both are cached: a notification of an earlier change may still arrive
// and clear them once.
func mustCachedAnswers(t *testing.T, s *Store, u *gatehouse.User, g *gatehouse.Grant, jti string) {
	t.Helper()
	ctx := t.Context()
	eventually(t, "caching the user and the answer", func() string {
		if _, err := s.GetUser(ctx, u.TenantID, u.ID); err != nil {
			t.Fatalf("GetUser: %v", err)
		}
		revoked, err := s.AccessTokenRevoked(ctx, jti, g.ID)
		if err != nil || revoked {
			t.Fatalf("AccessTokenRevoked before the change: got %v, %v; want false", revoked, err)
		}
		_, _, userOK := s.users.Get(u.TenantID, u.ID)
		_, _, answerOK := s.revocations.Get(jti, g.ID)
		if !userOK || !answerOK {
			return "not cached"
		}
		return ""
	})
}

// TestUserNotificationPayload checks how the watcher reads a user change:
// the user named is dropped and no other; a payload it cannot read drops
// every user.
func TestUserNotificationPayload(t *testing.T) {
	t.Parallel()
	var s Store
	s.users.SetOn(true)
	put := func(tenantID, id string) {
		_, gen, _ := s.users.Get(tenantID, id)
		s.users.Put(&gatehouse.User{TenantID: tenantID, ID: id}, gen)
	}
	cached := func(tenantID, id string) bool {
		_, _, ok := s.users.Get(tenantID, id)
		return ok
	}
	put("t1", "u1")
	put("t1", "u2")
	s.userChanged("t1/u1")
	if cached("t1", "u1") || !cached("t1", "u2") {
		t.Errorf("after t1/u1: got u1 cached %v, u2 cached %v; want false, true", cached("t1", "u1"), cached("t1", "u2"))
	}
	put("t1", "u1")
	s.userChanged("garbled")
	if cached("t1", "u1") || cached("t1", "u2") {
		t.Errorf("after a garbled payload: some user is still cached")
	}
}
