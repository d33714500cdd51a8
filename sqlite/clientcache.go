package sqlite

import (
	"slices"
	"sync"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

// Every token, revocation and introspection request authenticates its
// client by client_id, and clients change rarely: the store keeps the
// clients it loaded by client_id and forgets all of them whenever any
// client or credential changes.
//
// A change made through this Store clears the cache before the method
// returns. A change made by another process on the same file (a CLI
// command next to the running server) bumps the client_changes counter
// through triggers (migration 0002), which the watcher (watch.go) reads
// every watchInterval; the cache serves nothing while the watcher has no
// reading. The secret is never trusted from the cache alone: the caller
// compares the presented secret's hash with the credential's on every
// request, as it would after a database read.

// maxCachedClients bounds the cache; past it, it starts over.
const maxCachedClients = 10000

// clientCache keeps clients by OAuth client_id. Its generation moves on at
// every clear, so that a load that raced a change never stores what it
// read before the change.
//
// Lookups take the read lock only, and copy the client they found after
// releasing it: a stored client is never changed in place (touch replaces
// it), so thousands of lookups a second do not queue behind each other's
// copying.
type clientCache struct {
	mu       sync.RWMutex
	gen      uint64
	entries  map[string]*gatehouse.Client
	watching bool  // the watcher has a current reading of the counter
	counter  int64 // the last reading
}

// get returns a copy of the cached client and the generation to pass to
// put after a miss.
func (c *clientCache) get(clientID string) (*gatehouse.Client, uint64, bool) {
	c.mu.RLock()
	gen, watching := c.gen, c.watching
	cl, ok := c.entries[clientID]
	c.mu.RUnlock()
	if !watching || !ok {
		return nil, gen, false
	}
	return cloneClient(cl), gen, true
}

// put stores a copy of cl under clientID unless the cache was cleared
// since gen was read.
func (c *clientCache) put(clientID string, cl *gatehouse.Client, gen uint64) {
	cl = cloneClient(cl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.watching || gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedClients {
		c.entries = make(map[string]*gatehouse.Client)
	}
	c.entries[clientID] = cl
}

// clear forgets every client.
func (c *clientCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}

// touch records a use of the credential with clientID in the cached
// client it names, replacing the cached copy (lookups copy it unlocked).
func (c *clientCache) touch(clientID string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.entries[clientID]
	if !ok {
		return
	}
	cl = cloneClient(cl)
	for i := range cl.Credentials {
		if cl.Credentials[i].ClientID == clientID {
			cl.Credentials[i].LastUsedAt = at
		}
	}
	c.entries[clientID] = cl
}

// observe records a reading of the change counter (ok false: the reading
// failed) and clears the cache when the counter moved or was unknown.
func (c *clientCache) observe(n int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok && c.watching && n == c.counter {
		return
	}
	c.gen++
	c.entries = nil
	c.watching, c.counter = ok, n
}

// isWatching reports whether the watcher has a current reading.
func (c *clientCache) isWatching() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.watching
}

// len returns the number of cached clients.
func (c *clientCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
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
