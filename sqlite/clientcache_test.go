package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/storetest"
)

func openMigrated(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// mustCachedClient looks the client_id up twice and checks that the
// second lookup was answered by the cache.
func mustCachedClient(t *testing.T, s *Store, clientID string) *gatehouse.Client {
	t.Helper()
	ctx := t.Context()
	if _, err := s.GetClientByClientID(ctx, clientID); err != nil {
		t.Fatalf("GetClientByClientID: %v", err)
	}
	if _, _, ok := s.clients.Get(clientID); !ok {
		t.Fatalf("client %s is not cached after a lookup", clientID)
	}
	c, err := s.GetClientByClientID(ctx, clientID)
	if err != nil {
		t.Fatalf("GetClientByClientID: %v", err)
	}
	return c
}

// TestClientCacheInvalidation changes a cached client in each way a client
// can change and checks that the next lookup sees the change at once.
func TestClientCacheInvalidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(ctx context.Context, s *Store, c *gatehouse.Client) error
		check  func(t *testing.T, c *gatehouse.Client, err error)
	}{
		{
			name: "credential deleted",
			change: func(ctx context.Context, s *Store, c *gatehouse.Client) error {
				return s.DeleteClientCredential(ctx, c.TenantID, c.Credentials[0].ID)
			},
			check: func(t *testing.T, _ *gatehouse.Client, err error) {
				if got := gatehouse.ErrorCode(err); got != gatehouse.ENOTFOUND {
					t.Errorf("lookup after delete: got %v, want ENOTFOUND", err)
				}
			},
		},
		{
			name: "client deleted",
			change: func(ctx context.Context, s *Store, c *gatehouse.Client) error {
				return s.DeleteClient(ctx, c.TenantID, c.ID)
			},
			check: func(t *testing.T, _ *gatehouse.Client, err error) {
				if got := gatehouse.ErrorCode(err); got != gatehouse.ENOTFOUND {
					t.Errorf("lookup after delete: got %v, want ENOTFOUND", err)
				}
			},
		},
		{
			name: "secret rotated with no grace",
			change: func(ctx context.Context, s *Store, c *gatehouse.Client) error {
				sec := secret.NewPrefixed(gatehouse.PrefixClientSecret)
				return s.AddClientCredential(ctx, &gatehouse.ClientCredential{TenantID: c.TenantID, Client: c.ID,
					ClientID: gatehouse.PrefixClientID + secret.Token(16), Name: "next", SecretHash: sec.Hash},
					time.Now().Add(-time.Second))
			},
			check: func(t *testing.T, c *gatehouse.Client, err error) {
				if err != nil {
					t.Fatalf("lookup: %v", err)
				}
				if got := len(c.Credentials); got != 2 {
					t.Fatalf("credentials: got %d, want 2", got)
				}
				if !c.Credentials[0].Expired(time.Now()) {
					t.Errorf("old credential: got expiry %v, want expired", c.Credentials[0].ExpiresAt)
				}
			},
		},
		{
			name: "expiry set",
			change: func(ctx context.Context, s *Store, c *gatehouse.Client) error {
				return s.UpdateClientCredential(ctx, c.TenantID, c.Credentials[0].ID, c.Credentials[0].Name, time.Now().Add(-time.Minute))
			},
			check: func(t *testing.T, c *gatehouse.Client, err error) {
				if err != nil {
					t.Fatalf("lookup: %v", err)
				}
				if !c.Credentials[0].Expired(time.Now()) {
					t.Errorf("credential: got expiry %v, want expired", c.Credentials[0].ExpiresAt)
				}
			},
		},
		{
			name: "client updated",
			change: func(ctx context.Context, s *Store, c *gatehouse.Client) error {
				c.Scopes = []string{"openid"}
				return s.UpdateClient(ctx, c)
			},
			check: func(t *testing.T, c *gatehouse.Client, err error) {
				if err != nil {
					t.Fatalf("lookup: %v", err)
				}
				if len(c.Scopes) != 1 || c.Scopes[0] != "openid" {
					t.Errorf("scopes: got %v, want [openid]", c.Scopes)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := openMigrated(t, filepath.Join(t.TempDir(), "gatehouse.db"))
			tn := storetest.MustTenant(t, s, "cache")
			c := storetest.MustClient(t, s, tn.ID)
			clientID := c.Credentials[0].ClientID
			cached := mustCachedClient(t, s, clientID)
			if err := tt.change(t.Context(), s, cached); err != nil {
				t.Fatalf("change: %v", err)
			}
			got, err := s.GetClientByClientID(t.Context(), clientID)
			tt.check(t, got, err)
		})
	}
}

// TestClientCacheCopies checks that a caller changing the client it got
// does not change what the next caller gets.
func TestClientCacheCopies(t *testing.T) {
	t.Parallel()
	s := openMigrated(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	tn := storetest.MustTenant(t, s, "copies")
	clientID := storetest.MustClient(t, s, tn.ID).Credentials[0].ClientID
	c := mustCachedClient(t, s, clientID)
	c.Scopes[0] = "changed"
	c.Credentials[0].SecretHash[0] ^= 0xff
	again, err := s.GetClientByClientID(t.Context(), clientID)
	if err != nil {
		t.Fatalf("GetClientByClientID: %v", err)
	}
	if again.Scopes[0] == "changed" || again.Credentials[0].SecretHash[0] == c.Credentials[0].SecretHash[0] {
		t.Errorf("a change to a returned client reached the cache")
	}
}

// TestClientCacheOtherProcess changes a client through a second Store on
// the same file, as a CLI command next to a running server does, and
// waits for the first Store's cache to see it.
func TestClientCacheOtherProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	server := openMigrated(t, path)
	cli := openMigrated(t, path)
	tn := storetest.MustTenant(t, server, "other")
	c := storetest.MustClient(t, server, tn.ID)
	clientID := c.Credentials[0].ClientID
	mustCachedClient(t, server, clientID)
	if err := cli.DeleteClientCredential(t.Context(), c.TenantID, c.Credentials[0].ID); err != nil {
		t.Fatalf("delete through the other store: %v", err)
	}
	// Not a timing assertion: the bound only keeps a broken watcher from
	// hanging the suite.
	deadline := time.Now().Add(30 * watchInterval)
	for {
		_, err := server.GetClientByClientID(t.Context(), clientID)
		if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
			return
		}
		if err != nil {
			t.Fatalf("GetClientByClientID: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deleted credential is still served from the cache")
		}
		time.Sleep(watchInterval / 10)
	}
}

// TestClientCacheTouch checks that recording a use keeps the cached client
// and brings its last-used time up to date.
func TestClientCacheTouch(t *testing.T) {
	t.Parallel()
	s := openMigrated(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	tn := storetest.MustTenant(t, s, "touch")
	clientID := storetest.MustClient(t, s, tn.ID).Credentials[0].ClientID
	mustCachedClient(t, s, clientID)
	at := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	if err := s.TouchClientCredential(t.Context(), clientID, at); err != nil {
		t.Fatalf("TouchClientCredential: %v", err)
	}
	c, _, ok := s.clients.Get(clientID)
	if !ok {
		t.Fatalf("a touch dropped the cached client")
	}
	if got := c.Credentials[0].LastUsedAt; !got.Equal(at) {
		t.Errorf("cached last use: got %v, want %v", got, at)
	}
}
