package postgres

import (
	"slices"
	"sync"
	"time"

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
// commits, and the watcher (watch.go), holding one connection of its own,
// listens. The cache serves only while that connection listens; when it
// breaks, the cache is cleared and bypassed until the watcher listens
// again, so a notification lost with a connection never leaves a stale
// client behind.
// The secret is never trusted from the cache alone: the caller compares
// the presented secret's hash with the credential's on every request.

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
	watching bool // the watcher's connection listens
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
