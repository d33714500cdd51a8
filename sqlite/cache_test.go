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
			if _, _, ok := server.users.Get(u.TenantID, u.ID); !ok {
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

// TestObserveCounters checks how a reading of the counters reaches the
// caches: a counter that moved invalidates its own cache and no other, and
// a failed reading empties them all and keeps them off until a good one.
func TestObserveCounters(t *testing.T) {
	t.Parallel()
	type reading struct {
		c  changes
		ok bool
	}
	first := changes{clients: 1, users: 1, revocations: 1}
	failed := reading{}
	tests := []struct {
		name     string
		readings []reading // after first
		// what is still cached afterwards
		wantClient, wantUser, wantLive, wantRevoked bool
	}{
		{name: "nothing moved", readings: []reading{{first, true}},
			wantClient: true, wantUser: true, wantLive: true, wantRevoked: true},
		{name: "clients moved", readings: []reading{{changes{2, 1, 1}, true}},
			wantUser: true, wantLive: true, wantRevoked: true},
		{name: "users moved", readings: []reading{{changes{1, 2, 1}, true}},
			wantClient: true, wantLive: true, wantRevoked: true},
		{name: "revocations moved", readings: []reading{{changes{1, 1, 2}, true}},
			wantClient: true, wantUser: true, wantRevoked: true},
		{name: "reading failed", readings: []reading{failed}},
		{name: "reading failed, then the same reading", readings: []reading{failed, {first, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := new(Store)
			s.observe(first, true)
			_, gen, _ := s.clients.Get("c1")
			s.clients.Put("c1", &gatehouse.Client{ID: "c1"}, gen)
			_, gen, _ = s.users.Get("t1", "u1")
			s.users.Put(&gatehouse.User{TenantID: "t1", ID: "u1"}, gen)
			_, gen, _ = s.revocations.Get("live", "")
			s.revocations.Put("live", "", false, gen)
			s.revocations.Put("revoked", "", true, gen)

			for _, r := range tt.readings {
				s.observe(r.c, r.ok)
			}
			_, _, client := s.clients.Get("c1")
			_, _, user := s.users.Get("t1", "u1")
			_, _, live := s.revocations.Get("live", "")
			_, _, revoked := s.revocations.Get("revoked", "")
			if client != tt.wantClient || user != tt.wantUser || live != tt.wantLive || revoked != tt.wantRevoked {
				t.Errorf("cached: got client %v, user %v, live answer %v, revoked answer %v; want %v, %v, %v, %v",
					client, user, live, revoked, tt.wantClient, tt.wantUser, tt.wantLive, tt.wantRevoked)
			}
			last := tt.readings[len(tt.readings)-1]
			if got := s.watch.reading.Load(); got != last.ok {
				t.Errorf("reading: got %v, want %v", got, last.ok)
			}
		})
	}
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
	if _, _, ok := s.revocations.Get("j", ""); ok {
		t.Errorf("the revocation cache answers without a reading of its counter")
	}
}
