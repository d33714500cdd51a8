package sqlite

import (
	"slices"
	"sync"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

// Userinfo, introspection and every refresh read a user by id and ask
// whether an access token is revoked; both answers change rarely, so the
// store keeps them, with exact invalidation:
//
//   - A change made through this Store (UpdateUser, a sign-in failure
//     counted or reset, any revocation) invalidates before the method
//     returns: the user's entry, or every "not revoked" answer.
//   - A change made by another process on the same file moves a counter
//     in cache_changes through triggers (migration 0011), which the
//     watcher (watch.go) reads every watchInterval; a moved counter
//     clears that cache, and while the watcher has no reading the caches
//     serve nothing.
//
// A "revoked" answer is kept for good: a revoked jti or grant never
// becomes live again, and a grant that is gone never comes back (grant
// ids are random and never reused). A "not revoked" answer is kept only
// until the next revocation event. Every cache has a generation that
// moves on at each invalidation, so a lookup that raced a change never
// stores what it read before the change.

// maxCachedUsers and maxCachedRevocations bound the caches; past them
// they start over. A user is a few hundred bytes, an answer under a
// hundred.
const (
	maxCachedUsers       = 50000
	maxCachedRevocations = 100000
)

// userKey names a user: ids are unique per tenant.
type userKey struct{ tenantID, id string }

// userCache keeps users by tenant and id. Like the client cache, lookups
// take the read lock and copy after releasing it; a stored user is never
// changed in place.
type userCache struct {
	mu       sync.RWMutex
	gen      uint64
	entries  map[userKey]*gatehouse.User
	watching bool  // the watcher has a current reading of the counter
	counter  int64 // its last reading
}

// get returns a copy of the cached user and the generation to pass to put
// after a miss.
func (c *userCache) get(tenantID, id string) (*gatehouse.User, uint64, bool) {
	c.mu.RLock()
	gen, watching := c.gen, c.watching
	u, ok := c.entries[userKey{tenantID, id}]
	c.mu.RUnlock()
	if !watching || !ok {
		return nil, gen, false
	}
	return cloneUser(u), gen, true
}

// put stores a copy of u unless the cache was invalidated since gen was
// read.
func (c *userCache) put(u *gatehouse.User, gen uint64) {
	u = cloneUser(u)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.watching || gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedUsers {
		c.entries = make(map[userKey]*gatehouse.User)
	}
	c.entries[userKey{u.TenantID, u.ID}] = u
}

// forget drops one user, after a change to it.
func (c *userCache) forget(tenantID, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, userKey{tenantID, id})
}

// observe records a reading of the change counter (ok false: the reading
// failed) and clears the cache when the counter moved or was unknown.
func (c *userCache) observe(n int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok && c.watching && n == c.counter {
		return
	}
	c.gen++
	c.entries = nil
	c.watching, c.counter = ok, n
}

// cloneUser copies a user so that no caller shares its roles with the
// cache.
func cloneUser(u *gatehouse.User) *gatehouse.User {
	out := *u
	out.Roles = slices.Clone(u.Roles)
	return &out
}

// revocationKey names one question: is this jti, or this grant, revoked.
type revocationKey struct{ jti, grantID string }

// revocationAnswer is a cached answer: revoked for good, or live as of
// generation gen.
type revocationAnswer struct {
	revoked bool
	gen     uint64
}

// revocationCache keeps AccessTokenRevoked's answers.
type revocationCache struct {
	mu       sync.RWMutex
	gen      uint64
	entries  map[revocationKey]revocationAnswer
	watching bool
	counter  int64
}

// get returns the cached answer, and the generation to pass to put after
// a miss. A live answer counts only in the generation it was read in.
func (c *revocationCache) get(jti, grantID string) (revoked bool, gen uint64, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.watching {
		return false, c.gen, false
	}
	a, found := c.entries[revocationKey{jti, grantID}]
	switch {
	case !found:
		return false, c.gen, false
	case a.revoked:
		return true, c.gen, true
	case a.gen == c.gen:
		return false, c.gen, true
	}
	return false, c.gen, false
}

// put stores an answer read in generation gen. A live answer read before
// an invalidation is dropped; a revoked one stays true whenever it was
// read.
func (c *revocationCache) put(jti, grantID string, revoked bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.watching || (!revoked && gen != c.gen) {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedRevocations {
		c.entries = make(map[revocationKey]revocationAnswer)
	}
	c.entries[revocationKey{jti, grantID}] = revocationAnswer{revoked: revoked, gen: gen}
}

// revoked records a revocation event: every live answer is stale.
func (c *revocationCache) revoked() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
}

// observe records a reading of the change counter, as userCache.observe
// does. Revoked answers survive a moved counter; live ones do not.
func (c *revocationCache) observe(n int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok && c.watching && n == c.counter {
		return
	}
	c.gen++
	if !ok {
		c.entries = nil
	}
	c.watching, c.counter = ok, n
}
