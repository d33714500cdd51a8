package postgres

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

// Every token, revocation and introspection request authenticates its
// client by client_id, and clients change rarely: the store keeps the
// clients it loaded by client_id and forgets all of them whenever any
// client or credential changes, anywhere.
//
// A change made through this Store clears the cache before the method
// returns. A change made by another node (or a CLI command) reaches it by
// PostgreSQL's LISTEN/NOTIFY: triggers (migration 0002) notify the
// clientChannel when a transaction that changed clients or credentials
// commits, and a watcher holding one connection of its own listens. The
// cache serves only while that connection listens; when it breaks, the
// cache is cleared and bypassed until the watcher listens again, so a
// notification lost with a connection never leaves a stale client behind.
// The secret is never trusted from the cache alone: the caller compares
// the presented secret's hash with the credential's on every request.

// clientChannel is the prefix of the notification channel of client
// changes; the schema of the clients table completes it, so that
// deployments sharing a database in separate schemas do not clear each
// other's caches.
const clientChannel = "gatehouse_clients:"

// maxCachedClients bounds the cache; past it, it starts over.
const maxCachedClients = 10000

// watchRetry is how long the watcher waits before listening again after
// its connection failed.
const watchRetry = time.Second

// clientCache keeps clients by OAuth client_id. Its generation moves on at
// every clear, so that a load that raced a change never stores what it
// read before the change.
type clientCache struct {
	mu       sync.Mutex
	gen      uint64
	entries  map[string]*gatehouse.Client
	watching bool // the watcher's connection listens
	started  bool
	closed   bool
	cancel   context.CancelFunc
	done     chan struct{}
	// listening, when set, is called each time the watcher starts
	// listening (tests wait for it).
	listening func()
}

// get returns a copy of the cached client and the generation to pass to
// put after a miss.
func (c *clientCache) get(clientID string) (*gatehouse.Client, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.watching {
		return nil, c.gen, false
	}
	cl, ok := c.entries[clientID]
	if !ok {
		return nil, c.gen, false
	}
	return cloneClient(cl), c.gen, true
}

// put stores a copy of cl under clientID unless the cache was cleared
// since gen was read.
func (c *clientCache) put(clientID string, cl *gatehouse.Client, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.watching || gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedClients {
		c.entries = make(map[string]*gatehouse.Client)
	}
	c.entries[clientID] = cloneClient(cl)
}

// clear forgets every client.
func (c *clientCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}

// setWatching records whether the watcher listens, clearing the cache
// either way: what it held was not covered while nobody listened.
func (c *clientCache) setWatching(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
	c.watching = on
}

// touch records a use of the credential with clientID in the cached
// client it names.
func (c *clientCache) touch(clientID string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.entries[clientID]
	if !ok {
		return
	}
	for i := range cl.Credentials {
		if cl.Credentials[i].ClientID == clientID {
			cl.Credentials[i].LastUsedAt = at
		}
	}
}

// cloneClient copies a client deeply enough that a caller may change the
// copy (its lists, its credentials) without touching the cached one.
func cloneClient(c *gatehouse.Client) *gatehouse.Client {
	out := *c
	out.RedirectURIs = slices.Clone(c.RedirectURIs)
	out.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	out.AllowedOrigins = slices.Clone(c.AllowedOrigins)
	out.Scopes = slices.Clone(c.Scopes)
	out.GrantTypes = slices.Clone(c.GrantTypes)
	out.AllowedRoles = slices.Clone(c.AllowedRoles)
	out.Credentials = slices.Clone(c.Credentials)
	for i := range out.Credentials {
		out.Credentials[i].SecretHash = slices.Clone(out.Credentials[i].SecretHash)
	}
	return &out
}

// watchClients starts the watcher the first time a client is looked up,
// so that a store opened for one command holds no extra connection. The
// lookups before it listens go to the database.
func (s *Store) watchClients() {
	c := &s.clients
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.closed {
		return
	}
	c.started = true
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go s.runClientWatcher(ctx)
}

// runClientWatcher listens on clientChannel and clears the cache at every
// notification, reconnecting after a failure, until ctx ends.
func (s *Store) runClientWatcher(ctx context.Context) {
	c := &s.clients
	defer close(c.done)
	for ctx.Err() == nil {
		err := s.listenClients(ctx)
		c.setWatching(false)
		if ctx.Err() != nil {
			return
		}
		s.log("client cache: listening for changes failed; the cache is off until it listens again", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(watchRetry):
		}
	}
}

// listenClients holds one connection that listens on clientChannel, until
// the connection fails or ctx ends.
func (s *Store) listenClients(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	// The schema the clients table resolves to on this connection's
	// search_path, as the triggers name it.
	var schema string
	if err := conn.QueryRow(ctx, `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = 'clients'::regclass`).Scan(&schema); err != nil {
		return err
	}
	if err := execExtended(ctx, conn, "LISTEN "+pgx.Identifier{clientChannel + schema}.Sanitize()); err != nil {
		return err
	}
	c := &s.clients
	c.setWatching(true)
	if c.listening != nil {
		c.listening()
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		c.clear()
	}
}

// stopClientWatcher ends the watcher, if it runs, and waits for it.
func (s *Store) stopClientWatcher() {
	c := &s.clients
	c.mu.Lock()
	started, closed := c.started, c.closed
	c.closed = true
	c.mu.Unlock()
	if !started || closed {
		return
	}
	c.cancel()
	<-c.done
}
