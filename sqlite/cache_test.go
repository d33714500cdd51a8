package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/storetest"
)

// TestCacheOtherProcess changes users and revokes grants and tokens
// through a second Store on the same file, as a CLI command next to a
// running server does, and checks that the first Store's caches give the
// new answer once its watcher has read the counters. The test reads them
// itself rather than wait for the watcher's tick.
func TestCacheOtherProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	server := openMigrated(t, path)
	cli := openMigrated(t, path)
	ctx := t.Context()
	tn := storetest.MustTenant(t, server, "other")
	now := time.Now()

	tests := []struct {
		name string
		// change acts through cli; check asks server.
		change func(t *testing.T, u *gatehouse.User, c *gatehouse.Client, g *gatehouse.Grant, jti string)
		check  func(t *testing.T, u *gatehouse.User, g *gatehouse.Grant, jti string)
	}{
		{
			name: "user disabled",
			change: func(t *testing.T, u *gatehouse.User, _ *gatehouse.Client, _ *gatehouse.Grant, _ string) {
				u.Status = gatehouse.StatusDisabled
				if err := cli.UpdateUser(ctx, u); err != nil {
					t.Fatalf("UpdateUser: %v", err)
				}
			},
			check: func(t *testing.T, u *gatehouse.User, _ *gatehouse.Grant, _ string) {
				got, err := server.GetUser(ctx, u.TenantID, u.ID)
				if err != nil || got.Status != gatehouse.StatusDisabled {
					t.Errorf("GetUser: got %v, %v; want a disabled user", got, err)
				}
			},
		},
		{
			name: "sign-in failure counted",
			change: func(t *testing.T, u *gatehouse.User, _ *gatehouse.Client, _ *gatehouse.Grant, _ string) {
				if _, err := cli.RecordSignInFailure(ctx, u.TenantID, u.ID, now); err != nil {
					t.Fatalf("RecordSignInFailure: %v", err)
				}
			},
			check: func(t *testing.T, u *gatehouse.User, _ *gatehouse.Grant, _ string) {
				got, err := server.GetUser(ctx, u.TenantID, u.ID)
				if err != nil || got.FailedSignIns != 1 {
					t.Errorf("GetUser: got %v, %v; want one failure", got, err)
				}
			},
		},
		{
			name: "grant revoked",
			change: func(t *testing.T, _ *gatehouse.User, _ *gatehouse.Client, g *gatehouse.Grant, _ string) {
				if err := cli.RevokeGrant(ctx, g.TenantID, g.ID, now); err != nil {
					t.Fatalf("RevokeGrant: %v", err)
				}
			},
			check: wantRevoked(server),
		},
		{
			name: "access token revoked",
			change: func(t *testing.T, _ *gatehouse.User, _ *gatehouse.Client, g *gatehouse.Grant, jti string) {
				if err := cli.RevokeAccessToken(ctx, &gatehouse.RevokedToken{TenantID: g.TenantID, JTI: jti,
					ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatalf("RevokeAccessToken: %v", err)
				}
			},
			check: wantRevoked(server),
		},
		{
			// The grant goes through the schema's cascade, which the
			// other process's Store never names.
			name: "client deleted",
			change: func(t *testing.T, _ *gatehouse.User, c *gatehouse.Client, _ *gatehouse.Grant, _ string) {
				if err := cli.DeleteClient(ctx, c.TenantID, c.ID); err != nil {
					t.Fatalf("DeleteClient: %v", err)
				}
			},
			check: wantRevoked(server),
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := storetest.MustUser(t, server, tn.ID, "user"+string(rune('a'+i)))
			c := storetest.MustClient(t, server, tn.ID)
			g := storetest.MustGrant(t, server, c, u.ID, now)
			jti := "jti-" + tt.name
			for range 2 {
				if _, err := server.GetUser(ctx, u.TenantID, u.ID); err != nil {
					t.Fatalf("GetUser: %v", err)
				}
				if revoked, err := server.AccessTokenRevoked(ctx, jti, g.ID); err != nil || revoked {
					t.Fatalf("AccessTokenRevoked before: got %v, %v; want false", revoked, err)
				}
			}
			if _, _, ok := server.users.get(u.TenantID, u.ID); !ok {
				t.Fatalf("the user is not cached after two lookups")
			}
			tt.change(t, u, c, g, jti)
			server.pollChanges(ctx)
			tt.check(t, u, g, jti)
		})
	}
}

func wantRevoked(s *Store) func(t *testing.T, _ *gatehouse.User, g *gatehouse.Grant, jti string) {
	return func(t *testing.T, _ *gatehouse.User, g *gatehouse.Grant, jti string) {
		revoked, err := s.AccessTokenRevoked(t.Context(), jti, g.ID)
		if err != nil || !revoked {
			t.Errorf("AccessTokenRevoked: got %v, %v; want true", revoked, err)
		}
	}
}

// TestCacheGenerations checks the rule that keeps a lookup racing a
// change from storing what it read before the change: an answer read
// before an invalidation is not kept, except a revoked one, which no
// change can make live again.
func TestCacheGenerations(t *testing.T) {
	t.Parallel()
	u := &gatehouse.User{ID: "u1", TenantID: "t1", Status: gatehouse.StatusActive}

	t.Run("user changed during a lookup", func(t *testing.T) {
		var c userCache
		c.observe(1, true)
		_, gen, ok := c.get("t1", "u1")
		if ok {
			t.Fatalf("an empty cache answered")
		}
		c.forget("t1", "u1")
		c.put(u, gen)
		if _, _, ok := c.get("t1", "u1"); ok {
			t.Errorf("a user read before a change was kept")
		}
		_, gen, _ = c.get("t1", "u1")
		c.put(u, gen)
		if _, _, ok := c.get("t1", "u1"); !ok {
			t.Errorf("a user read after the change was not kept")
		}
	})
	t.Run("revocation during a lookup", func(t *testing.T) {
		var c revocationCache
		c.observe(1, true)
		_, gen, _ := c.get("j1", "g1")
		c.revoked()
		c.put("j1", "g1", false, gen)
		if _, _, ok := c.get("j1", "g1"); ok {
			t.Errorf("a live answer read before a revocation was kept")
		}
		c.put("j2", "g2", true, gen)
		if revoked, _, ok := c.get("j2", "g2"); !ok || !revoked {
			t.Errorf("a revoked answer: got %v (cached %v), want revoked and cached", revoked, ok)
		}
	})
	t.Run("live answers end at the next revocation", func(t *testing.T) {
		var c revocationCache
		c.observe(1, true)
		_, gen, _ := c.get("j1", "g1")
		c.put("j1", "g1", false, gen)
		if revoked, _, ok := c.get("j1", "g1"); !ok || revoked {
			t.Fatalf("a live answer: got %v (cached %v), want live and cached", revoked, ok)
		}
		c.revoked()
		if _, _, ok := c.get("j1", "g1"); ok {
			t.Errorf("a live answer outlived a revocation")
		}
	})
	t.Run("no reading of the counters", func(t *testing.T) {
		var users userCache
		var revs revocationCache
		users.observe(1, true)
		revs.observe(1, true)
		_, gen, _ := users.get("t1", "u1")
		users.put(u, gen)
		_, rgen, _ := revs.get("j1", "g1")
		revs.put("j1", "g1", true, rgen)
		users.observe(0, false)
		revs.observe(0, false)
		if _, _, ok := users.get("t1", "u1"); ok {
			t.Errorf("the user cache answered without a reading of its counter")
		}
		if _, _, ok := revs.get("j1", "g1"); ok {
			t.Errorf("the revocation cache answered without a reading of its counter")
		}
	})
	t.Run("counter moved", func(t *testing.T) {
		var c userCache
		c.observe(1, true)
		_, gen, _ := c.get("t1", "u1")
		c.put(u, gen)
		c.observe(1, true)
		if _, _, ok := c.get("t1", "u1"); !ok {
			t.Fatalf("a reading of an unmoved counter cleared the cache")
		}
		c.observe(2, true)
		if _, _, ok := c.get("t1", "u1"); ok {
			t.Errorf("a moved counter left the cache as it was")
		}
	})
}

// TestCacheOffBeforeMigration checks that the caches of a store whose
// schema lacks the counters serve nothing, and that the lookups still
// answer from the tables.
func TestCacheOffBeforeMigration(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "gatehouse.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := s.AccessTokenRevoked(ctx, "j", ""); err == nil {
		t.Fatalf("AccessTokenRevoked on an empty schema: got nil error, want one")
	}
	if _, _, ok := s.revocations.get("j", ""); ok {
		t.Errorf("the revocation cache answers without a reading of its counter")
	}
}
