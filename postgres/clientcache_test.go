package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/storetest"
)

// listeningStore opens a migrated store on dsn whose client cache reports
// when its watcher listens, and waits for that after a first lookup.
func listeningStore(t *testing.T, dsn string) *Store {
	t.Helper()
	s := openStore(t, dsn, Options{MaxConns: 4})
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	ready := make(chan struct{}, 1)
	s.watch.listening = func() {
		select {
		case ready <- struct{}{}:
		default:
		}
	}
	s.watchChanges()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("the client cache's watcher never listened")
	}
	return s
}

// mustCachedClient looks the client_id up until the lookup fills the
// cache: a notification of an earlier change may still arrive and clear
// it once.
func mustCachedClient(t *testing.T, s *Store, clientID string) *gatehouse.Client {
	t.Helper()
	for range 100 {
		c, err := s.GetClientByClientID(t.Context(), clientID)
		if err != nil {
			t.Fatalf("GetClientByClientID: %v", err)
		}
		if _, _, ok := s.clients.Get(clientID); ok {
			return c
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("client %s is never cached after a lookup", clientID)
	return nil
}

// TestClientCacheInvalidation changes a cached client through the store
// that cached it and checks that the next lookup sees the change at once.
func TestClientCacheInvalidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  func(ctx context.Context, s *Store, c *gatehouse.Client) error
		gone    bool
		expired bool
	}{
		{
			name: "credential deleted",
			change: func(ctx context.Context, s *Store, c *gatehouse.Client) error {
				return s.DeleteClientCredential(ctx, c.TenantID, c.Credentials[0].ID)
			},
			gone: true,
		},
		{
			name: "client deleted",
			change: func(ctx context.Context, s *Store, c *gatehouse.Client) error {
				return s.DeleteClient(ctx, c.TenantID, c.ID)
			},
			gone: true,
		},
		{
			name: "secret rotated with no grace",
			change: func(ctx context.Context, s *Store, c *gatehouse.Client) error {
				sec := secret.NewPrefixed(gatehouse.PrefixClientSecret)
				return s.AddClientCredential(ctx, &gatehouse.ClientCredential{TenantID: c.TenantID, Client: c.ID,
					ClientID: gatehouse.PrefixClientID + secret.Token(16), Name: "next", SecretHash: sec.Hash},
					time.Now().Add(-time.Second))
			},
			expired: true,
		},
		{
			name: "expiry set",
			change: func(ctx context.Context, s *Store, c *gatehouse.Client) error {
				return s.UpdateClientCredential(ctx, c.TenantID, c.Credentials[0].ID, c.Credentials[0].Name, time.Now().Add(-time.Minute))
			},
			expired: true,
		},
	}
	_, dsn := newSchema(t)
	s := listeningStore(t, dsn)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := storetest.MustTenant(t, s, "cache-"+secret.Token(4))
			c := storetest.MustClient(t, s, tn.ID)
			clientID := c.Credentials[0].ClientID
			cached := mustCachedClient(t, s, clientID)
			if err := tt.change(t.Context(), s, cached); err != nil {
				t.Fatalf("change: %v", err)
			}
			got, err := s.GetClientByClientID(t.Context(), clientID)
			switch {
			case tt.gone:
				if !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
					t.Errorf("lookup after the change: got %v, want ENOTFOUND", err)
				}
			case err != nil:
				t.Fatalf("lookup after the change: %v", err)
			case tt.expired && !got.Credentials[0].Expired(time.Now()):
				t.Errorf("credential: got expiry %v, want expired", got.Credentials[0].ExpiresAt)
			}
		})
	}
}

// TestClientCacheTwoNodes caches a client in two stores on one database,
// as two nodes do, changes it through one and waits for the other's cache
// to see the change through LISTEN/NOTIFY.
func TestClientCacheTwoNodes(t *testing.T) {
	t.Parallel()
	_, dsn := newSchema(t)
	a := listeningStore(t, dsn)
	b := listeningStore(t, dsn)
	tn := storetest.MustTenant(t, a, "nodes")
	c := storetest.MustClient(t, a, tn.ID)
	clientID := c.Credentials[0].ClientID
	mustCachedClient(t, a, clientID)
	mustCachedClient(t, b, clientID)

	if err := a.DeleteClientCredential(t.Context(), c.TenantID, c.Credentials[0].ID); err != nil {
		t.Fatalf("DeleteClientCredential on node a: %v", err)
	}
	if _, err := a.GetClientByClientID(t.Context(), clientID); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		t.Fatalf("node a after the delete: got %v, want ENOTFOUND at once", err)
	}
	// Not a timing assertion: the bound only keeps a lost notification
	// from hanging the suite.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := b.GetClientByClientID(t.Context(), clientID)
		if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
			break
		}
		if err != nil {
			t.Fatalf("node b: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("node b still serves the deleted credential from its cache")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientCacheTouch checks that recording a use keeps the cached client
// and brings its last-used time up to date.
func TestClientCacheTouch(t *testing.T) {
	t.Parallel()
	_, dsn := newSchema(t)
	s := listeningStore(t, dsn)
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
